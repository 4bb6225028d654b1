"""Benchmark the form language: compile a 1,000-question form, validate 10,000 household submissions.

    python bench/forms.py [--questions 1000] [--submissions 10000] [--repeat 5]

Prints a table. Compiling is timed for our reader (TOML text → checked form; XLSForm → checked
form) against pyxform converting the same form, exported as an XLSForm, to an XForm in the same
run. Validation runs the library's household visit form over synthetic submissions (a roster of
1–8 people each) on one core. Each figure is the fastest of ``--repeat`` runs, the one least
disturbed by whatever else the machine is doing; validation also shows the median run. Targets
(issue 2): compiling ≥ 3× faster than pyxform; validation ≥ 20,000 submissions/s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is bench/forms.py: import the package, not this script

import forms  # noqa: E402
from forms import compiler  # noqa: E402
from forms.model import Integer, Rank, Repeat, SelectMultiple, SelectOne  # noqa: E402


def big_form_toml(n: int) -> str:
    """A realistic form of ``n`` questions: groups of 20, selects, numbers, skip logic, constraints."""
    lines = ['id = "bench"', 'title = {zh = "基准", en = "Benchmark"}', 'version = "1"']
    for g in range(n // 20):
        lines += [
            "[[questions]]",
            'type = "group"',
            f'name = "g{g}"',
            f'label = {{zh = "第{g}组", en = "Group {g}"}}',
        ]
        for i in range(20):
            k = g * 20 + i
            lines += [
                "[[questions.questions]]",
                f'name = "q{k}"',
                f'label = {{zh = "问题{k}", en = "Question {k}"}}',
            ]
            kind = k % 5
            if kind == 0:
                lines += [
                    'type = "integer"',
                    "required = true",
                    'constraint = ". >= 0 and . <= 120"',
                    'constraint_message = {zh = "0–120", en = "0–120"}',
                ]
            elif kind == 1:
                lines += ['type = "select_one"', 'choices = "yn"', f'relevant = "${{q{k - 1}}} >= 18"']
            elif kind == 2:
                lines += [
                    'type = "select_multiple"',
                    'choices = "needs"',
                    'constraint = "count-selected(.) <= 3"',
                    f"relevant = \"selected(${{q{k - 1}}}, 'yes') or ${{q{k - 2}}} > 60\"",
                ]
            elif kind == 3:
                lines += ['type = "text"', f"relevant = \"selected(${{q{k - 1}}}, 'other')\""]
            else:
                lines += [
                    'type = "calculate"',
                    f'calculation = "if(${{q{k - 4}}} >= 60, 1, 0) + count-selected(${{q{k - 2}}})"',
                ]
    lines += [
        "[[choices.yn]]",
        'name = "yes"',
        'label = {zh = "是", en = "Yes"}',
        "[[choices.yn]]",
        'name = "no"',
        'label = {zh = "否", en = "No"}',
    ]
    for c in ["care", "money", "health", "company", "other"]:
        lines += ["[[choices.needs]]", f'name = "{c}"', f'label = {{zh = "{c}", en = "{c}"}}']
    return "\n".join(lines) + "\n"


def best(fn: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` timings of ``fn`` (seconds)."""
    return min(timings(fn, repeat))


def timings(fn: Callable[[], Any], repeat: int) -> list[float]:
    """``repeat`` timings of ``fn`` (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bench_compile(n: int, repeat: int) -> list[tuple[str, float]]:
    from pyxform.xls2xform import convert

    text = big_form_toml(n)
    form = forms.loads(text)
    assert sum(1 for _ in forms.walk(form.questions)) >= n
    xlsx = forms.write_xlsform(form)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        path.write_bytes(xlsx)
        ours_toml = best(lambda: forms.loads(text), repeat)
        ours_xlsx = best(lambda: forms.loads(xlsx, "xlsx"), repeat)
        theirs = best(lambda: convert(xlsform=str(path), validate=False), repeat)
    return [
        (f"compile {n} questions: ours, TOML → checked form", ours_toml),
        (f"compile {n} questions: ours, XLSForm → checked form", ours_xlsx),
        (f"compile {n} questions: pyxform, XLSForm → XForm", theirs),
    ]


def synthetic_answers(form: forms.Form, rng: random.Random) -> dict[str, Any]:
    """A plausible submission: every question answered with a value of its type.

    Cascades and repeat counts are kept consistent (a community of the chosen town, ``hh_size``
    equal to the roster's length); answers to questions that turn out not to be relevant are
    removed afterwards by one validation, as a well-behaved client would not send them.
    """
    c = compiler.compile_form(form)

    def options(q: Any) -> list[str]:
        return [n for n, ch in c.choices[q.choices].items() if not ch.exclusive and not ch.other]

    def fill(questions: tuple[Any, ...], out: dict[str, Any]) -> dict[str, Any]:
        for q in questions:
            if isinstance(q, Repeat):
                out[q.name] = [fill(q.questions, {}) for _ in range(rng.randint(1, 6))]
                count = q.repeat_count or ""
                if count.startswith("${") and count.endswith("}"):
                    out[count[2:-1]] = len(out[q.name])
            elif isinstance(q, forms.Group):
                fill(q.questions, out)
            elif isinstance(q, Integer):
                lo, hi = q.minimum or 0, q.maximum or 99
                out[q.name] = rng.randint(lo, min(hi, lo + 90))
            elif isinstance(q, SelectMultiple | Rank):
                names = options(q)
                out[q.name] = rng.sample(names, k=min(len(names), rng.randint(1, 2)))
            elif isinstance(q, SelectOne | forms.Likert):
                out[q.name] = rng.choice(_filtered(c, q, out) if isinstance(q, SelectOne) else options(q))
                if c.choices[q.choices][out[q.name]].other:
                    out[f"{q.name}_other"] = "文字记录"
            elif isinstance(q, forms.Consent):
                out[q.name] = "yes"
            elif isinstance(q, forms.Text):
                out[q.name] = "13800138000" if "phone" in q.name else "文字记录"
            elif isinstance(q, forms.Date):
                out[q.name] = "2026-11-02"
        return out

    answers = fill(form.questions, {})
    return forms.validate(form, answers).answers


def _filtered(c: compiler.Compiled, q: SelectOne, answers: dict[str, Any]) -> list[str]:
    """The options of ``q`` that its cascade allows, for the simple ``column = ${question}`` filter."""
    names = list(c.choices[q.choices])
    if q.choice_filter and " = ${" in q.choice_filter:
        column, ref = q.choice_filter.split(" = ${")
        chosen = answers.get(ref.rstrip("}"))
        names = [n for n in names if c.choices[q.choices][n].filters.get(column.strip()) == chosen]
    return [n for n in names if not c.choices[q.choices][n].other] or names


def bench_validate(count: int, repeat: int) -> list[tuple[str, float]]:
    form = forms.load(ROOT / "forms" / "library" / "household_visit.toml")
    rng = random.Random(20261129)
    submissions = [synthetic_answers(form, rng) for _ in range(count)]
    compiled = compiler.compile_form(form)
    valid = sum(forms.validate(compiled, s).ok for s in submissions)
    members = statistics.mean(len(s.get("members", ())) for s in submissions)

    def run() -> None:
        for submission in submissions:  # as a server does: validate, store, forget
            forms.validate(compiled, submission)

    times = timings(run, repeat)
    share = 100 * valid / count
    label = f"validate {count} household submissions ({members:.1f} members, {share:.0f}% valid)"
    return [(label, min(times)), ("  the same, median run", statistics.median(times))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = bench_compile(args.questions, args.repeat)
    ours, theirs = rows[0][1], rows[2][1]
    validation = bench_validate(args.submissions, args.repeat)
    print(f"{'what (fastest of ' + str(args.repeat) + ' runs)':<60} {'seconds':>10} {'per second':>14}")
    for label, seconds in rows:
        print(f"{label:<60} {seconds:>10.4f} {'':>14}")
    print(
        f"{'speed-up over pyxform (TOML / XLSForm)':<60} {theirs / ours:>9.1f}× {theirs / rows[1][1]:>13.1f}×"
    )
    for label, seconds in validation:
        print(f"{label:<60} {seconds:>10.4f} {args.submissions / seconds:>14,.0f}")


if __name__ == "__main__":
    main()

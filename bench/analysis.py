"""Benchmark the analysis: the full report on a synthetic household survey against pandas + scipy.

    python bench/analysis.py [--respondents 100000] [--memory 1000000] [--repeat 3]

The survey has 60 questions — 4 segments (district, sex, age band, household type), 16 select_one,
12 likert items forming two scales (one item of each reversed), 12 select_multiple and 16 numbers,
some asked only when an earlier answer says so — and 3 indicators with severity classes. The
report computes every descriptive with its interval, overall and in each group of the 4 segments,
a test of every question against each segment with Benjamini–Hochberg, the scales' α and scores,
the indicators' prevalence, phases and area classification, and the guards. In the same run a
straightforward pandas + scipy implementation computes the same statistics (value_counts and
groupby for the shares, Wilson and t intervals, distribution-free order-statistic intervals for
medians, crosstab + chi2_contingency / fisher_exact, kruskal / mannwhitneyu, BH, α from the
covariance, indicator flags with boolean masks). Then the report alone runs in a fresh process on
``--memory`` respondents and its peak memory (max RSS) is printed.

Targets (issue 6): ≤ 3 s at 100,000; ≥ 5× faster than the pandas baseline; ≤ 2 GB at 1,000,000.
pandas is needed only here (``pip install pandas``).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is bench/analysis.py: import the package, not this script

from analysis.dataset import Dataset  # noqa: E402
from analysis.report import Options, analyze  # noqa: E402
from forms.formats import compile_text  # noqa: E402

SEGMENTS = {"district": 6, "sex": 2, "age_band": 4, "hh_type": 5}


def form_toml() -> str:
    """The benchmark's form: 60 questions and 3 indicators."""
    out = ['id = "bench_household"', 'title = {zh = "基准", en = "Benchmark household survey"}']

    def question(kind: str, name: str, extra: str = "") -> None:
        out.extend(["", "[[questions]]", f'type = "{kind}"', f'name = "{name}"', *extra.split("\n")])

    for name in SEGMENTS:
        question("select_one", name, f'choices = "{name}"\nsegment = true')
    for i in range(16):
        relevant = "\nrelevant = \"${sex} = 's1'\"" if i % 4 == 3 else ""
        question("select_one", f"s{i}", f'choices = "opt{4 + i % 3}"{relevant}')
    for i in range(12):
        scale = "wellbeing" if i < 6 else "trust"
        reverse = "\nreverse = true" if i % 6 == 5 else ""
        question("likert", f"l{i}", f'choices = "agree5"\nscale = "{scale}"{reverse}')
    for i in range(12):
        relevant = "\nrelevant = \"${hh_type} != 'h0'\"" if i % 3 == 2 else ""
        question("select_multiple", f"m{i}", f'choices = "opt6"{relevant}')
    for i in range(16):
        question("integer" if i % 2 else "decimal", f"x{i}", "minimum = 0")
    for name, levels in SEGMENTS.items():
        for k in range(levels):
            out.extend([f"[[choices.{name}]]", f'name = "{name[0]}{k}"'])
    for size in (4, 5, 6):
        for k in range(size):
            out.extend([f"[[choices.opt{size}]]", f'name = "o{k}"'])
    for k in range(1, 6):
        out.extend(["[[choices.agree5]]", f'name = "a{k}"', f"value = {k}"])
    indicators = [
        ("low_income", "${x0} < 20", "${x0} < 5", "${x0} < 10"),
        ("no_support", "selected(${m0}, 'o1') and ${s0} = 'o0'", "${s1} = 'o0'", "${s2} = 'o0'"),
        ("distress", "${l0} = 'a1' or ${l1} = 'a1'", "${l0} = 'a1' and ${l1} = 'a1'", "${l2} = 'a1'"),
    ]
    for name, flag, severe, stressed in indicators:
        out.extend(
            [
                "",
                "[[indicators]]",
                f'name = "{name}"',
                f'flag = "{flag}"',
                "[[indicators.severity]]",
                "level = 4",
                f'when = "{severe}"',
                "[[indicators.severity]]",
                "level = 3",
                f'when = "{stressed}"',
            ]
        )
    return "\n".join(out) + "\n"


def columns(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Synthetic answers as typed arrays: codes, scores, ticks and numbers, correlated with segments."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {name: rng.integers(0, k, n) for name, k in SEGMENTS.items()}
    district = data["district"]
    for i in range(16):
        k = 4 + i % 3
        codes = (rng.integers(0, k, n) + (district * (i % 2))) % k
        if i % 4 == 3:
            codes = np.where(data["sex"] == 1, codes, -1)
        data[f"s{i}"] = codes
    mood = rng.normal(0, 1, n)
    for i in range(12):
        latent = mood + rng.normal(0, 1, n) + 0.2 * data["age_band"]
        score = np.clip(np.round(latent + 3), 1, 5).astype(int)
        data[f"l{i}"] = (6 - score if i % 6 == 5 else score) - 1
    for i in range(12):
        ticks = rng.random((n, 6)) < (0.15 + 0.05 * np.arange(6))
        ticks[:, 0] |= (district == i % 6) & (rng.random(n) < 0.3)
        if i % 3 == 2:
            ticks[data["hh_type"] == 0] = False
        data[f"m{i}"] = ticks
    for i in range(16):
        x = rng.lognormal(3 + 0.1 * data["hh_type"], 0.6, n)
        data[f"x{i}"] = np.round(x) if i % 2 else np.round(x, 1)
        data[f"x{i}"][rng.random(n) < 0.03] = np.nan
    return data


def build(n: int) -> Dataset:
    compiled = compile_text(form_toml(), "toml", "bench.toml")[0]
    return Dataset.from_columns(compiled, columns(n))


def best(run, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The best wall-clock and CPU seconds of ``repeat`` runs (CPU time shows less of a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def memory(n: int) -> None:
    """Build and analyse ``n`` respondents; print seconds and peak memory (this process)."""
    start = time.perf_counter()
    report = analyze(build(n))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{n:,} respondents: {len(report.results):,} rows in {seconds:.1f} s (build + report), "
        f"peak memory {peak:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument(
        "--memory", type=int, default=1_000_000, help="respondents for the memory run (0: skip)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_run:
        memory(args.memory_run)
        return
    from bench.analysis_pandas import baseline

    n = args.respondents
    start = time.perf_counter()
    dataset = build(n)
    built = time.perf_counter() - start
    report = analyze(dataset)
    ours = best(lambda: analyze(dataset, Options()), args.repeat)
    frame_columns = columns(n)
    theirs = best(lambda: baseline(frame_columns), 1)
    tests = sum(1 for r in report.results if r.p_value is not None)
    print(f"{n:,} respondents × 60 questions: {len(report.results):,} rows ({tests} tests)")
    print(f"  dataset from arrays (relevance applied)  {built:6.2f} s")
    print(
        f"  report (Tanfang)          {ours[0]:6.2f} s wall  {ours[1]:6.2f} s CPU   (best of {args.repeat})"
    )
    print(f"  pandas + scipy baseline   {theirs[0]:6.2f} s wall  {theirs[1]:6.2f} s CPU")
    print(f"  ratio                     {theirs[0] / ours[0]:6.1f} ×       {theirs[1] / ours[1]:6.1f} ×")
    if args.memory:
        subprocess.run([sys.executable, __file__, "--memory-run", str(args.memory)], check=True)


if __name__ == "__main__":
    main()

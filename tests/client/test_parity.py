"""The browser's form logic (survey/static/js/logic.js, run in node) gives exactly Python's results.

Expressions: a hand-written corpus (`corpus.py`) and hypothesis-generated trees with environments
are evaluated by `forms.evaluate` and by the JavaScript interpreter; values must be identical, to
the type, NaN and the sign of zero, and a call that cannot run must fail at the same position.
Forms: for the library forms, generated forms and a 300-question form, the JavaScript form-state
engine must give what `forms.validate` gives: the errors in order, the dropped answers, the
cleaned answers and calculations, which questions are relevant and which choices a filter allows.
Python's relevance and filters are observed through `validate` alone: a question is relevant when
an answer to it is kept rather than dropped, and a choice is allowed when choosing it is not
reported as ``filtered``. Each test sends its whole batch to one node process.
"""

from __future__ import annotations

import copy
import re
import subprocess
from datetime import date
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from forms.compiler import Compiled
from forms.evaluate import EvaluationError, MappingEnv, evaluate, evaluate_bool
from forms.expressions import Node, parse
from forms.model import Calculate, Group, Repeat, SelectMultiple
from tests.client import corpus, generate, nodejs
from tests.conftest import LIBRARY
from tests.forms.formhelpers import make_form

TODAY = date(2024, 3, 15)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------- expressions


def _python(tree: Node, env: dict[str, Any]) -> tuple[Any, Any]:
    """Python's value and condition for one case, an error as `Raised` at its position."""
    mapping = MappingEnv(
        env["values"], env["current"], env["fields"], env["position"], date.fromisoformat(env["today"])
    )
    results = []
    for run in (evaluate, evaluate_bool):
        try:
            results.append(run(tree, mapping))
        except EvaluationError as error:
            results.append(nodejs.Raised(error.position))
    return results[0], results[1]


def _agree(cases: list[tuple[Node, dict[str, Any]]]) -> int:
    """Run every case in Python and in one node process; fail listing each disagreement."""
    request = {"mode": "expressions", "cases": [{"ast": msgspec.to_builtins(t), **env} for t, env in cases]}
    answers = nodejs.run(request)
    assert len(answers) == len(cases)
    wrong = []
    for (tree, env), (value, condition) in zip(cases, answers, strict=True):
        expected = _python(tree, env)
        got = (nodejs.decode(value), nodejs.decode(condition))
        if not all(nodejs.same(e, g) for e, g in zip(expected, got, strict=True)):
            wrong.append(f"{_show(tree)}: python {expected!r}, javascript {got!r}")
    assert not wrong, f"{len(wrong)} of {len(cases)} cases disagree:\n" + "\n".join(wrong[:40])
    return len(cases)


def _show(tree: Node) -> str:
    try:
        return forms.expressions.unparse(tree)
    except ValueError:
        return repr(tree)


def hand_written() -> list[tuple[Node, dict[str, Any]]]:
    """The corpus: every source parsed, each with its environment."""
    cases = [
        (parse(source), corpus.ENVS[env]) for env, sources in corpus.SOURCES.items() for source in sources
    ]
    return cases + [(tree, corpus.ENVS[env]) for tree, env in corpus.TREES]


def test_the_corpus_is_large_and_covers_every_function() -> None:
    """The hand-written corpus has hundreds of cases and calls every function Python runs."""
    cases = hand_written()
    called = {name for tree, _ in cases for name in forms.expressions.calls(tree)}
    assert len(cases) >= 300
    assert set(forms.expressions.FUNCTIONS) <= called


def test_hand_written_expressions_agree() -> None:
    """Every hand-written case has the same value and condition in JavaScript as in Python."""
    assert _agree(hand_written()) >= 300


@SETTINGS
@given(st.lists(generate.expression_cases(), min_size=40, max_size=80))
def test_generated_expressions_agree(cases: list[tuple[Node, dict[str, Any]]]) -> None:
    """Any runnable tree over any answers has the same value and condition in both languages."""
    _agree(cases)


def test_the_comparison_tells_values_apart() -> None:
    """Values that differ only in type or the sign of zero are different; NaN is NaN."""
    assert not nodejs.same(0.0, -0.0)
    assert not nodejs.same(1.0, True)
    assert not nodejs.same("1", 1.0)
    assert nodejs.same(float("nan"), float("nan"))
    assert not nodejs.same(("a",), "a")


# ------------------------------------------------------------------------------------- forms

_INDEXED = re.compile(r"^(?P<name>[^\[]+)\[(?P<index>\d+)\]\.(?P<rest>.+)$")


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list | tuple):
        return all(_blank(item) for item in value)
    return False


def _at(answers: dict[str, Any], path: str) -> Any:
    match = _INDEXED.match(path)
    if match is None:
        return answers.get(path)
    return _at(answers[match["name"]][int(match["index"]) - 1], match["rest"])


def _with(answers: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(answers)
    target, match = changed, _INDEXED.match(path)
    while match is not None:
        target = target[match["name"]][int(match["index"]) - 1]
        path, match = match["rest"], _INDEXED.match(match["rest"])
    target[path] = value
    return changed


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1] if _INDEXED.match(path) else path


class Oracle:
    """What Python's validation says about one answer set, asked through `forms.validate` only."""

    def __init__(self, compiled: Compiled, answers: dict[str, Any]) -> None:
        self.compiled = compiled
        self.answers = answers
        self.result = self.validate(answers)

    def validate(self, answers: dict[str, Any]) -> forms.Validation:
        return forms.validate(self.compiled, answers, today=TODAY)

    def relevant(self, path: str) -> bool:
        """Whether the question is relevant: an answer to it is kept, not dropped."""
        if not _blank(_at(self.answers, path)):
            return path not in self.result.dropped
        return path not in self.validate(_with(self.answers, path, "x")).dropped

    def allowed(self, path: str) -> list[str]:
        """The options the choice filter allows: choosing one alone is not reported as filtered."""
        question = self.compiled.slots[_leaf(path)].question
        out = []
        for option in self.compiled.choices[question.choices]:
            value = [option] if isinstance(question, SelectMultiple) else option
            errors = self.validate(_with(self.answers, path, value)).errors
            if (path, "filtered") not in [(e.path, e.code) for e in errors]:
                out.append(option)
        return out

    def paths(
        self, owner: str | None = None, prefix: str = "", raw: dict[str, Any] | None = None
    ) -> list[str]:
        """Every question validation visits (groups aside), repeat instances included."""
        raw = self.answers if raw is None else raw
        out = []
        for name in self.compiled.scopes[owner].order:
            path = prefix + name
            out.append(path)
            items = raw.get(name)
            instances = isinstance(items, list) and all(isinstance(item, dict) for item in items)
            if isinstance(self.compiled.slots[name].question, Repeat) and instances and self.relevant(path):
                for i, item in enumerate(items, 1):
                    out += self.paths(name, f"{path}[{i}].", item)
        return out

    def calculations(self, cleaned: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out = {}
        for name, value in cleaned.items():
            kind = self.compiled.slots[name].question if name in self.compiled.slots else None
            if isinstance(kind, Repeat):
                for i, item in enumerate(value, 1):
                    out |= self.calculations(item, f"{prefix}{name}[{i}].")
            elif isinstance(kind, Calculate):
                out[prefix + name] = value
        return out


def _canon(value: Any) -> Any:
    """A value with its JSON type made explicit, so True is not 1 and 1 is 1.0."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if isinstance(value, dict):
        return ("d", sorted((key, _canon(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return ("l", [_canon(item) for item in value])
    return ("s", value)


def _check_forms(cases: list[tuple[Compiled, list[dict[str, Any]]]]) -> int:
    """Run each form's answer sets through JavaScript in one node process and compare with Python."""
    request = {
        "mode": "forms",
        "forms": [
            {
                "logic": compiled.logic_json(),
                "definition": msgspec.to_builtins(compiled.form),
                "today": TODAY.isoformat(),
                "answers": sets,
            }
            for compiled, sets in cases
        ],
    }
    states = nodejs.run(request)
    checked = 0
    for (compiled, sets), results in zip(cases, states, strict=True):
        for answers, state in zip(sets, results, strict=True):
            _compare(Oracle(compiled, answers), state)
            checked += 1
    return checked


def _logic(compiled: Compiled) -> dict[str, Any]:
    """A form's questions as (type, path, each expression's text): what a failure message shows."""
    return {
        name: (slot.question.__struct_config__.tag, slot.path, {k: _show(v) for k, v in slot.logic.items()})
        for name, slot in compiled.slots.items()
    }


def _compare(oracle: Oracle, state: dict[str, Any]) -> None:
    result, where = oracle.result, f"answers {oracle.answers!r}\nform {_logic(oracle.compiled)}"
    assert [tuple(e) for e in state["errors"]] == [(e.path, e.code) for e in result.errors], where
    assert state["dropped"] == list(result.dropped), where
    assert _canon(nodejs.decode(state["answers"])) == _canon(result.answers), where
    values = nodejs.decode(state["values"])
    assert _canon(values) == _canon(oracle.calculations(result.answers)), where
    groups = {name for name, slot in oracle.compiled.slots.items() if isinstance(slot.question, Group)}
    visited = {path: flag for path, flag in state["relevant"].items() if _leaf(path) not in groups}
    assert sorted(visited) == sorted(oracle.paths()), where
    assert {path: oracle.relevant(path) for path in visited} == visited, where
    filtered = {
        p for p, on in visited.items() if on and "choice_filter" in oracle.compiled.slots[_leaf(p)].logic
    }
    assert set(state["choices"]) == filtered, where
    for path, allowed in state["choices"].items():
        assert allowed == oracle.allowed(path), f"{path}: {where}"


LIBRARY_FORMS = {path.stem: forms.compile_form(forms.load(path)) for path in sorted(LIBRARY.glob("*.toml"))}


@SETTINGS
@given(st.data())
def test_library_forms_agree(data: st.DataObject) -> None:
    """For every library form and any answers, JavaScript's form state is validation's."""
    cases = []
    for compiled in LIBRARY_FORMS.values():
        sets = [data.draw(generate.answers(compiled.form)) for _ in range(3)]
        cases.append((compiled, sets))
    assert _check_forms(cases) == 3 * len(LIBRARY_FORMS)


@SETTINGS
@given(
    st.lists(
        generate.logic_forms().flatmap(
            lambda f: st.tuples(st.just(f), st.lists(generate.answers(f), min_size=1, max_size=4))
        ),
        min_size=1,
        max_size=6,
    )
)
def test_generated_forms_agree(drawn: list[tuple[forms.Form, list[dict[str, Any]]]]) -> None:
    """For forms dense with logic and any answers, JavaScript's form state is validation's."""
    _check_forms([(forms.compile_form(form), sets) for form, sets in drawn])


def test_a_300_question_form_agrees() -> None:
    """On a form of over 300 questions the two engines agree answer set by answer set."""
    compiled = forms.compile_form(generate.big_form())
    assert len(compiled.slots) >= 300
    assert _check_forms([(compiled, [generate.big_answers(seed) for seed in range(3)])]) == 3


# ------------------------------------------------------------------------- the state's shape

CASCADE = """
[[questions]]
type = "consent"
name = "consent"

[[questions]]
type = "group"
name = "household"
relevant = "${consent} = 'yes'"

[[questions.questions]]
type = "select_one"
name = "town"
choices = "towns"

[[questions.questions]]
type = "select_one"
name = "community"
choices = "communities"
choice_filter = "town = ${town}"
required = true

[[questions.questions]]
type = "integer"
name = "size"
constraint = ". >= 1"

[[questions]]
type = "calculate"
name = "large"
calculation = "${size} >= 5"

[choices]
towns = [{name = "a"}, {name = "b"}]
communities = [
    {name = "a1", filters = {town = "a"}},
    {name = "a2", filters = {town = "a"}},
    {name = "b1", filters = {town = "b"}},
]
"""


def _state(answers: dict[str, Any]) -> dict[str, Any]:
    compiled = forms.compile_form(make_form(CASCADE))
    return nodejs.run(
        {
            "mode": "forms",
            "forms": [
                {
                    "logic": compiled.logic_json(),
                    "definition": msgspec.to_builtins(compiled.form),
                    "today": TODAY.isoformat(),
                    "answers": [answers],
                }
            ],
        }
    )[0][0]


def test_state_names_relevance_errors_calculations_and_choices() -> None:
    """A check reports groups' relevance, required and failed answers, calculations and filtered choices."""
    state = _state({"consent": "yes", "town": "a", "size": 0})
    assert state["relevant"] == {
        "consent": True,
        "town": True,
        "community": True,
        "size": True,
        "large": True,
        "household": True,
    }
    assert state["errors"] == [["community", "required"], ["size", "constraint"]]
    assert nodejs.decode(state["values"]) == {"large": False}
    assert state["choices"] == {"community": ["a1", "a2"]}


def test_a_group_that_is_not_relevant_hides_its_questions_and_drops_their_answers() -> None:
    """With consent refused, the group and its questions are not relevant and their answers are dropped."""
    state = _state({"consent": "no", "town": "b", "community": "b1"})
    assert state["relevant"]["household"] is False
    assert state["relevant"]["community"] is False
    assert state["dropped"] == ["town", "community"]
    assert state["errors"] == []
    assert state["choices"] == {}


def test_logic_js_defines_a_browser_global_without_module() -> None:
    """Loaded as a plain script (no `module`), logic.js defines globalThis.TanfangLogic."""
    script = (
        "const vm = require('vm'); const ctx = {crypto: globalThis.crypto}; vm.createContext(ctx);"
        f"vm.runInContext(require('fs').readFileSync({str(nodejs.LOGIC)!r}, 'utf8'), ctx);"
        "const L = ctx.TanfangLogic;"
        "process.stdout.write(JSON.stringify([typeof L.form, L.toString(L.evaluate("
        "{k: 'bin', op: 'div', left: {k: 'num', value: 1}, right: {k: 'num', value: 3}}, {}))]))"
    )
    done = subprocess.run([nodejs.node(), "-e", script], capture_output=True, text=True, check=True)
    assert done.stdout == '["function","0.3333333333333333"]'

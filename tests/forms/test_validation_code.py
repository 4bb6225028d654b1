"""Each scope's generated function (`forms.validation_code`): when relevance is decided, names kept safe.

The generated code replaces a loop over each scope's questions; the library forms and thousands of
mutated submissions gave byte-identical results before and after it. These tests pin what that code
must keep: a condition is computed once per scope instance, at its first use and not before the
values it reads, and not after a condition that failed before it; a name from the form enters the
source only as a string literal; each scope's function is made once; a traceback says which form.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec
import pytest

import forms
from forms import expressions as ex
from forms import validation_code
from forms.model import Choice, Form, Integer, Note, SelectOne, Text
from forms.validation import _plans_for, validate
from tests.forms.formhelpers import make_form

NESTED = """
[[questions]]
type = "repeat"
name = "items"

[[questions.questions]]
type = "integer"
name = "a"

[[questions.questions]]
type = "group"
name = "outer"
relevant = "${a} > 1"

[[questions.questions.questions]]
type = "group"
name = "inner"
relevant = "${a} > 5"

[[questions.questions.questions.questions]]
type = "text"
name = "b"

[[questions.questions.questions.questions]]
type = "text"
name = "c"
relevant = "${b} = 'x'"

[[questions.questions.questions.questions]]
type = "text"
name = "d"
"""
"""``b`` and ``d`` share the conditions of both groups, but ``c`` comes between: ``d`` decides again."""

OUTER, INNER, OWN = "${a} > 1", "${a} > 5", "${b} = 'x'"
MORE_5, MORE_2, IS_X = "${a} > 5", "${a} > 2", "${b} = 'x'"


def logged(form: Form, owner: str | None) -> list[tuple[str, dict[str, Any]]]:
    """Make each condition of scope ``owner`` log its expression and the values it sees when computed.

    The conditions in the rows of the plans validate() uses are swapped before the scope's function
    is made from them; a condition shared by several rows stays one, and so does a shared tuple.
    """
    plans = _plans_for(form)
    log: list[tuple[str, dict[str, Any]]] = []
    wrapped: dict[int, Any] = {}
    for plan in plans.scopes[owner]:
        for node, condition in zip(plan.slot.conditions, plan.conditions, strict=True):

            def logs(scope: Any, condition: Any = condition, text: str = ex.unparse(node)) -> Any:
                log.append((text, dict(scope.values)))
                return condition(scope)

            wrapped.setdefault(id(condition), logs)
    tuples: dict[int, tuple[Any, ...]] = {}
    rows = []
    for plan, name, step, conditions, extra, read in plans.rows[owner]:
        swapped = tuples.setdefault(id(conditions), tuple(wrapped[id(c)] for c in conditions))
        rows.append((plan, name, step, swapped, extra, read))
    plans.rows[owner] = tuple(rows)
    return log


class TestRelevanceDecisions:
    def test_each_condition_is_computed_once_per_instance_after_the_values_it_reads(self) -> None:
        """A condition runs at its first use, once per repeat instance, seeing the answers before it."""
        form = make_form(NESTED)
        log = logged(form, "items")
        result = validate(form, {"items": [{"a": 7, "b": "x", "c": "y", "d": "z"}, {"a": 9, "b": "w"}]})
        assert result.ok
        assert result.answers == {"items": [{"a": 7, "b": "x", "c": "y", "d": "z"}, {"a": 9, "b": "w"}]}
        assert log == [
            (OUTER, {"a": 7.0}),
            (INNER, {"a": 7.0}),
            (OWN, {"a": 7.0, "b": "x"}),
            (OUTER, {"a": 9.0}),
            (INNER, {"a": 9.0}),
            (OWN, {"a": 9.0, "b": "w"}),
        ]

    def test_a_condition_after_a_failing_one_is_not_computed(self) -> None:
        """When a group is not relevant, the conditions inside it are never computed, not even later."""
        form = make_form(NESTED)
        log = logged(form, "items")
        result = validate(form, {"items": [{"a": 0, "b": "x", "d": "z"}, {"a": 3, "b": "x", "d": "z"}]})
        assert result.dropped == ("items[1].b", "items[1].d", "items[2].b", "items[2].d")
        assert log == [(OUTER, {"a": 0.0}), (OUTER, {"a": 3.0}), (INNER, {"a": 3.0})]

    @pytest.mark.parametrize(
        ("a", "decided", "kept"),
        [
            (7, [MORE_5, IS_X, MORE_2], ["a", "b", "p", "q"]),  # decided for p, kept for q
            (3, [MORE_5, MORE_2, IS_X], ["a", "b", "q"]),  # skipped for p, decided for q
            (1, [MORE_5, MORE_2], ["a", "b"]),  # needed by neither
        ],
    )
    def test_a_condition_skipped_once_is_computed_where_next_needed(
        self, a: int, decided: list[str], kept: list[str]
    ) -> None:
        """A condition a failing group skipped is computed at its next use, and kept once computed."""
        form = make_form(
            """
            [[questions]]
            type = "integer"
            name = "a"

            [[questions]]
            type = "text"
            name = "b"

            [[questions]]
            type = "group"
            name = "g1"
            relevant = "${a}>5"

            [[questions.questions]]
            type = "text"
            name = "p"
            relevant = "${b}='x'"

            [[questions]]
            type = "group"
            name = "g2"
            relevant = "${a}>2"

            [[questions.questions]]
            type = "text"
            name = "q"
            relevant = "${b}='x'"
            """
        )
        log = logged(form, None)
        result = validate(form, {"a": a, "b": "x", "p": "y", "q": "z"})
        assert [text for text, _ in log] == decided
        assert list(result.answers) == kept

    def test_questions_of_one_group_share_its_decision(self) -> None:
        """Consecutive questions of a group take one decision, even when it depends on nothing before."""
        form = make_form(
            """
            [[questions]]
            type = "group"
            name = "g"
            relevant = "1 < 2"

            [[questions.questions]]
            type = "text"
            name = "p"

            [[questions.questions]]
            type = "text"
            name = "q"
            """
        )
        log = logged(form, None)
        assert validate(form, {"p": "x", "q": "y"}).answers == {"p": "x", "q": "y"}
        assert log == [("1 < 2", {})]


def with_names(names: list[str]) -> Form:
    """A form whose questions are named ``names``, set after the model's own name check."""
    questions: list[Any] = [
        Integer(name="n"),
        Text(name="t", relevant="${n} > 1"),
        SelectOne(name="s", choices="yn", relevant="${n} > 1"),
        Integer(name="i"),
        Note(name="note"),
    ]
    for question, name in zip(questions[1:], names, strict=True):
        msgspec.structs.force_setattr(question, "name", name)
    choices = {"yn": (Choice(name="yes"), Choice(name="other", other=True))}
    return Form(id="t", title={"en": "T"}, questions=tuple(questions), choices=choices)


QUOTED = ["it's", 'a "b"', "back\\slash", "new\nline')\nimport os\n('"]


class TestNames:
    def test_names_with_quotes_backslashes_and_newlines_are_kept_as_they_are(self) -> None:
        """A name that is no Python identifier, or holds quotes, backslashes or newlines, is only a key."""
        form = with_names(QUOTED)
        text, note, choice, number = QUOTED[0], QUOTED[3], QUOTED[1], QUOTED[2]
        answers = {"n": 2, text: "x", choice: "other", f"{choice}_other": "more", number: 3}
        result = validate(form, answers)
        assert result.ok, result.errors
        assert result.answers == answers
        result = validate(form, {"n": 0, text: "x", choice: "yes", number: "3", note: "y", "odd'": "z"})
        assert result.dropped == (text, choice)
        assert [(e.path, e.code) for e in result.errors] == [(note, "no_answer"), ("odd'", "unknown")]
        assert result.answers == {"n": 0, number: 3}

    def test_names_allowed_by_the_model_but_not_identifiers_work(self) -> None:
        """Dots, dashes, a trailing newline and Python's own words are names like any other."""
        names = ["a-b", "x.y\n", "None", "raw"]
        form = with_names(names)
        answers = {"n": 5, "a-b": "x", "x.y\n": "yes", "None": 4, "raw": ""}
        assert validate(form, answers).answers == {"n": 5, "a-b": "x", "x.y\n": "yes", "None": 4}

    def test_a_name_that_is_not_a_plain_str_is_refused(self) -> None:
        """Only a plain str is written into the source: a subclass could make its repr() anything."""

        class Sly(str):
            def __repr__(self) -> str:
                return "1 / 0"  # pasted into the source, it would run

        form = with_names(["t", "s", Sly("i"), "note"])
        with pytest.raises(TypeError, match="must be a str"):
            validate(form, {"n": 1})


class TestGeneratedFunctions:
    def test_each_scope_is_compiled_once_per_form(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The top level and a repeat are each compiled once, on first use, however many submissions."""
        compiled: list[str] = []

        def counting(source: str, filename: str, mode: str) -> Any:
            compiled.append(filename)
            return compile(source, filename, mode)

        monkeypatch.setattr(validation_code, "compile", counting, raising=False)
        form = forms.compile_form(make_form(NESTED))
        for a in range(5):
            assert validate(form, {"items": [{"a": a}, {"a": a + 1}]}).ok
        assert compiled == ["<validation t@1 top level>", "<validation t@1 repeat items>"]

    def test_a_traceback_names_the_form_and_the_scope(self) -> None:
        """An error raised while a scope is validated shows which form, version and scope it was in."""
        form = make_form(NESTED)
        with pytest.raises(RuntimeError) as raised:
            validate(form, {"items": [Exploding({"a": 7, "b": "x"}, "c")]})
        files = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
        assert "<validation t@1 top level>" in files
        assert "<validation t@1 repeat items>" in files


class Exploding(Mapping[str, Any]):
    """Answers that raise when key ``bad`` is read."""

    def __init__(self, data: dict[str, Any], bad: str) -> None:
        self.data, self.bad = data, bad

    def __getitem__(self, key: str) -> Any:
        if key == self.bad:
            raise RuntimeError("cannot read this answer")
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


class TestSteps:
    def test_the_other_text_of_a_question_not_asked_is_dropped(self) -> None:
        """An "other, specify" text sent for a question that was not asked is dropped and listed."""
        form = make_form(
            """
            [[questions]]
            type = "integer"
            name = "n"

            [[questions]]
            type = "select_one"
            name = "s"
            choices = "yo"
            relevant = "${n} > 1"

            [[choices.yo]]
            name = "yes"

            [[choices.yo]]
            name = "o"
            other = true
            """
        )
        result = validate(form, {"n": 0, "s_other": "more"})
        assert (result.answers, result.errors, result.dropped) == ({"n": 0}, (), ("s_other",))

    def test_text_checks_that_read_other_answers_run_and_text_calculations_are_read(self) -> None:
        """A text constraint reading another answer is checked; a text calculation is seen by what reads it."""
        form = make_form(
            """
            [[questions]]
            type = "text"
            name = "first"

            [[questions]]
            type = "text"
            name = "second"
            constraint = ". != ${first}"

            [[questions]]
            type = "calculate"
            name = "both"
            calculation = "concat(${first}, '-', ${second})"

            [[questions]]
            type = "text"
            name = "echo"
            relevant = "${both} = 'a-a'"
            """
        )
        result = validate(form, {"first": "a", "second": "a", "echo": "x"})
        assert result.answers == {"first": "a", "second": "a", "both": "a-a", "echo": "x"}
        assert [(e.path, e.code) for e in result.errors] == [("second", "constraint")]

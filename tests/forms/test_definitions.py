"""Reading and checking definitions: every problem is reported with where it is."""

from __future__ import annotations

import msgspec
import pytest
from formhelpers import HEADER, make_form
from hypothesis import HealthCheck, given, settings
from strategies import forms as random_forms

import forms
from forms.errors import DefinitionError


def problems_of(body: str, fmt: str = "toml") -> list[forms.Problem]:
    """The problems reported for a TOML (or JSON) text, which must be rejected."""
    text = body if fmt == "json" else HEADER + body
    with pytest.raises(DefinitionError) as info:
        forms.loads(text, fmt, "bad.toml")  # type: ignore[arg-type]
    return list(info.value.problems)


def rendered(body: str, fmt: str = "toml") -> list[str]:
    return [str(p) for p in problems_of(body, fmt)]


class TestSyntaxAndShape:
    def test_malformed_toml_names_line_and_column(self) -> None:
        """A TOML syntax error is reported at its line and column."""
        (problem,) = problems_of('[[questions]]\ntype = "text"\nname = "a\n')
        assert problem.source == "bad.toml"
        assert problem.where == "line 6, column 10"
        assert problem.message == "Illegal character '\\n'"

    def test_malformed_json_names_line_and_column(self) -> None:
        """A JSON syntax error is reported at its line and column, computed from the byte offset."""
        (problem,) = problems_of('{"id": "t",\n "title": {"zh": "x"},\n "questions": [}', "json")
        assert problem.where.startswith("line 3, column")

    def test_unknown_key_is_rejected_with_its_path(self) -> None:
        """A misspelt key fails loudly, naming the question it sits in."""
        assert rendered('[[questions]]\ntype = "text"\nname = "a"\nrelevent = "1"\n') == [
            "bad.toml: $.questions[0]: Object contains unknown field `relevent`"
        ]

    def test_wrong_type_names_the_field(self) -> None:
        """A value of the wrong type names the exact field."""
        (problem,) = problems_of('[[questions]]\ntype = "select_one"\nname = "a"\nchoices = 3\n')
        assert problem.where == "$.questions[0].choices"
        assert problem.message == "Expected `str`, got `int`"

    def test_unknown_question_type(self) -> None:
        """A question type the language does not have is rejected at its question."""
        (problem,) = problems_of('[[questions]]\ntype = "slider"\nname = "a"\n')
        assert problem.where == "$.questions[0].type"
        assert "slider" in problem.message

    def test_struct_checks_report_their_path(self) -> None:
        """Checks a question makes of itself (minimum above maximum) come with the question's path."""
        (problem,) = problems_of('[[questions]]\ntype = "integer"\nname = "a"\nminimum = 5\nmaximum = 1\n')
        assert (problem.where, problem.message) == ("$.questions[0]", "minimum is larger than maximum")

    def test_invalid_name(self) -> None:
        """A name that XLSForm and XForm cannot carry is rejected."""
        (problem,) = problems_of('[[questions]]\ntype = "text"\nname = "1st"\n')
        assert "not a valid name" in problem.message


class TestCrossChecks:
    def test_duplicate_question_name_even_across_groups(self) -> None:
        """Two questions may not share a name, even in different groups, since ${name} must be unambiguous."""
        messages = rendered(
            """
            [[questions]]
            type = "text"
            name = "a"
            [[questions]]
            type = "group"
            name = "g"
            [[questions.questions]]
            type = "integer"
            name = "a"
            """
        )
        assert messages == ["bad.toml: question g/a: duplicate name 'a' (also a)"]

    def test_missing_choice_list(self) -> None:
        """A select naming a list that does not exist is an error at its choices field."""
        assert rendered('[[questions]]\ntype = "select_one"\nname = "a"\nchoices = "nope"\n') == [
            "bad.toml: question a, choices: no choice list named 'nope'"
        ]

    def test_expression_syntax_error_has_position(self) -> None:
        """An expression syntax error names the question, the field and the column."""
        (problem,) = problems_of(
            '[[questions]]\ntype = "integer"\nname = "a"\n'
            '[[questions]]\ntype = "text"\nname = "b"\nrelevant = "${a} > > 3"\n'
        )
        assert problem.where == "question b, relevant, column 8"
        assert "'${a} > > 3'" in problem.message

    def test_unknown_reference(self) -> None:
        """A reference to a question that does not exist names both."""
        assert rendered('[[questions]]\ntype = "text"\nname = "b"\nrelevant = "${agee} > 3"\n') == [
            "bad.toml: question b, relevant: unknown question ${agee} in '${agee} > 3'"
        ]

    def test_unknown_function_and_arity(self) -> None:
        """Calls of unknown functions and calls with the wrong number of arguments are errors with positions."""
        messages = rendered(
            '[[questions]]\ntype = "text"\nname = "b"\nconstraint = "pulldata(.) and string-length(., 2)"\n'
        )
        assert len(messages) == 2
        assert messages[0].startswith(
            "bad.toml: question b, constraint, column 1: unknown function 'pulldata'"
        )
        assert "column 17" in messages[1]
        assert "string-length" in messages[1]

    def test_calculation_cycle(self) -> None:
        """Calculations that depend on each other in a circle are reported with the cycle."""
        (problem,) = problems_of(
            """
            [[questions]]
            type = "calculate"
            name = "a"
            calculation = "${b} + 1"
            [[questions]]
            type = "calculate"
            name = "b"
            calculation = "${c} * 2"
            [[questions]]
            type = "calculate"
            name = "c"
            calculation = "${a}"
            """
        )
        assert problem.where == "question a"
        assert problem.message == "cycle: ${a} → ${b} → ${c} → ${a}"

    def test_relevance_on_itself_is_a_cycle(self) -> None:
        """A question whose relevance reads its own answer can never be decided, so it is a cycle."""
        (problem,) = problems_of('[[questions]]\ntype = "integer"\nname = "a"\nrelevant = "${a} > 1"\n')
        assert problem.message == "cycle: ${a} → ${a}"

    def test_every_problem_is_reported_not_only_the_first(self) -> None:
        """A form with several problems gets all of them in one report."""
        problems = problems_of(
            """
            [[questions]]
            type = "select_one"
            name = "a"
            choices = "missing"
            relevant = "${nope} = 1"
            [[questions]]
            type = "text"
            name = "a"
            constraint = "regex(., "
            """
        )
        assert len(problems) == 4

    def test_bare_names_only_in_choice_filters(self) -> None:
        """A bare name outside a choice filter is an error that suggests ${name}."""
        (problem,) = problems_of(
            '[[questions]]\ntype = "integer"\nname = "age"\n'
            '[[questions]]\ntype = "text"\nname = "b"\nrelevant = "age > 3"\n'
        )
        assert "write ${age}" in problem.message

    def test_choice_filter_columns_must_exist(self) -> None:
        """A choice filter may only read columns the choice list has."""
        (problem,) = problems_of(
            """
            [[questions]]
            type = "select_one"
            name = "town"
            choices = "towns"
            [[questions]]
            type = "select_one"
            name = "village"
            choices = "villages"
            choice_filter = "twn = ${town}"
            [[choices.towns]]
            name = "gc"
            [[choices.villages]]
            name = "ng"
            filters = {town = "gc"}
            """
        )
        assert problem.where == "question village, choice_filter"
        assert "'twn'" in problem.message

    def test_likert_needs_values(self) -> None:
        """A likert question's list must score every point."""
        (problem,) = problems_of(
            '[[questions]]\ntype = "likert"\nname = "l"\nchoices = "agree"\n'
            '[[choices.agree]]\nname = "yes"\nvalue = 1\n[[choices.agree]]\nname = "no"\n'
        )
        assert "needs a value on every choice" in problem.message

    def test_outline_codes_must_exist(self) -> None:
        """Topics and codebook parents must name codes in the codebook."""
        messages = rendered(
            """
            kind = "focus_group"
            [[topics]]
            name = "t1"
            codes = ["lonely", "ghost"]
            [[codebook]]
            code = "lonely"
            parent = "social"
            """
        )
        assert messages == [
            "bad.toml: codebook lonely, parent: no code named 'social'",
            "bad.toml: topic t1, codes: no code named 'ghost' in the codebook",
        ]

    def test_indicator_expressions_are_checked(self) -> None:
        """Indicator flags and severity conditions are checked like question logic."""
        messages = rendered(
            """
            [[questions]]
            type = "integer"
            name = "score"
            [[indicators]]
            name = "high"
            flag = "${scor} >= 6"
            [[indicators.severity]]
            level = 3
            when = "${score} >="
            """
        )
        assert messages[0] == "bad.toml: indicator high, flag: unknown question ${scor} in '${scor} >= 6'"
        assert messages[1].startswith("bad.toml: indicator high, severity 3, column")


class TestCompiled:
    def test_dependencies_include_container_relevance(self) -> None:
        """A question's dependencies include what its own logic and its groups' relevance read."""
        form = make_form(
            """
            [[questions]]
            type = "integer"
            name = "age"
            [[questions]]
            type = "select_one"
            name = "sex"
            choices = "sex"
            [[questions]]
            type = "group"
            name = "older"
            relevant = "${age} >= 60"
            [[questions.questions]]
            type = "integer"
            name = "adl"
            constraint = ". <= 6 or ${sex} = 'f'"
            [[choices.sex]]
            name = "f"
            """
        )
        compiled = forms.compile_form(form)
        assert compiled.dependencies("adl") == {"age", "sex"}
        assert compiled.slots["adl"].path == "older/adl"

    def test_evaluation_order_respects_dependencies(self) -> None:
        """Calculations that read later questions are evaluated after them."""
        form = make_form(
            """
            [[questions]]
            type = "calculate"
            name = "total"
            calculation = "sum(${n})"
            [[questions]]
            type = "repeat"
            name = "people"
            [[questions.questions]]
            type = "integer"
            name = "n"
            """
        )
        compiled = forms.compile_form(form)
        assert compiled.scopes[None].order == ("people", "total")

    def test_logic_serialises_to_json(self) -> None:
        """The compiled logic is plain JSON: ASTs tagged by kind, for the browser."""
        form = make_form('[[questions]]\ntype = "integer"\nname = "a"\nconstraint = ". < 3"\n')
        data = msgspec.json.decode(msgspec.json.encode(forms.compile_form(form).logic_json()))
        constraint = data["slots"]["a"]["logic"]["constraint"]
        assert constraint["k"] == "bin"
        assert constraint["op"] == "<"


class TestTomlWriting:
    def test_dumps_is_readable_and_reads_back(self) -> None:
        """Writing TOML gives [[questions]] blocks with inline labels, and reading it gives the same form."""
        form = make_form(
            """
            [[questions]]
            type = "repeat"
            name = "hh"
            label = {zh = "家庭成员", en = "Household"}
            [[questions.questions]]
            type = "text"
            name = "who"
            label = {zh = "称呼\\"引号\\"", en = "Who"}
            [[choices.yn]]
            name = "yes"
            label = {zh = "是", en = "Yes"}
            """
        )
        text = forms.dumps(form)
        assert "[[questions.questions]]" in text
        assert 'label = { zh = "家庭成员", en = "Household" }' in text
        assert forms.loads(text) == form
        assert forms.loads(forms.dumps(form, "json"), "json") == form


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_forms())
def test_random_forms_round_trip_through_our_writers(form: forms.Form) -> None:
    """Any form the model admits comes back equal from our readable TOML writer and from JSON."""
    assert forms.parse(forms.dumps(form), "toml")[0] == form
    assert forms.parse(forms.dumps(form, "json"), "json")[0] == form


def test_text_that_is_not_utf8_is_a_problem_not_a_crash() -> None:
    """A TOML file in another encoding is reported as not UTF-8, with where it stops being readable."""
    data = (HEADER + '[[questions]]\ntype = "text"\nname = "a"\nlabel = {zh = "年龄"}\n').encode("gbk")
    with pytest.raises(DefinitionError) as info:
        forms.loads(data, "toml", "gbk.toml")
    (problem,) = info.value.problems
    assert problem.message == "the file is not UTF-8 text"
    assert problem.where == "line 3, byte 25"  # the title, the first Chinese text

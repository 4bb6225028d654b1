"""Validating submissions: every problem with its path, relevance first, JSON or an HTML post."""

from __future__ import annotations

from datetime import date

import pytest
from formhelpers import make_form
from hypothesis import given, settings
from hypothesis import strategies as st

import forms
from forms.evaluate import MappingEnv, compile_bool, compile_node
from forms.expressions import parse

HOUSEHOLD = make_form(
    """
    [[questions]]
    type = "consent"
    name = "consent"
    required = true

    [[questions]]
    type = "group"
    name = "main"
    relevant = "${consent} = 'yes'"

    [[questions.questions]]
    type = "integer"
    name = "hh_size"
    required = true
    minimum = 1
    maximum = 20

    [[questions.questions]]
    type = "select_one"
    name = "town"
    choices = "towns"

    [[questions.questions]]
    type = "select_one"
    name = "community"
    choices = "communities"
    choice_filter = "town = ${town}"

    [[questions.questions]]
    type = "select_multiple"
    name = "needs"
    choices = "needs"
    constraint = "count-selected(.) <= 3"
    constraint_message = {zh = "最多选三项", en = "Choose at most three"}

    [[questions.questions]]
    type = "repeat"
    name = "household"
    repeat_count = "${hh_size}"

    [[questions.questions.questions]]
    type = "integer"
    name = "age"
    required = true
    constraint = ". <= 120"

    [[questions.questions.questions]]
    type = "select_one"
    name = "works"
    choices = "yn"
    relevant = "${age} >= 16"

    [[questions.questions.questions]]
    type = "calculate"
    name = "is_older"
    calculation = "if(${age} >= 60, 1, 0)"

    [[questions.questions]]
    type = "calculate"
    name = "n_older"
    calculation = "sum(${is_older})"

    [[questions.questions]]
    type = "text"
    name = "older_care"
    relevant = "${n_older} > 0"
    required = true

    [[questions.questions]]
    type = "date"
    name = "visit_date"

    [[choices.towns]]
    name = "guicheng"
    [[choices.towns]]
    name = "xiqiao"

    [[choices.communities]]
    name = "nangui"
    filters = {town = "guicheng"}
    [[choices.communities]]
    name = "guiyuan"
    filters = {town = "guicheng"}
    [[choices.communities]]
    name = "baiyun"
    filters = {town = "xiqiao"}

    [[choices.needs]]
    name = "care"
    [[choices.needs]]
    name = "money"
    [[choices.needs]]
    name = "company"
    [[choices.needs]]
    name = "health"
    [[choices.needs]]
    name = "other"
    other = true
    [[choices.needs]]
    name = "none"
    exclusive = true

    [[choices.yn]]
    name = "yes"
    [[choices.yn]]
    name = "no"
    """
)

GOOD = {
    "consent": "yes",
    "hh_size": 2,
    "town": "guicheng",
    "community": "nangui",
    "needs": ["care", "company"],
    "household": [{"age": 67}, {"age": 35, "works": "yes"}],
    "older_care": "daughter visits weekly",
    "visit_date": "2026-11-02",
}


def check(answers: dict, language: str = "en") -> forms.Validation:
    return forms.validate(HOUSEHOLD, answers, language=language, today=date(2026, 11, 29))


def paths(result: forms.Validation) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in result.errors]


class TestValidAnswers:
    def test_a_complete_household_is_valid(self) -> None:
        """A complete, consistent household submission has no errors."""
        result = check(GOOD)
        assert result.ok, result.errors
        assert result.dropped == ()

    def test_calculations_are_recomputed(self) -> None:
        """Calculations are computed from the answers, inside repeats and over them."""
        result = check(GOOD)
        assert [m["is_older"] for m in result.answers["household"]] == [1, 0]
        assert result.answers["n_older"] == 1

    def test_html_post_of_strings(self) -> None:
        """An HTML post (lists of strings, repeat keys like household[2].age) validates like JSON."""
        post = {
            "consent": ["yes"],
            "hh_size": ["2"],
            "town": ["guicheng"],
            "community": ["nangui"],
            "needs": ["care", "company"],
            "household[1].age": ["67"],
            "household[2].age": ["35"],
            "household[2].works": ["yes"],
            "older_care": ["daughter visits weekly"],
            "visit_date": ["2026-11-02"],
        }
        result = check(post)
        assert result.ok, result.errors
        assert result.answers["household"][1] == {"age": 35, "works": "yes", "is_older": 0}
        assert result.answers["hh_size"] == 2

    @pytest.mark.parametrize("index", ["0", "10001", "100000000", "9" * 5000])
    def test_an_html_post_instance_numbered_out_of_range_is_no_question(self, index: str) -> None:
        """``household[0]`` was lost without a word, ``household[100000000]`` made that many instances."""
        post = {"consent": ["yes"], "hh_size": ["1"], "household[1].age": ["67"], f"household[{index}].age": ["3"]}
        result = check(post)
        assert (f"household[{index}].age", "unknown") in [(e.path, e.code) for e in result.errors]
        assert len(result.answers["household"]) == 1


def test_a_repeat_of_more_than_ten_thousand_entries_is_refused_unchecked() -> None:
    """No roster is that long: 10,001 entries are one error, not 10,001 instances checked."""
    result = check({**GOOD, "household": [{"age": 30}] * 10_001})
    assert [(e.path, e.code, e.message) for e in result.errors] == [
        ("household", "repeat_many", "At most 10000 entries.")
    ]
    assert "household" not in result.answers


class TestRelevance:
    def test_answers_to_questions_not_asked_are_dropped_and_reported(self) -> None:
        """Answers to non-relevant questions are removed and listed, not kept as if asked."""
        answers = {**GOOD, "household": [{"age": 67}, {"age": 10, "works": "yes"}]}
        result = check(answers)
        assert result.ok
        assert result.dropped == ("household[2].works",)
        assert "works" not in result.answers["household"][1]

    def test_group_relevance_hides_everything_inside(self) -> None:
        """Without consent, the whole main section is not asked and nothing in it is required."""
        result = check({"consent": "no", "hh_size": 3})
        assert result.ok
        assert result.dropped == ("hh_size",)
        assert result.answers == {"consent": "no"}

    def test_required_only_when_relevant(self) -> None:
        """A required question that becomes relevant must be answered; when not relevant it need not be."""
        without_older = {**GOOD, "household": [{"age": 30}, {"age": 35}]}
        without_older.pop("older_care")
        assert check(without_older).ok
        with_older = dict(GOOD)
        with_older.pop("older_care")
        assert paths(check(with_older)) == [("older_care", "required")]


class TestEveryProblem:
    def test_all_problems_with_their_paths(self) -> None:
        """Every problem is returned at once, each with its path into repeats."""
        bad = {
            "consent": "yes",
            "hh_size": "two",
            "town": "xiqiao",
            "community": "nangui",
            "needs": ["care", "none"],
            "household": [{"age": 130}, {"age": "x"}, {}],
            "visit_date": "2026-02-30",
            "colour": "red",
        }
        assert paths(check(bad)) == [
            ("hh_size", "integer"),
            ("needs", "exclusive"),
            ("household[2].age", "integer"),
            ("visit_date", "date"),
            ("colour", "unknown"),
            ("community", "filtered"),
            ("household[1].age", "constraint"),
            ("household[3].age", "required"),
            ("older_care", "required"),
        ]

    def test_repeat_count_must_match(self) -> None:
        """The number of repeat entries must equal the repeat count."""
        result = check({**GOOD, "hh_size": 3})
        assert paths(result) == [("household", "repeat_count")]
        assert result.errors[0].message == "Expected 3 entries, got 2."

    def test_ranges(self) -> None:
        """Numbers outside the question's minimum and maximum are reported with the limit."""
        result = check({**GOOD, "hh_size": 0, "household": []})
        assert ("hh_size", "minimum") in paths(result)

    def test_constraint_message_in_the_chosen_language(self) -> None:
        """A failed constraint shows the question's own message in the chosen language."""
        answers = {**GOOD, "needs": ["care", "money", "company", "health"]}
        assert [e.message for e in check(answers, "zh").errors] == ["最多选三项"]
        assert [e.message for e in check(answers, "en").errors] == ["Choose at most three"]

    def test_built_in_messages_in_chinese(self) -> None:
        """Built-in messages come in Chinese too."""
        result = check({**GOOD, "hh_size": "two"}, "zh")
        assert result.errors[0].message == "请填写整数"

    def test_choice_membership(self) -> None:
        """An option that is not in the list is rejected, naming the option."""
        result = check({**GOOD, "town": "paris"})
        assert ("town", "choice") in paths(result)
        assert "'paris'" in result.errors[0].message

    def test_other_specify(self) -> None:
        """Choosing "other" requires its text; the text without "other" is dropped."""
        result = check({**GOOD, "needs": ["other"]})
        assert paths(result) == [("needs_other", "other")]
        ok = check({**GOOD, "needs": ["other"], "needs_other": "transport"})
        assert ok.ok
        assert ok.answers["needs_other"] == "transport"
        dropped = check({**GOOD, "needs_other": "transport"})
        assert dropped.ok
        assert dropped.dropped == ("needs_other",)

    def test_several_values_for_a_single_answer(self) -> None:
        """Two values posted for a one-answer question is an error, not a silent pick."""
        assert ("town", "several") in paths(check({**GOOD, "town": ["guicheng", "xiqiao"]}))


class TestTypes:
    def test_each_type_reads_its_values(self) -> None:
        """Each answer type accepts its own form of value and rejects others."""
        form = make_form(
            """
            [[questions]]
            type = "decimal"
            name = "d"
            [[questions]]
            type = "time"
            name = "t"
            [[questions]]
            type = "geopoint"
            name = "g"
            [[questions]]
            type = "rank"
            name = "r"
            choices = "opts"
            top = 2
            [[questions]]
            type = "likert"
            name = "l"
            choices = "agree"
            [[choices.opts]]
            name = "a"
            [[choices.opts]]
            name = "b"
            [[choices.opts]]
            name = "c"
            [[choices.agree]]
            name = "lo"
            value = 1
            [[choices.agree]]
            name = "hi"
            value = 2
            """
        )
        good = forms.validate(
            form, {"d": "2.5", "t": "09:30", "g": "23.03 113.14 5 10", "r": ["c", "a"], "l": "hi"}
        )
        assert good.ok
        assert good.answers["d"] == 2.5
        assert good.answers["r"] == ["c", "a"]
        bad = forms.validate(form, {"d": "abc", "t": "25:00", "g": "95 10", "r": ["a", "b", "c"], "l": "3"})
        assert [e.code for e in bad.errors] == ["decimal", "time", "geopoint", "top", "choice"]
        duplicate = forms.validate(form, {"r": ["a", "a"]})
        assert [e.code for e in duplicate.errors] == ["duplicate"]


ANSWER = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "consent",
        "hh_size",
        "town",
        "community",
        "needs",
        "needs_other",
        "household",
        "older_care",
        "visit_date",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, ANSWER, max_size=8))
def test_validation_never_raises(answers: dict) -> None:
    """Whatever arrives, validation reports problems instead of raising."""
    result = check(answers)
    assert isinstance(result, forms.Validation)
    assert all(e.path and e.message for e in result.errors)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=6), st.booleans())
def test_valid_rosters_pass_and_keep_their_answers(ages: list[int], with_work: bool) -> None:
    """Any consistent roster validates, and the cleaned answers keep every age in order."""
    household = [{"age": a, **({"works": "no"} if with_work and a >= 16 else {})} for a in ages]
    answers = {**GOOD, "hh_size": len(ages), "household": household}
    if not any(a >= 60 for a in ages):
        answers.pop("older_care")
    result = check(answers)
    assert result.ok, result.errors
    assert [m["age"] for m in result.answers["household"]] == ages
    assert result.answers["n_older"] == sum(a >= 60 for a in ages)


def test_nested_lists_in_a_multiple_choice_are_reported() -> None:
    """A list inside a select_multiple answer is an error at its path, not a crash."""
    result = check({**GOOD, "needs": [[]]})
    assert [(e.path, e.code) for e in result.errors] == [("needs", "choice")]


class TestCheckingOrder:
    def test_an_answer_that_fails_a_check_of_its_own_reports_with_the_others(self) -> None:
        """A range or constraint that reads only the answer is tried at once, but reports in the usual order."""
        form = make_form(
            """
            [[questions]]
            type = "integer"
            name = "first"
            required = true
            [[questions]]
            type = "integer"
            name = "second"
            maximum = 9
            constraint = ". != 7"
            [[questions]]
            type = "text"
            name = "third"
            """
        )
        result = forms.validate(form, {"second": 7, "third": 5})
        assert paths(result) == [("third", "text"), ("first", "required"), ("second", "constraint")]
        assert paths(forms.validate(form, {"first": 1, "second": 12})) == [("second", "maximum")]
        assert forms.validate(form, {"first": 1, "second": 8}).ok

    def test_dot_is_the_answer_being_checked_and_empty_elsewhere(self) -> None:
        """``.`` reads the answer in its constraint, and "" in relevance and calculations (as in the browser)."""
        form = make_form(
            """
            [[questions]]
            type = "integer"
            name = "n"
            constraint = ". > 2"
            [[questions]]
            type = "calculate"
            name = "dot"
            calculation = "concat('[', ., ']')"
            [[questions]]
            type = "text"
            name = "shown"
            relevant = ". = ''"
            """
        )
        result = forms.validate(form, {"n": 5, "shown": "yes"})
        assert result.ok, result.errors
        assert result.answers == {"n": 5, "dot": "[]", "shown": "yes"}
        assert paths(forms.validate(form, {"n": 1})) == [("n", "constraint")]

    def test_the_answers_given_are_never_changed(self) -> None:
        """Validation reads the answers it is given; cleaning them never changes the caller's data."""
        answers = {**GOOD, "household": [{"age": 67}, {"age": 10, "works": "yes"}], "colour": "red"}
        before = repr(answers)
        check(answers)
        assert repr(answers) == before


class TestNeverRaises:
    def test_several_other_texts_are_reported(self) -> None:
        """Two "other, specify" texts for one answer are an error at the text's path, not an exception."""
        result = check({**GOOD, "needs": ["other"], "needs_other": ["bus", "train"]})
        assert paths(result) == [("needs_other", "several")]

    def test_an_infinite_repeat_count_checks_nothing(self) -> None:
        """A repeat count that is not a finite number (1 div 0) checks nothing, as NaN does."""
        form = make_form(
            """
            [[questions]]
            type = "repeat"
            name = "people"
            repeat_count = "1 div 0"
            [[questions.questions]]
            type = "text"
            name = "who"
            """
        )
        assert forms.validate(form, {"people": [{"who": "a"}]}).ok


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "${a} >= 60",
            "if(${a} >= 60, 1, 0)",
            "if(60 > ${a}, 'young', 'old')",
            "${a} = 'x' or ${b} != 3",
            ". >= 0 and . <= 120",
            "${a} >= 0 and ${a} < 18",
            "${a} > 1 and . = 'x'",
            "selected(${b}, 'care')",
            "sum(${a}) + count(${b})",
            "not(${a} = ${b}) and string-length(.) < 4",
            "if(${a} = 'x', ${b}, .)",
        ]
    ),
    st.dictionaries(
        st.sampled_from(["a", "b"]),
        st.one_of(
            st.floats(),
            st.text(max_size=4),
            st.booleans(),
            st.sampled_from(["", "x", "care money", "12", " 61 "]),
            st.lists(st.floats(allow_nan=False) | st.text(max_size=2), max_size=3).map(tuple),
        ),
    ),
    st.one_of(st.floats(), st.text(max_size=4), st.booleans()),
    st.sampled_from([{}, {"a": None}, {"b": None}, {"a": None, "b": None}]),
)
def test_reading_answers_in_place_gives_what_the_general_evaluator_gives(
    source: str, values: dict, current: object, direct: dict
) -> None:
    """Validation's in-place reads (``direct`` names and ``.``) compute exactly what ``env.ref`` does."""
    tree = parse(source)
    env = MappingEnv(values, current=current, today=date(2026, 11, 29))
    plain, fast = compile_node(tree), compile_node(tree, direct)
    assert repr(fast(env)) == repr(plain(env))
    assert compile_bool(tree, direct)(env) is compile_bool(tree)(env)

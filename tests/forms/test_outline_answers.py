"""Validation of an interview or focus-group session: questions, roster, notes, quotes, timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import forms
from forms import outline_answers
from tests.forms.formhelpers import make_form

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"

OUTLINE = """
kind = "focus_group"

[[questions]]
type = "date"
name = "session_date"
label = {zh = "日期", en = "Date"}
required = true

[[roster]]
type = "text"
name = "p_code"
label = {zh = "代号", en = "Code"}
required = true
constraint = "regex(., '^P[0-9]+$')"

[[roster]]
type = "select_one"
name = "p_sex"
label = {zh = "性别", en = "Sex"}
choices = "sex"
required = true

[[topics]]
name = "daily_life"
label = {zh = "日常生活", en = "Daily life"}

[[topics]]
name = "services"
label = {zh = "服务", en = "Services"}

[[codebook]]
code = "loneliness"
label = {zh = "孤独", en = "Loneliness"}

[[choices.sex]]
name = "female"
label = {zh = "女", en = "Female"}

[[choices.sex]]
name = "male"
label = {zh = "男", en = "Male"}
"""


@pytest.fixture(scope="module")
def outline() -> forms.Form:
    return make_form(OUTLINE)


def person(code: str, sex: str = "female", consent: str = "yes") -> dict[str, str]:
    return {"p_code": code, "p_sex": sex, "p_consent": consent}


def session(**extra: Any) -> dict[str, Any]:
    """A valid session of the outline, with ``extra`` answers replacing its parts."""
    base: dict[str, Any] = {
        "session_date": "2026-09-12",
        "roster": [person("P1"), person("P2", "male")],
        "notes": {"daily_life": "P1：一个人在家。", "services": "不知道去哪里。"},
        "quotes": [{"participant": "P2", "topic": "daily_life", "text": "没人说话。"}],
        "timing": {"daily_life": 600},
    }
    return {**base, **extra}


def problems(form: forms.Form, answers: dict[str, Any]) -> dict[str, str]:
    return {p.path: p.code for p in forms.validate(form, answers, language="en").errors}


def test_a_complete_session_is_valid_and_kept_as_sent(outline: forms.Form) -> None:
    """A session with questions, roster, notes, quotes and timing validates and keeps every part."""
    result = forms.validate(outline, session())
    assert result.errors == ()
    assert result.answers == session()


def test_each_participant_is_checked_against_the_roster_questions(outline: forms.Form) -> None:
    """Roster answers are checked per participant, with paths naming the participant."""
    roster = [person("P1"), {"p_code": "Q7", "p_sex": "other", "p_consent": "yes"}, {"p_code": "P3"}]
    assert problems(outline, session(roster=roster, quotes=[])) == {
        "roster[2].p_code": "constraint",
        "roster[2].p_sex": "choice",
        "roster[3].p_sex": "required",
        "roster[3].p_consent": "required",
    }


def test_participant_codes_are_unique_in_a_session(outline: forms.Form) -> None:
    """The same code twice is a problem at the second."""
    assert problems(outline, session(roster=[person("P1"), person("P1")], quotes=[])) == {
        "roster[2].p_code": "duplicate_code"
    }


def test_a_quote_must_name_a_participant_of_the_roster_who_consented(outline: forms.Form) -> None:
    """Quotes name a roster code (who consented); their topic, when given, must exist."""
    quotes = [
        {"participant": "P9", "text": "有人说"},
        {"participant": "P2", "topic": "nowhere", "text": "某话"},
        {"participant": "P1", "topic": "services", "text": ""},
    ]
    roster = [person("P1"), person("P2", consent="no")]
    assert problems(outline, session(roster=roster, quotes=quotes)) == {
        "quotes[1].participant": "participant",
        "quotes[2].participant": "no_consent",
        "quotes[2].topic": "topic",
        "quotes[3].text": "quote_text",
    }


def test_notes_and_timing_name_topics_that_exist(outline: forms.Form) -> None:
    """Notes and clock times are per topic of the outline; an unknown topic is a problem."""
    found = problems(outline, session(notes={"elsewhere": "x"}, timing={"daily_life": -5, "nope": 3}))
    assert found == {"notes.elsewhere": "topic", "timing.daily_life": "seconds", "timing.nope": "topic"}


def test_unknown_fields_of_a_quote_and_wrong_shapes_are_problems(outline: forms.Form) -> None:
    """A quote with a name field, a roster that is not a list, notes that are not per topic: all reported."""
    quote = [{"participant": "P1", "text": "话", "name": "陈姨"}]
    assert problems(outline, session(quotes=quote)) == {"quotes[1].name": "unknown"}
    assert problems(outline, session(roster="P1", quotes=[])) == {"roster": "list"}
    assert problems(outline, session(notes="all of it")) == {"notes": "mapping"}


def test_an_html_post_is_read_like_json_and_blank_rows_are_ignored(outline: forms.Form) -> None:
    """Fields named roster[2].p_code, notes.TOPIC, quotes[1].text, timing.TOPIC validate as the JSON shape."""
    post = {
        "session_date": ["2026-09-12"],
        "roster[1].p_code": ["P1"],
        "roster[1].p_sex": ["female"],
        "roster[1].p_consent": ["yes"],
        "roster[2].p_code": [""],
        "roster[2].p_sex": [""],
        "notes.daily_life": ["  一个人在家。 "],
        "notes.services": [""],
        "quotes[1].participant": ["P1"],
        "quotes[1].topic": ["daily_life"],
        "quotes[1].text": ["没人说话"],
        "quotes[2].participant": [""],
        "quotes[2].text": [""],
        "timing.services": ["75"],
    }
    result = forms.validate(outline, post)
    assert result.errors == ()
    assert result.answers == {
        "session_date": "2026-09-12",
        "roster": [person("P1")],
        "notes": {"daily_life": "一个人在家。"},
        "quotes": [{"participant": "P1", "topic": "daily_life", "text": "没人说话"}],
        "timing": {"services": 75},
    }


def test_the_session_questions_are_validated_as_a_records_are(outline: forms.Form) -> None:
    """Missing required session questions and unknown keys are reported with their paths."""
    assert problems(outline, {"age": 3}) == {"session_date": "required", "age": "unknown"}


def test_an_outline_without_a_roster_gets_a_code_and_consent_per_participant() -> None:
    """The stakeholder interview has no roster questions: participants are p_code (P1, P2…) and p_consent."""
    interview = forms.load(LIBRARY / "stakeholder_interview.toml")
    parts = outline_answers.outline(interview)
    assert (parts.code, parts.consent) == ("p_code", "p_consent")
    answers = {"roster": [{"p_code": "P1", "p_consent": "yes"}, {"p_code": "Mr Chen", "p_consent": "yes"}]}
    found = {p.path: p.code for p in forms.validate(interview, answers).errors if p.path.startswith("roster")}
    assert found == {"roster[2].p_code": "constraint"}


def test_the_library_focus_group_takes_a_full_session() -> None:
    """The residents' focus group outline validates a session with its own roster (P01 codes)."""
    outline = forms.load(LIBRARY / "residents_focus_group.toml")
    answers = {
        "session_date": "2026-09-12",
        "site": "nangui",
        "group_focus": "older_people",
        "facilitator": "SW-03",
        "n_participants": 2,
        "consent": "yes",
        "roster": [
            {
                "p_code": "P01",
                "p_age_band": "a60_79",
                "p_sex": "female",
                "p_group": "older_people",
                "p_consent": "yes",
            },
            {
                "p_code": "P02",
                "p_age_band": "a80_plus",
                "p_sex": "male",
                "p_group": "older_people",
                "p_consent": "yes",
            },
        ],
        "notes": {t.name: "记录。" for t in outline.topics},
        "quotes": [{"participant": "P02", "topic": "wrap_up", "text": "希望有人上门探访。"}],
    }
    assert forms.validate(outline, answers).errors == ()
    assert forms.validate(forms.compile_form(outline), answers).errors == ()  # compiled forms too

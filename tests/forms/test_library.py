"""The form library shipped in forms/library: every definition loads, is bilingual and is analysable."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import forms
from forms.model import AnyQuestion, Choice, Form, Localized, Repeat

LIBRARY = Path(forms.__file__).parent / "library"
PATHS = sorted(LIBRARY.glob("*.toml"))
LANGUAGES = ("zh", "en")
POPULATIONS = {
    "older_people",
    "children",
    "youth_students",
    "women_families",
    "disability_carers",
    "migrants",
    "workforce",
    "residents",
    "stakeholders",
}

KINDS = {p: tomllib.loads(p.read_text(encoding="utf-8")).get("kind", "questionnaire") for p in PATHS}
"""Each file's kind, read without the form loader so one broken file cannot stop collection."""

library = pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
questionnaires = pytest.mark.parametrize(
    "path", [p for p in PATHS if KINDS[p] == "questionnaire"], ids=lambda p: p.stem
)
outlines = pytest.mark.parametrize(
    "path", [p for p in PATHS if KINDS[p] != "questionnaire"], ids=lambda p: p.stem
)


@cache
def load(path: Path) -> Form:
    """The form in ``path``, loaded once per test session."""
    return forms.load(path)


def questions(form: Form) -> Iterator[AnyQuestion]:
    """Every question of the form and of its roster, groups and repeats included."""
    for q, *_ in forms.walk(form.questions):
        yield q
    for q, *_ in forms.walk(form.roster):
        yield q


def texts(form: Form) -> Iterator[tuple[str, Localized]]:
    """Every piece of text shown to people, with a label saying where it is."""
    yield "title", form.title
    yield "description", form.description
    for q in questions(form):
        yield f"question {q.name}", q.label
        for field in ("hint", "constraint_message", "required_message"):
            if getattr(q, field):
                yield f"question {q.name} {field}", getattr(q, field)
    for list_name, options in form.choices.items():
        for choice in options:
            yield f"choice {list_name}.{choice.name}", choice.label
    for ind in form.indicators:
        yield f"indicator {ind.name}", ind.label
        for s in ind.severity:
            yield f"indicator {ind.name} severity {s.level}", s.label
    for topic in form.topics:
        yield f"topic {topic.name}", topic.label
        for i, text in enumerate((*topic.prompts, *topic.probes)):
            yield f"topic {topic.name} prompt/probe {i}", text
        if topic.notes:
            yield f"topic {topic.name} notes", topic.notes
    for code in form.codebook:
        yield f"code {code.code}", code.label
        yield f"code {code.code} definition", code.definition


def test_library_holds_at_least_nine_forms() -> None:
    """The library ships at least nine form definitions."""
    assert len(PATHS) >= 9


def test_library_covers_every_kind() -> None:
    """The library has questionnaires, an interview outline and a focus-group outline."""
    kinds = {load(p).kind for p in PATHS}
    assert kinds == {"questionnaire", "interview", "focus_group"}


@library
def test_form_loads_and_checks_cleanly(path: Path) -> None:
    """Each definition loads through forms.load and the checker reports no problem or warning."""
    form = load(path)
    assert isinstance(form, Form)
    assert forms.check(path) == []


@library
def test_form_header_follows_the_library_conventions(path: Path) -> None:
    """Each form is named after its file, versioned 2026.1, Chinese by default with English, for a known population."""
    form = load(path)
    assert form.id == path.stem
    assert form.version == "2026.1"
    assert form.default_language == "zh"
    assert set(form.languages) == set(LANGUAGES)
    assert form.population in POPULATIONS


@library
def test_every_text_is_in_chinese_and_english(path: Path) -> None:
    """Every label, hint, message, choice, indicator, topic and code has non-empty zh and en text."""
    missing = [
        f"{where}: {lang}"
        for where, text in texts(load(path))
        for lang in LANGUAGES
        if not text.get(lang, "").strip()
    ]
    assert missing == []


@library
def test_likert_choices_carry_scores(path: Path) -> None:
    """Every choice list used by a likert question gives each option a numeric value."""
    form = load(path)
    likert_lists = {q.choices for q in questions(form) if isinstance(q, forms.Likert)}
    unscored = [f"{name}.{c.name}" for name in likert_lists for c in form.choices[name] if c.value is None]
    assert unscored == []


@library
def test_indicators_have_domain_type_and_ordered_severity(path: Path) -> None:
    """Every indicator names a need domain and a Bradshaw type; safety indicators have no severity ranking."""
    for ind in load(path).indicators:
        assert ind.domain, ind.name
        assert ind.bradshaw, ind.name
        if ind.safety:
            assert ind.severity == (), ind.name


@questionnaires
def test_questionnaire_has_segment_and_indicator(path: Path) -> None:
    """Each questionnaire marks at least one disaggregation segment and defines at least one indicator."""
    form = load(path)
    assert any(q.segment for q in questions(form))
    assert form.indicators


@outlines
def test_outline_codebook_is_consistent(path: Path) -> None:
    """Each outline has topics and a codebook whose parents and topic codes all name codes in it."""
    form = load(path)
    codes = {c.code for c in form.codebook}
    assert form.topics
    assert form.codebook
    assert {c.parent for c in form.codebook if c.parent} <= codes
    assert {code for t in form.topics for code in t.codes} <= codes
    assert any(c.parent for c in form.codebook), "some codes should hang under a theme"


def test_focus_group_roster_is_pseudonymous() -> None:
    """The focus-group roster records a participant code and segments but never personal data."""
    form = load(LIBRARY / "residents_focus_group.toml")
    assert form.roster
    assert not any(q.pii for q in form.roster)
    assert any(q.segment for q in form.roster)


def test_household_form_has_roster_and_personal_data() -> None:
    """The household visit form has a roster repeat sized by a repeat_count and marks name and phone as pii."""
    form = load(LIBRARY / "household_visit.toml")
    repeats = [q for q in questions(form) if isinstance(q, Repeat)]
    assert repeats
    assert all(r.repeat_count for r in repeats)
    pii = {q.name for q in questions(form) if q.pii}
    assert {"resp_name", "resp_phone"} <= pii


def test_library_uses_a_cascading_select() -> None:
    """At least one form filters a choice list by an earlier answer, with filter columns on the choices."""
    cascades = [(load(p), q) for p in PATHS for q in questions(load(p)) if getattr(q, "choice_filter", None)]
    assert cascades
    for form, q in cascades:
        options: tuple[Choice, ...] = form.choices[q.choices]
        assert all(c.filters for c in options), q.name


SCALE_TOTALS = [
    # (form, answers with every item of the scale, the total, the hand-worked value)
    ("older_people", {"ucla_company": "2", "ucla_left_out": "2", "ucla_isolated": "3"}, "ucla3_total", 7),
    ("migrants", {"bl_home": "4", "bl_accepted": "2", "bl_stay": "5"}, "belonging_score", 11),
    (
        "workforce_training",
        {"supervision_freq": "monthly", "sup_practical": "3", "sup_emotional": "4", "sup_enough": "1"},
        "supervision_score",
        8,
    ),
    (  # pc_conflict is reversed: 5 counts 1, so 4 + 2 + 1 + 3 + 4
        "children_after_school",
        {"pc_talk": "4", "pc_time": "2", "pc_conflict": "5", "pc_friends": "3", "pc_confident": "4"},
        "pc_score",
        14,
    ),
    (  # a 0–4 scale; cb_cope is reversed: 1 counts 3, so 3 + 4 + 2 + 0 + 1 + 3
        "disability_carers",
        {
            "respondent": "carer",
            "cb_tired": "3",
            "cb_own_time": "4",
            "cb_worry": "2",
            "cb_social": "0",
            "cb_money": "1",
            "cb_cope": "1",
        },
        "carer_burden_total",
        13,
    ),
    (  # ss_cope is reversed: 2 counts 4, so 5 + 4 + 3 + 4 + 4 + 1
        "school_social_work",
        {
            "ss_workload": "5",
            "ss_grades": "4",
            "ss_expectation": "3",
            "ss_sleep": "4",
            "ss_cope": "2",
            "ss_discouraged": "1",
        },
        "study_stress_score",
        21,
    ),
    (  # pr_bullied is reversed: 5 counts 1, so 4 + 3 + 2 + 1
        "school_social_work",
        {"pr_confide": "4", "pr_belong": "3", "pr_helped": "2", "pr_bullied": "5"},
        "peer_score",
        10,
    ),
    (  # fr_conflict is reversed: 1 counts 5, so 2 + 3 + 5 + 4
        "school_social_work",
        {"fr_talk": "2", "fr_understood": "3", "fr_conflict": "1", "fr_time": "4"},
        "family_score",
        14,
    ),
]


@pytest.mark.parametrize(
    ("stem", "items", "total", "expected"), SCALE_TOTALS, ids=[case[2] for case in SCALE_TOTALS]
)
def test_scale_total_adds_item_scores_with_reverse_items_flipped(
    stem: str, items: dict[str, str], total: str, expected: int
) -> None:
    """A scale total is the sum of its likert answers, which are named by their score, with reverse items flipped."""
    result = forms.validate(load(LIBRARY / f"{stem}.toml"), {"consent": "yes", **items})
    assert result.answers[total] == expected

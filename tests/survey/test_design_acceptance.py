"""Acceptance: on the demo's data the planted needs come first, with their evidence; on noise, none is high.

The demo's generator (survey.domain.demo_data) plants four patterns: loneliness among older people
living alone in 南桂, study stress at the rural school, carer strain where the cared-for person has
severe difficulty, and weak local ties among migrants here under two years. Each questionnaire's
records go through the analysis — its results table as the app publishes it, small cells suppressed —
and the seed rulebook. The same forms filled by the generator with no profile — every answer drawn
independently, nothing planted — are the noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import forms
from analysis import rulebook
from analysis.dataset import Dataset
from analysis.priorities import Priorities, prioritise
from analysis.prioritise import Settings
from analysis.proposal import Plan, build
from analysis.proposal_render import to_markdown
from analysis.recommend import recommend
from survey.domain import demo_data
from survey.domain.design import analyse

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"
PLANTED = {  # form → (rule, the segment and levels where the pattern was planted)
    "older_people": ("ELD-LON-01", {"living_arrangement": {"alone"}, "community": {"nangui"}}),
    "school_social_work": ("YTH-STR-01", {"school": {"school_rural"}}),
    "disability_carers": ("CAR-BUR-01", {"wg_severe_n": {"1", "2", "3", "4", "5", "6"}}),
    "migrants": ("MIG-TIE-01", {"years_band": {"lt1", "y1_3"}}),
}
SETTINGS = Settings(resamples=300)


def run(form_id: str, noise: bool) -> tuple[Priorities, object, object]:
    compiled = forms.compile_text((LIBRARY / f"{form_id}.toml").read_bytes(), "toml", form_id)[0]
    profile = (lambda rng, day: ({}, None)) if noise else demo_data.PROFILES[form_id]
    records = demo_data.records(compiled, profile, demo_data.RESPONSES[form_id])
    dataset = Dataset.from_records({compiled.form.version: compiled}, records, form_id)
    book = rulebook.seed()
    found = analyse(dataset, SETTINGS, book)
    priorities = prioritise(found.report.results, found.compiled, book, SETTINGS, samples=found.samples)
    return priorities, found, book


@pytest.mark.parametrize("form_id", list(PLANTED))
def test_the_planted_need_is_the_top_recommendation_with_its_evidence(form_id: str) -> None:
    """The first ranked need is the planted one, high priority, in the planted group, with the comparison cited."""
    priorities, found, _ = run(form_id, noise=False)
    rule_id, where = PLANTED[form_id]
    top = priorities.needs[0]
    assert (top.rule.id, top.tier, top.rank) == (rule_id, "high", 1)
    group = top.finding.group
    assert group.var in where
    assert group.value in where[group.var]
    assert top.stability is not None
    assert top.stability.first >= 0.9
    recs = recommend(priorities, found.compiled)  # type: ignore[attr-defined]
    kinds = [r.kind for r in recs[0].reasons]
    assert kinds[:2] == ["prevalence", "comparison"]
    rows = {r.analysis_key: r for r in found.report.results}  # type: ignore[attr-defined]
    for f in recs[0].figures:
        assert getattr(rows[f.key], f.field) == pytest.approx(f.value)


@pytest.mark.parametrize("form_id", list(PLANTED))
def test_on_noise_of_the_same_shape_no_need_is_high_and_the_draft_says_so(form_id: str) -> None:
    """The same form and number of records, answers drawn with nothing planted: no high priority, “insufficient”."""
    priorities, found, _ = run(form_id, noise=True)
    assert priorities.tier("high") == ()
    assert priorities.insufficient
    recs = recommend(priorities, found.compiled)  # type: ignore[attr-defined]
    doc = build(priorities, recs, found.report.results, found.compiled, Plan(), "en")  # type: ignore[attr-defined]
    assert "No need reaches high priority: the evidence is insufficient to single one out." in to_markdown(
        doc
    )

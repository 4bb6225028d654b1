"""The demo's focus groups and interviews: coded sessions that corroborate the survey, and one that does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.domain import coding, coding_summary, demo, sessions
from survey.domain import demo_data as planted
from survey.store import db as store
from survey.store.models import Coding, Submission
from tests.survey.test_demo import demo_url

__all__ = ["demo_url"]  # the module's demo database, built as test_demo builds it


@pytest.fixture
def db(demo_url: str) -> Iterator[Session]:
    engine = store.make_engine(demo_url)
    with store.session_factory(engine)() as session:
        yield session
    engine.dispose()


def coded(db: Session, form_id: str) -> list[Any]:
    found = sessions.load(db, form_id)
    return coding.coded(found, coding.passes(db, found))


def units_with(segments: list[Any], code: str, **where: str) -> set[str]:
    return {s.unit for s in segments if code in s.codes and all(getattr(s, k) == v for k, v in where.items())}


def test_every_session_has_a_roster_notes_and_quotes_and_is_coded(db: Session) -> None:
    """Each demo session carries pseudonymous participants, notes and quotes; the planner coded all of them."""
    for form_id, count in (
        ("residents_focus_group", len(demo.FOCUS_GROUPS)),
        ("stakeholder_interview", len(demo.INTERVIEWS)),
    ):
        found = sessions.load(db, form_id)
        assert len(found) == count
        assert all(s.participants and s.answers["notes"] and s.answers["quotes"] for s in found)
        assert all(p.code.startswith("P") for s in found for p in s.participants)
    codings = db.scalars(select(Coding.session_uuid)).all()
    assert len(set(codings)) == len(demo.FOCUS_GROUPS) + len(demo.INTERVIEWS)


def test_the_focus_groups_corroborate_the_planted_needs(db: Session) -> None:
    """Loneliness among older people in 南桂, carer strain among carers, newcomers not fitting in, study
    pressure heavier at the rural school than at the urban one."""
    segments = coded(db, "residents_focus_group")
    assert units_with(segments, "loneliness", site="南桂社区", group="长者")
    assert units_with(segments, "carer_strain", group="家庭照顾者")
    assert units_with(segments, "hard_to_fit_in", group="新市民")
    assert units_with(segments, "unfamiliar_neighbours", group="新市民")
    rural = [s for s in segments if "study_pressure" in s.codes and "农村" in s.site]
    urban = [s for s in segments if "study_pressure" in s.codes and "城区" in s.site]
    assert len(rural) > 2 * len(urban) > 0


def test_the_care_homes_contradict_the_surveys_low_loneliness_there(db: Session) -> None:
    """The survey finds few lonely residents in care homes; their focus groups and staff say otherwise."""
    rows = [
        a
        for a in db.scalars(select(Submission.answers).where(Submission.form_id == "older_people"))
        if a.get("consent") == "yes" and a.get("setting") in ("yile_centre", "xiqiao_welfare")
    ]
    share = sum(a["ucla3_total"] >= planted.LONELY_THRESHOLD for a in rows) / len(rows)
    assert share < 0.25
    groups = coded(db, "residents_focus_group")
    homes = {s.unit for s in groups if {"loneliness", "no_one_to_talk"} & set(s.codes) and ("中心" in s.site)}
    assert len(homes) == 2  # both care-home groups
    staff = coded(db, "stakeholder_interview")
    assert units_with(staff, "older_isolation", site="西樵福利中心")


def test_the_summaries_have_agreement_quotes_and_triangulation(db: Session) -> None:
    """A fifth of the sessions is coded twice (κ), quotes are chosen, and each planted domain triangulates."""
    summary = coding_summary.summary(db, "residents_focus_group")
    assert summary.agreement.segments > 0
    assert 0.4 < summary.agreement.overall.kappa < 0.95
    assert summary.quotes["loneliness"]
    assert all("13912345678" not in q.text for qs in summary.quotes.values() for q in qs)
    rows = {r.domain: r for r in coding_summary.triangulation(db, coding_summary.survey_evidence(db))}
    for domain in ("loneliness_social_isolation", "carer_burden", "local_integration", "study_stress"):
        assert rows[domain].survey, domain
        assert rows[domain].groups[0] >= 1, domain
    assert "safety" not in rows


def test_a_consent_declined_participant_is_nowhere(db: Session) -> None:
    """The 颐乐 group's P09 declined: present in the roster, absent from participants and segments."""
    found = sessions.load(db, "residents_focus_group")[2]
    assert [p["p_code"] for p in found.answers["roster"]][-1] == "P09"
    assert "P09" not in [p.code for p in found.participants]
    assert all(s.participant != "P09" for s in found.segments)

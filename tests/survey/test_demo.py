"""``survey demo``: the form library, sites, users and 2,000+ valid responses, with needs planted to be found."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import forms
from survey.domain import accounts, demo, design, publishing
from survey.domain import demo_data as planted
from survey.store import db as store
from survey.store.models import Assignment, Base, FormVersion, Site, Submission, User
from tests.survey.serverproc import POSTGRES, empty

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo database for the module, prepared as ``database_url`` prepares one (building is the slow part)."""
    if POSTGRES:
        url = request.getfixturevalue("_postgres_ready")
        empty(url)
    else:
        path = tmp_path_factory.mktemp("demo") / "tanfang.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    demo.build(url)
    return url


@pytest.fixture
def db(demo_url: str) -> Iterator[Session]:
    """A session on the demo database."""
    engine = store.make_engine(demo_url)
    with store.session_factory(engine)() as session:
        yield session
    engine.dispose()


def answers_of(db: Session, form_id: str) -> list[dict[str, Any]]:
    """The stored answers of every record of ``form_id`` whose respondent consented."""
    rows = db.scalars(select(Submission.answers).where(Submission.form_id == form_id))
    return [a for a in rows if a.get("consent") == "yes"]


def share(rows: list[dict[str, Any]], flag: Callable[[dict[str, Any]], bool]) -> float:
    """The share of ``rows`` for which ``flag`` holds."""
    assert rows
    return sum(map(flag, rows)) / len(rows)


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the schema."""
    engine = store.make_engine(url)
    with engine.connect() as connection:
        counts = {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }
    engine.dispose()
    return counts


# --------------------------------------------------------------------------------------------
# What the demo creates


def test_at_least_2000_submissions_each_valid_against_its_form_version(db: Session) -> None:
    """The demo stores at least 2,000 questionnaire responses, and every record passes its pinned form version."""
    versions = {(v.form_id, v.version): publishing.compiled(v) for v in db.scalars(select(FormVersion))}
    rows = db.execute(select(Submission.form_id, Submission.form_version, Submission.answers)).all()
    questionnaires = [r for r in rows if versions[(r.form_id, r.form_version)].form.kind == "questionnaire"]
    assert len(questionnaires) >= 2000
    invalid = [
        (r.form_id, e)
        for r in rows
        for e in forms.validate(versions[(r.form_id, r.form_version)], r.answers).errors
    ]
    assert invalid == []


def test_every_library_form_is_published_with_its_planned_responses(db: Session) -> None:
    """Each library form is published once and holds exactly the demo's planned number of records."""
    counts = dict(db.execute(select(Submission.form_id, func.count()).group_by(Submission.form_id)).all())
    published = set(db.scalars(select(FormVersion.form_id)))
    assert published == {name.removesuffix(".toml") for name, _ in demo.library()}
    assert {f: counts[f] for f in planted.RESPONSES} == planted.RESPONSES
    assert counts["residents_focus_group"] == len(demo.FOCUS_GROUPS)
    assert counts["stakeholder_interview"] == len(demo.INTERVIEWS)


def test_sites_are_the_plans_communities_care_homes_and_schools(db: Session) -> None:
    """The six sites exist with the forms' choice names as codes and the right kinds."""
    sites = {s.code: s.kind for s in db.scalars(select(Site))}
    assert sites == {
        "nangui": "community",
        "guiyuan": "community",
        "yile_centre": "care_home",
        "xiqiao_welfare": "care_home",
        "school_urban": "school",
        "school_rural": "school",
    }


def test_one_user_per_role_and_the_fieldworker_is_assigned(db: Session) -> None:
    """There is a demo user for each role, and the fieldworker has every form assigned at its sites."""
    users = {u.username: u.id for u in db.scalars(select(User))}
    assert {name: accounts.roles_of(db, users[name]) for name in users} == {
        name: frozenset({role}) for name, role in demo.USERS.items()
    }
    assigned = set(db.scalars(select(Assignment.form_id).where(Assignment.user_id == users["fieldworker"])))
    assert assigned == set(demo.ASSIGNMENTS)


@pytest.mark.parametrize("username", list(demo.USERS))
def test_demo_logins_authenticate(db: Session, username: str) -> None:
    """Each demo user signs in with the documented demo password, and not with another."""
    assert accounts.authenticate(db, username, demo.PASSWORD) is not None
    assert accounts.authenticate(db, username, "not-the-password") is None


def test_records_are_the_fieldworkers_in_the_fieldwork_month_at_their_sites(db: Session) -> None:
    """Every record is collected by the fieldworker in September 2026, and school and care-home records carry their site."""
    fieldworker = db.scalar(select(User.id).where(User.username == "fieldworker"))
    rows = db.execute(
        select(Submission.collector_id, Submission.collected_at, Submission.site_id, Submission.answers)
    ).all()
    assert {r.collector_id for r in rows} == {fieldworker}
    moments = [r.collected_at if r.collected_at.tzinfo else r.collected_at.replace(tzinfo=UTC) for r in rows]
    assert min(moments) >= datetime(2026, 8, 31, 16, tzinfo=UTC)  # 1 September, China time
    assert max(moments) < datetime(2026, 9, 30, 16, tzinfo=UTC)
    codes = dict(db.execute(select(Site.id, Site.code)).all())
    for r in rows:
        placed = r.answers.get("school") or (
            r.answers.get("setting") if r.answers.get("setting") in planted.CARE_HOMES else None
        )
        if placed:
            assert codes[r.site_id] == placed


def test_building_again_adds_nothing(demo_url: str) -> None:
    """Running the demo builder on a built database changes the row count of no table."""
    before = table_counts(demo_url)
    summary = demo.build(demo_url)
    assert summary.created == 0
    assert table_counts(demo_url) == before


def test_the_demo_refuses_a_database_with_other_users(tmp_path: Path) -> None:
    """A database with users the demo did not create is left untouched, because the demo's passwords are public."""
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    engine = store.make_engine(url)
    store.ensure_schema(engine)
    with store.transaction(store.session_factory(engine)) as session:
        accounts.add_user(session, "alice", "correct horse battery", "admin")
    engine.dispose()
    with pytest.raises(demo.DemoError, match="alice"):
        demo.build(url)
    assert table_counts(url)["submissions"] == 0


def test_survey_demo_no_serve_builds_the_same_records_and_prints_the_logins(
    tmp_path: Path, db: Session
) -> None:
    """``survey demo --no-serve`` creates the database, prints each login, and stores the very records of any other build."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "survey.cli", "demo", "--no-serve", "--db", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for username, role in demo.USERS.items():
        assert any(line.split() == [username, demo.PASSWORD, role] for line in done.stdout.splitlines())
    assert demo.PASSWORD in done.stdout
    engine = store.make_engine(url)
    with store.session_factory(engine)() as other:
        theirs = {tuple(r) for r in other.execute(select(Submission.uuid, Submission.content_hash))}
    engine.dispose()
    assert theirs == {tuple(r) for r in db.execute(select(Submission.uuid, Submission.content_hash))}


# --------------------------------------------------------------------------------------------
# The planted needs, read back from the stored answers


def test_loneliness_is_concentrated_among_older_people_living_alone_in_nangui(db: Session) -> None:
    """UCLA-3 ≥ 6 is far commoner among older people living alone in 南桂 than among other older respondents."""
    rows = answers_of(db, "older_people")

    def planted_group(a: dict[str, Any]) -> bool:
        return a.get("community") == planted.LONELY_COMMUNITY and a.get("living_arrangement") == "alone"

    def lonely(a: dict[str, Any]) -> bool:
        return a["ucla3_total"] >= planted.LONELY_THRESHOLD

    there = share([a for a in rows if planted_group(a)], lonely)
    elsewhere = share([a for a in rows if not planted_group(a)], lonely)
    assert there - elsewhere >= 0.25
    assert abs(there - planted.LONELY_SHARE_PLANTED) < 0.12
    assert abs(elsewhere - planted.LONELY_SHARE_ELSEWHERE) < 0.05


def test_study_stress_is_higher_at_the_rural_school(db: Session) -> None:
    """The rural school's mean study-stress score is at least 4 points higher, and high stress 25 points commoner."""
    rows = answers_of(db, "school_social_work")
    by_school = {
        s: [a["study_stress_score"] for a in rows if a["school"] == s]
        for s in ("school_rural", "school_urban")
    }
    assert statistics.mean(by_school["school_rural"]) - statistics.mean(by_school["school_urban"]) >= 4
    high = {s: sum(x >= planted.HIGH_STUDY_STRESS for x in xs) / len(xs) for s, xs in by_school.items()}
    assert high["school_rural"] - high["school_urban"] >= 0.25


def test_carer_burden_is_high_among_carers_of_people_with_a_lot_of_difficulty(db: Session) -> None:
    """High carer burden is at least 25 points commoner when the person cared for has a lot of difficulty."""
    carers = [a for a in answers_of(db, "disability_carers") if a["respondent"] == "carer"]

    def high(a: dict[str, Any]) -> bool:
        return a["carer_burden_total"] >= planted.CARER_BURDEN_THRESHOLD

    severe = share([a for a in carers if a["wg_severe_n"] >= 1], high)
    other = share([a for a in carers if a["wg_severe_n"] == 0], high)
    assert severe - other >= 0.25


def test_recent_migrants_have_weaker_local_ties(db: Session) -> None:
    """Weak local ties (no one to turn to, or no close friend) are at least 25 points commoner in the first two years."""
    rows = answers_of(db, "migrants")

    def weak(a: dict[str, Any]) -> bool:
        return "no_one" in a["help_people"] or a["close_friends"] == 0

    recent = share([a for a in rows if a["years_here"] < planted.RECENT_MIGRANT_YEARS], weak)
    settled = share([a for a in rows if a["years_here"] >= planted.RECENT_MIGRANT_YEARS], weak)
    assert recent - settled >= 0.25


# --------------------------------------------------------------------------------------------
# The planted needs, found by the app as the planner and the designer see them


@pytest.mark.parametrize(
    ("form_id", "rule_id", "segment"),
    [
        ("older_people", "ELD-LON-01", "living_arrangement"),
        ("school_social_work", "YTH-STR-01", "school"),
        ("disability_carers", "CAR-BUR-01", "wg_severe_n"),
        ("migrants", "MIG-TIE-01", "years_band"),
    ],
)
def test_the_app_ranks_each_planted_need_first_from_the_stored_demo(
    db: Session, form_id: str, rule_id: str, segment: str
) -> None:
    """Through the workspace's own path — stored records, small cells suppressed, the demo's coded sessions."""
    done = design.assess(db, form_id)
    top = done.priorities.needs[0]
    assert (top.rule.id, top.tier, top.rank) == (rule_id, "high", 1)
    assert top.finding.group is not None
    assert top.finding.group.var == segment
    assert done.recommendations[0].reasons

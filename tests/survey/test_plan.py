"""The planner's pages: forms with records, a form's report by site and by segment, no personal data."""

from __future__ import annotations

import re
import shutil
import textwrap
import uuid as uuidlib
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from survey.app import create_app
from survey.domain import demo, plan, publishing, sync
from survey.settings import Settings
from survey.store.models import Site, User
from tests.survey.conftest import auth, make_user

FORM = textwrap.dedent(
    """
    id = "visit"
    title = {zh = "入户探访", en = "Home visit"}
    version = "1"
    default_language = "zh"

    [[questions]]
    type = "text"
    name = "resp_name"
    label = {zh = "姓名", en = "Name"}
    pii = true

    [[questions]]
    type = "text"
    name = "phone"
    label = {zh = "电话", en = "Phone"}
    pii = true

    [[questions]]
    type = "select_one"
    name = "area"
    label = {zh = "片区", en = "Area"}
    choices = "area"
    segment = true

    [[questions]]
    type = "select_one"
    name = "lonely"
    label = {zh = "是否感到孤独", en = "Do you feel lonely?"}
    choices = "yes_no"

    [[questions]]
    type = "integer"
    name = "age"
    label = {zh = "年龄", en = "Age"}

    [[choices.area]]
    name = "north"
    label = {zh = "北区", en = "North"}
    [[choices.area]]
    name = "south"
    label = {zh = "南区", en = "South"}
    [[choices.area]]
    name = "east"
    label = {zh = "东区", en = "East"}

    [[choices.yes_no]]
    name = "yes"
    label = {zh = "是", en = "Yes"}
    [[choices.yes_no]]
    name = "no"
    label = {zh = "否", en = "No"}
    """
).encode()

NAMES = ("欧阳晓明", "Wilhelmina Quarrington")
PHONE = "13912345678"
EN = {"Accept-Language": "en"}


def records(site: str, n: int, area: str, lonely_every: int) -> list[dict[str, Any]]:
    """``n`` records at ``site`` in ``area``; every ``lonely_every``-th says lonely; names and phones set."""
    return [
        {
            "uuid": str(uuidlib.uuid4()),
            "form_version": "1",
            "site": site,
            "answers": {
                "resp_name": NAMES[i % 2],
                "phone": PHONE,
                "area": area,
                "lonely": "yes" if i % lonely_every == 0 else "no",
                "age": 60 + i % 30,
            },
        }
        for i in range(n)
    ]


@pytest.fixture
def world(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A published form with 40 + 36 + 3 records at two sites, and a token per role."""
    tokens = {role: make_user(app, role, role) for role in ("planner", "designer", "fieldworker", "admin")}
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, FORM, "toml", "visit.toml")
        db.add_all(
            [Site(code="a", name="甲社区", kind="community"), Site(code="b", name="乙社区", kind="community")]
        )
        db.flush()
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        batch = records("a", 40, "north", 2) + records("b", 36, "south", 6) + records("b", 3, "east", 1)
        assert {r.status for r in sync.accept(db, "visit", batch, worker)} == {"created"}
    return tokens


def page(client: TestClient, token: str, url: str, status: int = 200) -> str:
    response = client.get(url, headers={**auth(token), **EN})
    assert response.status_code == status, response.text[:500]
    return response.text


class TestHome:
    def test_lists_questionnaires_with_their_records_and_sites(self, client, world):
        """/plan names each questionnaire with records, how many, and per site."""
        text = page(client, world["planner"], "/plan")
        assert 'href="/plan/visit"' in text
        assert "79 records" in text
        assert "甲社区 (40)" in text
        assert "乙社区 (39)" in text

    def test_designers_and_admins_see_it_fieldworkers_do_not(self, client, world):
        """Designers and admins pass the guard; a fieldworker gets 403."""
        page(client, world["designer"], "/plan")
        page(client, world["admin"], "/plan")
        page(client, world["fieldworker"], "/plan", status=403)


class TestReport:
    def test_the_report_of_all_records_by_the_forms_segment(self, client, world):
        """The form's segment splits the records; shares come with their interval and n."""
        text = page(client, world["planner"], "/plan/visit")
        assert "Analysis of 79 records" in text
        assert "By Area" in text  # the form's own English labels on an English page
        assert "50.0%" in text  # north: 20 of 40 lonely
        assert "n = 20" in text

    def test_one_site(self, client, world):
        """?site= analyses that site's records only."""
        text = page(client, world["planner"], "/plan/visit?site=a")
        assert "Analysis of 40 records" in text
        assert '<option value="a" selected>' in text

    def test_a_group_of_three_is_suppressed_with_a_complement(self, client, world):
        """East has 3 records: its counts and base are withheld, and so is another group's."""
        text = page(client, world["planner"], "/plan/visit?site=b&by=area")
        section = text[text.index('id="q-lonely"') :]
        section = section[: section.index("</section>")]
        assert "suppressed: too few respondents" in section
        assert "suppressed (protects a small count)" in section
        assert not re.search(r"n = 3\b", section)

    def test_personal_data_never_reaches_the_page(self, client, world):
        """No name or phone number appears, whatever the filters; a personal question is no segment."""
        for url in (
            "/plan/visit",
            "/plan/visit?site=a",
            "/plan/visit?by=area",
            "/plan/visit?by=_site",
            "/plan",
        ):
            text = page(client, world["planner"], url)
            assert PHONE not in text
            assert not any(name in text for name in NAMES), url
        refused = page(client, world["planner"], "/plan/visit?by=resp_name", status=400)
        assert not any(name in refused for name in NAMES)
        assert "resp_name" not in re.sub(r"<[^>]+>", "", page(client, world["planner"], "/plan/visit"))

    def test_masked_answers_keep_their_questions_out_of_the_analysis(self, app, world):
        """The domain replaces personal answers before analysis; the report has no row for them."""
        with app.state.read_sessions() as db:
            loaded = plan.load(db, "visit", "")
        assert all(r["answers"]["resp_name"] == plan.MASK for r in loaded.records)
        shown = plan.page(loaded, "", "", "en", {}).view
        assert [s.name for s in shown.sections] == ["area", "lonely", "age"]

    def test_bad_filters_are_refused_with_a_reason(self, client, world):
        """An unknown site or segment is a 400 that says which; an unknown form a 404."""
        assert "There is no site with the code zz." in page(
            client, world["planner"], "/plan/visit?site=zz", 400
        )
        assert "nothing cannot split these records" in page(
            client, world["planner"], "/plan/visit?by=nothing", 400
        )
        assert "no questionnaire named nothing" in page(client, world["planner"], "/plan/nothing", 404)


def test_signing_in_as_a_planner_leads_to_the_plan(client, world):
    """After login a planner is sent to /plan."""
    client.get("/login")
    data = {
        "username": "planner",
        "password": "correct horse battery",
        "_csrf_token": client.cookies["tanfang_csrf"],
    }
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/plan"


# ---------------------------------------------------------------------------------- the demo data


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """The demo database (2,532 records with planted needs) and a planner's token."""
    path = tmp_path_factory.mktemp("plan-demo") / "demo.sqlite3"
    shutil.copy(request.getfixturevalue("_sqlite_template"), path)
    url = f"sqlite:///{path}"
    demo.build(url)
    app = create_app(Settings(database_url=url))
    token = make_user(app, "reader", "planner")
    with TestClient(app) as client:
        yield client, token


PLANTED = [  # form, filters, indicator, segment's label, the group that should stand out
    ("older_people", "site=nangui&by=living_arrangement", "lonely", "Who do you live with?", "Lives alone"),
    ("school_social_work", "by=school", "high_study_stress", "", ""),
    ("migrants", "by=years_band", "weak_local_ties", "", ""),
]


@pytest.mark.parametrize(("form", "filters", "indicator", "_segment", "_group"), PLANTED)
def test_the_planted_needs_show_as_significant_differences(
    demo_client, form, filters, indicator, _segment, _group
):
    """Loneliness among older people living alone in 南桂, study stress at the rural school and weak
    ties among new migrants: each indicator differs between the groups, significantly after
    Benjamini–Hochberg, and the page says so."""
    client, token = demo_client
    text = page(client, token, f"/plan/{form}?{filters}")
    section = text[text.index(f'id="q-{indicator}"') :]
    section = section[: section.index("</section>")]
    summary = section[section.index("<summary>") : section.index("</summary>")]
    assert "flag-significant" in summary
    assert f'href="#q-{indicator}"' in text  # listed among the differences that hold


def test_loneliness_of_older_people_living_alone_in_nangui(demo_client):
    """In 南桂 the share lonely (UCLA-3 ≥ 6) is far higher among those living alone (55% planted)
    than among those living with a spouse (15%), and the test says the difference holds."""
    client, _ = demo_client
    with client.app.state.read_sessions() as db:
        loaded = plan.load(db, "older_people", "nangui")
    shown = plan.page(loaded, "nangui", "living_arrangement", "en", {}).view
    (lonely,) = [s for s in shown.sections if s.name == "lonely"]
    (part,) = lonely.parts
    prevalence = {label: value for (label, _), value in zip(part.groups, part.lines[0].values, strict=True)}
    alone = float(prevalence["Alone"].text.rstrip("%"))
    spouse = float(prevalence["With spouse only"].text.rstrip("%"))
    assert alone > 40 > 25 > spouse
    (test,) = part.tests
    assert test.significant
    assert float(test.p_adjusted.lstrip("< ")) < 0.01

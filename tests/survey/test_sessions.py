"""Interview and focus-group sessions on the server: the sync API, and the guide without JavaScript.

The browser side (clocks, quick quotes, offline) is in tests/browser/test_session.py; here the
sessions go through the real sync API and the page is fetched and posted as a browser with
JavaScript off would, against a real database.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import admin, publishing, sync
from survey.store.models import Site, Submission, User
from tests.survey.conftest import auth
from tests.survey.test_collect import hidden, post, signed_in

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"
FG = "residents_focus_group"
INTERVIEW = "stakeholder_interview"
PHONE, ID_NUMBER = "13812345678", "440681195001011234"


def person(code: str, group: str = "older_people", consent: str = "yes") -> dict[str, str]:
    return {"p_code": code, "p_age_band": "a60_79", "p_sex": "female", "p_group": group, "p_consent": consent}


def focus_group(site: str = "nangui", group: str = "older_people", **extra: Any) -> dict[str, Any]:
    """A focus group's answers: four participants, notes on two topics, three quotes (one with a phone and an ID)."""
    answers = {
        "session_date": "2026-09-12",
        "site": site,
        "group_focus": group,
        "facilitator": "陈大文",
        "n_participants": 4,
        "consent": "yes",
        "roster": [
            person("P01", group),
            person("P02", group),
            person("P03", group),
            person("P04", group, "no"),
        ],
        "notes": {
            "community_life": "P01：平时一个人在家，很孤单。P02：邻居都不认识。大家平时不孤单的说法不多。",
            "daily_difficulties": f"P03：去医院排队挂号要一上午。P02：我叫李明华，电话{PHONE}。",
        },
        "quotes": [
            {
                "participant": "P01",
                "topic": "community_life",
                "text": "儿子在外地，平时就我一个人在家，晚上特别孤单。",
            },
            {
                "participant": "P02",
                "topic": "daily_difficulties",
                "text": f"有事打我电话{PHONE}，身份证{ID_NUMBER}。",
            },
            {
                "participant": "P03",
                "topic": "daily_difficulties",
                "text": "去医院排队挂号要一上午，没人陪诊真的很难。",
            },
        ],
    }
    return {**answers, **extra}


def interview(
    role: str = "teacher", words: str = "学生压力太大了，考试一个接一个，晚上睡不着。"
) -> dict[str, Any]:
    return {
        "interview_date": "2026-09-14",
        "interviewer_code": "SW-07",
        "consent": "yes",
        "recording_ok": "yes",
        "respondent_role": role,
        "org_type": "school",
        "site": "school_rural",
        "groups_served": ["youth"],
        "roster": [{"p_code": "P1", "p_consent": "yes"}],
        "notes": {"needs_seen": "毕业班学生失眠、焦虑的多了。"},
        "quotes": [{"participant": "P1", "topic": "needs_seen", "text": words}],
    }


def item(answers: dict[str, Any], uuid: str | None = None) -> dict[str, Any]:
    return {"uuid": uuid or str(uuidlib.uuid4()), "form_version": "2026.1", "answers": answers, "site": None}


@pytest.fixture
def outlines(app: Litestar, tokens: dict[str, str]) -> dict[str, Any]:
    """Both library outlines published, a site, both assigned to the fieldworker."""
    with app.state.sessions() as db, db.begin():
        for name in (FG, INTERVIEW):
            publishing.publish(db, (LIBRARY / f"{name}.toml").read_bytes(), "toml", f"{name}.toml")
        db.add(Site(code="nangui", name="南桂社区", kind="community"))
        db.flush()
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        assert admin.assign(db, worker, [FG, INTERVIEW], None, None) == ()
    return {"worker": worker, "tokens": tokens}


def store(app: Litestar, form_id: str, *answers: dict[str, Any]) -> list[str]:
    """Store sessions through the sync contract, as the API does; their UUIDs."""
    items = [item(a) for a in answers]
    with app.state.sessions() as db, db.begin():
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        results = sync.accept(db, form_id, items, worker)
    assert [r.status for r in results] == ["created"] * len(items), results
    return [i["uuid"] for i in items]


def stored(app: Litestar, form_id: str) -> list[Submission]:
    with app.state.sessions() as db:
        return list(
            db.scalars(select(Submission).where(Submission.form_id == form_id).order_by(Submission.id))
        )


# ------------------------------------------------------------------------------- the sync API


def test_a_session_is_stored_once_through_the_sync_api(
    client: TestClient, app: Litestar, outlines: dict[str, Any]
) -> None:
    """A session sent twice under its UUID is created, then a harmless duplicate; every part is kept."""
    body = msgspec.json.encode([item(focus_group(), "6f1c3d52-0d1e-4a57-9c61-1f7b2e8f0a01")])
    headers = {**auth(outlines["tokens"]["fieldworker"]), "Content-Type": "application/json"}
    first = client.post(f"/api/v1/forms/{FG}/submissions", content=body, headers=headers)
    again = client.post(f"/api/v1/forms/{FG}/submissions", content=body, headers=headers)
    assert [first.json()["results"][0]["status"], again.json()["results"][0]["status"]] == [
        "created",
        "duplicate",
    ]
    (record,) = stored(app, FG)
    assert [p["p_code"] for p in record.answers["roster"]] == ["P01", "P02", "P03", "P04"]
    assert sorted(record.answers["notes"]) == ["community_life", "daily_difficulties"]
    assert len(record.answers["quotes"]) == 3


def test_a_session_with_a_quote_from_outside_the_roster_is_refused(
    client: TestClient, outlines: dict[str, Any]
) -> None:
    """A quote naming no participant (or one who did not consent) is invalid, with its path."""
    answers = focus_group(
        quotes=[{"participant": "P09", "text": "某话"}, {"participant": "P04", "text": "某话"}]
    )
    headers = {**auth(outlines["tokens"]["fieldworker"]), "Content-Type": "application/json"}
    response = client.post(
        f"/api/v1/forms/{FG}/submissions", content=msgspec.json.encode([item(answers)]), headers=headers
    )
    (result,) = response.json()["results"]
    assert result["status"] == "invalid"
    assert {e["path"] for e in result["errors"]} == {"quotes[1].participant", "quotes[2].participant"}


# ------------------------------------------------------------------------- the guide, no JS


def test_the_guide_shows_topics_prompts_minutes_and_the_roster(
    client: TestClient, outlines: dict[str, Any]
) -> None:
    """The session page lists every topic with prompts, probes, minutes, a notes area and quotes; and the roster."""
    page = signed_in(client).get(f"/collect/{FG}").text
    assert page.index('data-topic="community_life"') < page.index('data-topic="wrap_up"')
    assert "请每位用一两句话说说" in page  # a prompt
    assert "您和邻居平时来往多吗" in page  # a probe
    assert 'name="notes.older_people_care"' in page
    assert 'data-minutes="15"' in page
    assert 'name="roster[1].p_code"' in page
    assert 'name="roster[1].p_consent"' in page
    assert '<template data-template-for="roster">' in page
    assert 'src="/static/js/session.js"' in page
    assert hidden(page, "@uuid")


def test_without_javascript_a_session_posts_at_once_with_errors_in_place(
    client: TestClient, app: Litestar, outlines: dict[str, Any]
) -> None:
    """A plain post shows its problems in place (400); corrected, it is stored and redirects (303)."""
    signed_in(client)
    uuid = hidden(client.get(f"/collect/{FG}").text, "@uuid")
    fields = {
        "@uuid": uuid,
        "@version": "2026.1",
        "@site": "nangui",
        "@action": "submit",
        "session_date": "2026-09-12",
        "site": "nangui",
        "group_focus": "older_people",
        "facilitator": "SW",
        "n_participants": "2",
        "consent": "yes",
        "roster[1].p_code": "P01",
        "roster[1].p_age_band": "a60_79",
        "roster[1].p_sex": "female",
        "roster[1].p_group": "older_people",
        "roster[1].p_consent": "yes",
        "notes.community_life": "P01：一个人在家。",
        "quotes[1].participant": "P02",
        "quotes[1].topic": "community_life",
        "quotes[1].text": "没人说话。",
    }
    refused = post(client, f"/collect/{FG}", fields)
    assert refused.status_code == 400
    assert (
        'id="q-quotes-1-participant" name="quotes[1].participant" data-participant aria-invalid="true"'
        in refused.text
    )
    assert "名单中没有参与者“P02”" in refused.text
    assert stored(app, FG) == []
    fields["quotes[1].participant"] = "P01"
    accepted = post(client, f"/collect/{FG}", fields)
    assert accepted.status_code == 303
    (record,) = stored(app, FG)
    assert record.uuid == uuid
    assert record.answers["quotes"] == [
        {"participant": "P01", "topic": "community_life", "text": "没人说话。"}
    ]


def test_without_javascript_rows_are_added_for_participants_and_quotes(
    client: TestClient, outlines: dict[str, Any]
) -> None:
    """add:roster and add:quotes show one more participant and one more quote row, keeping what was typed."""
    signed_in(client)
    fields = {"@action": "add:roster", "roster[1].p_code": "P01", "notes.wrap_up": "谢谢大家"}
    rows = r'<fieldset class="quote" data-quote="\d+">'
    page = post(client, f"/collect/{FG}", fields).text
    assert 'name="roster[2].p_code"' in page
    assert 'value="P01"' in page
    assert "谢谢大家" in page
    assert re.findall(rows, page) == []
    page = post(client, f"/collect/{FG}", {**fields, "@action": "add:quotes"}).text
    assert len(re.findall(rows, page)) == 1


def test_an_interview_outline_without_a_roster_gets_a_code_per_participant(
    client: TestClient, outlines: dict[str, Any]
) -> None:
    """The stakeholder interview has no roster questions: its guide asks for a code (P1) and consent."""
    page = signed_in(client).get(f"/collect/{INTERVIEW}").text
    assert 'name="roster[1].p_code"' in page
    assert 'name="roster[1].p_consent"' in page
    assert 'data-topic="needs_seen"' in page

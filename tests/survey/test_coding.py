"""Coding pages, summaries and exports against a real database: suggestions, κ, privacy, withdrawal."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from survey.domain import coding, coding_summary, sessions
from tests.survey.test_collect import post, signed_in
from tests.survey.test_sessions import (
    FG,
    ID_NUMBER,
    INTERVIEW,
    PHONE,
    focus_group,
    interview,
    outlines,
    store,
)

__all__ = ["outlines"]  # the fixture, shared with test_sessions


def marks(page: str) -> dict[str, bool]:
    """Each checkbox ``SEGMENT|CODE`` on a coding page and whether it is ticked."""
    found = re.findall(r'name="mark" value="([^"]+)"( checked)?', page)
    return {value: bool(ticked) for value, ticked in found}


@pytest.fixture
def world(app: Litestar, outlines: dict[str, Any]) -> dict[str, Any]:
    """Two focus groups (南桂 older people, 桂园 migrants) and two interviews, stored."""
    groups = store(app, FG, focus_group(), focus_group(site="guiyuan", group="migrants"))
    talks = store(
        app, INTERVIEW, interview(), interview("school_leader", "学校愿意腾出场地，希望社工开展减压小组。")
    )
    return {"groups": groups, "interviews": talks}


def code_all(client: TestClient, uuid: str, chosen: list[str]) -> None:
    assert post(client, f"/coding/sessions/{uuid}", {"mark": chosen}).status_code == 303


# --------------------------------------------------------------------------- suggestions


def test_keyword_suggestions_stay_unticked_until_a_coder_confirms(
    client: TestClient, world: dict[str, Any]
) -> None:
    """Suggested codes are offered unticked; a negated keyword suggests nothing; ticking stores the code."""
    signed_in(client, "planner")
    uuid = world["groups"][0]
    page = client.get(f"/coding/sessions/{uuid}").text
    found = marks(page)
    assert found["q:1|loneliness"] is False  # 孤单 in the first quote: suggested, not given
    assert "suggested: 孤单" in page or "建议：孤单" in page
    assert not any(v for v in found.values())
    code_all(client, uuid, ["q:1|loneliness", "q:1|no_one_to_talk", "n:community_life:1|nonsense"])
    again = marks(client.get(f"/coding/sessions/{uuid}").text)
    assert {k for k, v in again.items() if v} == {
        "q:1|loneliness",
        "q:1|no_one_to_talk",
    }  # unknown codes ignored


def test_saving_again_replaces_the_coders_codes(
    client: TestClient, app: Litestar, world: dict[str, Any]
) -> None:
    """A coder's second save replaces their first; the first coder stays the session's primary coder."""
    signed_in(client, "planner")
    uuid = world["groups"][0]
    code_all(client, uuid, ["q:1|loneliness"])
    code_all(client, uuid, ["q:3|hard_to_see_doctor"])
    with app.state.sessions() as db:
        found = sessions.load(db, FG)
        (only,) = coding.passes(db, found)[uuid]
        assert only.marks == {"q:3": ("hard_to_see_doctor",)}


# ------------------------------------------------------------------- summaries and agreement


def test_summary_counts_groups_and_gives_kappa_when_two_coders_coded(
    client: TestClient, app: Litestar, world: dict[str, Any]
) -> None:
    """Frequencies count focus groups ("k of m groups"); a session coded by two people gets Cohen's κ."""
    first, second = world["groups"]
    signed_in(client, "planner")
    code_all(client, first, ["q:1|loneliness", "n:community_life:1|loneliness", "q:3|hard_to_see_doctor"])
    code_all(client, second, ["q:1|loneliness"])
    client.post("/logout", data={"_csrf_token": client.cookies.get("tanfang_csrf", "")})
    client.cookies.clear()
    signed_in(client, "designer")
    code_all(client, first, ["q:1|loneliness", "q:3|hard_to_see_doctor", "q:2|money_worries"])
    with app.state.sessions() as db:
        summary = coding_summary.summary(db, FG)
    rows = {(f.code, f.group): (f.k, f.m, f.mentions, f.share) for f in summary.frequencies}
    assert rows[("loneliness", "长者")] == (1, 1, 2, None)
    assert rows[("loneliness", "新市民")] == (1, 1, 1, None)
    a = summary.agreement
    segments = len([s for s in sessions_of(app, first).segments])
    assert a.segments == segments
    assert a.by_code["loneliness"].observed == pytest.approx((segments - 1) / segments)
    assert a.by_code["money_worries"].kappa == pytest.approx(
        0.0
    )  # one coder only: no agreement beyond chance
    page = client.get(f"/coding/forms/{FG}/summary").text
    assert "1 组中 1 组" in page  # "1 of 1 groups", in the default language
    assert "κ" in page


def sessions_of(app: Litestar, uuid: str) -> sessions.Session:
    with app.state.sessions() as db:
        return sessions.one(db, uuid)


# --------------------------------------------------------------------------------- privacy


PLANNER_PAGES = [
    "/coding",
    "/coding/forms/{fg}",
    "/coding/forms/{fg}/summary",
    "/coding/forms/{fg}/explore?q=电话",
    "/coding/forms/{fg}/segments.csv",
    "/coding/forms/{fg}/matrix.csv",
    "/coding/sessions/{uuid}",
    "/coding/sessions/{uuid}/notes.md",
    "/api/v1/forms/{fg}/submissions?format=json",
    "/api/v1/forms/{fg}/submissions?format=csv",
]


def test_phone_and_id_numbers_never_appear_unmasked_to_planners(
    client: TestClient, world: dict[str, Any]
) -> None:
    """A quote with a phone number and an ID number is masked on every planner page and in every export."""
    uuid = world["groups"][0]
    signed_in(client, "planner")
    code_all(client, uuid, ["q:2|money_worries", "n:daily_difficulties:2|money_worries", "q:1|loneliness"])
    seen = ""
    for path in PLANNER_PAGES:
        response = client.get(path.format(fg=FG, uuid=uuid))
        assert response.status_code == 200, path
        body = response.content.decode("utf-8")
        assert PHONE not in body, path
        assert ID_NUMBER not in body, path
        assert "李明华" not in body, path  # a name after 叫
        assert "陈大文" not in body, path  # the facilitator: a question marked pii
        seen += body
    assert "[电话]" in seen
    assert "[证件号]" in seen


# ------------------------------------------------------------------------------ withdrawal


def test_a_participant_removed_from_a_session_disappears_from_every_summary(
    client: TestClient, app: Litestar, world: dict[str, Any]
) -> None:
    """After P01 withdraws, their quote and attributed notes leave the coding page, summary and every export."""
    uuid = world["groups"][0]
    words = "儿子在外地，平时就我一个人在家"
    signed_in(client, "planner")
    code_all(client, uuid, ["q:1|loneliness", "n:community_life:1|loneliness", "q:3|hard_to_see_doctor"])
    assert words in client.get(f"/coding/forms/{FG}/summary").text
    assert post(client, f"/coding/sessions/{uuid}/remove", {"participant": "P01"}).status_code == 403
    client.cookies.clear()
    signed_in(client, "admin")
    assert post(client, f"/coding/sessions/{uuid}/remove", {"participant": "P01"}).status_code == 303
    for path in [
        "/coding/sessions/{uuid}",
        "/coding/forms/{fg}/summary",
        "/coding/sessions/{uuid}/notes.md",
        "/coding/forms/{fg}/segments.csv",
        "/coding",
        "/coding/forms/{fg}/explore?q=孤单",
    ]:
        body = client.get(path.format(fg=FG, uuid=uuid)).content.decode("utf-8")
        assert words not in body, path
        assert "平时一个人在家，很孤单" not in body, path  # P01's sentence of the notes
    with app.state.sessions() as db:
        summary = coding_summary.summary(db, FG)
        found = sessions.one(db, uuid)
    assert "P01" not in [p.code for p in found.participants]
    assert {(f.code, f.group) for f in summary.frequencies} == {("hard_to_see_doctor", "长者")}
    assert "P01" not in client.get(f"/coding/sessions/{uuid}/notes.md").text.split("## ")[0]


def test_a_participant_who_did_not_consent_is_in_no_summary(app: Litestar, world: dict[str, Any]) -> None:
    """P04 declined: no roster row in the notes, no segment of theirs."""
    with app.state.sessions() as db:
        found = sessions.one(db, world["groups"][0])
    assert [p.code for p in found.participants] == ["P01", "P02", "P03"]
    assert all(s.participant != "P04" for s in found.segments)


# ---------------------------------------------------------------------------------- exports


def test_exports_notes_segments_and_the_code_by_group_matrix(
    client: TestClient, world: dict[str, Any]
) -> None:
    """Notes as Markdown per topic; coded segments one row per code; the matrix in units per group."""
    uuid = world["groups"][0]
    signed_in(client, "designer")
    code_all(client, uuid, ["q:1|loneliness", "q:3|hard_to_see_doctor"])
    notes = client.get(f"/coding/sessions/{uuid}/notes.md")
    assert notes.headers["content-type"].startswith("text/markdown")
    assert "## 社区生活印象" in notes.text
    assert "> 儿子在外地，平时就我一个人在家，晚上特别孤单。 — P01" in notes.text
    assert "| P01 |" in notes.text
    rows = list(csv.reader(io.StringIO(client.get(f"/coding/forms/{FG}/segments.csv").text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["session", "method", "date"]
    assert sorted((r[7], r[8]) for r in rows[1:]) == [("q:1", "loneliness"), ("q:3", "hard_to_see_doctor")]
    matrix = list(csv.reader(io.StringIO(client.get(f"/coding/forms/{FG}/matrix.csv").text.lstrip("\ufeff"))))
    assert matrix[0] == ["code", "label", "新市民 (groups)", "长者 (groups)", "mentions"]
    assert ["loneliness", "孤独感", "0/1", "1/1", "1"] in matrix


def test_an_unknown_outline_or_session_is_not_found(client: TestClient, world: dict[str, Any]) -> None:
    """Pages for a form that is not an outline, or a session that does not exist, answer 404."""
    signed_in(client, "planner")
    assert client.get("/coding/forms/nothing/summary").status_code == 404
    assert client.get("/coding/sessions/00000000-0000-0000-0000-000000000000").status_code == 404

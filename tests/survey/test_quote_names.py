"""The names a session holds never reach a coder, a planner or an export, however the notes say them.

An outline whose roster asks each participant's name (a question marked ``pii``) is a focus group
of the residents' outline with one more roster question. Its notes and quotes say the participants'
and the facilitator's names the ways people in 南桂 say them — whole, the given name alone, 阿 or
小 with the last character, the surname with a title (练姨: 练 is a surname no list of common ones
holds), in letters — and name someone who did not consent. Every page and file that shows the
session's words is fetched; none may hold any of those forms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

import forms
from analysis.qualitative import deidentify
from survey.domain import admin, coding, publishing, sessions
from survey.store.models import User
from tests.survey.test_coding import code_all
from tests.survey.test_collect import signed_in
from tests.survey.test_sessions import focus_group, outlines, person, store

__all__ = ["outlines"]  # the fixture, shared with test_sessions

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"
NAMED = "named_focus_group"
NAME_QUESTION = """
[[roster]]
type = "text"
name = "p_name"
label = {zh = "参与者姓名", en = "Participant's name"}
pii = true

"""
ROSTER = {"P01": "陈美玲", "P02": "李国强", "P03": "练秀英", "P04": "Wong Siu Ming", "P05": "冼志华"}
FACILITATOR = "何嘉欣"
NOTES = {
    "community_life": "P01：街坊以前叫我阿玲，而家冇人叫了。P03：练姨话楼下邻居都唔识。",
    "daily_difficulties": "P02：我李国强一世人未求过人。P04：Siu Ming 话冇人陪佢睇医生。嘉欣姑娘话会跟进。",
}
QUOTES = [
    {"participant": "P01", "topic": "community_life", "text": "美玲我一个人住，仔女都喺外地，晚上好孤单。"},
    {"participant": "P02", "topic": "daily_difficulties", "text": "阿强我腿脚唔好，去医院排队挂号要成个上午。"},
    {"participant": "P03", "topic": "community_life", "text": "冼志华之前都有来，佢话一个人在家好孤单。"},
]
SAID = ("陈美玲", "美玲", "阿玲", "李国强", "国强", "阿强", "练秀英", "秀英", "练姨", "Siu Ming", "冼志华", "志华")
SAID += (FACILITATOR, "嘉欣")
PAGES = [
    "/coding/sessions/{uuid}",
    "/coding/sessions/{uuid}/notes.md",
    "/coding/forms/{form}/summary",
    "/coding/forms/{form}/segments.csv",
    "/coding/forms/{form}/explore?q=孤单",
    "/coding/forms/{form}/explore?q=医",
    "/api/v1/forms/{form}/submissions?format=csv",  # the planner's data download
    "/api/v1/forms/{form}/submissions?format=json",
]


@pytest.fixture
def named(app: Litestar, outlines: dict[str, Any]) -> str:
    """The residents' outline asking each participant's name, and one session of it, stored."""
    source = (LIBRARY / "residents_focus_group.toml").read_text(encoding="utf-8")
    source = source.replace('id = "residents_focus_group"', f'id = "{NAMED}"')
    head, code, *rest = source.split("[[roster]]")  # the code stays the roster's first question
    source = "[[roster]]".join([head, code.rstrip() + "\n" + NAME_QUESTION, *rest])
    assert 'name = "p_name"' in source
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, source.encode("utf-8"), "toml", f"{NAMED}.toml")
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        assert admin.assign(db, worker, [NAMED], None, None) == ()
    roster = [
        {**person(code, consent="no" if code == "P05" else "yes"), "p_name": name} for code, name in ROSTER.items()
    ]
    answers = focus_group(roster=roster, facilitator=FACILITATOR, notes=NOTES, quotes=QUOTES, n_participants=5)
    answers["session_notes"] = "美玲同阿强都好投入，嘉欣姑娘讲咗两次规则。"
    (uuid,) = store(app, NAMED, answers)
    return uuid


def test_the_roster_and_facilitator_names_are_what_the_session_holds(app: Litestar, named: str) -> None:
    """Every roster row's name (the one who did not consent too) and the facilitator's, nothing else."""
    with app.state.sessions() as db:
        found = sessions.one(db, named)
    assert set(coding.roster_names(found)) == {*ROSTER.values(), FACILITATOR}


def test_no_page_or_export_shows_a_name_the_session_holds(
    client: TestClient, app: Litestar, named: str
) -> None:
    """The coding page, notes, summary, segments, keyword contexts and data download mask every name."""
    signed_in(client, "planner")
    code_all(client, named, ["q:1|loneliness", "q:2|hard_to_see_doctor", "q:3|loneliness"])
    seen = {}
    for path in PAGES:
        response = client.get(path.format(uuid=named, form=NAMED))
        assert response.status_code == 200, path
        seen[path] = response.content.decode("utf-8-sig")
    for path, body in seen.items():
        for said in SAID:
            assert said not in body, (path, said)
    assert "阿某，而家冇人叫了" in seen["/coding/sessions/{uuid}"]  # the words around a name stay
    assert "某姨话楼下邻居都唔识" in seen["/coding/sessions/{uuid}/notes.md"]
    assert "某某同阿某都好投入" in seen["/coding/sessions/{uuid}/notes.md"]  # the session's own notes
    assert "晚上好孤单" in seen["/coding/forms/{form}/summary"]


def test_coded_segments_leave_the_session_without_its_names(
    client: TestClient, app: Litestar, named: str
) -> None:
    """What quotes and proposals are chosen from (coding.coded) already has the names masked."""
    signed_in(client, "planner")
    code_all(client, named, ["q:1|loneliness"])
    with app.state.sessions() as db:
        found = sessions.load(db, NAMED)
        segments = coding.coded(found, coding.passes(db, found))
    texts = [s.text for s in segments]
    assert "某某我一个人住，仔女都喺外地，晚上好孤单。" in texts
    for said in SAID:
        assert not [t for t in texts if said in t], said


HOUSEHOLD = """
id = "named_household"
version = "1"
title = {zh = "入户", en = "Visit"}
default_language = "zh"

[[questions]]
type = "text"
name = "resp_name"
label = {zh = "姓名", en = "Name"}
pii = true

[[questions]]
type = "repeat"
name = "members"
label = {zh = "家庭成员", en = "Members"}

[[questions.questions]]
type = "text"
name = "m_name"
label = {zh = "成员姓名", en = "Member's name"}
pii = true

[[questions.questions]]
type = "text"
name = "m_note"
label = {zh = "备注", en = "Note"}

[[questions]]
type = "text"
name = "remarks"
label = {zh = "备注", en = "Remarks"}
"""


def test_names_held_inside_a_repeat_are_masked_too() -> None:
    """A household roster's names (a repeat's personal question) count as the record's names."""
    form = forms.loads(HOUSEHOLD)
    answers = {
        "resp_name": "黄丽华",
        "members": [{"m_name": "区志明", "m_note": "丽华照顾佢"}, {"m_name": " ", "m_note": "无"}],
        "remarks": "志明行动不便，阿华每日陪佢。",
    }
    assert coding.names_held(form, answers) == ("区志明", "黄丽华")
    masked = deidentify(answers["remarks"], coding.names_held(form, answers))
    assert masked == "某某行动不便，阿某每日陪佢。"

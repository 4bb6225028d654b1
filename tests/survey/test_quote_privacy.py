"""Quotes that reach planners through the recommendations: phone and ID numbers masked, withdrawals honoured.

The older people's questionnaire carries the demo's records, which trigger the seed rule
ELD-LON-01 (loneliness); a focus group and an interview are coded with the rule's codes, and their
quotes carry a mainland mobile, an ID number and a landline, written the ways field notes write them.
Every page and download that shows the rule's evidence — the dashboard, the designer's workspace,
the proposal as HTML, Markdown and Word, the planner's report, the follow-up list — is fetched by
each role that may see it.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document as Word
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from survey.domain import demo_data, design, publishing, sync
from survey.store.models import User
from tests.survey.test_coding import code_all
from tests.survey.test_collect import post, signed_in
from tests.survey.test_sessions import FG, INTERVIEW, focus_group, interview, outlines, store

__all__ = ["outlines"]  # the fixture, shared with test_sessions

LIBRARY = Path(__file__).resolve().parents[2] / "forms" / "library"
FORM, RULE = "older_people", "ELD-LON-01"

# Quotes as a note-taker types them: each one the only segment of its code, so each is the rule's evidence.
SAID = {  # participant → (raw words, the words a planner may read)
    "P02": (
        "平时没人说话，想聊天就打我电话13812345678，或者138-1234-5678，身份证44068119500101123X。",
        "平时没人说话，想聊天就打我电话[电话]，或者[电话]，身份证[证件号]。",
    ),
    "P03": (
        "子女都在外地，很少人来看我，打+86 138 1234 5678，身份证440681 19500101 1234，座机020-87654321。",
        "子女都在外地，很少人来看我，打[电话]，身份证[证件号]，座机[电话]。",
    ),
    "P1": (
        "独居老人很多，有位阿婆留了手机+8613812345678、座机(0757) 8654 3210，邻居电话8765 4321，说没人陪她。",
        "独居老人很多，有位阿婆留了手机[电话]、座机[电话]，邻居电话[电话]，说没人陪她。",
    ),
}
# Searched for once spaces, dashes and brackets are taken out; the local numbers as written too.
DIGIT_RUNS = ("13812345678", "440681195001011234", "44068119500101123X", "02087654321", "075786543210")
LOCAL = re.compile(r"(?<![0-9])(?:8765[\s-]?4321|8654[\s-]?3210)(?![0-9])")
SEPARATORS = re.compile(r"[\s\-‐‑–—－()（）+]")

READERS = ["/dashboard", "/dashboard/{form}", "/dashboard/{form}?by=living_arrangement", "/plan", "/plan/{form}"]
READERS += ["/dashboard/{form}/results.csv", "/coding", "/coding/forms/{fg}/summary"]
READERS += ["/coding/forms/{interview}/summary"]
DESIGNERS = ["/design/{form}", "/design/{form}/proposal?lang=zh", "/design/{form}/proposal?lang=en"]
DESIGNERS += ["/design/{form}/proposal.md?lang=zh", "/design/{form}/proposal.md?lang=en"]
DOCX = ["/design/{form}/proposal.docx?lang=zh", "/design/{form}/proposal.docx?lang=en"]
SEES = {
    "planner": READERS,
    "designer": [*READERS, *DESIGNERS, *DOCX],
    "admin": [*READERS, *DESIGNERS, *DOCX, "/followup"],
}


@pytest.fixture
def world(app: Litestar, outlines: dict[str, Any]) -> dict[str, str]:
    """The questionnaire's demo records, a focus group and an interview with numbers in their quotes."""
    with app.state.sessions() as db, db.begin():
        version, _, _ = publishing.publish(db, (LIBRARY / f"{FORM}.toml").read_bytes(), "toml", f"{FORM}.toml")
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        records = demo_data.records(
            publishing.compiled(version), demo_data.PROFILES[FORM], demo_data.RESPONSES[FORM]
        )
        for r in records:
            r.pop("site", None)
        assert {x.status for x in sync.accept(db, FORM, records, worker)} == {"created"}
    quotes = [
        {"participant": "P01", "topic": "community_life", "text": "儿子在外地，平时就我一个人在家，晚上特别孤单。"},
        {"participant": "P02", "topic": "community_life", "text": SAID["P02"][0]},
        {"participant": "P03", "topic": "community_life", "text": SAID["P03"][0]},
    ]
    (group,) = store(app, FG, focus_group(quotes=quotes))
    (talk,) = store(app, INTERVIEW, interview("community_worker", SAID["P1"][0]))
    return {"group": group, "interview": talk}


def coded(client: TestClient, world: dict[str, str]) -> None:
    """A planner codes each numbered quote with the rule's codes (P01's stays uncoded)."""
    signed_in(client, "planner")
    code_all(client, world["group"], ["q:2|loneliness", "q:2|no_one_to_talk", "q:3|isolation"])
    code_all(client, world["interview"], ["q:1|older_isolation"])
    switch(client, "designer")
    assert post(client, f"/design/{FORM}", {"chosen": RULE}).status_code == 303


def switch(client: TestClient, who: str) -> TestClient:
    """``client`` signed out, then in as ``who``."""
    client.cookies.clear()
    return signed_in(client, who)


def text_of(path: str, content: bytes) -> str:
    """What a reader of the file sees: the page or file's text, a Word file's paragraphs, tables and parts."""
    if ".docx" not in path:
        return content.decode("utf-8-sig")
    word = Word(io.BytesIO(content))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    with zipfile.ZipFile(io.BytesIO(content)) as parts:
        xml = [re.sub(r"<[^>]+>", "", parts.read(n).decode("utf-8")) for n in parts.namelist() if n.endswith("xml")]
    return "\n".join([*(p.text for p in word.paragraphs), *cells, word.core_properties.title or "", *xml])


def fetch_all(client: TestClient, who: str) -> dict[str, str]:
    """Every page and download ``who`` may open that can show a quote, in Chinese and in English."""
    switch(client, who)
    seen = {}
    for path in SEES[who]:
        url = path.format(form=FORM, fg=FG, interview=INTERVIEW)
        for language in ("zh",) if "lang=" in url else ("zh", "en"):  # ?lang= decides the proposal's
            response = client.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, (who, url)
            seen[f"{url} [{language}]"] = text_of(url, response.content)
    return seen


def assert_masked(seen: dict[str, str]) -> None:
    """No raw number in any file, however it is written (separators and full-width digits undone)."""
    for where, body in seen.items():
        flat = SEPARATORS.sub("", unicodedata.normalize("NFKC", body)).upper()
        for run in DIGIT_RUNS:
            assert run not in flat, (where, run)
        assert not LOCAL.search(unicodedata.normalize("NFKC", body)), where
        for raw, _ in SAID.values():
            assert raw not in body, where


# ------------------------------------------------------------------------------------------ privacy


@pytest.mark.parametrize("who", ["planner", "designer", "admin"])
def test_numbers_in_quotes_are_masked_wherever_the_recommendations_show_them(
    client: TestClient, world: dict[str, str], who: str
) -> None:
    """The rule's quotes reach the dashboard and proposal files de-identified; no raw number anywhere."""
    coded(client, world)
    seen = fetch_all(client, who)
    assert_masked(seen)
    shown = [p for p in seen if p.startswith(("/dashboard/older_people [", "/design/older_people/proposal"))]
    for path in shown:
        for _, masked in SAID.values():
            assert masked in seen[path], (path, masked)  # the quotes really are the evidence
    if who == "planner":
        for path in (*DESIGNERS, *DOCX):
            assert client.get(path.format(form=FORM)).status_code == 403, path


# --------------------------------------------------------------------------------------- withdrawal


def corroboration(app: Litestar) -> design.Corroboration:
    with app.state.sessions() as db:
        (need,) = [n for n in design.assess(db, FORM).priorities.needs if n.rule.id == RULE]
    return need.corroboration


def test_a_removed_participant_leaves_the_dashboard_the_workspace_and_the_proposal(
    client: TestClient, app: Litestar, world: dict[str, str]
) -> None:
    """After P02 leaves the group and the interviewee withdraws, their quotes and their count are gone."""
    coded(client, world)
    before = corroboration(app)
    assert (before.participants, before.groups, len(before.quotes)) == ((1, 1), (1, 1), 3)
    switch(client, "admin")
    for uuid, code in ((world["group"], "P02"), (world["interview"], "P1")):
        assert post(client, f"/coding/sessions/{uuid}/remove", {"participant": code}).status_code == 303
    after = corroboration(app)
    assert (after.participants, after.groups) == ((0, 0), (1, 1))
    assert [q.participant for q in after.quotes] == ["P03"]
    seen = fetch_all(client, "designer")
    assert_masked(seen)
    for path, body in seen.items():
        assert SAID["P02"][1] not in body, path
        assert SAID["P1"][1] not in body, path
    assert SAID["P03"][1] in seen[f"/design/{FORM}/proposal.md?lang=zh [zh]"]
    assert "0 名访谈对象、1 个焦点小组提及" in seen[f"/design/{FORM}/proposal?lang=zh [zh]"]
    assert "0 名受访者，1 个焦点小组" in seen[f"/dashboard/{FORM} [zh]"]

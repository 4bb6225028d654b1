"""Exports: ``GET /api/v1/forms/{form_id}/submissions?format=json|csv|xlsx`` in the Kobo/ODK layout."""

from __future__ import annotations

import csv
import io
import textwrap
import uuid as uuidlib
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from survey.domain import publishing, sync
from survey.store.models import AuditLog, Site, User
from tests.survey.conftest import auth

FORM = """
id = "visit"
title = {zh = "探访", en = "Visit"}
version = "1"
default_language = "zh"
languages = {zh = "中文", en = "English"}

[[questions]]
type = "group"
name = "about"
label = {zh = "受访者", en = "Respondent"}

[[questions.questions]]
type = "text"
name = "resp_name"
label = {zh = "姓名", en = "Name"}
pii = true

[[questions.questions]]
type = "integer"
name = "age"
label = {zh = "年龄", en = "Age"}

[[questions]]
type = "select_one"
name = "town"
label = {zh = "镇街", en = "Town"}
choices = "towns"

[[questions]]
type = "select_multiple"
name = "needs"
label = {zh = "需要", en = "Needs"}
choices = "needs"

[[questions]]
type = "rank"
name = "priorities"
label = {zh = "优先", en = "Priorities"}
choices = "needs"

[[questions]]
type = "repeat"
name = "members"
label = {zh = "家庭成员", en = "Household members"}

[[questions.questions]]
type = "text"
name = "member_name"
label = {zh = "成员姓名", en = "Member's name"}
pii = true

[[questions.questions]]
type = "integer"
name = "member_age"
label = {zh = "成员年龄", en = "Member's age"}

[[choices.towns]]
name = "gc"
label = {zh = "桂城", en = "Guicheng"}

[[choices.towns]]
name = "dl"
label = {zh = "大沥", en = "Dali"}

[[choices.needs]]
name = "care"
label = {zh = "照顾", en = "Daily care"}

[[choices.needs]]
name = "money"
label = {zh = "经济", en = "Money"}

[[choices.needs]]
name = "other"
label = {zh = "其他"}
other = true
"""

FIRST = {
    "uuid": "7f0c4a9e-1d2b-4c3a-9e8f-000000000001",
    "form_version": "1",
    "collected_at": "2024-05-01T09:30:00+00:00",
    "site": "GC01",
    "answers": {
        "resp_name": "李秀英",
        "age": 67,
        "town": "gc",
        "needs": ["care", "other"],
        "needs_other": "交通",
        "priorities": ["money", "care"],
        "members": [{"member_name": "王伟", "member_age": 70}, {"member_name": "王芳", "member_age": 12}],
    },
}
SECOND = {
    "uuid": "7f0c4a9e-1d2b-4c3a-9e8f-000000000002",
    "form_version": "1",
    "collected_at": "2024-05-02T10:00:00+00:00",
    "site": "GC01",
    "answers": {"resp_name": "陈", "age": 45, "town": "dl", "needs": ["money"]},
}
QUESTIONS = ["age", "town", "needs", "needs/care", "needs/money", "needs/other", "needs_other", "priorities", "priorities_other"]
META = ["_uuid", "_form_version", "_site", "_collector", "_collected_at", "_received_at", "_review_state"]


# --------------------------------------------------------------------------------------------
# Helpers


def publish(client: TestClient, token: str, toml: str) -> None:
    """Publish a TOML form as an admin."""
    headers = {**auth(token), "Content-Type": "application/toml"}
    response = client.post("/api/v1/forms", content=textwrap.dedent(toml).encode(), headers=headers)
    assert response.status_code in (200, 201), response.text


def send(client: TestClient, token: str, form_id: str, records: list[dict[str, Any]]) -> None:
    """Post records through the sync endpoint; every one must be created."""
    response = client.post(f"/api/v1/forms/{form_id}/submissions", json=records, headers=auth(token))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["created"] * len(records), response.text


def fetch(client: TestClient, token: str, query: str = "", form_id: str = "visit") -> Any:
    """GET the export; the response, asserting success."""
    response = client.get(f"/api/v1/forms/{form_id}/submissions{query}", headers=auth(token))
    assert response.status_code == 200, response.text
    return response


def read_csv(content: bytes) -> list[dict[str, str]]:
    """A CSV export as dicts, after checking and stripping its byte-order mark."""
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content[3:].decode("utf-8"))))


def read_xlsx(content: bytes) -> dict[str, list[dict[str, Any]]]:
    """An XLSX export as {sheet: rows as dicts}."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    out = {}
    for sheet in book.worksheets:
        values = list(sheet.values)
        out[sheet.title] = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    return out


@pytest.fixture
def visit(app: Litestar, client: TestClient, tokens: dict[str, str]) -> TestClient:
    """The visit form published, a site, and two records posted by the fieldworker."""
    with app.state.sessions() as db, db.begin():
        db.add(Site(code="GC01", name="桂城社区", kind="community"))
    publish(client, tokens["admin"], FORM)
    send(client, tokens["fieldworker"], "visit", [FIRST, SECOND])
    return client


def audit_rows(app: Litestar) -> list[AuditLog]:
    """The export audit rows."""
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == "export.personal_data")))


# --------------------------------------------------------------------------------------------
# Contents equal what was posted


def test_json_is_the_default_and_nests_answers_as_stored(visit: TestClient, tokens: dict[str, str]) -> None:
    """Without a format the export is a JSON array of records: answers as stored, then the meta keys."""
    response = fetch(visit, tokens["admin"])
    assert response.headers["content-type"].startswith("application/json")
    first, second = response.json()
    assert {k: v for k, v in first.items() if not k.startswith("_")} == FIRST["answers"]
    assert {k: v for k, v in second.items() if not k.startswith("_")} == SECOND["answers"]
    assert list(first)[-len(META) :] == META
    assert first["_uuid"] == FIRST["uuid"]
    assert (first["_form_version"], first["_site"], first["_collector"]) == ("1", "GC01", "fieldworker")
    assert first["_collected_at"] == "2024-05-01T09:30:00+00:00"
    assert first["_received_at"].endswith("+00:00")
    assert first["_review_state"] == "received"


def test_csv_has_a_bom_a_column_per_question_and_the_posted_values(visit: TestClient, tokens: dict[str, str]) -> None:
    """The CSV is UTF-8 with a BOM, named as an attachment, one row per record with the posted values."""
    response = fetch(visit, tokens["admin"], "?format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="visit.csv"'
    rows = read_csv(response.content)
    assert list(rows[0]) == ["resp_name", *QUESTIONS, *META]
    assert {k: rows[0][k] for k in ["resp_name", "age", "town", "needs", "needs_other", "priorities"]} == {
        "resp_name": "李秀英",
        "age": "67",
        "town": "gc",
        "needs": "care other",
        "needs_other": "交通",
        "priorities": "money care",
    }
    assert (rows[0]["_uuid"], rows[0]["_site"], rows[0]["_collector"]) == (FIRST["uuid"], "GC01", "fieldworker")
    assert (rows[1]["_uuid"], rows[1]["age"], rows[1]["priorities"]) == (SECOND["uuid"], "45", "")


def test_xlsx_has_the_posted_values_with_numbers_as_numbers(visit: TestClient, tokens: dict[str, str]) -> None:
    """The XLSX has a sheet named by the form, with the posted values and whole numbers as numbers."""
    response = fetch(visit, tokens["admin"], "?format=xlsx")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["content-disposition"] == 'attachment; filename="visit.xlsx"'
    sheets = read_xlsx(response.content)
    assert list(sheets) == ["visit", "members"]
    first, second = sheets["visit"]
    assert list(first) == ["resp_name", *QUESTIONS, *META]
    assert (first["resp_name"], first["age"], first["town"], first["needs_other"]) == ("李秀英", 67, "gc", "交通")
    assert (first["_uuid"], first["_collected_at"]) == (FIRST["uuid"], FIRST["collected_at"])
    assert (second["age"], second["needs"], second["priorities"]) == (45, "money", None)


def test_xlsx_writes_text_that_looks_like_a_formula_as_text(app: Litestar, client: TestClient, tokens: dict[str, str]) -> None:
    """An answer starting with '=' is written to the XLSX as text, never as a formula."""
    publish(client, tokens["admin"], FORM)
    record = {**SECOND, "site": None, "answers": {"resp_name": '=HYPERLINK("http://x")', "age": 1}}
    send(client, tokens["fieldworker"], "visit", [record])
    book = load_workbook(io.BytesIO(fetch(client, tokens["admin"], "?format=xlsx").content))
    cell = book["visit"]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","看")', "+86 1", "-没有", "@SUM(A1)"])
def test_csv_quotes_text_a_spreadsheet_would_run_as_a_formula(
    app: Litestar, client: TestClient, tokens: dict[str, str], text: str
) -> None:
    """In the CSV, text beginning with = + - @ gets a leading apostrophe; the JSON keeps it as sent."""
    publish(client, tokens["admin"], FORM)
    record = {**SECOND, "site": None, "answers": {"resp_name": text, "age": 1}}
    send(client, tokens["fieldworker"], "visit", [record])
    (row,) = read_csv(fetch(client, tokens["admin"], "?format=csv").content)
    assert row["resp_name"] == f"'{text}"
    assert row["age"] == "1"
    assert fetch(client, tokens["admin"]).json()[0]["resp_name"] == text


# --------------------------------------------------------------------------------------------
# select_multiple, rank and repeats


def test_select_multiple_has_a_zero_one_column_per_option(visit: TestClient, tokens: dict[str, str]) -> None:
    """Each option of a select_multiple gets a q/option column holding 1 when chosen and 0 when not."""
    first, second = read_csv(fetch(visit, tokens["planner"], "?format=csv").content)
    assert [first[f"needs/{o}"] for o in ("care", "money", "other")] == ["1", "0", "1"]
    assert [second[f"needs/{o}"] for o in ("care", "money", "other")] == ["0", "1", "0"]


def test_unanswered_select_multiple_leaves_its_option_columns_empty(app: Litestar, client: TestClient, tokens: dict[str, str]) -> None:
    """A record that did not answer a select_multiple has empty option columns, not zeros."""
    publish(client, tokens["admin"], FORM)
    send(client, tokens["fieldworker"], "visit", [{**SECOND, "site": None, "answers": {"age": 30}}])
    (row,) = read_csv(fetch(client, tokens["planner"], "?format=csv").content)
    assert [row["needs"], row["needs/care"], row["needs/money"], row["needs/other"]] == ["", "", "", ""]


def test_repeat_sheet_rows_join_their_record_by_parent_uuid(visit: TestClient, tokens: dict[str, str]) -> None:
    """A repeat's sheet has a row per instance, joined to its record by _parent_uuid and a 1-based _index."""
    members = read_xlsx(fetch(visit, tokens["admin"], "?format=xlsx").content)["members"]
    assert members == [
        {"member_name": "王伟", "member_age": 70, "_parent_uuid": FIRST["uuid"], "_index": 1},
        {"member_name": "王芳", "member_age": 12, "_parent_uuid": FIRST["uuid"], "_index": 2},
    ]


def test_csv_of_a_repeat_is_selected_by_name(visit: TestClient, tokens: dict[str, str]) -> None:
    """``repeat=NAME`` returns that repeat's table as CSV, named after the form and the repeat."""
    response = fetch(visit, tokens["admin"], "?format=csv&repeat=members")
    assert response.headers["content-disposition"] == 'attachment; filename="visit-members.csv"'
    rows = read_csv(response.content)
    assert [(r["member_age"], r["_parent_uuid"], r["_index"]) for r in rows] == [
        ("70", FIRST["uuid"], "1"),
        ("12", FIRST["uuid"], "2"),
    ]


NESTED = """
id = "nested"
title = {zh = "嵌套"}
questions = [
    {type = "repeat", name = "members", questions = [
        {type = "integer", name = "member_age"},
        {type = "repeat", name = "visits", questions = [{type = "date", name = "visit_date"}]},
    ]},
]
"""


def test_nested_repeats_name_the_enclosing_instance(client: TestClient, tokens: dict[str, str]) -> None:
    """A repeat inside a repeat adds _parent_index, the position of the instance it belongs to."""
    publish(client, tokens["admin"], NESTED)
    members = [{"member_age": 70}, {"member_age": 12, "visits": [{"visit_date": "2024-01-02"}, {"visit_date": "2024-02-03"}]}]
    send(client, tokens["fieldworker"], "nested", [record(1, "1", {"members": members})])
    rows = read_csv(fetch(client, tokens["admin"], "?format=csv&repeat=visits", "nested").content)
    assert [list(r.values()) for r in rows] == [
        ["2024-01-02", record(1, "1", {})["uuid"], "2", "1"],
        ["2024-02-03", record(1, "1", {})["uuid"], "2", "2"],
    ]
    assert list(rows[0]) == ["visit_date", "_parent_uuid", "_parent_index", "_index"]


# --------------------------------------------------------------------------------------------
# Labels


def test_labels_in_chinese_replace_choice_names(visit: TestClient, tokens: dict[str, str]) -> None:
    """``labels=zh`` writes the Chinese labels of the chosen options; option headers keep their names."""
    first, second = read_csv(fetch(visit, tokens["admin"], "?format=csv&labels=zh").content)
    assert (first["town"], first["needs"], first["priorities"]) == ("桂城", "照顾; 其他", "经济; 照顾")
    assert (second["town"], first["needs/care"]) == ("大沥", "1")


def test_labels_in_english_fall_back_to_the_default_language(visit: TestClient, tokens: dict[str, str]) -> None:
    """``labels=en`` writes English labels, and the default language's label where English is missing."""
    first, _ = fetch(visit, tokens["admin"], "?labels=en").json()
    assert (first["town"], first["needs"], first["priorities"]) == ("Guicheng", ["Daily care", "其他"], ["Money", "Daily care"])
    sheet = read_xlsx(fetch(visit, tokens["admin"], "?format=xlsx&labels=en").content)["visit"]
    assert (sheet[0]["town"], sheet[0]["needs"]) == ("Guicheng", "Daily care; 其他")


def test_labels_in_a_language_the_form_lacks_is_a_bad_request(visit: TestClient, tokens: dict[str, str]) -> None:
    """Asking for labels in a language the form does not have is a 400 naming the languages it has."""
    response = visit.get("/api/v1/forms/visit/submissions?labels=fr", headers=auth(tokens["admin"]))
    assert response.status_code == 400
    assert "en, zh" in response.json()["detail"]


# --------------------------------------------------------------------------------------------
# Personal data and roles


def test_pii_columns_are_absent_for_a_planner_and_nothing_is_audited(app: Litestar, visit: TestClient, tokens: dict[str, str]) -> None:
    """A planner's export leaves out every pii question, in records and repeats alike, and is not audited."""
    rows = read_csv(fetch(visit, tokens["planner"], "?format=csv").content)
    assert list(rows[0]) == [*QUESTIONS, *META]
    members = read_xlsx(fetch(visit, tokens["planner"], "?format=xlsx").content)["members"]
    assert all("member_name" not in m for m in members)
    first = fetch(visit, tokens["planner"]).json()[0]
    assert "resp_name" not in first
    assert first["members"] == [{"member_age": 70}, {"member_age": 12}]
    assert audit_rows(app) == []


def test_designer_may_export_without_personal_data(visit: TestClient, tokens: dict[str, str]) -> None:
    """A designer may export, and gets no pii columns either."""
    rows = read_csv(fetch(visit, tokens["designer"], "?format=csv").content)
    assert "resp_name" not in rows[0]


def test_admin_export_includes_pii_and_is_written_to_the_audit_log(app: Litestar, visit: TestClient, tokens: dict[str, str]) -> None:
    """An admin's export includes pii columns and writes who exported which form, in what format, how many records."""
    rows = read_csv(fetch(visit, tokens["admin"], "?format=csv").content)
    assert rows[0]["resp_name"] == "李秀英"
    (entry,) = audit_rows(app)
    assert (entry.target, entry.detail) == ("form:visit", {"format": "csv", "records": 2})
    with app.state.sessions() as db:
        assert entry.user_id == db.scalar(select(User.id).where(User.username == "admin"))


def test_admin_export_of_a_form_without_pii_is_not_audited(app: Litestar, client: TestClient, tokens: dict[str, str]) -> None:
    """An admin export of a form with no pii questions writes nothing to the audit log."""
    publish(client, tokens["admin"], FORM.replace("pii = true", "pii = false"))
    send(client, tokens["fieldworker"], "visit", [{**FIRST, "site": None}])
    fetch(client, tokens["admin"], "?format=xlsx")
    assert audit_rows(app) == []


def test_a_pii_repeat_is_left_out_whole_for_a_planner(app: Litestar, client: TestClient, tokens: dict[str, str]) -> None:
    """A repeat marked pii has no sheet for a planner, and asking for its CSV is forbidden."""
    publish(client, tokens["admin"], FORM.replace('name = "members"', 'name = "members"\npii = true'))
    send(client, tokens["fieldworker"], "visit", [{**FIRST, "site": None}])
    assert list(read_xlsx(fetch(client, tokens["planner"], "?format=xlsx").content)) == ["visit"]
    assert "members" not in fetch(client, tokens["planner"]).json()[0]
    response = client.get("/api/v1/forms/visit/submissions?format=csv&repeat=members", headers=auth(tokens["planner"]))
    assert response.status_code == 403


def test_fieldworker_is_forbidden(visit: TestClient, tokens: dict[str, str]) -> None:
    """A fieldworker may not export (403)."""
    response = visit.get("/api/v1/forms/visit/submissions", headers=auth(tokens["fieldworker"]))
    assert response.status_code == 403


def test_export_without_credentials_is_unauthorised(visit: TestClient) -> None:
    """An export without a token or session is a 401."""
    assert visit.get("/api/v1/forms/visit/submissions?format=csv").status_code == 401


# --------------------------------------------------------------------------------------------
# Versions and errors

MERGE_V1 = """
id = "merge"
title = {zh = "合并"}
version = "1"
questions = [
    {type = "integer", name = "age"},
    {type = "select_multiple", name = "needs", choices = "needs"},
    {type = "text", name = "old_only"},
]
choices.needs = [{name = "care"}, {name = "money"}]
"""
MERGE_V2 = """
id = "merge"
title = {zh = "合并"}
version = "2"
questions = [
    {type = "text", name = "phone_area"},
    {type = "integer", name = "age"},
    {type = "select_multiple", name = "needs", choices = "needs"},
]
choices.needs = [{name = "care"}, {name = "housing"}, {name = "money"}]
"""


def record(number: int, version: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A record with a UUID made from ``number``."""
    return {"uuid": f"00000000-0000-4000-8000-{number:012d}", "form_version": version, "answers": answers}


def header_of(client: TestClient, token: str, form_id: str) -> list[str]:
    """The header row of a form's CSV export."""
    content = fetch(client, token, "?format=csv", form_id).content
    return next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_versions_are_merged_by_question_name(client: TestClient, tokens: dict[str, str]) -> None:
    """Records of two versions share columns by name: the newest version's order first, then older-only columns."""
    publish(client, tokens["admin"], MERGE_V1)
    publish(client, tokens["admin"], MERGE_V2)
    old = record(1, "1", {"age": 67, "needs": ["money"], "old_only": "旧"})
    new = record(2, "2", {"phone_area": "0757", "age": 50, "needs": ["housing", "care"]})
    send(client, tokens["fieldworker"], "merge", [old, new])
    rows = read_csv(fetch(client, tokens["planner"], "?format=csv", "merge").content)
    assert list(rows[0]) == ["phone_area", "age", "needs", "needs/care", "needs/housing", "needs/money", "old_only", *META]
    assert [[r[k] for k in ("_form_version", "phone_area", "age", "needs", "needs/housing", "needs/money", "old_only")] for r in rows] == [
        ["1", "", "67", "money", "0", "1", "旧"],
        ["2", "0757", "50", "housing care", "1", "0", ""],
    ]


def test_only_versions_with_records_contribute_columns(client: TestClient, tokens: dict[str, str]) -> None:
    """A version without records adds no columns; with no records at all, the newest version's columns are the header."""
    publish(client, tokens["admin"], MERGE_V1)
    publish(client, tokens["admin"], MERGE_V2)
    assert header_of(client, tokens["planner"], "merge")[:6] == ["phone_area", "age", "needs", "needs/care", "needs/housing", "needs/money"]
    send(client, tokens["fieldworker"], "merge", [record(1, "1", {"age": 67})])
    assert header_of(client, tokens["planner"], "merge") == ["age", "needs", "needs/care", "needs/money", "old_only", *META]


def test_unknown_form_is_not_found_and_named(client: TestClient, tokens: dict[str, str]) -> None:
    """Exporting a form that does not exist is a 404 naming it."""
    response = client.get("/api/v1/forms/nope/submissions", headers=auth(tokens["admin"]))
    assert response.status_code == 404
    assert "'nope'" in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    ["?format=pdf", "?format=csv&repeat=nope", "?format=xlsx&repeat=members", "?repeat=members"],
)
def test_bad_requests_are_400(visit: TestClient, tokens: dict[str, str], query: str) -> None:
    """An unknown format, an unknown repeat, or a repeat outside CSV is a 400."""
    response = visit.get(f"/api/v1/forms/visit/submissions{query}", headers=auth(tokens["admin"]))
    assert response.status_code == 400, response.text


def test_free_text_reaches_planners_de_identified_and_admins_as_typed(
    app: Any, client: TestClient, tokens: dict[str, str]
) -> None:
    """A phone or ID number typed into a free-text answer never reaches a planner's export unmasked."""
    with app.state.sessions() as db, db.begin():
        publishing.publish(db, NOTE_FORM, "toml", "note.toml")
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        typed = "我叫王小明，电话13800138000，身份证440602199001011234"
        sync.accept(db, "note", [{"uuid": str(uuidlib.uuid4()), "form_version": "1", "answers": {"note": typed}}], worker)
    planner = client.get("/api/v1/forms/note/submissions?format=json", headers=auth(tokens["planner"])).json()
    assert planner[0]["note"] == "我叫某某，电话[电话]，身份证[证件号]"
    admin = client.get("/api/v1/forms/note/submissions?format=csv", headers=auth(tokens["admin"])).text
    assert typed in admin


NOTE_FORM = b"""
id = "note"
title = {zh = "note", en = "Note"}
version = "1"

[[questions]]
type = "text"
name = "note"
label = {zh = "note", en = "Note"}
"""

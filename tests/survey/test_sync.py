"""The sync contract over HTTP (DESIGN §5): per record, in order, created / duplicate / conflict /
invalid with every error and its path; the batch as a whole 400, 404, 413, 401 or 403; never a 500.

Runs on SQLite, and on PostgreSQL when SURVEY_TEST_DATABASE_URL is set (see conftest.py).
"""

from __future__ import annotations

import copy
import sqlite3
import threading
import uuid as uuidlib
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import forms
from survey.domain import sync as sync_domain
from survey.store import db as store
from survey.store.models import Conflict, Site, Submission
from tests.conftest import LIBRARY
from tests.survey.conftest import POSTGRES, auth

FORM = "household_visit"
VERSION = "2026.1"
ENDPOINT = f"/api/v1/forms/{FORM}/submissions"

# A household visit answered by hand: three members, one of whom needs daily help.
ANSWERS: dict[str, Any] = {
    "consent": "yes",
    "visit_date": "2026-01-15",
    "worker_code": "SW017",
    "town": "guicheng",
    "community": "nangui",
    "resp_name": "陈姨",
    "resp_phone": "13800138000",
    "housing": "owned",
    "hukou": "local",
    "hh_size": 3,
    "members": [
        {"m_relation": "self", "m_sex": "female", "m_age": 67, "m_disability": "no", "m_needs_care": "no", "m_employment": "retired"},
        {"m_relation": "spouse", "m_sex": "male", "m_age": 70, "m_disability": "yes", "m_needs_care": "yes", "m_employment": "retired"},
        {"m_relation": "grandchild", "m_sex": "female", "m_age": 9, "m_disability": "no", "m_needs_care": "no"},
    ],
    "children_nearby": "far",
    "contact_freq": "weekly",
    "carers": ["family"],
    "care_enough": "mostly",
    "income_sources": ["pension"],
    "income_difficulty": "enough",
    "assistance": "none",
    "needs": ["elder_care", "health"],
    "services_used": ["family_doctor"],
    "service_barriers": ["distance"],
    "sought_help": "no",
    "followup_ok": "yes",
}


def record(uuid: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid record (a new UUID unless given); ``changes`` replace answers."""
    answers = copy.deepcopy(ANSWERS)
    answers.update(changes)
    return {"uuid": uuid or str(uuidlib.uuid4()), "form_version": VERSION, "answers": answers}


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> TestClient:
    """The client with the library's household visit form published by an admin."""
    response = client.post(
        "/api/v1/forms",
        content=(LIBRARY / f"{FORM}.toml").read_bytes(),
        headers={**auth(tokens["admin"]), "content-type": "application/toml"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == VERSION
    return client


def sync(client: TestClient, token: str, body: Any, form: str = FORM) -> Any:
    """POST a batch (any JSON value, or raw bytes) and return the response."""
    content = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return client.post(f"/api/v1/forms/{form}/submissions", content=content, headers={**auth(token), "content-type": "application/json"})


def statuses(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(r["uuid"], r["status"]) for r in response.json()["results"]]


def count(app: Any, model: Any = Submission) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def stored(app: Any, uuid: str) -> Submission:
    with app.state.sessions() as db:
        return db.scalars(select(Submission).where(Submission.uuid == uuid)).one()


def conflicts(app: Any, uuid: str) -> list[Conflict]:
    with app.state.sessions() as db:
        return list(db.scalars(select(Conflict).where(Conflict.uuid == uuid).order_by(Conflict.id)))


def test_each_record_gets_its_status_in_the_order_sent(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    first = record()
    assert statuses(sync(api, tokens["fieldworker"], [first])) == [(first["uuid"], "created")]
    new = record()
    changed = record(first["uuid"], hh_size=2, members=ANSWERS["members"][:2])
    broken = record(members=[{**ANSWERS["members"][0], "m_age": 130}])
    batch = [new, first, changed, broken]
    assert statuses(sync(api, tokens["fieldworker"], batch)) == [
        (new["uuid"], "created"),
        (first["uuid"], "duplicate"),
        (first["uuid"], "conflict"),
        (broken["uuid"], "invalid"),
    ]
    assert count(app) == 2


def test_the_same_batch_twice_is_stored_once(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    batch = [record(), record(hh_size=1, members=ANSWERS["members"][:1]), record(sought_help="yes", help_result="partly")]
    assert [s for _, s in statuses(sync(api, tokens["fieldworker"], batch))] == ["created"] * 3
    assert [s for _, s in statuses(sync(api, tokens["fieldworker"], batch))] == ["duplicate"] * 3
    assert count(app) == 3
    assert count(app, Conflict) == 0


def test_a_conflict_never_overwrites_and_is_kept_aside(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    original = record()
    sync(api, tokens["fieldworker"], [original])
    before = stored(api.app, original["uuid"])
    other = record(original["uuid"], housing="rented")
    assert statuses(sync(api, tokens["fieldworker"], [other])) == [(original["uuid"], "conflict")]
    after = stored(app, original["uuid"])
    assert (after.id, after.answers, after.content_hash, after.received_at) == (
        before.id, before.answers, before.content_hash, before.received_at
    )
    assert after.answers["housing"] == "owned"
    kept = conflicts(app, original["uuid"])
    assert len(kept) == 1
    assert kept[0].answers["housing"] == "rented"
    assert (kept[0].form_id, kept[0].form_version) == (FORM, VERSION)
    assert kept[0].content_hash != before.content_hash
    # The same conflicting content again is reported again but kept once; new content is kept too.
    assert statuses(sync(api, tokens["fieldworker"], [other])) == [(original["uuid"], "conflict")]
    assert len(conflicts(app, original["uuid"])) == 1
    sync(api, tokens["fieldworker"], [record(original["uuid"], housing="public")])
    assert [c.answers["housing"] for c in conflicts(app, original["uuid"])] == ["rented", "public"]
    assert count(app) == 1


def test_valid_records_are_stored_when_others_in_the_batch_are_invalid(
    api: TestClient, tokens: dict[str, str], app: Any
) -> None:
    good = [record() for _ in range(3)]
    bad = [record(hh_size=0), record(housing="castle"), {"uuid": str(uuidlib.uuid4()), "answers": {}}]
    batch = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    assert [s for _, s in statuses(sync(api, tokens["fieldworker"], batch))] == [
        "created", "invalid", "created", "invalid", "invalid", "created"
    ]
    assert count(app) == 3
    with app.state.sessions() as db:
        assert set(db.scalars(select(Submission.uuid))) == {r["uuid"] for r in good}


@pytest.mark.parametrize("same_content", [True, False])
def test_the_same_uuid_twice_in_one_batch(api: TestClient, tokens: dict[str, str], app: Any, same_content: bool) -> None:
    first = record()
    second = record(first["uuid"]) if same_content else record(first["uuid"], contact_freq="daily")
    got = statuses(sync(api, tokens["fieldworker"], [first, second]))
    assert got == [(first["uuid"], "created"), (first["uuid"], "duplicate" if same_content else "conflict")]
    assert count(app) == 1
    assert stored(app, first["uuid"]).answers["contact_freq"] == "weekly"
    kept = conflicts(app, first["uuid"])
    assert [c.answers["contact_freq"] for c in kept] == ([] if same_content else ["daily"])


def test_a_uuid_is_the_same_whatever_its_spelling(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    key = uuidlib.uuid4()
    sync(api, tokens["fieldworker"], [record(str(key))])
    again = statuses(sync(api, tokens["fieldworker"], [record(str(key).upper()), record(key.hex)]))
    assert [s for _, s in again] == ["duplicate", "duplicate"]
    assert count(app) == 1


def test_every_error_comes_with_its_path(api: TestClient, tokens: dict[str, str]) -> None:
    members = copy.deepcopy(ANSWERS["members"])
    members[1]["m_age"] = 130  # the second member: paths count from 1, as the form's users do
    members[0]["m_sex"] = "unknown"
    bad = record(members=members, resp_phone="12345", housing=None, town="nowhere")
    bad["answers"].pop("housing")
    response = sync(api, tokens["fieldworker"], [bad])
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "invalid"
    assert result["uuid"] == bad["uuid"]
    paths = {e["path"] for e in result["errors"]}
    assert {"members[2].m_age", "members[1].m_sex", "resp_phone", "housing", "town"} <= paths
    assert all(e["message"] for e in result["errors"])


def test_errors_in_the_record_itself_have_paths(api: TestClient, tokens: dict[str, str]) -> None:
    not_a_uuid = {**record(), "uuid": "tablet-7-0001"}
    bad_moment = {**record(), "collected_at": "yesterday"}
    no_site = {**record(), "site": "atlantis"}
    unknown_field = {**record(), "colour": "blue"}
    answers_not_object = {**record(), "answers": ["yes"]}
    no_uuid = {"form_version": VERSION, "answers": ANSWERS}
    batch = [not_a_uuid, bad_moment, no_site, unknown_field, answers_not_object, no_uuid]
    results = sync(api, tokens["fieldworker"], batch).json()["results"]
    assert [r["status"] for r in results] == ["invalid"] * len(batch)
    paths = [[e["path"] for e in r["errors"]] for r in results]
    assert paths[0] == ["uuid"]
    assert paths[1] == ["collected_at"]
    assert paths[2] == ["site"]
    assert paths[3] == ["record"]
    assert "colour" in results[3]["errors"][0]["message"]
    assert paths[4] == ["answers"]
    assert paths[5] == ["record"]
    assert "uuid" in results[5]["errors"][0]["message"]
    assert results[0]["uuid"] == "tablet-7-0001"


def test_a_known_site_and_a_collection_time_are_stored(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    with app.state.sessions() as db, db.begin():
        db.add(Site(code="nangui", name="南桂社区", kind="community"))
    item = {**record(), "site": "nangui", "collected_at": "2026-01-15T09:30:00+08:00"}
    assert statuses(sync(api, tokens["fieldworker"], [item])) == [(item["uuid"], "created")]
    row = stored(app, item["uuid"])
    assert row.site_id is not None
    assert row.collected_at is not None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'[{"uuid": "x",', "malformed JSON"),
        (b"not json at all", "malformed JSON"),
        (b"", "malformed JSON"),
        (b'{"uuid": "x"}', "JSON array"),
        (b'"records"', "JSON array"),
        (b'[{"uuid": "x", "form_version": "1", "answers": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}]", "nested too deeply"),
    ],
)
def test_malformed_json_is_a_400_saying_what_is_wrong(
    api: TestClient, tokens: dict[str, str], body: bytes, says: str
) -> None:
    response = sync(api, tokens["fieldworker"], body)
    assert response.status_code == 400, response.text
    assert says in response.json()["detail"]


def test_an_unknown_form_or_version_is_a_404_naming_it(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    response = sync(api, tokens["fieldworker"], [record()], form="no_such_form")
    assert response.status_code == 404
    assert "no_such_form" in response.json()["detail"]
    response = sync(api, tokens["fieldworker"], [record(), {**record(), "form_version": "1999.9"}])
    assert response.status_code == 404
    assert "1999.9" in response.json()["detail"]
    assert count(app) == 0  # the batch as a whole is refused


def test_a_body_over_the_limit_is_a_413(api: TestClient, tokens: dict[str, str], settings: Any, app: Any) -> None:
    one = msgspec.json.encode(record())
    batch = b"[" + b",".join([one] * (settings.max_body_bytes // len(one) + 1)) + b"]"
    assert len(batch) > settings.max_body_bytes
    response = sync(api, tokens["fieldworker"], batch)
    assert response.status_code == 413
    assert count(app) == 0


def test_without_a_token_is_a_401(api: TestClient, app: Any) -> None:
    response = api.post(ENDPOINT, content=msgspec.json.encode([record()]))
    assert response.status_code == 401
    response = api.post(ENDPOINT, content=msgspec.json.encode([record()]), headers=auth("not-a-token"))
    assert response.status_code == 401
    assert count(app) == 0


@pytest.mark.parametrize("role", ["planner", "designer"])
def test_the_wrong_role_is_a_403(api: TestClient, tokens: dict[str, str], app: Any, role: str) -> None:
    response = sync(api, tokens[role], [record()])
    assert response.status_code == 403
    assert "fieldworker" in response.json()["detail"]
    assert count(app) == 0


def test_admins_may_sync_too(api: TestClient, tokens: dict[str, str]) -> None:
    item = record()
    assert statuses(sync(api, tokens["admin"], [item])) == [(item["uuid"], "created")]


def nested(depth: int) -> list[Any]:
    """``[[[…]]]``, ``depth`` lists deep."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


STRANGE: list[Any] = [
    1,
    "record",
    None,
    [],
    {},
    {"uuid": 5, "form_version": VERSION, "answers": {}},
    {"uuid": str(uuidlib.UUID(int=1)), "form_version": 2026.1, "answers": {}},
    {"uuid": str(uuidlib.UUID(int=2)), "form_version": VERSION, "answers": None},
    {"uuid": str(uuidlib.UUID(int=3)), "form_version": VERSION, "answers": {"members": "everyone"}},
    {"uuid": str(uuidlib.UUID(int=4)), "form_version": VERSION, "answers": {"members": [1, None, "x"]}},
    {"uuid": str(uuidlib.UUID(int=5)), "form_version": VERSION, "answers": {"hh_size": "three"}},
    {"uuid": str(uuidlib.UUID(int=6)), "form_version": VERSION, "answers": {"hh_size": 2**70}},
    {"uuid": str(uuidlib.UUID(int=7)), "form_version": VERSION, "answers": {"needs": "health"}},
    {"uuid": str(uuidlib.UUID(int=8)), "form_version": VERSION, "answers": {"visit_date": "2026-02-30"}},
    {"uuid": str(uuidlib.UUID(int=9)), "form_version": VERSION, "answers": {"consent": {"yes": True}}},
    {"uuid": str(uuidlib.UUID(int=10)), "form_version": VERSION, "answers": {"a" * 10_000: 1}},
    {"uuid": "x" * 10_000, "form_version": VERSION, "answers": ANSWERS},
    {"uuid": str(uuidlib.UUID(int=11)), "form_version": VERSION, "answers": ANSWERS, "site": 7},
    {"uuid": str(uuidlib.UUID(int=12)), "form_version": VERSION, "answers": ANSWERS, "collected_at": ""},
    {"uuid": str(uuidlib.UUID(int=13)), "form_version": VERSION, "answers": {**ANSWERS, "comments": nested(400)}},
    {"uuid": str(uuidlib.UUID(int=14)), "form_version": VERSION, "answers": {**ANSWERS, "members": [{"m_age": nested(400)}]}},
    {"uuid": str(uuidlib.UUID(int=15)), "form_version": VERSION, "answers": {**ANSWERS, "hh_size": 500, "members": ANSWERS["members"] * 167}},
    # deeper than Python's recursion limit, read by a check that used to recurse: a 500 before
    {"uuid": str(uuidlib.UUID(int=16)), "form_version": VERSION, "answers": {**ANSWERS, "members": [{"m_age": nested(900)}]}},
    {"uuid": str(uuidlib.UUID(int=17)), "form_version": VERSION, "answers": {**ANSWERS, "unasked": [nested(900), "x"]}},
]


def test_strange_records_are_invalid_never_a_500(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    response = sync(api, tokens["fieldworker"], STRANGE)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(STRANGE)
    assert [r["status"] for r in results] == ["invalid"] * len(STRANGE)
    assert all(r["errors"] for r in results)
    assert count(app) == 0


def test_a_nul_character_is_invalid_never_a_500(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    """PostgreSQL cannot hold U+0000 in text or JSONB: such a record is invalid on both databases."""
    items = [
        record(comments="before\u0000after"),
        record(comments="😀 \U0010ffff 探访"),
        {**record(), "site": "nan\u0000gui"},
        record(members=[{**ANSWERS["members"][0], "m_note\u0000": 1}, *ANSWERS["members"][1:]]),
    ]
    response = sync(api, tokens["fieldworker"], items)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid", "created", "invalid", "invalid"]
    assert [e["path"] for e in results[0]["errors"]] == ["comments"]
    assert [e["path"] for e in results[2]["errors"]] == ["site"]
    assert count(app) == 1


def test_a_form_name_with_a_nul_character_is_a_404(api: TestClient, tokens: dict[str, str]) -> None:
    """A form name holding U+0000 names no form: 404 on both databases, never a 500."""
    response = sync(api, tokens["fieldworker"], [record()], form="house%00hold")
    assert response.status_code == 404, response.text


def test_a_stored_record_reads_back_as_it_was_checked(api: TestClient, tokens: dict[str, str], app: Any) -> None:
    """The row holds the cleaned answers, the answers dropped as not asked, and its times in UTC."""
    item = {**record(help_result="solved"), "collected_at": "2026-01-15T09:30:00+08:00"}
    before = datetime.now(UTC)
    assert statuses(sync(api, tokens["fieldworker"], [item])) == [(item["uuid"], "created")]
    row = stored(app, item["uuid"])
    assert row.dropped == ["help_result"]
    assert "help_result" not in row.answers
    assert row.answers["members"][1]["is_care_dependent"] == 1
    assert row.answers["n_members"] == 3
    assert (row.form_id, row.form_version, row.review_state, row.site_id) == (FORM, VERSION, "received", None)
    assert _utc(row.collected_at) == datetime(2026, 1, 15, 1, 30, tzinfo=UTC)
    assert before - timedelta(seconds=1) <= _utc(row.received_at) <= datetime.now(UTC) + timedelta(seconds=1)


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for timezone columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.mark.skipif(bool(POSTGRES), reason="SQLite's write lock: PostgreSQL takes no lock to read")
def test_a_batch_is_checked_without_holding_the_write_lock(
    api: TestClient, tokens: dict[str, str], app: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a batch's answers are validated, another writer can write at once (it would wait otherwise)."""
    wrote = []
    validate = forms.validate

    def validate_while_another_writes(*args: Any, **kwargs: Any) -> Any:
        with sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None) as other:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" at once if the write lock is held
            code = f"s{len(wrote)}"
            other.execute("INSERT INTO sites (code, name, kind) VALUES (?, '', 'community')", (code,))
            other.execute("COMMIT")
        wrote.append(True)
        return validate(*args, **kwargs)

    monkeypatch.setattr(forms, "validate", validate_while_another_writes)
    batch = [record(), record()]
    assert [s for _, s in statuses(sync(api, tokens["fieldworker"], batch))] == ["created", "created"]
    assert len(wrote) == 2
    assert count(app, Site) == 2


def test_answers_that_are_not_an_object_make_only_their_record_invalid(
    api: TestClient, tokens: dict[str, str], app: Any
) -> None:
    """In a batch otherwise well formed, answers that are not an object are that record's error."""
    batch = [record(), {**record(), "answers": ["yes"]}, {**record(), "answers": None}, record()]
    results = sync(api, tokens["fieldworker"], batch).json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "invalid", "created"]
    assert [[e["path"] for e in r["errors"]] for r in results[1:3]] == [["answers"], ["answers"]]
    assert results[1]["errors"][0]["message"] == "Expected `object`, got `array`"
    assert count(app) == 2


def test_batches_sharing_records_at_once_store_each_record_once(api: TestClient, app: Any) -> None:
    """Four writers at once, each with the same 30 records and 10 of its own: every record once.

    Each shared UUID is created by exactly one writer and a duplicate for the others. On SQLite
    this holds because the write transaction takes the lock before it reads which UUIDs are
    stored; on PostgreSQL, because the insert skips what a concurrent worker stored.
    """
    shared = [record() for _ in range(30)]
    own = [[record() for _ in range(10)] for _ in range(4)]
    start = threading.Barrier(4)
    outcomes: list[list[sync_domain.Result]] = [[] for _ in range(4)]

    def writer(n: int) -> None:
        batch = msgspec.json.encode(own[n][:5] + shared + own[n][5:])
        start.wait()
        with store.transaction(app.state.sessions) as db:
            outcomes[n] = sync_domain.accept(db, FORM, sync_domain.parse_batch(batch), None)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_uuid: dict[str, list[str]] = {}
    for results in outcomes:
        assert len(results) == 40
        for result in results:
            by_uuid.setdefault(result.uuid, []).append(result.status)
    assert all(sorted(by_uuid[r["uuid"]]) == ["created", "duplicate", "duplicate", "duplicate"] for r in shared)
    assert all(by_uuid[r["uuid"]] == ["created"] for batch in own for r in batch)
    assert count(app) == 30 + 40
    assert count(app, Conflict) == 0

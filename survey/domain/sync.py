"""The sync contract: a batch of records from a tablet, accepted item by item, each stored once.

Per record, in order: ``created``; ``duplicate`` (the UUID is stored with the same content — a
harmless resend); ``conflict`` (the UUID is stored with other content — the stored record stays
as it is and the new one is kept aside for review); ``invalid`` (with every error and its path).
Valid records are stored even when others in the batch are not. The batch is one transaction, so
a server killed half-way stores nothing of it and the resend creates every record once.
Uniqueness is the database's: ``INSERT … ON CONFLICT DO NOTHING`` on the UUID, so concurrent
workers cannot store a record twice.
"""

from __future__ import annotations

import hashlib
import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as DbSession

import forms
from survey.domain import publishing
from survey.store.models import Conflict, FormVersion, Site, Submission, utcnow

Status = Literal["created", "duplicate", "conflict", "invalid"]
CHUNK = 500  # UUIDs per SELECT … IN: well inside SQLite's and PostgreSQL's parameter limits


class Record(msgspec.Struct, forbid_unknown_fields=True):
    """One record as a tablet sends it."""

    uuid: str
    form_version: str
    answers: dict[str, Any]
    collected_at: str | None = None
    site: str | None = None


class ItemError(msgspec.Struct):
    """A problem with one record: where and what."""

    path: str
    message: str


class Result(msgspec.Struct):
    """The outcome for one record, in the order sent."""

    uuid: str
    status: Status
    errors: list[ItemError] = msgspec.field(default_factory=list)


class BatchError(ValueError):
    """The batch as a whole cannot be taken: malformed (400) or naming what does not exist (404)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


_BATCH = msgspec.json.Decoder(list[Any])
_CANONICAL = msgspec.json.Encoder(order="sorted")


def parse_batch(body: bytes) -> list[Any]:
    """The JSON array of records; BatchError(400) saying what is wrong otherwise."""
    try:
        return _BATCH.decode(body)
    except msgspec.ValidationError:
        raise BatchError(400, "the body must be a JSON array of records") from None
    except msgspec.DecodeError as err:
        raise BatchError(400, f"malformed JSON: {err}") from None


class _Item(msgspec.Struct):
    index: int
    record: Record
    content_hash: str
    row: dict[str, Any]


def accept(db: DbSession, form_id: str, items: list[Any], collector_id: int | None) -> list[Result]:
    """Take a batch for ``form_id``: one result per record, in order."""
    versions = _versions(db, form_id, items)
    sites = _sites(db, items)
    results: list[Result | None] = [None] * len(items)
    valid: dict[str, _Item] = {}
    for index, raw in enumerate(items):
        outcome = _check(raw, index, form_id, versions, sites, collector_id)
        if isinstance(outcome, Result):
            results[index] = outcome
        elif outcome.record.uuid in valid:  # the same UUID twice in one batch
            first = valid[outcome.record.uuid]
            same = first.content_hash == outcome.content_hash
            results[index] = Result(outcome.record.uuid, "duplicate" if same else "conflict")
            if not same:
                _keep_aside(db, [outcome])
        else:
            valid[outcome.record.uuid] = outcome
    created = _insert(db, list(valid.values()))
    stored = _stored_hashes(db, [u for u in valid if u not in created])
    conflicts = []
    for key, item in valid.items():
        if key in created:
            results[item.index] = Result(key, "created")
        elif stored.get(key) == item.content_hash:
            results[item.index] = Result(key, "duplicate")
        else:
            results[item.index] = Result(key, "conflict")
            conflicts.append(item)
    _keep_aside(db, conflicts)
    return [r for r in results if r is not None]


def _versions(db: DbSession, form_id: str, items: list[Any]) -> dict[str, FormVersion]:
    """The published versions the batch names; BatchError(404) naming an unknown form or version."""
    if "\x00" in form_id:  # PostgreSQL cannot even be asked about such a name
        raise BatchError(404, f"no form named {form_id!r}")
    found = {v.version: v for v in db.scalars(select(FormVersion).where(FormVersion.form_id == form_id))}
    if not found:
        raise BatchError(404, f"no form named {form_id!r}")
    for raw in items:
        named = raw.get("form_version") if isinstance(raw, dict) else None
        if isinstance(named, str) and named not in found:
            raise BatchError(404, f"form {form_id!r} has no version {named!r}")
    return found


def _sites(db: DbSession, items: list[Any]) -> dict[str, int]:
    codes = {
        raw["site"]
        for raw in items
        if isinstance(raw, dict) and isinstance(raw.get("site"), str) and "\x00" not in raw["site"]
    }
    if not codes:
        return {}
    return {code: id_ for code, id_ in db.execute(select(Site.code, Site.id).where(Site.code.in_(codes)))}


def _check(
    raw: Any,
    index: int,
    form_id: str,
    versions: dict[str, FormVersion],
    sites: dict[str, int],
    collector_id: int | None,
) -> Result | _Item:
    """Validate one record; an invalid Result, or the row to insert."""
    uuid_hint = raw.get("uuid") if isinstance(raw, dict) and isinstance(raw.get("uuid"), str) else ""
    try:
        record = msgspec.convert(raw, Record)
    except msgspec.ValidationError as err:
        return Result(uuid_hint, "invalid", [_shape_error(str(err))])
    errors: list[ItemError] = []
    key = _normal_uuid(record.uuid)
    if key is None:
        errors.append(ItemError("uuid", f"{record.uuid!r} is not a UUID"))
    collected = _moment(record.collected_at)
    if record.collected_at is not None and collected is None:
        errors.append(ItemError("collected_at", f"{record.collected_at!r} is not an ISO 8601 date and time"))
    if record.site is not None and record.site not in sites:
        errors.append(ItemError("site", f"no site with the code {record.site!r}"))
    checked = forms.validate(publishing.compiled(versions[record.form_version]), record.answers)
    errors += [ItemError(e.path, e.message) for e in checked.errors]
    if b"\\u0000" in _CANONICAL.encode(checked.answers):
        errors += [
            ItemError(path, "text may not contain the NUL character (U+0000)")
            for path in _nul_paths(checked.answers)
        ]
    if errors or key is None:
        return Result(record.uuid, "invalid", errors)
    record.uuid = key
    content_hash = hashlib.sha256(
        _CANONICAL.encode(
            {
                "form_version": record.form_version,
                "answers": record.answers,
                "collected_at": record.collected_at,
                "site": record.site,
            }
        )
    ).hexdigest()
    row = {
        "uuid": key,
        "form_id": form_id,
        "form_version": record.form_version,
        "site_id": sites.get(record.site) if record.site else None,
        "collector_id": collector_id,
        "collected_at": collected,
        "received_at": utcnow(),
        "answers": checked.answers,
        "dropped": list(checked.dropped),
        "content_hash": content_hash,
        "review_state": "received",
    }
    return _Item(index, record, content_hash, row)


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """The answer paths whose text holds U+0000, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value, 1) for p in _nul_paths(v, f"{path}[{i}]")]
    return []


def _shape_error(message: str) -> ItemError:
    text, _, where = message.partition(" - at `")
    return ItemError(where.rstrip("`").removeprefix("$.") or "record", text)


def _normal_uuid(value: str) -> str | None:
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # stored in UTC: SQLite keeps no offset, so a local time would come back hours off
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _insert_statement(db: DbSession, table: Any) -> Any:
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _insert(db: DbSession, items: list[_Item]) -> set[str]:
    """Insert the rows whose UUID is new; the UUIDs actually inserted.

    One statement on the Core table, executed for many rows: SQLAlchemy compiles it once (cached)
    and sends it as batched multi-row INSERTs ("insertmanyvalues") with RETURNING. Building a
    multi-row ``.values([...])`` on the ORM entity instead costs a fresh compile of every row's
    parameters per batch, which was half of the time ``accept`` took.
    """
    if not items:
        return set()
    table = Submission.__table__
    statement = _insert_statement(db, table).on_conflict_do_nothing(index_elements=["uuid"])
    return set(db.scalars(statement.returning(table.c.uuid), [i.row for i in items]))


def _stored_hashes(db: DbSession, uuids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(uuids), CHUNK):
        part = uuids[start : start + CHUNK]
        rows = db.execute(select(Submission.uuid, Submission.content_hash).where(Submission.uuid.in_(part)))
        out.update((uuid, content_hash) for uuid, content_hash in rows)
    return out


_CONFLICT_KEYS = (
    "uuid",
    "form_id",
    "form_version",
    "collector_id",
    "site_id",
    "collected_at",
    "received_at",
    "answers",
    "content_hash",
)


def _keep_aside(db: DbSession, items: list[_Item]) -> None:
    """Store conflicting records for review; the same conflicting content twice is kept once."""
    if not items:
        return
    statement = _insert_statement(db, Conflict.__table__)
    statement = statement.on_conflict_do_nothing(index_elements=["uuid", "content_hash"])
    db.execute(statement, [{k: i.row[k] for k in _CONFLICT_KEYS} for i in items])

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
import re
import uuid as uuidlib
import weakref
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session as DbSession

import forms
from survey.domain import publishing
from survey.store import db as store
from survey.store import submissions
from survey.store.models import FormVersion, Site, utcnow

Status = Literal["created", "duplicate", "conflict", "invalid"]


# The structs of a batch are not tracked by the garbage collector (gc=False): they hold no cycles,
# and a batch's thousands of them would otherwise make its collections longer and more frequent.


class Record(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One record as a tablet sends it."""

    uuid: str
    form_version: str
    answers: dict[str, Any]
    collected_at: str | None = None
    site: str | None = None


class ItemError(msgspec.Struct, gc=False):
    """A problem with one record: where and what."""

    path: str
    message: str


class Result(msgspec.Struct, gc=False):
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
_RECORDS = msgspec.json.Decoder(list[Record])
_CANONICAL = msgspec.json.Encoder(order="sorted")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_batch(body: bytes) -> list[Any]:
    """The JSON array of records; BatchError(400) saying what is wrong otherwise.

    A batch of well-formed records is decoded straight into records, in one pass (decoding each
    record's answers on its own cost more); otherwise into plain JSON values, so that each record's
    problems are reported on their own.
    """
    try:
        return _RECORDS.decode(body)
    except (msgspec.DecodeError, RecursionError):
        pass  # some record is malformed, or the JSON is: the plain decoder says which
    try:
        return _BATCH.decode(body)
    except msgspec.ValidationError:
        raise BatchError(400, "the body must be a JSON array of records") from None
    except msgspec.DecodeError as err:
        raise BatchError(400, f"malformed JSON: {err}") from None
    except RecursionError:  # msgspec's own limit on nesting
        raise BatchError(400, "malformed JSON: nested too deeply") from None


class _Checked(msgspec.Struct, gc=False):
    """A record with its answers checked, before the write transaction: errors, or the row to store.

    The row holds `submissions.COLUMNS`, the answers as JSON text; its site is set once known.
    """

    index: int
    record: Record
    key: str | None  # the UUID in its canonical spelling
    errors: list[ItemError]  # the record's own, before the site's
    answer_errors: list[ItemError]  # the answers', after the site's
    row: tuple[Any, ...] | None = None  # to insert, when there are no errors
    content_hash: str = ""


def accept(db: DbSession, form_id: str, items: list[Any], collector_id: int | None) -> list[Result]:
    """Take a batch for ``form_id``: one result per record, in order.

    Everything but the sites is checked before ``db`` begins its transaction (the form's versions
    are read through `store.reading`, when not known already), so on SQLite other writers are not
    held up while this batch is validated; then, in ``db``'s transaction, the sites are looked up
    and the rows stored.
    """
    known = _KNOWN.setdefault(db.get_bind().engine, {})
    compiled = _known_versions(known, form_id, items)
    if compiled is None:
        with store.reading(db) as reader:
            compiled = _versions(reader, form_id, items, known)
    received = utcnow()  # when the batch came in: the same moment for each of its records
    checked = [_check(raw, form_id, compiled, collector_id, received) for raw in items]
    results: list[Result | None] = [None] * len(items)
    valid = _valid(db, checked, _sites(db, items), results)
    created, stored = submissions.store_new(db, [item.row for item in valid.values()])  # type: ignore[misc]
    conflicts = []
    for key, item in valid.items():
        if key in created:
            results[item.index] = Result(key, "created")
        elif stored.get(key) == item.content_hash:
            results[item.index] = Result(key, "duplicate")
        else:
            results[item.index] = Result(key, "conflict")
            conflicts.append(item)
    submissions.keep_aside(db, [item.row for item in conflicts])  # type: ignore[misc]
    return [r for r in results if r is not None]


def _valid(
    db: DbSession, checked: list[Result | _Checked], sites: dict[str, int], results: list[Result | None]
) -> dict[str, _Checked]:
    """The records to store, by UUID; the result of every other record goes in ``results``.

    A record is invalid with its own errors, then its site's, then its answers'. The same UUID
    again in the batch is a duplicate (same content) or a conflict, kept aside.
    """
    valid: dict[str, _Checked] = {}
    for index, item in enumerate(checked):
        if isinstance(item, Result):
            results[index] = item
            continue
        item.index = index
        record = item.record
        site_error = record.site is not None and record.site not in sites
        if item.errors or item.answer_errors or site_error or item.row is None:
            errors = item.errors + ([_site_error(record.site)] if site_error else []) + item.answer_errors
            results[index] = Result(record.uuid, "invalid", errors)
        elif record.uuid in valid:
            same = valid[record.uuid].content_hash == item.content_hash
            results[index] = Result(record.uuid, "duplicate" if same else "conflict")
            if not same:
                submissions.keep_aside(db, [_with_site(item, sites).row])  # type: ignore[list-item]
        else:
            valid[record.uuid] = _with_site(item, sites)
    return valid


_COMPILED: dict[str, forms.compiler.Compiled] = {}  # by the version's content hash
_KNOWN: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()
"""Per database, the content hash of each (form, version) read from it: a published version never
changes (publishing refuses other content under its number) and is never deleted."""


def _known_versions(
    known: dict[tuple[str, str], str], form_id: str, items: list[Any]
) -> dict[str, forms.compiler.Compiled] | None:
    """The compiled versions the batch names, when all are known and compiled already; else None."""
    compiled: dict[str, forms.compiler.Compiled] = {}
    for raw in items:
        named = _field(raw, "form_version")
        if isinstance(named, str) and named not in compiled:
            content_hash = known.get((form_id, named))
            found = _COMPILED.get(content_hash) if content_hash else None
            if found is None:
                return None
            compiled[named] = found
    return compiled or None


def _versions(
    db: Connection, form_id: str, items: list[Any], known: dict[tuple[str, str], str]
) -> dict[str, forms.compiler.Compiled]:
    """The compiled versions the batch names; BatchError(404) naming an unknown form or version.

    Only the versions' hashes are read; a definition is loaded and compiled once. The versions
    read are added to ``known``.
    """
    if "\x00" in form_id:  # PostgreSQL cannot even be asked about such a name
        raise BatchError(404, f"no form named {form_id!r}")
    query = select(FormVersion.version, FormVersion.hash).where(FormVersion.form_id == form_id)
    found = {version: content_hash for version, content_hash in db.execute(query)}
    if not found:
        raise BatchError(404, f"no form named {form_id!r}")
    known.update(((form_id, version), content_hash) for version, content_hash in found.items())
    compiled: dict[str, forms.compiler.Compiled] = {}
    for raw in items:
        named = _field(raw, "form_version")
        if not isinstance(named, str) or named in compiled:
            continue
        if named not in found:
            raise BatchError(404, f"form {form_id!r} has no version {named!r}")
        compiled[named] = _COMPILED.get(found[named]) or _compile(db, form_id, named)
    return compiled


def _compile(db: Connection, form_id: str, version: str) -> forms.compiler.Compiled:
    query = select(FormVersion.hash, FormVersion.definition).where(
        FormVersion.form_id == form_id, FormVersion.version == version
    )
    content_hash, definition = db.execute(query).one()
    if len(_COMPILED) >= 256:
        _COMPILED.clear()
    stored = FormVersion(form_id=form_id, version=version, hash=content_hash, definition=definition)
    _COMPILED[content_hash] = result = publishing.compiled(stored)
    return result


def _sites(db: DbSession, items: list[Any]) -> dict[str, int]:
    sent = (_field(raw, "site") for raw in items)
    codes = {site for site in sent if isinstance(site, str) and "\x00" not in site}
    if not codes:
        return {}
    return {code: id_ for code, id_ in db.execute(select(Site.code, Site.id).where(Site.code.in_(codes)))}


def _site_error(code: Any) -> ItemError:
    return ItemError("site", f"no site with the code {code!r}")


def _check(
    raw: Any,
    form_id: str,
    compiled: dict[str, forms.compiler.Compiled],
    collector_id: int | None,
    received: datetime,
) -> Result | _Checked:
    """Validate one record and build its row: an invalid Result when it is not even a record."""
    if type(raw) is Record:
        record = raw
    else:
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
    checked = forms.validate(compiled[record.form_version], record.answers)
    answer_errors = [ItemError(e.path, e.message) for e in checked.errors]
    answers = msgspec.json.encode(checked.answers)  # as stored
    if b"\\u0000" in answers:
        answer_errors += [
            ItemError(path, "text may not contain the NUL character (U+0000)")
            for path in _nul_paths(checked.answers)
        ]
    item = _Checked(0, record, key, errors, answer_errors)
    if errors or answer_errors or key is None:
        return item
    record.uuid = key
    item.content_hash = hashlib.sha256(
        _CANONICAL.encode(
            {
                "form_version": record.form_version,
                "answers": record.answers,
                "collected_at": record.collected_at,
                "site": record.site,
            }
        )
    ).hexdigest()
    item.row = (
        key,
        form_id,
        record.form_version,
        None,  # the site, set once the sites are looked up
        collector_id,
        collected,
        received,
        answers.decode(),
        msgspec.json.encode(checked.dropped).decode() if checked.dropped else "[]",
        item.content_hash,
        "received",
    )
    return item


def _field(raw: Any, name: str) -> Any:
    """A field of a record as sent, whatever shape it came in; None when it has none."""
    if type(raw) is Record:
        return getattr(raw, name)
    return raw.get(name) if isinstance(raw, dict) else None


def _with_site(item: _Checked, sites: dict[str, int]) -> _Checked:
    if item.record.site:
        item.row = (*item.row[:3], sites.get(item.record.site), *item.row[4:])  # type: ignore[index]
    return item


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
    if _UUID.fullmatch(value):  # already as it is stored: lower case, with hyphens
        return value
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

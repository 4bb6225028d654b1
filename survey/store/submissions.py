"""Storing a batch of submissions: new rows, the hashes of those already stored, conflicts kept aside.

A row is a tuple of `COLUMNS`, built ready to store: its answers and dropped answers are JSON text
already (encoded once, by msgspec, as SQLAlchemy's JSON columns encode them). `insert_new` sends a
batch's rows to the driver as one multi-row ``INSERT … ON CONFLICT (uuid) DO NOTHING RETURNING
uuid`` per chunk: SQLAlchemy's processing of each row's parameters cost more than the database's
own work. Uniqueness stays the database's: a UUID stored by a concurrent worker is skipped, and
missing from what `insert_new` returns.
"""

from __future__ import annotations

import functools
from itertools import chain
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.store.models import Conflict, Submission

CHUNK = 500  # UUIDs per SELECT … IN, rows per INSERT: well inside SQLite's and PostgreSQL's limits

COLUMNS = (
    "uuid",
    "form_id",
    "form_version",
    "site_id",
    "collector_id",
    "collected_at",
    "received_at",
    "answers",
    "dropped",
    "content_hash",
    "review_state",
)
"""The columns of a row, in its order."""

_JSON = ("answers", "dropped")
_CONFLICT_COLUMNS = (
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


def insert_new(db: Session, rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert the rows whose UUID is new, in ``db``'s transaction; the UUIDs actually inserted.

    Times go through the column type's own bind processor, so they are stored exactly as
    SQLAlchemy stores them (on SQLite, text without an offset, in UTC).
    """
    if not rows:
        return set()
    connection = db.connection()
    dialect = connection.dialect
    times = Submission.__table__.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    if times is not None:
        stamps: dict[Any, Any] = {None: None}  # a batch's records share their time received
        for moment in {m for row in rows for m in row[5:7]}:
            stamps[moment] = times(moment)
        rows = [(*row[:5], stamps[row[5]], stamps[row[6]], *row[7:]) for row in rows]
    created: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        statement = _insert_sql(dialect.name, len(part))
        created.update(connection.exec_driver_sql(statement, tuple(chain.from_iterable(part))).scalars())
    return created


@functools.lru_cache(maxsize=32)
def _insert_sql(dialect: str, count: int) -> str:
    postgres = dialect == "postgresql"
    mark = "%s" if postgres else "?"
    row = ", ".join(f"{mark}::jsonb" if postgres and column in _JSON else mark for column in COLUMNS)
    values = ", ".join([f"({row})"] * count)
    return (
        f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES {values} "
        "ON CONFLICT (uuid) DO NOTHING RETURNING uuid"
    )


def stored_hashes(db: Session, uuids: list[str]) -> dict[str, str]:
    """The content hash stored under each of ``uuids`` that is stored."""
    out: dict[str, str] = {}
    for start in range(0, len(uuids), CHUNK):
        part = uuids[start : start + CHUNK]
        rows = db.execute(select(Submission.uuid, Submission.content_hash).where(Submission.uuid.in_(part)))
        out.update((uuid, content_hash) for uuid, content_hash in rows)
    return out


def keep_aside(db: Session, rows: list[tuple[Any, ...]]) -> None:
    """Store conflicting records for review; the same conflicting content twice is kept once."""
    if not rows:
        return
    dialect = db.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Conflict.__table__)
    statement = statement.on_conflict_do_nothing(index_elements=["uuid", "content_hash"])
    values = []
    for row in rows:
        named = dict(zip(COLUMNS, row, strict=True))
        named["answers"] = msgspec.json.decode(named["answers"])  # the JSON column encodes it again
        values.append({column: named[column] for column in _CONFLICT_COLUMNS})
    db.execute(statement, values)

"""Storing a batch of submissions: new rows, the hashes of those already stored, conflicts kept aside.

A row is a tuple of `COLUMNS`, built ready to store: its answers and dropped answers are JSON text
already (encoded once, by msgspec, as SQLAlchemy's JSON columns encode them). `store_new` sends
a batch's rows to the driver itself: SQLAlchemy's processing of each row's parameters cost more
than the database's own work. Uniqueness stays the database's (a unique index on the UUID):

- on SQLite the write transaction began ``IMMEDIATE``, so this is the only writer until it
  commits: the UUIDs already stored are read, and the others inserted, in one multi-row
  ``INSERT`` per chunk (a single step of the statement, so the driver takes the GIL back once,
  not once per row as ``executemany`` does, nor once per returned row). Should another writer
  ever store one of them in between, the unique index refuses it and the whole batch rolls
  back: a record is never stored twice;
- on PostgreSQL workers write at once, so the rows go as one multi-row ``INSERT … ON CONFLICT
  (uuid) DO NOTHING RETURNING uuid`` per chunk: a UUID a concurrent worker stored is skipped, and
  missing from what comes back.
"""

from __future__ import annotations

import functools
from itertools import chain
from typing import Any

import msgspec
from sqlalchemy import Connection
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


def store_new(db: Session, rows: list[tuple[Any, ...]]) -> tuple[set[str], dict[str, str]]:
    """Insert the rows whose UUID is new, in ``db``'s transaction (the UUIDs of ``rows`` differ).

    Returns the UUIDs inserted, and the content hash stored under each other UUID of ``rows``.
    Times go through the column type's own bind processor, so they are stored exactly as
    SQLAlchemy stores them (on SQLite, text without an offset, in UTC).
    """
    if not rows:
        return set(), {}
    connection = db.connection()
    dialect = connection.dialect
    times = Submission.__table__.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    if times is not None:
        stamps: dict[Any, Any] = {None: None}  # a batch's records share their time received
        for moment in {m for row in rows for m in row[5:7]}:
            stamps[moment] = times(moment)
        rows = [(*row[:5], stamps[row[5]], stamps[row[6]], *row[7:]) for row in rows]
    if dialect.name == "sqlite":
        stored = _stored_hashes(connection, [row[0] for row in rows])
        new = [row for row in rows if row[0] not in stored] if stored else rows
        _insert(connection, new, returning=False)
        return {row[0] for row in new}, stored
    created = _insert(connection, rows, returning=True)
    return created, _stored_hashes(connection, [row[0] for row in rows if row[0] not in created])


def _insert(connection: Connection, rows: list[tuple[Any, ...]], returning: bool) -> set[str]:
    """Insert ``rows`` a chunk at a time; with ``returning``, skip stored UUIDs and name those inserted."""
    created: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        statement = _insert_sql(connection.dialect.name, len(part), returning)
        result = connection.exec_driver_sql(statement, tuple(chain.from_iterable(part)))
        if returning:
            created.update(result.scalars())
    return created


def _stored_hashes(connection: Connection, uuids: list[str]) -> dict[str, str]:
    """The content hash stored under each of ``uuids`` that is stored."""
    stored: dict[str, str] = {}
    for start in range(0, len(uuids), CHUNK):
        part = uuids[start : start + CHUNK]
        statement = _stored_sql(connection.dialect.name, len(part))
        stored.update(iter(connection.exec_driver_sql(statement, tuple(part))))
    return stored


@functools.lru_cache(maxsize=32)
def _stored_sql(dialect: str, count: int) -> str:
    mark = "%s" if dialect == "postgresql" else "?"
    return f"SELECT uuid, content_hash FROM submissions WHERE uuid IN ({', '.join([mark] * count)})"


@functools.lru_cache(maxsize=32)
def _insert_sql(dialect: str, count: int, returning: bool) -> str:
    """``count`` rows in one INSERT; with ``returning``, skipping stored UUIDs and naming those inserted."""
    postgres = dialect == "postgresql"
    mark = "%s" if postgres else "?"
    row = ", ".join(f"{mark}::jsonb" if postgres and column in _JSON else mark for column in COLUMNS)
    values = ", ".join([f"({row})"] * count)
    statement = f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES {values}"
    return f"{statement} ON CONFLICT (uuid) DO NOTHING RETURNING uuid" if returning else statement


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

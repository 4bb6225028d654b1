"""Engines, sessions and migrations.

:func:`make_engine` opens SQLite with WAL, foreign keys and a busy timeout (so several workers and
threads share one file safely) or PostgreSQL through psycopg. A SQLite transaction takes the write
lock when it begins, unless its connection only reads (:func:`read_session_factory`);
:func:`reading` gives the reads that come before a session's writes such a connection, so that
work between the reads and the writes (checking a batch) does not hold other writers up.
:func:`upgrade` applies the Alembic migrations; :func:`ensure_schema` does so on first run, so
the default SQLite file is created by simply starting the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _json(value: Any) -> str:
    """JSON columns written by msgspec: several times faster than the standard library's encoder."""
    return msgspec.json.encode(value).decode()


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite tuned for concurrent, durable writes."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        options = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=options, json_serializer=_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, json_serializer=_json)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "tanfang_read_only"  # an execution option: the session only reads


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers wait for each other instead of
    # failing half-way with "database is locked" when one upgrades a read to a write. A reader
    # begins DEFERRED: under WAL it takes no lock at all, so it never waits for a writer (a guard
    # reading who is asking must not queue behind a request that holds the write lock).
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (templates receive plain data)."""
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite they take no lock and wait for no writer."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


@contextmanager
def reading(db: Session) -> Iterator[Connection]:
    """A connection for the reads that come before ``db``'s writes, without taking SQLite's write lock.

    On SQLite, when ``db`` has not begun a transaction, a connection of its own that only reads
    (closed when the block ends, before ``db`` begins); otherwise ``db``'s own connection, which
    then sees its uncommitted work (PostgreSQL takes no lock for a read).
    """
    bind = db.get_bind()
    if bind.dialect.name != "sqlite" or db.in_transaction():
        yield db.connection()
        return
    with bind.connect().execution_options(**{READ_ONLY: True}) as connection:
        yield connection


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, committed when the block succeeds and rolled back when it raises."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    """The Alembic configuration for ``url``, pointing at our migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def ensure_schema(engine: Engine) -> None:
    """Create the schema on first run; upgrade a database that is behind."""
    if not inspect(engine).has_table("alembic_version") or _behind(engine):
        upgrade(engine.url.render_as_string(hide_password=False))


def _behind(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() != head

"""``survey serve``, ``survey db upgrade``, and the ``--db`` option with its database for every command."""

from __future__ import annotations

import argparse
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session as DbSession


def add_db_option(command: argparse.ArgumentParser) -> None:
    """``--db URL``: the database for this command (else SURVEY_DATABASE_URL, else a SQLite file here)."""
    command.add_argument(
        "--db", metavar="URL", help="database URL (default: SURVEY_DATABASE_URL or ./tanfang.sqlite3)"
    )


@contextmanager
def database(args: argparse.Namespace) -> Iterator[DbSession]:
    """A transaction on the command's database (``--db``), its schema made first."""
    from survey.cli import settings_for
    from survey.store import db as store

    engine = store.make_engine(settings_for(args).database_url)
    try:
        store.ensure_schema(engine)
        with store.transaction(store.session_factory(engine)) as db:
            yield db
    finally:
        engine.dispose()


def serve(args: argparse.Namespace) -> int:
    """Run the app with uvicorn; several workers share the database and nothing else.

    The schema is created or upgraded once here, before any worker starts, so workers never race
    to migrate. Each worker builds its app in ``survey.asgi`` (through :func:`worker_app`) from the
    ``SURVEY_*`` environment, which is why the chosen database is passed on as ``SURVEY_DATABASE_URL``.
    uvicorn stops gracefully on SIGTERM or Ctrl-C: it stops accepting, lets requests in flight finish
    (up to 30 s), then exits; a batch cut short is rolled back whole by the database.
    """
    import uvicorn

    from survey.cli import settings_for
    from survey.store import db

    settings = settings_for(args)
    engine = db.make_engine(settings.database_url)
    try:
        db.ensure_schema(engine)
        shown = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()  # no connection crosses into the workers
    os.environ["SURVEY_DATABASE_URL"] = settings.database_url
    workers = max(1, args.workers)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host  # an IPv6 address
    print(
        f"Tanfang serving on http://{host}:{settings.port} "
        f"({workers} worker{'s' if workers > 1 else ''}, database {shown})",
        flush=True,
    )
    uvicorn.run(
        "survey.cli_server:worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="warning",
        timeout_graceful_shutdown=30,
    )
    return 0


def worker_app() -> Any:
    """A worker's app: ``survey.asgi``'s, with what was made at startup put out of the collector's way.

    A worker starts when the database answers (:func:`wait_for_database`): uvicorn starts a new
    worker when one dies, and while PostgreSQL restarts each would otherwise fail at once and be
    started again, about a CPU-second each, until the database is back.

    Everything alive once the app is built (modules, classes, the app itself) lives as long as the
    worker, so ``gc.freeze`` moves it where collections no longer walk it: a full collection then
    looks at what requests made, not at some 200,000 objects each time (on the sync endpoint the
    collector took about a third of the time spent decoding a batch).
    """
    wait_for_database(os.environ.get("SURVEY_DATABASE_URL", ""))
    from survey.asgi import app

    gc.freeze()
    return app


def db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations to the database."""
    from survey.cli import settings_for
    from survey.store import db

    settings = settings_for(args)
    db.upgrade(settings.database_url)
    print(f"database at {db.make_engine(settings.database_url).url!r} is up to date")
    return 0


def register(commands: Any) -> None:
    """Add the server commands to the ``survey`` parser."""
    serve_cmd = commands.add_parser("serve", help="run the server")
    add_db_option(serve_cmd)
    serve_cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port (default 8000)")
    serve_cmd.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve_cmd.set_defaults(run=serve)
    db_cmd = commands.add_parser("db", help="the database")
    db_sub = db_cmd.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the migrations")
    add_db_option(upgrade)
    upgrade.set_defaults(run=db_upgrade)


def wait_for_database(url: str, first: float = 1.0, longest: float = 30.0) -> int:
    """Return once the database at ``url`` answers; until then try again, waiting longer each time.

    Each failed try is one line on stderr saying what the database said and when the next try is
    (``first`` seconds, doubling up to ``longest``). Returns how many tries failed. An empty
    ``url`` (the default database) is not waited for.
    """
    import sys
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from survey.store import db

    failed, delay = 0, first
    while url:
        engine = db.make_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return failed
        except DBAPIError as err:
            said = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            shown = engine.url.render_as_string(hide_password=True)
            print(
                f"survey worker {os.getpid()}: the database {shown} does not answer ({said}); "
                f"trying again in {delay:g} s",
                file=sys.stderr,
                flush=True,
            )
        finally:
            engine.dispose()
        failed += 1
        time.sleep(delay)
        delay = min(delay * 2, longest)
    return failed

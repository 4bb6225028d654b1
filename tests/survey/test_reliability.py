"""The sync contract against a real server process (``survey serve``), killed and restarted.

Each test starts ``python -m survey.cli serve`` on a free loopback port over the test database
(SQLite, or PostgreSQL when SURVEY_TEST_DATABASE_URL is set), with an admin and a fieldworker
created beforehand through survey.domain.accounts. Records are synthetic household visits from
bench/forms.py with a fixed seed. Every test is bounded: a few batches, time-outs on every request.
"""

from __future__ import annotations

import importlib.util
import signal
import sqlite3
import sys
import threading
import time
import uuid as uuidlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import forms
from survey.domain import accounts
from survey.store import db as store
from survey.store.models import Conflict, Submission
from tests.conftest import LIBRARY, ROOT
from tests.survey.conftest import PASSWORD, POSTGRES, auth
from tests.survey.serverproc import ServerProcess

FORM = "household_visit"
VERSION = "2026.1"
SEED = 20261129
TIMEOUT = 60.0


@cache
def answer_pool(size: int = 64) -> tuple[dict[str, Any], ...]:
    """``size`` distinct valid household visits (bench/forms.py's generator, fixed seed)."""
    import random

    path = ROOT / "bench" / "forms.py"
    spec = importlib.util.spec_from_file_location("bench_forms", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)  # it sets sys.path[0] for itself: put ours back after
    finally:
        sys.path[:] = saved
    form = forms.load(LIBRARY / f"{FORM}.toml")
    rng = random.Random(SEED)
    return tuple(module.synthetic_answers(form, rng) for _ in range(size))


def records(count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` valid records with new UUIDs, their answers cycling through the pool."""
    pool = answer_pool()
    return [
        {"uuid": str(uuidlib.uuid4()), "form_version": VERSION, "answers": pool[(start + i) % len(pool)]}
        for i in range(count)
    ]


@pytest.fixture
def tokens(database_url: str) -> dict[str, str]:
    """An admin and a fieldworker on the test database, made before any server starts."""
    engine = store.make_engine(database_url)
    try:
        with store.transaction(store.session_factory(engine)) as db:
            out = {}
            for role in ("admin", "fieldworker"):
                accounts.add_user(db, role, PASSWORD, role)
                out[role] = accounts.create_token(db, role)
            return out
    finally:
        engine.dispose()


@pytest.fixture
def servers(database_url: str) -> Iterator[list[ServerProcess]]:
    """Servers started by the test; every one is killed at the end, whatever happened."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.__exit__(None, None, None)


def serve(servers: list[ServerProcess], database_url: str, tokens: dict[str, str], workers: int = 1) -> ServerProcess:
    """Start a server on the test database and publish the household visit form through it."""
    server = ServerProcess(database_url, workers=workers)
    servers.append(server)
    server.start()
    response = httpx.post(
        f"{server.url}/api/v1/forms",
        content=(LIBRARY / f"{FORM}.toml").read_bytes(),
        headers={**auth(tokens["admin"]), "content-type": "application/toml"},
        timeout=TIMEOUT,
    )
    assert response.status_code in (200, 201), response.text
    return server


def post(server: ServerProcess, token: str, batch: list[dict[str, Any]], client: httpx.Client | None = None) -> list[str]:
    """POST a batch; the status of each record."""
    response = (client or httpx).post(  # type: ignore[attr-defined]
        f"{server.url}/api/v1/forms/{FORM}/submissions",
        content=msgspec.json.encode(batch),
        headers={**auth(token), "content-type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


def stored(database_url: str, uuids: list[str] | None = None) -> int:
    """How many submissions are stored (of ``uuids``, when given)."""
    engine = store.make_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(Submission)
            if uuids is None:
                return int(connection.scalar(query))
            total = 0
            for start in range(0, len(uuids), 500):
                part = uuids[start : start + 500]
                total += int(connection.scalar(query.where(Submission.uuid.in_(part))))
            return total
    finally:
        engine.dispose()


def test_the_same_batch_twice_is_stored_once(database_url: str, tokens: dict[str, str], servers: list[ServerProcess]) -> None:
    server = serve(servers, database_url, tokens)
    assert f"Tanfang serving on {server.url} (1 worker, database " in server.output()
    batch = records(300)
    assert post(server, tokens["fieldworker"], batch) == ["created"] * 300
    assert post(server, tokens["fieldworker"], batch) == ["duplicate"] * 300
    assert stored(database_url) == 300


def test_a_conflict_keeps_the_original_and_the_conflicting_record(
    database_url: str, tokens: dict[str, str], servers: list[ServerProcess]
) -> None:
    server = serve(servers, database_url, tokens)
    (original,) = records(1)
    assert post(server, tokens["fieldworker"], [original]) == ["created"]
    engine = store.make_engine(database_url)
    try:
        with engine.connect() as connection:
            before = connection.execute(select(Submission).where(Submission.uuid == original["uuid"])).one()
        other = {**original, "answers": answer_pool()[1]}
        assert other["answers"] != original["answers"]
        assert post(server, tokens["fieldworker"], [other]) == ["conflict"]
        with engine.connect() as connection:
            after = connection.execute(select(Submission).where(Submission.uuid == original["uuid"])).one()
            kept = connection.execute(select(Conflict).where(Conflict.uuid == original["uuid"])).all()
    finally:
        engine.dispose()
    assert after == before
    assert len(kept) == 1
    assert kept[0].content_hash != before.content_hash
    assert kept[0].answers["members"] == other["answers"]["members"]
    assert stored(database_url) == 1


class Sender(threading.Thread):
    """POST one batch from a thread; ``sent`` is set once the last byte of the body is handed over."""

    def __init__(self, server: ServerProcess, token: str, body: bytes) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.body = server, token, body
        self.sent = threading.Event()
        self.sent_at = 0.0
        self.answered_at = 0.0
        self.response: httpx.Response | None = None
        self.error: Exception | None = None

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), 1 << 16):
            yield self.body[start : start + (1 << 16)]
        self.sent_at = time.monotonic()
        self.sent.set()

    def run(self) -> None:
        headers = {**auth(self.token), "content-type": "application/json", "content-length": str(len(self.body))}
        try:
            self.response = httpx.post(
                f"{self.server.url}/api/v1/forms/{FORM}/submissions", content=self.chunks(), headers=headers, timeout=TIMEOUT
            )
            self.answered_at = time.monotonic()
        except httpx.TransportError as err:
            self.error = err
        finally:
            self.sent.set()


def test_a_server_killed_mid_batch_stores_all_or_nothing_and_the_resend_stores_each_once(
    database_url: str, tokens: dict[str, str], servers: list[ServerProcess]
) -> None:
    size = 5000
    server = serve(servers, database_url, tokens)
    # How long the server takes over a batch of this size, from the last byte sent to the answer.
    first = records(size)
    timing = Sender(server, tokens["fieldworker"], msgspec.json.encode(first))
    timing.start()
    timing.join(TIMEOUT)
    assert timing.response is not None, timing.error
    assert timing.response.status_code == 200
    assert {r["status"] for r in timing.response.json()["results"]} == {"created"}
    busy = timing.answered_at - timing.sent_at
    # Kill the server part-way through a batch: early (while it validates) and late (while it
    # writes). Whatever the moment, the batch is stored whole or not at all; the tablet, which got
    # no answer, resends it after the restart, and every record is then stored exactly once.
    killed_mid_request = 0
    for n, share in enumerate((0.3, 0.85), start=1):
        batch = records(size, start=n)
        uuids = [r["uuid"] for r in batch]
        sender = Sender(server, tokens["fieldworker"], msgspec.json.encode(batch))
        sender.start()
        assert sender.sent.wait(TIMEOUT)
        time.sleep(busy * share)
        server.kill()
        sender.join(TIMEOUT)
        assert not sender.is_alive()
        kept = stored(database_url, uuids)
        print(f"batch of {size}: {busy:.2f} s in the server; killed after {busy * share:.2f} s; {kept} stored")
        assert kept in (0, size), f"a batch was half-written: {kept} of {size} records stored"
        killed_mid_request += sender.response is None
        server.start()
        again = post(server, tokens["fieldworker"], batch)
        assert set(again) == ({"created"} if kept == 0 else {"duplicate"})
        assert stored(database_url, uuids) == size
    assert killed_mid_request, f"the server always answered (within {busy:.2f} s) before it was killed"
    assert stored(database_url) == 3 * size
    assert post(server, tokens["fieldworker"], batch) == ["duplicate"] * size
    server.stop()
    if not POSTGRES:
        path = make_url(database_url).database
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("SELECT COUNT(DISTINCT uuid), COUNT(*) FROM submissions").fetchone() == (
                3 * size, 3 * size
            )


def test_sigterm_lets_the_batch_in_flight_finish(
    database_url: str, tokens: dict[str, str], servers: list[ServerProcess]
) -> None:
    server = serve(servers, database_url, tokens)
    batch = records(2000)
    sender = Sender(server, tokens["fieldworker"], msgspec.json.encode(batch))
    sender.start()
    assert sender.sent.wait(TIMEOUT)
    time.sleep(0.2)
    # SIGTERM: uvicorn stops listening, finishes the request, then exits by the same signal
    assert server.stop() in (0, -signal.SIGTERM)
    sender.join(TIMEOUT)
    assert sender.response is not None, sender.error
    assert sender.response.status_code == 200
    assert {r["status"] for r in sender.response.json()["results"]} == {"created"}
    assert stored(database_url) == len(batch)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/health", timeout=2)


@pytest.mark.skipif(not POSTGRES, reason="several workers against one database: PostgreSQL only")
def test_two_workers_and_twenty_clients_store_every_record_once(
    database_url: str, tokens: dict[str, str], servers: list[ServerProcess]
) -> None:
    server = serve(servers, database_url, tokens, workers=2)
    clients, per_client, batch_size = 20, 500, 100

    def client(n: int) -> list[str]:
        out: list[str] = []
        mine = records(per_client, start=n)
        with httpx.Client(timeout=TIMEOUT) as http:
            for start in range(0, per_client, batch_size):
                out += post(server, tokens["fieldworker"], mine[start : start + batch_size], client=http)
        return out

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    assert [len(r) for r in results] == [per_client] * clients
    assert {s for r in results for s in r} == {"created"}
    assert stored(database_url) == clients * per_client
    assert server.running

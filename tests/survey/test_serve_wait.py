"""A server worker waits for its database instead of failing at once; readiness says when it is away.

uvicorn starts a new worker when one dies; while PostgreSQL restarts, each new worker used to
fail at import and be started again, about a CPU-second each time, until the database was back.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from litestar.testing import TestClient

from survey.app import create_app
from survey.cli_server import wait_for_database
from survey.settings import Settings
from survey.store import db as store


def test_a_worker_waits_until_the_database_answers_saying_why(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A SQLite file in a folder not made yet cannot be opened; once the folder exists, it can."""
    folder = tmp_path / "mounted-later"
    url = f"sqlite:///{folder}/tanfang.sqlite3"
    later = threading.Timer(0.5, folder.mkdir)
    later.start()
    try:
        failed = wait_for_database(url, first=0.1, longest=0.2)
    finally:
        later.cancel()
    assert failed >= 2  # 0.1 s, then 0.2 s, …: the folder came after half a second
    said = capfd.readouterr().err.splitlines()
    assert len(said) == failed
    assert "does not answer (unable to open database file); trying again in 0.1 s" in said[0]
    assert said[1].endswith("trying again in 0.2 s")
    assert wait_for_database(url) == 0  # answering now: no wait at all


def test_the_default_database_is_not_waited_for() -> None:
    assert wait_for_database("") == 0


def test_readiness_says_when_the_database_does_not_answer(tmp_path: Path) -> None:
    """/health stays 200 (the process answers); /health/ready is 503 with what the database said."""
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder}/tanfang.sqlite3"
    store.upgrade(url)
    app = create_app(Settings(database_url=url))
    with TestClient(app) as client:
        assert client.get("/health/ready").json() == {"status": "ok", "database": "ok"}
        app.state.engine.dispose()  # no connection left open to the file
        shutil.rmtree(folder)  # the disk the database was on is gone
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unable to open database file"}
        assert response.headers["Retry-After"] == "30"
        assert client.get("/health").status_code == 200

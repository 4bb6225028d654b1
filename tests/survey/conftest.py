"""Fixtures for the server: a real database (a SQLite file, or PostgreSQL when configured) per test.

Set ``SURVEY_TEST_DATABASE_URL`` to a PostgreSQL URL to run every server test against it (CI does);
otherwise each test gets its own SQLite file. PostgreSQL is migrated once per run and emptied
before each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar.testing import TestClient

from survey.app import create_app
from survey.domain import accounts
from survey.settings import Settings
from survey.store import db as store
from tests.survey.serverproc import POSTGRES, empty

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lowest cost in tests: they are about who gets in, not about slowing guessers."""
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    store.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _postgres_ready() -> str:
    store.upgrade(POSTGRES)
    return POSTGRES


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for this test."""
    if POSTGRES:
        url = request.getfixturevalue("_postgres_ready")
        empty(url)
        return url
    path = tmp_path / "tanfang.sqlite3"
    shutil.copy(request.getfixturevalue("_sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test app on the test database."""
    return Settings(database_url=database_url, max_body_bytes=5_000_000)


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    """The app, built as production builds it."""
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client for the app (no credentials)."""
    with TestClient(app) as test_client:
        yield test_client


def make_user(app, username: str, role: str) -> str:  # type: ignore[no-untyped-def]
    """Create a user with ``role`` and return a bearer token for them."""
    with app.state.sessions() as db, db.begin():
        accounts.add_user(db, username, PASSWORD, role)
        return accounts.create_token(db, username)


@pytest.fixture
def tokens(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A bearer token per role: admin, planner, designer, fieldworker."""
    return {role: make_user(app, role, role) for role in ("admin", "planner", "designer", "fieldworker")}


def auth(token: str) -> dict[str, str]:
    """The header that sends ``token``."""
    return {"Authorization": f"Bearer {token}"}

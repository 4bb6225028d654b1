"""`survey users add` and `survey tokens create`, run as a user runs them: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient

from survey.app import create_app
from survey.domain import accounts
from survey.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long pass phrase"


@pytest.fixture
def fresh_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet: the commands must create the schema themselves."""
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def survey(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``survey ARGS...`` with ``SURVEY_DATABASE_URL`` set to ``url`` and ``stdin`` piped in."""
    env = {**os.environ, "SURVEY_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "survey.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_users_add_reads_the_password_from_stdin(fresh_url: str) -> None:
    """`users add` creates the user on a new database with the password piped on stdin."""
    done = survey(fresh_url, "users", "add", "ana", "--role", "planner", stdin=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert "ana" in done.stdout
    app = create_app(Settings(database_url=fresh_url))
    with app.state.sessions() as db:
        user = accounts.authenticate(db, "ana", PASSWORD)
        assert user is not None
        assert accounts.roles_of(db, user.id) == {"planner"}


def test_tokens_create_prints_only_a_token_that_opens_the_api(fresh_url: str) -> None:
    """`tokens create` prints the token alone, and that token authenticates against an app on the same database."""
    assert survey(fresh_url, "users", "add", "ana", "--role", "planner", stdin=PASSWORD).returncode == 0
    done = survey(fresh_url, "tokens", "create", "ana", "--name", "ana's laptop")
    assert done.returncode == 0, done.stderr
    token = done.stdout.removesuffix("\n")
    assert token
    assert token.strip() == token
    assert "\n" not in token
    with TestClient(create_app(Settings(database_url=fresh_url))) as client:
        assert client.get("/api/v1/forms", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_db_option_chooses_the_database(fresh_url: str, tmp_path: Path) -> None:
    """`--db URL` wins over SURVEY_DATABASE_URL."""
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert (
        survey(fresh_url, "users", "add", "ana", "--role", "admin", "--db", other, stdin=PASSWORD).returncode
        == 0
    )
    assert survey(other, "tokens", "create", "ana").returncode == 0
    assert survey(fresh_url, "tokens", "create", "ana").returncode == 1


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("users", "add", "ana", "--role", "boss"), PASSWORD, "unknown role 'boss'"),
        (("users", "add", "ana", "--role", "planner"), "short\n", "at least 8 characters"),
        (("users", "add", "ana", "--role", "planner"), "", "at least 8 characters"),
        (("tokens", "create", "nobody"), "", "no active user named 'nobody'"),
    ],
)
def test_a_refused_command_says_why_on_stderr_and_exits_1(
    fresh_url: str, args: tuple[str, ...], stdin: str, message: str
) -> None:
    """A bad role, a short password or an unknown user: a message on stderr, nothing on stdout, exit 1."""
    done = survey(fresh_url, *args, stdin=stdin)
    assert done.returncode == 1
    assert message in done.stderr
    assert done.stdout == ""


def test_users_add_refuses_a_taken_name(fresh_url: str) -> None:
    """Adding a user whose name is taken fails with exit 1 and leaves the first user as it was."""
    assert survey(fresh_url, "users", "add", "ana", "--role", "planner", stdin=PASSWORD).returncode == 0
    done = survey(fresh_url, "users", "add", "ana", "--role", "admin", stdin="another password")
    assert done.returncode == 1
    assert "already exists" in done.stderr
    app = create_app(Settings(database_url=fresh_url))
    with app.state.sessions() as db:
        assert accounts.authenticate(db, "ana", PASSWORD) is not None

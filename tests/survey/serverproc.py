"""A real Tanfang server in a subprocess: ``python -m survey.cli serve`` on a free loopback port.

    with ServerProcess(database_url, workers=2) as server:
        httpx.get(server.url + "/health")
        server.kill()      # SIGKILL, the whole process group (uvicorn's workers too)
        server.start()     # again, on the same database and port

:func:`fresh_database` gives it a database: a new SQLite file, or the PostgreSQL database named by
``SURVEY_TEST_DATABASE_URL``, emptied. The server runs in its own session (process group), so :meth:`kill` and :meth:`stop` reach every
worker uvicorn spawned. What it prints goes to a log file, shown when it fails to start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from sqlalchemy import text

from survey.store import db as store
from survey.store.models import Base

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("SURVEY_TEST_DATABASE_URL", "")
"""A PostgreSQL URL to run every test that has a database against (CI sets it); else SQLite files."""


def empty(url: str) -> None:
    """Every table of a migrated PostgreSQL database emptied, its identities restarted."""
    engine = store.make_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


def fresh_database(path: Path) -> str:
    """A migrated, empty database for a server: ``SURVEY_TEST_DATABASE_URL``'s, else a SQLite file at ``path``."""
    if not POSTGRES:
        url = f"sqlite:///{path}"
        store.upgrade(url)
        return url
    store.upgrade(POSTGRES)
    empty(POSTGRES)
    return POSTGRES


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """``survey serve`` on ``database_url``, started and stopped on demand."""

    def __init__(self, database_url: str, *, workers: int = 1, port: int | None = None) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="tanfang-server-", suffix=".log")[1])

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the server and wait until ``/health`` answers."""
        if self.running:
            raise RuntimeError("the server is already running")
        command = [sys.executable, "-m", "survey.cli", "serve", "--db", self.database_url, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer /health within {timeout} s:\n{self.output()}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL every process of the server at once: no clean-up, as in a power cut."""
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=10)
        self._reap_group()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (uvicorn finishes requests in flight and exits); SIGKILL after ``timeout``."""
        if self.process is None:
            return None
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()
        return self.process.returncode

    def output(self) -> str:
        """What the server printed so far (the last 4,000 characters)."""
        return self.log.read_text(errors="replace")[-4000:]

    def _signal(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def _reap_group(self) -> None:
        """Wait (briefly) until no live process of the group is left, so the port and database are free."""
        if self.process is None:
            return
        deadline = time.monotonic() + 10
        while _live_members(self.process.pid) and time.monotonic() < deadline:
            self._signal(signal.SIGKILL)  # a worker left behind by its parent
            time.sleep(0.05)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.running:
            self.kill()
        self._reap_group()
        self.log.unlink(missing_ok=True)


def _live_members(group: int) -> list[int]:
    """The processes of a process group that are not zombies (Linux: read from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members

"""Browser tests: Debian's Chromium driven by Playwright against a real server process.

The server is ``survey serve`` on a database seeded here (users, the library's household form, a
small visit form, assignments) — a SQLite file, or the PostgreSQL database named by
``SURVEY_TEST_DATABASE_URL``, emptied first; the browser is ``/usr/bin/chromium`` (``.ci/run`` installs the
Debian package; Playwright never downloads a browser). Screenshots go to ``tests/browser/screenshots/``
(or ``$TANFANG_SCREENSHOTS``; not committed), where people look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import select

from survey.domain import accounts, admin, publishing
from survey.store import db as store
from survey.store.models import Site, User
from tests.survey.serverproc import ROOT, ServerProcess, fresh_database

CHROMIUM = os.environ.get("TANFANG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
SHOTS = Path(os.environ.get("TANFANG_SCREENSHOTS", ROOT / "tests" / "browser" / "screenshots"))
TABLET = {"width": 800, "height": 1280}
TABLET_LANDSCAPE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# what the machine's notes say headless Chromium needs here: no sandbox as root, and no calls home
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VISIT = b"""
id = "visit"
title = {zh = "\xe6\x8e\xa2\xe8\xae\xbf\xe8\xae\xb0\xe5\xbd\x95", en = "Visit record"}
version = "1"

[[questions]]
type = "group"
name = "about"
label = {zh = "\xe5\x9f\xba\xe6\x9c\xac\xe6\x83\x85\xe5\x86\xb5", en = "About"}

[[questions.questions]]
type = "integer"
name = "age"
label = {zh = "\xe5\xb9\xb4\xe9\xbe\x84", en = "Age"}
required = true
minimum = 0
maximum = 120

[[questions.questions]]
type = "select_one"
name = "lives_alone"
label = {zh = "\xe7\x8b\xac\xe5\xb1\x85\xe5\x90\x97", en = "Lives alone?"}
choices = "yesno"
required = true

[[questions.questions]]
type = "text"
name = "visits"
label = {zh = "\xe8\xb0\x81\xe6\x9d\xa5\xe6\x8e\xa2\xe6\x9c\x9b", en = "Who visits?"}
relevant = "${lives_alone} = 'yes'"
required = true

[[questions]]
type = "geopoint"
name = "where"
label = {zh = "\xe4\xbd\x8d\xe7\xbd\xae", en = "Where"}

[[choices.yesno]]
name = "yes"
label = {zh = "\xe6\x98\xaf", en = "Yes"}

[[choices.yesno]]
name = "no"
label = {zh = "\xe5\x90\xa6", en = "No"}
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium for the whole run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does: apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def seed(database_url: str) -> None:
    """Users, a site, the household and visit forms, both assigned to the fieldworker."""
    store.upgrade(database_url)
    factory = store.session_factory(store.make_engine(database_url))
    with factory() as db, db.begin():
        boss = accounts.add_user(db, "admin", PASSWORD, "admin")
        worker = accounts.add_user(db, "fieldworker", PASSWORD, "fieldworker")
        household = (ROOT / "forms" / "library" / "household_visit.toml").read_bytes()
        publishing.publish(db, household, "toml", "household_visit.toml", by=boss.id)
        publishing.publish(db, VISIT, "toml", "visit.toml", by=boss.id)
        db.add(Site(code="nangui", name="南桂社区", kind="community"))
        db.flush()
        site = db.scalars(select(Site.id)).one()
        assert admin.assign(db, worker.id, ["household_visit", "visit"], site, boss.id) == ()
        assert db.scalars(select(User)).all()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh seeded database and a real server on it."""
    url = fresh_database(tmp_path / "tanfang.sqlite3")
    seed(url)
    with ServerProcess(url) as running:
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, IndexedDB, caches) at tablet size, in Chinese."""
    ctx = browser.new_context(viewport=TABLET, locale="zh-CN", service_workers="allow")
    yield ctx
    ctx.close()


def sign_in(
    page: Page, server: ServerProcess, username: str = "fieldworker", next_path: str = "/collect"
) -> None:
    """Sign in through the real form and land on ``next_path``."""
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}{next_path}*")


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot in the screenshots folder."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def console_errors(page: Page) -> list[str]:
    """Collect the page's JavaScript errors (uncaught exceptions and console.error, with the URL it names)."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    page.on(
        "console",
        lambda message: found.append(f"{message.text} {message.location.get('url', '')}".strip())
        if message.type == "error"
        else None,
    )
    page.on("response", lambda r: found.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return found


def own_errors(found: list[str]) -> list[str]:
    """The page's own errors: not the loads the network refused, which the test checks the page survives.

    Offline, a load fails (ERR_INTERNET_DISCONNECTED); and the service worker answers a load it
    cannot fetch within 5 s, and has no copy of, with a network error (ERR_FAILED) — on a loaded
    machine, a page the home screen precaches can take that long.
    """
    return [e for e in found if not e.startswith("Failed to load resource: net::ERR_")]


def stored(database_url: str, form_id: str) -> list[Any]:
    """The records stored for ``form_id``, oldest first."""
    from survey.store.models import Submission

    factory = store.session_factory(store.make_engine(database_url))
    with factory() as db:
        return list(
            db.scalars(select(Submission).where(Submission.form_id == form_id).order_by(Submission.id))
        )


__all__ = ["shutil"]

"""The planner's dashboard and the proposal draft in Chromium at tablet size, with screenshots to look at.

The server runs on a database holding the school social-work questionnaire and the demo's 560
records; the screenshots go to tests/browser/screenshots/ (dashboard-tablet.png,
dashboard-needs-tablet.png, proposal-tablet.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from survey.domain import accounts, demo_data, publishing, sync
from survey.store import db as store
from survey.store.models import User
from tests.browser.conftest import PASSWORD, TABLET, console_errors, shot, sign_in
from tests.survey.serverproc import ROOT, ServerProcess, fresh_database

FORM = "school_social_work"


@pytest.fixture
def needs_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on a database with a designer and the school questionnaire's demo records."""
    url = fresh_database(tmp_path / "needs.sqlite3")
    engine = store.make_engine(url)
    with store.transaction(store.session_factory(engine)) as db:
        accounts.add_user(db, "designer", PASSWORD, "designer")
        worker = accounts.add_user(db, "fieldworker", PASSWORD, "fieldworker")
        data = (ROOT / "forms" / "library" / f"{FORM}.toml").read_bytes()
        version, _, _ = publishing.publish(db, data, "toml", f"{FORM}.toml")
        records = demo_data.records(
            publishing.compiled(version), demo_data.PROFILES[FORM], demo_data.RESPONSES[FORM]
        )
        for r in records:
            r.pop("site", None)
        sync.accept(db, FORM, records, worker.id)
        assert db.scalar(select(User.id).where(User.username == "designer"))
    engine.dispose()
    with ServerProcess(url) as running:
        yield running


def test_the_dashboard_and_the_proposal_read_well_on_a_tablet(
    context: BrowserContext, needs_server: ServerProcess
) -> None:
    """At 800×1280 the dashboard shows the heat map and the ranked needs without sideways scrolling, and the proposal its sections."""
    page = context.new_page()
    page.set_viewport_size(TABLET)
    errors = console_errors(page)
    sign_in(page, needs_server, "designer", f"/dashboard/{FORM}")
    expect(page.locator("h1")).to_contain_text("驻校社工")
    expect(page.locator("#heat table")).to_be_visible()
    expect(page.locator("#ranked svg.chart").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    shot(page, "dashboard-tablet")
    page.locator("#ranked").scroll_into_view_if_needed()
    page.locator("#ranked details summary").first.click()
    expect(page.locator("#ranked details .key").first).to_be_visible()
    page.locator("#ranked").screenshot(path=str(shot(page, "dashboard-needs-tablet")))
    page.goto(f"{needs_server.url}/design/{FORM}/proposal")
    for heading in (
        "一、项目背景",
        "二、需求分析",
        "三、服务目标",
        "四、服务内容",
        "五、实施计划",
        "六、评估指标",
        "七、风险",
    ):
        expect(page.locator("article h2", has_text=heading)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    shot(page, "proposal-tablet")
    assert errors == []

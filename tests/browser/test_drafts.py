"""Drafts, languages, signing out and location in the fieldwork client (Debian's Chromium, a real server).

What a fieldworker meets between records: switching 中文/English keeps what was typed; a draft
begun on one version of a form stays on it after a new version is published; signing out with
records still in the outbox is refused with the reason; "Use my location" fills a geopoint.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext

from survey.domain import publishing
from survey.store import db as store
from tests.browser.conftest import TABLET, VISIT, sign_in
from tests.browser.fieldwork import fill_record, ready_offline, submit, unsent, wait_for
from tests.browser.test_fieldwork import visit
from tests.survey.serverproc import ServerProcess


def test_switching_language_keeps_what_was_typed(server: ServerProcess, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    assert page.locator("h1").inner_text() == "探访记录"
    page.fill("input[name=age]", "67")
    page.check("input[name=lives_alone][value=yes]")
    page.click("header a[href^='/lang/en']")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_function("document.querySelector('input[name=age]').value === '67'")
    assert page.locator("h1").inner_text() == "Visit record"
    assert page.locator("input[name=lives_alone][value=yes]").is_checked()
    assert page.locator("input[name=visits]").is_visible()  # the logic ran on the restored answers


def test_a_draft_stays_on_its_version_after_a_new_one_is_published(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    page.fill("input[name=age]", "77")
    page.wait_for_timeout(500)  # the draft is saved as the fieldworker types
    factory = store.session_factory(store.make_engine(server.database_url))
    with factory() as db, db.begin():
        newer = VISIT.replace(b'version = "1"', b'version = "2"').replace(
            b"[[choices.yesno]]", b'[[questions]]\ntype = "text"\nname = "note"\nlabel = {zh = "x", en = "Note"}\n\n[[choices.yesno]]', 1
        )
        publishing.publish(db, newer, "toml", "visit2.toml")
    page.goto(f"{server.url}/collect")
    page.locator("[data-drafts] a").click()
    page.wait_for_function("document.querySelector('input[name=age]').value === '77'")
    assert "?version=1" in page.url
    assert page.locator("input[name=note]").count() == 0  # version 2's new question is not in it
    fill_record(page, {"lives_alone": "no"})
    submit(page)
    assert "?version" not in page.url  # the next record starts on the latest version
    assert page.locator("input[name=note]").count() == 1


def test_signing_out_with_unsent_records_is_refused_with_the_reason(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    ready_offline(page)
    context.set_offline(True)
    fill_record(page, visit(66))
    submit(page)
    page.click("header form[action='/logout'] button")
    notice = page.locator("#notice")  # it says "saved to the outbox" until the refusal replaces it
    page.wait_for_function("document.querySelector('#notice').getAttribute('role') === 'alert'")
    assert "1" in notice.inner_text()
    assert "退出" in notice.inner_text()
    assert page.url.endswith("/collect/visit")
    assert unsent(page) == 1
    context.set_offline(False)
    wait_for(lambda: unsent(page) == 0 or None, what="the outbox to empty")
    page.click("header form[action='/logout'] button")  # nothing unsent: now it signs out
    page.wait_for_url("**/login")


def test_use_my_location_fills_the_geopoint(server: ServerProcess, browser: Browser) -> None:
    context = browser.new_context(
        viewport=TABLET, locale="zh-CN", geolocation={"latitude": 23.0291, "longitude": 113.1056, "accuracy": 12},
        permissions=["geolocation"],
    )
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    page.fill("input[name=age]", "70")
    page.check("input[name=lives_alone][value=no]")
    page.click("[data-next]")  # the location is asked on the next screen
    page.click("[data-locate]")
    page.wait_for_function("document.querySelector('input[name=where]').value !== ''")
    latitude, longitude, _, accuracy = page.locator("input[name=where]").input_value().split()
    assert (float(latitude), float(longitude), accuracy) == (23.0291, 113.1056, "12")
    context.close()

"""The facilitator's guide in Debian's Chromium against a real server: issue 5's browser acceptance.

A focus group from the library outline is run on a tablet with the network gone — a roster of
eight, notes on every topic, ten quotes taken with the quick capture — then the network returns
and the session arrives on the server once, complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from forms import formats
from survey.domain import admin, publishing
from survey.store import db as store
from survey.store.models import Site, User
from tests.browser.conftest import ROOT, console_errors, own_errors, seed, shot, sign_in, stored
from tests.browser.fieldwork import ready_offline, unsent, wait_controlled, wait_for
from tests.survey.serverproc import ServerProcess, fresh_database

OUTLINE = ROOT / "forms" / "library" / "residents_focus_group.toml"
FORM = "residents_focus_group"
SESSION = {"session_date": "2026-09-12", "facilitator": "SW-03", "n_participants": "8"}
CHOSEN = {"site": "nangui", "group_focus": "older_people", "consent": "yes"}
AGES = ["a60_79", "a80_plus", "a60_79", "a40_59", "a60_79", "a80_plus", "a60_79", "a18_39"]
QUOTES = [  # (topic, participant, words)
    ("community_life", "P01", "儿子在外地，平时一个人在家，一天都没人说话。"),
    ("community_life", "P02", "楼里的邻居我一个都不认识，关上门谁也不理谁。"),
    ("daily_difficulties", "P03", "去医院排队挂号要一上午，我腿脚不好，没人陪诊。"),
    ("daily_difficulties", "P04", "有事可以打我电话13800138000，我帮大家问。"),
    ("older_people_care", "P05", "照顾老伴十年了，好累，一点自己的时间都没有。"),
    ("older_people_care", "P06", "我住3栋502室，下不了楼，洗澡都要等女儿来。"),
    ("children_youth", "P07", "孙子放学没人接，只能自己在家看电视。"),
    ("newcomers", "P08", "刚搬来听不懂粤语，办居住证跑了很多次。"),
    ("services_ideas", "P01", "社工站有什么活动我们都不知道，没听说过。"),
    ("wrap_up", "P03", "最重要是有人定期上门看看我们这些独居的。"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The browser tests' seeded database, plus the focus-group outline assigned to the fieldworker."""
    url = fresh_database(tmp_path / "tanfang.sqlite3")
    seed(url)
    factory = store.session_factory(store.make_engine(url))
    with factory() as db, db.begin():
        publishing.publish(db, OUTLINE.read_bytes(), "toml", OUTLINE.name)
        worker = db.scalars(select(User.id).where(User.username == "fieldworker")).one()
        site = db.scalars(select(Site.id).where(Site.code == "nangui")).one()
        assert admin.assign(db, worker, [FORM], site, None) == ()
    with ServerProcess(url) as running:
        yield running


def fill_session(page: Page) -> None:
    """The session questions, eight participants, notes on every topic and ten quick quotes."""
    for name, value in SESSION.items():
        page.fill(f'[name="{name}"]', value)
    for name, value in CHOSEN.items():
        page.check(f'[name="{name}"][value="{value}"]')
    for n in range(1, 9):
        if n > 1:
            page.click('[data-add="roster"]')
        row = f"roster[{n}]"
        page.fill(f'[name="{row}.p_code"]', f"P0{n}")
        page.check(f'[name="{row}.p_age_band"][value="{AGES[n - 1]}"]')
        page.check(f'[name="{row}.p_sex"][value="{"female" if n % 2 else "male"}"]')
        page.check(f'[name="{row}.p_group"][value="{"migrants" if n == 8 else "older_people"}"]')
        page.check(f'[name="{row}.p_consent"][value="yes"]')
    topics = page.eval_on_selector_all("[data-topic]", "cards => cards.map(c => c.dataset.topic)")
    for topic in topics:
        card = page.locator(f'[data-topic="{topic}"]')
        card.locator("[data-start-topic]").click()
        card.locator("textarea[name^='notes.']").fill(f"{topic}：大家轮流发言。P01：同意前面的说法。")
    for topic, who, words in QUOTES:
        card = page.locator(f'[data-topic="{topic}"]')
        card.locator("[data-who] button", has_text=who).click()
        card.locator("[data-capture-text]").fill(words)
        card.locator("[data-add-quote]").click()
    assert page.locator("[data-quote]").count() == len(QUOTES)


def test_a_focus_group_run_offline_on_a_tablet_arrives_once_and_complete(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    errors = console_errors(page)
    sign_in(page, server)
    wait_controlled(page)
    page.goto(f"{server.url}/collect/{FORM}")
    ready_offline(page)
    wait_for(
        lambda: page.evaluate(
            "caches.open('tanfang-pages').then(c => c.match('/static/js/session.js')).then(Boolean)"
        )
    )
    context.set_offline(True)
    page.reload()  # from the service worker's cache
    assert page.locator("h1").inner_text() == "居民焦点小组访谈提纲"
    fill_session(page)
    shot(page, "session-tablet")
    page.click("[data-save]")
    page.wait_for_selector("#notice")
    assert unsent(page) == 1
    assert stored(server.database_url, FORM) == []

    context.set_offline(False)
    wait_for(lambda: stored(server.database_url, FORM), what="the session on the server")
    wait_for(lambda: unsent(page) == 0 or None, what="the outbox to empty")
    page.click("[data-sync-now]")  # a second sync sends nothing more
    (record,) = stored(server.database_url, FORM)
    answers = record.answers
    outline = formats.load(OUTLINE)
    assert [p["p_code"] for p in answers["roster"]] == [f"P0{n}" for n in range(1, 9)]
    assert all(p["p_consent"] == "yes" for p in answers["roster"])
    assert sorted(answers["notes"]) == sorted(t.name for t in outline.topics)
    assert [(q["topic"], q["participant"], q["text"]) for q in answers["quotes"]] == sorted(
        QUOTES, key=lambda q: [t.name for t in outline.topics].index(q[0])
    )
    assert sum(answers["timing"].values()) > 0  # the topic clocks ran while quotes were typed
    assert {k: answers[k] for k in CHOSEN} == CHOSEN
    assert answers["n_participants"] == 8
    assert record.dropped == []
    assert own_errors(errors) == []  # offline fetches fail, as they should


def test_a_session_draft_survives_a_closed_page_with_its_participants_and_quotes(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, server, next_path=f"/collect/{FORM}")
    for n, code in ((1, "P01"), (2, "P02")):
        if n > 1:
            page.click('[data-add="roster"]')
        page.fill(f'[name="roster[{n}].p_code"]', code)
        page.check(f'[name="roster[{n}].p_consent"][value="yes"]')
    card = page.locator('[data-topic="newcomers"]')
    card.locator("textarea[name^='notes.']").fill("P02：刚搬来，听不懂粤语。")
    card.locator("[data-who] button", has_text="P02").click()
    card.locator("[data-capture-text]").fill("办居住证跑了很多次。")
    card.locator("[data-add-quote]").click()
    page.wait_for_timeout(600)  # the draft is saved a moment after typing stops
    page.close()

    again = context.new_page()
    again.goto(f"{server.url}/collect")
    again.click("[data-drafts] a")  # Continue
    again.wait_for_function("document.documentElement.dataset.ready")
    assert again.input_value('[name="roster[2].p_code"]') == "P02"
    assert again.is_checked('[name="roster[2].p_consent"][value="yes"]')
    assert again.input_value('[name="notes.newcomers"]') == "P02：刚搬来，听不懂粤语。"
    quote = again.locator('[data-quotes-for="newcomers"] [data-quote]')
    assert quote.count() == 1
    assert quote.locator("[data-participant]").input_value() == "P02"
    assert quote.locator("textarea").input_value() == "办居住证跑了很多次。"
    assert again.locator('[data-topic="newcomers"] [data-who] button').all_inner_texts() == ["P01", "P02"]

"""The fieldwork client in Debian's Chromium against a real server: issue 4's browser acceptance.

(a) the household form with a three-person roster, typed on a tablet, is stored as typed;
(b) offline: the service worker serves the form, 25 records wait in the outbox across a closed
    page, and arrive exactly once when the network returns;
(c) the sync API failing twice (once after storing: the answer lost) still yields each record once;
(d) relevance on the page shows exactly the questions Python's validation keeps;
(e) a session that ends while offline keeps the outbox; after signing in again it is sent;
(f) with JavaScript off, a post shows its errors in place, then goes through.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Route
from sqlalchemy import update

from forms import formats
from forms.validation import validate
from survey.store import db as store
from survey.store.models import Session
from tests.browser.conftest import PASSWORD, ROOT, TABLET, console_errors, own_errors, sign_in, stored
from tests.browser.fieldwork import fill_record, ready_offline, submit, unsent, wait_controlled, wait_for
from tests.survey.serverproc import ServerProcess

HOUSEHOLD: dict[str, Any] = {
    "consent": "yes",
    "visit_date": "2026-11-20",
    "worker_code": "SW012",
    "town": "guicheng",
    "community": "nangui",
    "resp_name": "陈姨",
    "resp_phone": "13800138000",
    "address": "南桂东路 8 号 3 栋 201",
    "housing": "rented",
    "hukou": "local",
    "hh_size": 3,
    "members[1].m_relation": "self",
    "members[1].m_sex": "female",
    "members[1].m_age": 72,
    "members[1].m_disability": "no",
    "members[1].m_needs_care": "yes",
    "members[1].m_employment": "retired",
    "members[2].m_relation": "spouse",
    "members[2].m_sex": "male",
    "members[2].m_age": 75,
    "members[2].m_disability": "yes",
    "members[2].m_needs_care": "yes",
    "members[2].m_employment": "unable",
    "members[3].m_relation": "grandchild",
    "members[3].m_sex": "male",
    "members[3].m_age": 9,
    "members[3].m_disability": "no",
    "members[3].m_needs_care": "no",
    "children_nearby": "far",
    "contact_freq": "monthly",
    "carers": ["family", "neighbours"],
    "care_enough": "not_enough",
    "carer_strain": "often",
    "income_sources": ["pension", "family_support"],
    "income_difficulty": "some",
    "assistance": "none",
    "costly_items": ["medical", "care"],
    "needs": ["elder_care", "health"],
    "services_used": ["family_doctor"],
    "service_barriers": ["unaware"],
    "sought_help": "no",
    "volunteer_interest": "maybe",
    "comments": "希望有人定期上门陪老人聊天",
    "followup_ok": "yes",
}


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """``members[2].m_age`` paths folded into lists of dicts, as the server stores them."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if "[" in path:
            name, rest = path.split("[", 1)
            index, leaf = rest.split("].", 1)
            items = out.setdefault(name, [])
            while len(items) < int(index):
                items.append({})
            items[int(index) - 1][leaf] = value
        else:
            out[path] = value
    return out


def visit(age: int, alone: str = "no") -> dict[str, Any]:
    """Answers to the small visit form."""
    return {"age": age, "lives_alone": alone} | ({"visits": "邻居"} if alone == "yes" else {})


def record_visits(page: Page, server: ServerProcess, ages: range) -> None:
    """Fill and submit one visit record per age (each submit reloads the form, maybe from the cache)."""
    for age in ages:
        fill_record(page, visit(age))
        submit(page)


# ------------------------------------------------------------------------------------------ (a)


def test_a_household_with_a_three_person_roster_is_stored_as_typed(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    errors = console_errors(page)
    sign_in(page, server, next_path="/collect/household_visit")
    fill_record(page, HOUSEHOLD)
    review = page.locator("[data-review-body]").inner_text()
    assert "陈姨" in review
    assert "南桂东路" in review
    submit(page)
    (record,) = wait_for(
        lambda: stored(server.database_url, "household_visit"), what="the record on the server"
    )
    typed = nested(HOUSEHOLD)
    members = [{k: v for k, v in m.items() if k in typed["members"][0]} for m in record.answers["members"]]
    assert members == typed.pop("members")
    assert {k: v for k, v in record.answers.items() if k in typed} == typed
    assert record.dropped == []
    # the calculations the server made agree with the roster typed on the tablet
    assert (record.answers["n_members"], record.answers["n_older"], record.answers["n_children"]) == (3, 2, 1)
    assert wait_for(lambda: unsent(page) == 0 or None, what="the outbox to empty") is True
    assert own_errors(errors) == []


# ------------------------------------------------------------------------------------------ (b)


def test_offline_records_survive_a_closed_page_and_arrive_exactly_once(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, server)
    wait_controlled(page)
    page.goto(f"{server.url}/collect/visit")
    ready_offline(page)
    context.set_offline(True)
    page.reload()  # served by the service worker: the network is gone
    assert page.locator("h1").inner_text() == "探访记录"
    record_visits(page, server, range(60, 85))
    assert unsent(page) == 25
    assert stored(server.database_url, "visit") == []
    page.close()

    again = context.new_page()
    again.goto(f"{server.url}/collect/visit")  # still offline: from the cache, the outbox intact
    wait_for(lambda: unsent(again) == 25 or None, what="the outbox after reopening")
    context.set_offline(False)
    wait_for(lambda: len(stored(server.database_url, "visit")) >= 25 or None, what="25 records on the server")
    wait_for(lambda: unsent(again) == 0 or None, what="the outbox to empty")
    records = stored(server.database_url, "visit")
    assert len(records) == 25
    assert sorted(r.answers["age"] for r in records) == list(range(60, 85))
    assert len({r.uuid for r in records}) == 25


# ------------------------------------------------------------------------------------------ (c)


def test_two_failed_syncs_still_deliver_each_record_once(server: ServerProcess, browser: Browser) -> None:
    context = browser.new_context(viewport=TABLET, locale="zh-CN")
    context.add_init_script("window.TANFANG_SYNC_BASE_MS = 50")  # quick retries for the test
    attempts: list[str] = []

    def flaky(route: Route) -> None:
        attempts.append(route.request.method)
        if len(attempts) == 1:
            route.fulfill(status=500, body="down")  # the server fails before storing anything
        elif len(attempts) == 2:
            route.fetch()  # the server stores the batch...
            route.fulfill(status=500, body="lost")  # ...but its answer never reaches the tablet
        else:
            route.continue_()

    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    ready_offline(page)
    context.set_offline(True)
    record_visits(page, server, range(30, 33))
    context.route("**/api/v1/forms/visit/submissions", flaky)
    context.set_offline(False)
    wait_for(lambda: unsent(page) == 0 or None, what="the outbox to empty")
    records = stored(server.database_url, "visit")
    assert sorted(r.answers["age"] for r in records) == [30, 31, 32]
    assert len(attempts) >= 3
    context.close()


# ------------------------------------------------------------------------------------------ (d)


def python_relevant(compiled: Any, answers: dict[str, Any], path: str) -> bool:
    """Python's verdict: a question is relevant when an answer to it would be kept, not dropped.

    ``answers`` are flat (``members[2].m_age``), as a page posts them, so the probe joins them.
    """
    probe = dict(answers)
    probe.setdefault(path, "x")
    dropped = validate(compiled, probe).dropped  # a dropped repeat is listed once, by its own path
    return not any(path == d or path.startswith((f"{d}[", f"{d}.")) for d in dropped)


ANSWER_SETS = [
    {"consent": "no"},
    {"consent": "yes", "hh_size": 2, "members[1].m_age": 70, "members[2].m_age": 12, "sought_help": "yes"},
    {
        "consent": "yes",
        "hh_size": 1,
        "members[1].m_age": 40,
        "members[1].m_needs_care": "yes",
        "income_difficulty": "very",
    },
    {
        "consent": "yes",
        "hh_size": 3,
        "members[1].m_age": 15,
        "members[2].m_age": 16,
        "members[3].m_age": 61,
        "income_difficulty": "comfortable",
        "sought_help": "no",
    },
]


def test_relevance_on_the_page_is_exactly_pythons(server: ServerProcess, context: BrowserContext) -> None:
    from forms.compiler import compile_form

    compiled = compile_form(formats.load(ROOT / "forms" / "library" / "household_visit.toml"))
    page = context.new_page()
    sign_in(page, server, next_path="/collect/household_visit")
    for answers in ANSWER_SETS:
        page.goto(f"{server.url}/collect/household_visit")
        page.evaluate(
            """(answers) => {
                const form = document.getElementById('entry');
                const set = (name, value) => {
                    for (const el of form.querySelectorAll(`[name="${name}"]`)) {
                        if (el.type === 'radio' || el.type === 'checkbox') el.checked = el.value === String(value);
                        else el.value = String(value);
                    }
                    form.dispatchEvent(new Event('input', {bubbles: true}));
                };
                for (const [name, value] of Object.entries(answers)) set(name, value);
            }""",
            answers,
        )
        shown = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#entry .q[data-path]')]
                 .filter(q => !q.classList.contains('q-calculate'))
                 .map(q => [q.dataset.path, !q.closest('[hidden]')]))"""
        )
        want = {path: python_relevant(compiled, answers, path) for path in shown}
        assert shown == want, answers


# ------------------------------------------------------------------------------------------ (e)


def test_a_session_ending_offline_keeps_the_outbox_until_the_next_sign_in(
    server: ServerProcess, context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    ready_offline(page)
    context.set_offline(True)
    record_visits(page, server, range(40, 43))
    factory = store.session_factory(store.make_engine(server.database_url))
    with factory() as db, db.begin():  # the session expires on the server while the tablet is away
        db.execute(update(Session).values(expires_at=datetime(2000, 1, 1)))
    context.set_offline(False)
    page.click("[data-sync-now]")
    page.wait_for_selector("[data-signin]:not([hidden])")
    assert unsent(page) == 3
    assert stored(server.database_url, "visit") == []
    page.click("[data-signin] a")
    page.fill("#f-username", "fieldworker")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/collect")
    wait_for(
        lambda: len(stored(server.database_url, "visit")) == 3 or None, what="the outbox after signing in"
    )
    wait_for(lambda: unsent(page) == 0 or None, what="the outbox to empty")


# ------------------------------------------------------------------------------------------ (f)


def test_without_javascript_errors_show_in_place_and_the_record_goes_through(
    server: ServerProcess, browser: Browser
) -> None:
    context = browser.new_context(viewport=TABLET, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    page.fill("input[name=age]", "130")
    page.click("button[name='@action'][value=review]")
    assert page.locator("#error-summary").is_visible()
    age_error = page.locator("#q-age-error")
    assert age_error.is_visible()
    assert "120" in age_error.inner_text()
    assert page.locator("#q-age").get_attribute("aria-invalid") == "true"
    assert page.locator("#q-lives_alone-error").inner_text() == "此题必答"
    assert page.locator("input[name=age]").input_value() == "130"  # what was typed is kept
    page.fill("input[name=age]", "88")
    page.check("input[name=lives_alone][value=yes]")
    page.fill("input[name=visits]", "社区志愿者")
    page.click("button[name='@action'][value=review]")
    assert "社区志愿者" in page.locator("main").inner_text()
    page.click("button[name='@action'][value=submit]")
    page.wait_for_url("**/collect/records?saved=*")
    (record,) = stored(server.database_url, "visit")
    assert record.answers == {"age": 88, "lives_alone": "yes", "visits": "社区志愿者"}
    page.go_back()  # the review page again: sending it twice stores nothing new
    page.click("button[name='@action'][value=submit]")
    page.wait_for_url("**/collect/records?saved=*")
    assert len(stored(server.database_url, "visit")) == 1
    context.close()

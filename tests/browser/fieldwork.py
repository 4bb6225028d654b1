"""Driving the fieldwork client like a fieldworker: fill the screens of a form in order, submit it.

``fill_record(page, answers)`` walks the form screen by screen: on each it answers the visible
questions whose paths are in ``answers`` (in the order given: ``hh_size`` before the roster it
sizes), presses Next, and stops on the review screen. Answers are written as the sync API takes
them: a list for select_multiple, ``members[2].m_age`` paths inside a repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page


def set_answer(page: Page, path: str, value: Any) -> None:
    """Type or pick ``value`` for the question at ``path``, as a person would."""
    inputs = page.locator(f'[name="{path}"]')
    first = inputs.first
    kind = first.get_attribute("type") or first.evaluate("e => e.tagName.toLowerCase()")
    values = value if isinstance(value, list) else [value]
    if kind == "radio":
        page.locator(f'[name="{path}"][value="{value}"]').check()
    elif kind == "checkbox":
        for v in values:
            page.locator(f'[name="{path}"][value="{v}"]').check()
    elif kind == "select":
        for i, v in enumerate(values):
            inputs.nth(i).select_option(str(v))
    else:
        first.fill(str(value))


def visible(page: Page, path: str) -> bool:
    """True when the question at ``path`` is on the current screen and shown."""
    return page.locator(f'[name="{path}"]').first.is_visible()


def fill_record(page: Page, answers: dict[str, Any], on_screen: Callable[[Page], None] | None = None) -> None:
    """Answer every screen from ``answers`` and go on to the review screen."""
    page.wait_for_function("document.documentElement.dataset.ready !== undefined")  # form.js is set up
    done: set[str] = set()
    for _ in range(40):
        if page.locator("[data-review]").is_visible():
            return
        for path, value in answers.items():
            if path not in done and page.locator(f'[name="{path}"]').count() and visible(page, path):
                set_answer(page, path, value)
                done.add(path)
        if on_screen:
            on_screen(page)
        page.click("[data-next]")
    raise AssertionError("the review screen never came")


def submit(page: Page) -> None:
    """Save the reviewed record to the outbox; the page reloads for a new record (maybe from the cache).

    Waits for that navigation itself: the old page may already show a notice from the record
    before, and filling it while it unloads would lose the answers.
    """
    with page.expect_navigation():
        page.click("[data-submit]")
    page.wait_for_selector("#notice")


def unsent(page: Page) -> int:
    """The unsent count the sync bar shows."""
    return int(page.locator("[data-unsent]").inner_text())


def wait_for(check: Callable[[], Any], timeout: float = 45.0, what: str = "the condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_controlled(page: Page) -> None:
    """Wait until the service worker controls the page (it caches what the page loads from then on)."""
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=15000
    )


def ready_offline(page: Page) -> None:
    """Wait until the service worker controls the page and the page is in its cache."""
    wait_controlled(page)
    path = page.evaluate("location.pathname")
    wait_for(
        lambda: page.evaluate(f"caches.open('tanfang-pages').then(c => c.match('{path}')).then(Boolean)")
    )

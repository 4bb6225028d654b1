"""Screenshots of the fieldwork pages at tablet and phone sizes, and the layout checks behind them.

Each size gets the home page (with a draft and a record in the outbox), a form page (the
household roster with three people), the review screen and the outbox, written to ``screenshots/``
for people to look at. The same pages are measured: nothing wider than the screen, every control
at least 44 px tall, no two questions on top of each other, and Chinese text in a CJK font.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import PHONE, SHOTS, TABLET, TABLET_LANDSCAPE, shot, sign_in
from tests.browser.fieldwork import fill_record, ready_offline, set_answer, submit, wait_for
from tests.browser.test_fieldwork import HOUSEHOLD, visit
from tests.survey.serverproc import ServerProcess

SIZES = {"tablet": TABLET, "tablet-landscape": TABLET_LANDSCAPE, "phone": PHONE}

LAYOUT = """() => {
  const shown = (el) => el.getClientRects().length > 0 && !el.closest('[hidden]');
  const rect = (el) => el.getBoundingClientRect();
  const controls = [...document.querySelectorAll(
    'main button, main a.button, main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main select, label.option, header a, header button, .subnav a')]
    .filter(shown);
  const small = controls.filter((el) => rect(el).height < 44)
    .map((el) => `${el.tagName} ${(el.textContent || el.name || '').trim().slice(0, 30)} ${rect(el).height}`);
  const questions = [...document.querySelectorAll('.screen.current > .q, .screen.current .instance > .q')].filter(shown);
  const overlaps = [];
  for (let i = 0; i < questions.length; i++) for (let j = i + 1; j < questions.length; j++) {
    if (questions[i].contains(questions[j]) || questions[j].contains(questions[i])) continue;
    const a = rect(questions[i]), b = rect(questions[j]);
    if (a.bottom > b.top + 1 && b.bottom > a.top + 1 && a.right > b.left + 1 && b.right > a.left + 1)
      overlaps.push(`${questions[i].dataset.path} / ${questions[j].dataset.path}`);
  }
  return {wide: document.documentElement.scrollWidth - window.innerWidth, small, overlaps,
          font: getComputedStyle(document.body).fontFamily};
}"""


def check_layout(page: Page, where: str) -> None:
    found: dict[str, Any] = page.evaluate(LAYOUT)
    assert found["wide"] <= 0, f"{where}: the page is {found['wide']} px wider than the screen"
    assert found["small"] == [], f"{where}: controls under 44 px: {found['small']}"
    assert found["overlaps"] == [], f"{where}: questions overlap: {found['overlaps']}"
    # the glyphs of 中文 come from a CJK font, not boxes: a rendered width per character well above 0
    width = page.evaluate(
        "() => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = `16px ${getComputedStyle(document.body).fontFamily}`;"
        " return [c.measureText('探访').width, c.measureText('\\u0378\\u0379').width]; }"
    )
    assert width[0] > 0
    assert width[0] != width[1], f"{where}: Chinese is drawn as missing-glyph boxes"


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_at_tablet_and_phone_sizes(server: ServerProcess, browser: Browser, size: str) -> None:
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    sign_in(page, server, next_path="/collect/visit")
    ready_offline(page)
    context.set_offline(True)  # one record waits in the outbox
    fill_record(page, visit(71, "yes"))
    submit(page)
    context.route("**/api/v1/forms/*/submissions", lambda route: route.abort())  # ...and keeps waiting
    context.set_offline(False)
    page.goto(f"{server.url}/collect/household_visit")
    set_answer(page, "consent", "yes")  # a draft: begun, not finished
    page.wait_for_timeout(400)

    page.goto(f"{server.url}/collect")
    wait_for(lambda: page.locator("[data-drafts] a").count() == 1 or None, what="the draft on the home page")
    check_layout(page, f"home {size}")
    shot(page, f"home-{size}")
    page.locator("#outbox").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"outbox-{size}.png"))  # the outbox as it shows on the screen

    page.goto(f"{server.url}/collect/household_visit")
    answers = dict(HOUSEHOLD)

    def at_roster(p: Page) -> None:
        if p.locator('[name="members[3].m_age"]').is_visible():
            check_layout(p, f"form {size}")
            shot(p, f"form-{size}")

    fill_record(page, answers, on_screen=at_roster)
    check_layout(page, f"review {size}")
    shot(page, f"review-{size}")
    context.close()

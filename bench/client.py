"""Benchmark the fieldwork client in Debian's Chromium, through its DevTools protocol.

    python bench/client.py [--repeat 5]

The server runs on the demo database (survey/domain/demo.py: the form library, its sites, users
and records) with a generated 300-question form added. Prints, for the household form: the bytes
of its HTML, CSS and JS as the browser receives them (uncompressed; the page's own inline JSON and
style count as HTML), the time to interactive with the CPU throttled 4× (Emulation.setCPUThrottlingRate),
and, for the 300-question form, the time from one input to the logic re-evaluated and the page
updated (relevance, constraints, calculations, filters), unthrottled and throttled. "Interactive" is
the moment form.js has evaluated the logic and shown the first screen (it stamps ``<html data-ready>``
with ``performance.now()``), on a warm HTTP cache, as a fieldworker reopening the form meets it.

Targets: JS + CSS ≤ 40 KB, the whole page ≤ 120 KB, interactive ≤ 1.0 s, re-evaluation ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))  # this file is bench/client.py: import the project's packages

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from bench.ingest import server  # noqa: E402
from survey.domain import accounts, admin, demo, publishing  # noqa: E402
from survey.store import db as store  # noqa: E402

CHROMIUM = os.environ.get("TANFANG_CHROMIUM", "/usr/bin/chromium")  # as the browser tests launch it
FLAGS = [  # headless Chromium on this machine: no sandbox as root, and no calls home
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
TABLET = {"width": 800, "height": 1280}
FIELDWORKER = "fieldworker"  # the demo's fieldworker, assigned the household form


def big_form(sections: int = 30, per: int = 10) -> bytes:
    """A 300-question form: sections of integers, selects and text with relevance, constraints and sums."""
    lines = ['id = "big"', 'title = {zh = "三百题", en = "Three hundred"}', 'version = "1"', ""]
    for s in range(sections):
        label = f'label = {{zh = "第{s}部分", en = "Part {s}"}}'
        lines += ["[[questions]]", 'type = "group"', f'name = "s{s}"', label]
        if s:
            lines.append(f"relevant = \"${{s0_q0}} != 99 and ${{s{s - 1}_q0}} != 98\"")
        for q in range(per):
            name = f"s{s}_q{q}"
            kind = ("integer", "select_one", "text", "decimal", "select_multiple")[q % 5]
            lines += ["", "[[questions.questions]]", f'type = "{kind}"', f'name = "{name}"',
                      f'label = {{zh = "问题 {name}", en = "Question {name}"}}']
            if kind in ("select_one", "select_multiple"):
                lines.append('choices = "yn"')
            if kind == "integer":
                lines.append('constraint = ". >= 0 and . <= 120"')
            if q and q % 3 == 0:
                lines.append(f"relevant = \"${{s{s}_q0}} > {q}\"")
        lines += ["", "[[questions.questions]]", 'type = "calculate"', f'name = "s{s}_total"',
                  f'calculation = "coalesce(${{s{s}_q0}}, 0) + coalesce(${{s{s}_q3}}, 0)"', ""]
    lines += ['[[choices.yn]]', 'name = "yes"', 'label = {zh = "是", en = "Yes"}', "",
              '[[choices.yn]]', 'name = "no"', 'label = {zh = "否", en = "No"}', ""]
    return "\n".join(lines).encode()


def prepare(database_url: str) -> None:
    """The demo database, plus the 300-question form assigned to its fieldworker."""
    demo.build(database_url)
    factory = store.session_factory(store.make_engine(database_url))
    with factory() as db, db.begin():
        publishing.publish(db, big_form(), "toml", "big.toml")
        worker = accounts.authenticate(db, FIELDWORKER, demo.PASSWORD)
        assert worker is not None
        assert admin.assign(db, worker.id, ["big"], None, None) == ()


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login?next=/collect")
    page.fill("#f-username", FIELDWORKER)
    page.fill("#f-password", demo.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/collect")


def page_bytes(page: Page, url: str) -> dict[str, int]:
    """Bytes of HTML, CSS and JS of the form page: the document, and each script and stylesheet it
    names, fetched as the server sends them (uncompressed)."""
    document = page.request.get(url)
    page.goto(url)
    names = page.evaluate(
        """() => ({js: [...document.scripts].filter(s => s.src).map(s => s.src),
                   css: [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)})"""
    )
    sizes = {"html": len(document.body())}
    for kind, urls in names.items():
        sizes[kind] = sum(len(page.request.get(u).body()) for u in urls)
    return sizes


def interactive_ms(page: Page, url: str) -> float:
    """Milliseconds from navigation to the first screen shown with its logic evaluated."""
    page.goto(url)
    page.wait_for_function("document.documentElement.dataset.ready !== undefined")
    return float(page.evaluate("Number(document.documentElement.dataset.ready)"))


REEVALUATE = """() => {
  const input = document.querySelector('[name="s0_q0"]');
  const runs = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    input.value = String(i % 7);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="measurements per figure (the median is shown)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tanfang-bench-client-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    prepare(url)
    with server(url) as (base, _pid), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport=TABLET, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base)
        household = f"{base}/collect/household_visit"
        sizes = page_bytes(page, household)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        tti = statistics.median(interactive_ms(page, household) for _ in range(args.repeat))
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        big = f"{base}/collect/big"
        page.goto(big)
        page.wait_for_function("document.documentElement.dataset.ready !== undefined")
        questions = page.evaluate("document.querySelectorAll('#entry .q[data-path]').length")
        fast = statistics.median(page.evaluate(REEVALUATE) for _ in range(args.repeat))
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        slow = statistics.median(page.evaluate(REEVALUATE) for _ in range(args.repeat))
        browser.close()
    code = sizes["js"] + sizes["css"]
    total = code + sizes["html"]
    rows = [
        ("HTML of the household form page", f"{sizes['html'] / 1024:.1f} KB", ""),
        ("CSS", f"{sizes['css'] / 1024:.1f} KB", ""),
        ("JS", f"{sizes['js'] / 1024:.1f} KB", ""),
        ("JS + CSS", f"{code / 1024:.1f} KB", "≤ 40 KB"),
        ("whole page", f"{total / 1024:.1f} KB", "≤ 120 KB"),
        ("time to interactive, CPU 4× slower", f"{tti:.0f} ms", "≤ 1000 ms"),
        (f"input → logic re-evaluated, {questions}-question form", f"{fast:.1f} ms", "≤ 50 ms"),
        ("the same, CPU 4× slower", f"{slow:.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")


if __name__ == "__main__":
    main()

"""The pages that need JavaScript really render in a browser (Debian's chromium)."""

from __future__ import annotations

import shutil

import pytest

from nianbao.testbed.replica import ReplicaPortal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


def test_js_only_column_and_xxgk_shell_render_their_lists(browser):
    with ReplicaPortal(seed=0, bodies_per_site=2, years=(2022, 2023)) as portal:
        huancui = portal.sites["huancui"]
        column = huancui.model.columns[huancui.model.annual_column]
        page = browser.new_page()
        page.goto(f"{huancui.base_url}/col/col{column.column_id}/index.html")
        page.wait_for_selector("div.default_pgContainer ul li a", timeout=10_000)
        rendered = page.eval_on_selector_all("div.default_pgContainer ul li a", "els => els.map(e => e.href)")
        # The first group only, as jpage renders: one of the column's reports.
        needs_js = {r["report_url"] for r in portal.expected_reports if r["needs_js"]}
        assert len(rendered) == 1 and set(rendered) < needs_js

        body = huancui.model.bodies[0]
        page.goto(f"{huancui.base_url}/col/col{body.unit_column}/index.html?vc_xxgkarea={body.uscc}&jh=261")
        page.wait_for_selector("#div4 tr.tr_main_value_odd a", timeout=10_000)
        titles = page.eval_on_selector_all("#div4 tr a[title]", "els => els.map(e => e.title)")
        assert titles and all(body.organization in t for t in titles)
        page.close()

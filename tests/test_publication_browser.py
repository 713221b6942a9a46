"""The publication as a person sees it: Debian's chromium, driven by Playwright,
against ``nianbao serve`` running on a sample archive. Screenshots go to
``test-artifacts/``."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]

WENDENG = "威海市文登区统计局"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_archive):
    """``nianbao serve`` in a subprocess, until the module's tests are done."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from nianbao.cli import cli; cli()", "serve", "--data-dir", str(sample_archive),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nianbao serve did not start: {process.stdout.read().decode()[-2000:]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"datasette-{name}.png"), full_page=True)


def rendered_width(page, text, font="16px sans-serif"):
    """Width chromium gives the text: CJK glyphs are about one em each when a CJK font renders them."""
    return page.evaluate(
        "([text, font]) => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = font; return c.measureText(text).width; }", [text, font])


def test_home_page_shows_the_title_and_a_working_download_link(page, server):
    page.goto(server + "/")
    assert "政府信息公开工作年度报告数据库" in page.locator("h1").first.inner_text()
    link = page.get_by_role("link", name="下载 SQLite 数据库", exact=False)
    assert link.is_visible()
    download = page.request.get(server + link.get_attribute("href"))
    assert download.ok and download.body()[:16] == b"SQLite format 3\x00"
    # Chinese renders as glyphs (a CJK font is installed): two characters are about two ems wide.
    assert rendered_width(page, "申请") >= 28
    screenshot(page, "home")


def test_a_report_page_shows_its_numbers_and_links(page, server, sample_db):
    report = sample_db.execute(
        "select id, year from reports where organization = ? and year = 2022", [WENDENG]
    ).fetchone()
    received = sample_db.execute(
        "select value from applications where report_id = ? and row_code = 'new_received' and column_code = 'total'",
        [report["id"]],
    ).fetchone()[0]
    page.goto(f"{server}/nianbao/reports/{report['id']}")
    row = page.locator("table.applications-totals tr", has_text="一、本年新收政府信息公开申请数量")
    assert row.locator("td").nth(2).inner_text() == str(received)
    assert page.get_by_text(WENDENG).first.is_visible()
    assert page.locator("a.portal-link").get_attribute("href").startswith("http://127.0.0.2/")
    screenshot(page, "report")

    # The archived original opens: the portal page as it was fetched, byte for byte.
    with page.expect_navigation():
        page.locator("ul.originals a").first.click()
    assert "/-/originals/" in page.url
    assert "政府信息公开工作年度报告" in page.content()
    assert page.get_by_text("收到和处理政府信息公开申请情况").first.is_visible()
    screenshot(page, "original")


def test_a_year_facet_narrows_the_reports(page, server, sample_db):
    page.goto(server + "/nianbao/reports")
    page.locator("#facet-year a", has_text="2023").click()
    page.wait_for_url("**year=2023**")
    expected = sample_db.execute("select count(*) from reports where year = 2023").fetchone()[0]
    assert page.locator("h3", has_text=f"{expected} rows where year = 2023").is_visible()
    assert page.locator("table.rows-and-columns tbody tr").count() == expected
    screenshot(page, "facet")


def test_full_text_search_finds_sections_with_a_two_character_word(page, server, sample_db):
    page.goto(server + "/nianbao/sections")
    page.fill("input#_search", "复议")
    page.locator("input#_search").press("Enter")
    page.wait_for_url("**_search=**")
    rows = page.locator("table.rows-and-columns tbody tr")
    expected = sample_db.execute("select count(*) from sections where instr(title || text, '复议') > 0").fetchone()[0]
    assert rows.count() == expected > 0
    assert "复议" in rows.first.inner_text()
    screenshot(page, "search")


def test_charts_draw_requests_per_year_and_outcome_shares(page, server, sample_db):
    page.goto(server + "/-/dashboards/overview")
    # vega-embed draws each chart into an SVG or a canvas once its query has answered.
    page.wait_for_function(
        "document.querySelectorAll('.vega-embed .marks').length >= 2", timeout=30000)
    drawn = page.locator(".vega-embed .marks")
    for i in range(drawn.count()):
        box = drawn.nth(i).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50
    reports = sample_db.execute("select count(*) from reports where is_latest = 1").fetchone()[0]
    page.wait_for_function("text => document.body.innerText.includes(text)", arg=f"{reports} 份", timeout=30000)
    assert page.get_by_text("各年度新收申请").is_visible()
    assert page.get_by_text("办理结果构成").is_visible()
    screenshot(page, "charts")


def test_an_archived_word_file_is_offered_with_its_chinese_name(page, server, sample_db):
    sha256 = sample_db.execute("select sha256 from documents where format = 'docx'").fetchone()[0]
    response = page.request.get(f"{server}/-/originals/{sha256}")
    assert response.ok
    assert "2023%E5%B9%B4" in response.headers["content-disposition"]
    assert response.body()[:2] == b"PK"

"""The publication as a person sees it: Debian's chromium, driven by Playwright,
against ``nianbao serve`` running on a sample archive. Screenshots go to
``test-artifacts/``."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
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
    row = page.locator("table.applications-grid tr[data-code=new_received]")
    assert row.locator("td").last.inner_text() == str(received)  # the 总计 column
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


# --- the researcher's eight questions, through the web pages alone (issue 14) ---------------------


def open_query(page, server, title):
    """From the home page to a canned query, by its link."""
    page.goto(server + "/")
    page.get_by_role("link", name="常用查询 · Queries").click()
    page.get_by_role("link", name=title, exact=False).first.click()
    page.wait_for_load_state()


def table_rows(page):
    """The result table as dicts of column -> text."""
    headers = [h.inner_text().strip() for h in page.locator("table.rows-and-columns thead th").all()]
    return [dict(zip(headers, [c.inner_text().strip() for c in row.locator("td").all()]))
            for row in page.locator("table.rows-and-columns tbody tr").all()]


def test_q1_one_body_year_by_year(page, server, sample_db):
    open_query(page, server, "一个机关历年数据")
    page.fill("input[name=organization]", "文登区统计")  # part of the name is enough
    page.get_by_role("button", name="Run SQL").or_(page.locator("input[type=submit]")).first.click()
    page.wait_for_url("**organization=**")
    rows = table_rows(page)
    expected = sample_db.execute(
        "select r.year, a.value from reports r join applications a on a.report_id = r.id where r.organization = ? "
        "and r.is_latest = 1 and a.row_code = 'new_received' and a.column_code = 'total' order by r.year",
        [WENDENG]).fetchall()
    assert [(int(r["年度_year"]), int(r["新收申请_received"])) for r in rows] == [tuple(e) for e in expected]
    screenshot(page, "q1-body-across-years")
    # Each year's figures trace to its report.
    page.locator("table.rows-and-columns tbody tr").first.locator("a[href*='/nianbao/reports/']").first.click()
    assert page.locator("table.applications-grid").is_visible()


def test_q2_who_refused_most_and_why(page, server, sample_db):
    open_query(page, server, "谁拒绝得最多")
    page.locator("input[type=submit]").first.click()
    page.wait_for_load_state()
    rows = table_rows(page)
    most = sample_db.execute(
        "select report_id, 不予公开合计_denied from report_totals where 不予公开合计_denied is not null "
        "order by 不予公开合计_denied desc, 无法提供合计_unable desc limit 1").fetchone()
    assert int(rows[0]["report_id"]) == most[0] and int(rows[0]["不予公开合计_denied"]) == most[1]
    screenshot(page, "q2-refusals-by-body")
    page.locator("table.rows-and-columns tbody tr").first.locator("a[href*='/nianbao/reports/']").first.click()
    # Why: the report's refusal rows, with the template's reasons.
    grid = page.locator("table.applications-grid")
    assert grid.locator("tr[data-code=denied_third_party]").inner_text().startswith("4.保护第三方合法权益")
    screenshot(page, "q2-why")


def test_q3_corrected_reviews_per_region(page, server, sample_db):
    open_query(page, server, "各地区行政复议")
    page.locator("input[type=submit]").first.click()
    page.wait_for_load_state()
    rows = table_rows(page)
    for column, code in (("复议纠正", "corrected"), ("行政复议", "total")):
        shown = sum(int(r[column] or 0) for r in rows)
        expected = sample_db.execute(
            "select coalesce(sum(v.value), 0) from reviews_litigation v join reports r on r.id = v.report_id "
            "where r.is_latest = 1 and v.group_code = 'review' and v.column_code = ?", [code]).fetchone()[0]
        assert shown == expected, column
    assert any(r["省"] for r in rows) and sum(int(r["报告数"]) for r in rows) > 0
    screenshot(page, "q3-reviews-corrected")


def test_q4_full_text_search_by_phrase(page, server, sample_db):
    page.goto(server + "/")
    page.fill("form[action='/-/search'] input[name=q]", "依申请公开 行政诉讼")
    page.locator("form[action='/-/search'] input[type=submit]").click()
    page.wait_for_url("**/-/search?q=**")
    expected = {r[0] for r in sample_db.execute(
        "select r.id from reports r where r.is_latest = 1 "
        "and exists (select 1 from sections s where s.report_id = r.id and instr(s.title || char(10) || s.text, '依申请公开')) "
        "and exists (select 1 from sections s where s.report_id = r.id and instr(s.title || char(10) || s.text, '行政诉讼'))")}
    assert page.locator(".nianbao-search-total strong").inner_text() == str(len(expected))
    assert page.locator("li.nianbao-hit").count() == len(expected)
    assert page.locator("li.nianbao-hit mark", has_text="依申请公开").first.is_visible()
    screenshot(page, "q4-search")
    page.locator("#facet-year a").first.click()  # narrow by a year
    page.wait_for_url("**year=**")
    assert int(page.locator(".nianbao-search-total strong").inner_text()) <= len(expected)
    page.locator("a.nianbao-hit-title").first.click()
    assert page.locator("section.nianbao-report").is_visible()


def test_q5_failed_checks_with_their_originals(page, server, sample_db):
    open_query(page, server, "表格不平的机关")
    page.fill("input[name=code]", "apps_balance")  # offered in the choice list
    assert page.locator("datalist#choices-code option[value=apps_balance]").count() == 1
    page.locator("input[type=submit]").first.click()
    page.wait_for_url("**code=apps_balance**")
    failed = sample_db.execute("select report_id from checks where ok = 0 and code = 'apps_balance'").fetchall()
    assert page.locator("table.rows-and-columns tbody tr").count() == len(failed)
    assert page.locator("table.rows-and-columns tbody").get_by_text("收支平衡").first.is_visible()
    screenshot(page, "q5-failed-checks")
    page.locator("table.rows-and-columns tbody a[href*='/nianbao/reports/']").first.click()
    assert page.locator("ul.checks li.failed").first.is_visible()
    screenshot(page, "q5-report")
    with page.expect_navigation():
        page.locator("a.replay-link").first.click()
    banner = page.locator("#nianbao-replay-banner")
    assert banner.is_visible() and "sha256" in banner.inner_text()
    screenshot(page, "q5-original-replayed")


def test_q6_coverage(page, server, sample_db):
    page.goto(server + "/")
    page.get_by_role("link", name="说明与引用", exact=False).first.click()
    counts = page.locator("ul.about-counts").inner_text()
    reports = sample_db.execute("select count(*) from reports where is_latest = 1").fetchone()[0]
    assert str(reports) in counts
    assert page.get_by_text("not filed", exact=False).first.is_visible()
    screenshot(page, "q6-about-coverage")
    page.get_by_role("link", name="覆盖查询").click()
    page.wait_for_load_state()
    assert page.locator("table.rows-and-columns").is_visible()
    screenshot(page, "q6-coverage")


def test_q7_downloads(page, server, sample_archive):
    import hashlib

    page.goto(server + "/")
    page.get_by_role("link", name="下载 · Downloads").click()
    db_digest = hashlib.sha256((sample_archive / "nianbao.db").read_bytes()).hexdigest()
    assert page.get_by_text(db_digest).is_visible()
    link = page.locator("table.downloads-zips a").first
    digest_shown = page.locator("table.downloads-zips tbody tr").first.locator("code").inner_text()
    body = page.request.get(server + link.get_attribute("href")).body()
    assert hashlib.sha256(body).hexdigest() == digest_shown
    csv_link = page.locator("a.csv-bom").first.get_attribute("href")
    assert page.request.get(server + csv_link).body()[:3] == b"\xef\xbb\xbf"
    screenshot(page, "q7-downloads")


def test_q8_charts_with_filters_and_report_counts(page, server, sample_db):
    page.goto(server + "/")
    page.get_by_role("link", name="图表 · Charts").click()
    province = sample_db.execute("select province from reports where province is not null limit 1").fetchone()[0]
    page.select_option("select#province", province)

    def per_year_data(response):
        url = urllib.parse.unquote_plus(response.url)
        return "/nianbao.json" in url and "reports_without_figure" in url and "province" in url

    with page.expect_response(per_year_data, timeout=30000) as answered:
        page.get_by_role("button", name="Apply").or_(page.locator("input[value=Apply]")).first.click()
    rows = answered.value.json()["rows"]
    page.wait_for_function("document.querySelectorAll('.vega-embed .marks').length >= 3", timeout=30000)
    expected = sample_db.execute(
        "select count(*) from reports r join applications a on a.report_id = r.id where r.is_latest = 1 and "
        "r.province = ? and a.row_code = 'new_received' and a.column_code = 'total' and a.value is not null",
        [province]).fetchone()[0]
    assert sum(row["reports"] for row in rows) == expected  # each bar says how many reports it rests on
    screenshot(page, "q8-charts")

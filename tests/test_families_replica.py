"""The TRS and Ucap replica portals (nianbao/testbed/families): what they serve."""

import json
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler import trs, ucap
from nianbao.testbed.families import FamilyPortal

from .replica_http import fetch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trs_portal():
    with FamilyPortal("trs", bodies=3, years=(2021, 2022, 2023), office=False) as portal:
        yield portal


@pytest.fixture(scope="module")
def ucap_portal():
    with FamilyPortal("ucap", bodies=3, years=(2021, 2022, 2023), office=False) as portal:
        yield portal


def test_every_report_and_trap_is_served_and_robots_bars_one_report(trs_portal, ucap_portal):
    for portal in (trs_portal, ucap_portal):
        expected = portal.expected_reports
        first = expected[0]
        assert portal.record(first["report_url"])["organization"] == first["organization"]
        assert len(expected) == 9 and len({e["report_key"] for e in expected}) == 9
        assert {e["form"] for e in expected} >= {"html", "attachment", "gbk"}
        assert {t["kind"] for t in portal.traps} == {"companion", "notice", "other_annual", "guide"}
        robots = fetch(portal.base_url + "/robots.txt").text
        barred = [e for e in expected if e["disallowed"]]
        assert len(barred) == 1 and f"Disallow: {urlsplit(barred[0]['report_url']).path}" in robots
        for e in expected:
            assert fetch(e["report_url"]).status == 200
        assert fetch(portal.base_url + "/no/such/page.htm").status == 404


def test_trs_folders_redirect_lists_page_by_createpagehtml_and_files_sit_beside_the_article(trs_portal):
    base = trs_portal.base_url
    assert fetch(base + "/zfxxgk").header("Location") == "/zfxxgk/index.htm"
    assert fetch(base + "/zfxxgk/bangongshi/").header("Location") == "/zfxxgk/bangongshi/index.htm"
    url = base + "/zfxxgk/bangongshi/gknb/index.htm"
    first = fetch(url).text
    pages = trs.list_pages(first, url)
    assert len(pages) == 2 and fetch(pages[1]).status == 200
    assert fetch(url.replace("index.htm", "index_2.htm")).status == 404
    titles = [r.title for p in pages for r in trs.list_records(fetch(p).text, p)]
    assert any(t.startswith("图解：") for t in titles) and len(titles) == 5
    report = next(e for e in trs_portal.expected_reports if e["files"] and e["files"][0].endswith(".docx"))
    article = trs.parse_article(fetch(report["report_url"]).text, report["report_url"])
    assert [a.url for a in article.attachments] == report["files"]
    reply = fetch(report["files"][0])
    assert reply.status == 200 and reply.body[:2] == b"PK"


def test_companion_pages_drop_the_prefix_their_list_shows(trs_portal):
    companion = next(t for t in trs_portal.traps if t["title"].startswith("图解："))
    page = fetch(companion["url"]).text
    assert "图解" not in page and companion["title"].removeprefix("图解：") in page


def test_gbk_pages_name_their_charset_only_in_meta(trs_portal, ucap_portal):
    for portal in (trs_portal, ucap_portal):
        report = next(e for e in portal.expected_reports if e["form"] == "gbk")
        reply = fetch(report["report_url"])
        assert reply.header("Content-Type") == "text/html"
        assert report["title"] in reply.body.decode("gbk")


def test_ucap_static_and_script_lists_and_the_json_api(ucap_portal):
    base = ucap_portal.base_url
    assert fetch(base + "/zwgk/").header("Location") == "/zwgk/index.shtml"
    static = base + "/zwgk/bangongshi/gknb/index.shtml"
    assert ucap.list_pages(fetch(static).text, static) == [base + "/zwgk/bangongshi/gknb/index_2.shtml"]
    shell = base + "/zwgk/shangwu/gknb/index.shtml"
    html = fetch(shell).text
    assert ucap.list_records(html, shell) == []
    (api,) = ucap.list_apis(html, shell)
    first = json.loads(fetch(api.url).text)
    assert first["totalcount"] == 5 and len(first["infolist"]) == 3
    second = ucap.parse_json_list(fetch(api.page(2)).text, api.url)
    assert len(second.records) == 2 and second.total_pages == 2
    assert fetch(api.url.replace("currpage=1", "currpage=x")).status == 500
    for record in second.records:
        article = ucap.parse_article(fetch(record.url).body.decode("gbk", "replace"), record.url)
        assert article.has_content or article.attachments


def test_calendar_trap_never_ends(ucap_portal):
    page = fetch(ucap_portal.base_url + "/rl/209912.shtml").text
    assert "/rl/210001.shtml" in page and "/rl/209911.shtml" in page


def test_foreground_server_prints_its_urls_and_stops_on_sigterm():
    process = subprocess.Popen([sys.executable, "-m", "nianbao.testbed.families", "ucap", "--port", "0",
                                "--bodies", "1", "--years", "2023"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
        url = first.split()[1]
        assert url.startswith("http://127.0.0.13:") and "mirror (never crawl) http://127.0.0.14:" in first
        assert second.startswith("1 reports")
        assert "<ucap" not in fetch(url).text and fetch(url + "robots.txt").status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

"""End-to-end crawls of the local replica portal (crawler/replica), each run as
``nianbao crawl`` in a subprocess (Twisted's reactor cannot restart inside one
pytest process); the archive database is then inspected."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.browser import launch_options
from nianbao.testbed.replica import ReplicaPortal

ROOT = Path(__file__).resolve().parent.parent
CLI = "from nianbao.cli import cli; cli(prog_name='nianbao')"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0"]


def write_registry(portal, path: Path, *, render_js=False, wendeng_url=None, https_fallback=False,
                   huancui_extra="") -> Path:
    wendeng, huancui = portal.sites["wendeng"], portal.sites["huancui"]
    flipbook_host = urlsplit(portal.flipbook_url).hostname
    js = "true" if render_js is True else ('"auto"' if render_js == "auto" else "false")
    path.write_text(f"""
[sites.wendeng]
family = "hanweb"
base_urls = ["{wendeng_url or wendeng.base_url}/"]
region_code = "371003"
extra_hosts = ["{flipbook_host}"]
https_fallback = {str(https_fallback).lower()}
render_js = {js}

[sites.huancui]
family = "hanweb"
base_urls = ["{huancui.base_url}/", "{huancui.alias_url}/"]
region_code = "371002"
render_js = {js}
{huancui_extra}
""", encoding="utf-8")
    return path


def crawl_command(sites_file: Path, data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", CLI, "crawl", "--sites-file", str(sites_file), "--data-dir", str(data_dir),
            *FAST, *args]


def crawl(sites_file: Path, data_dir: Path, *args: str, timeout=240) -> subprocess.CompletedProcess:
    result = subprocess.run(crawl_command(sites_file, data_dir, *args), cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def fetches(data_dir: Path, run: int | None = None) -> list[dict]:
    db = sqlite3.connect(data_dir / "nianbao.db")
    db.row_factory = sqlite3.Row
    sql = "SELECT * FROM fetches" + (" WHERE crawl_run = ?" if run else "") + " ORDER BY id"
    rows = [dict(r) for r in db.execute(sql, [run] if run else [])]
    db.close()
    return rows


def recorded_so_far(data_dir: Path) -> int:
    """Fetch rows of a crawl still running (0 while its database is being created)."""
    try:
        return len(fetches(data_dir)) if (data_dir / "nianbao.db").exists() else 0
    except sqlite3.OperationalError:
        return 0


def assert_complete(portal, rows, *, skip=lambda report: False):
    """Every expected report found (under one report_key), with every file archived."""
    pages = {r["url"]: r for r in rows if r["role"] == "report_page"}
    files = {r["url"]: r for r in rows if r["role"] in ("attachment", "image", "flipbook_page")}
    expected = [e for e in portal.expected_reports if not e["disallowed"] and not skip(e)]
    keys = set()
    for report in expected:
        found = [pages[u] for u in report["urls"] if u in pages]
        assert found, f"report not discovered: {report['report_url']}"
        assert len({f["report_key"] for f in found}) == 1, f"{report['report_url']} under several keys"
        key = found[0]["report_key"]
        keys.add(key)
        for url in report["files"]:
            assert url in files, f"{report['report_url']}: file not fetched: {url}"
            assert files[url]["sha256"] and files[url]["report_key"] == key, files[url]
    # One key per report, and no report_page outside the expected ones.
    assert len(keys) == len(expected)
    return keys


@pytest.fixture
def portal():
    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023)) as p:
        yield p


def test_full_crawl_finds_every_report_once_with_all_its_files(portal, tmp_path):
    sites = write_registry(portal, tmp_path / "sites.toml")
    crawl(sites, tmp_path / "data")
    rows = fetches(tmp_path / "data")
    # Without a browser, the JS-only column's reports come from jsearch (the site's search).
    keys = assert_complete(portal, rows)
    assert {r["report_key"] for r in rows if r["role"] == "report_page"} == keys
    assert not [r for r in rows if r["error"]]
    # wendeng has no xxgkAnnualReport.jsp: its first probe answers 404 and probing stops there.
    wendeng = portal.sites["wendeng"].base_url
    probes = [r for r in rows if "xxgkAnnualReport.jsp" in r["url"] and r["url"].startswith(wendeng)]
    assert [r["status"] for r in probes] == [404]
    # Each document fetched once, even when linked from two columns or through the alias host.
    documents = Counter(r["url"] for r in rows if r["role"] != "list")
    assert max(documents.values()) == 1
    # Content-Disposition names are kept (downfile.jsp 302s to /attach/, recorded as the final URL).
    attachment = next(r for r in rows if "downfile.jsp" in r["url"])
    assert attachment["final_url"].split("/attach/0/")[1] and attachment["filename"].startswith("威海市文登区")

    served = portal.requests
    hosts = Counter(r.host.split(":")[0] for r in served)
    assert "127.0.0.5" not in hosts, "the clone host was requested"
    disallowed = [urlsplit(e["report_url"]).path for e in portal.expected_reports if e["disallowed"]]
    assert disallowed and not [r for r in served if urlsplit(r.path).path in disallowed]
    assert {r.host for r in served if r.path == "/robots.txt"} == {r.host for r in served}
    assert all("nianbao" in r.headers.get("User-Agent", "") for r in served)

    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    (status,) = db.execute("SELECT status FROM crawl_runs").fetchone()
    assert status == "ok"


@pytest.mark.browser
@pytest.mark.parametrize("render_js", ["auto", True])
def test_js_only_list_is_rendered_with_playwright_and_chromium(portal, tmp_path, render_js):
    if launch_options() is None:
        pytest.skip("no chromium: neither playwright's nor /usr/bin/chromium is installed")
    sites = write_registry(portal, tmp_path / "sites.toml", render_js=render_js)
    crawl(sites, tmp_path / "data", "huancui")
    rows = fetches(tmp_path / "data")
    assert_complete(portal, rows, skip=lambda r: r["site"] != "huancui")
    js_reports = [e for e in portal.expected_reports if e["needs_js"]]
    assert js_reports and all(e["report_url"] in {r["url"] for r in rows} for e in js_reports)
    # What the browser itself asked for: the JS list's data proxy; with render_js = true
    # every column page ran its scripts (the xxgk shells load search.jsp).
    by_browser = {urlsplit(r.path).path for r in portal.requests if "Sec-Fetch-Mode" in r.headers}
    # The browser's own requests name nianbao too.
    assert all("nianbao" in {k.lower(): v for k, v in r.headers.items()}["user-agent"] for r in portal.requests)
    assert "/module/web/jpage/dataproxy.jsp" in by_browser
    # The browser rendered the first group; the crawler asked the proxy for the others itself.
    by_crawler = [r.path for r in portal.requests if "Sec-Fetch-Mode" not in r.headers]
    assert any(p.startswith("/module/web/jpage/dataproxy.jsp?startrecord=2&") for p in by_crawler)
    assert ("/module/xxgk/search.jsp" in by_browser) == (render_js is True)


def test_faults_are_survived_and_failures_recorded(portal, tmp_path):
    expected = portal.expected_reports
    attachment = next(f for e in expected if e["form"] == "attachment" for f in e["files"])
    truncated_file = urlsplit(portal.expected_reports[0]["report_url"]).path  # a report page
    portal.set_fault("https_fail")
    portal.set_fault("error_then_ok", paths=["/art/"])
    portal.set_fault("reset", paths=["/module/download/", "/book/"])
    portal.set_fault("waf_521", hosts="wendeng")
    portal.set_fault("waf_412", hosts="huancui")
    portal.set_fault("slow", paths=["/module/xxgk/search.jsp"], seconds=1.0)
    portal.set_fault("truncated", paths=[truncated_file])
    # wendeng is registered by its https URL, whose TLS handshake fails: http fallback.
    sites = write_registry(portal, tmp_path / "sites.toml", wendeng_url=portal.sites["wendeng"].https_url,
                           https_fallback=True)
    result = crawl(sites, tmp_path / "data", "-s", "RETRY_TIMES=2")
    rows = fetches(tmp_path / "data")

    errors = [r for r in rows if r["error"]]
    assert [r["url"] for r in errors] == [portal.sites["wendeng"].base_url + truncated_file]
    assert errors[0]["sha256"] is None and "truncated" in errors[0]["error"]
    broken = expected[0]["report_url"]
    assert_complete(portal, rows, skip=lambda r: r["needs_js"] or r["report_url"] == broken)
    assert any(r["url"] == attachment and r["sha256"] for r in rows)  # downfile.jsp after a reset
    served = portal.requests
    assert any("__jsl_clearance" in r.headers.get("Cookie", "") for r in served)
    assert "nianbao/waf_521_solved" in result.stderr
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("SELECT status FROM crawl_runs").fetchone()[0] == "partial"


@pytest.mark.slow
def test_recrawl_fetches_only_what_changed_and_marks_changed_and_deleted_reports(portal, tmp_path):
    sites = write_registry(portal, tmp_path / "sites.toml")
    data = tmp_path / "data"
    crawl(sites, data)
    expected = {e["report_url"]: e for e in portal.expected_reports}
    changed = next(u for u, e in expected.items() if e["form"] == "annual_report")
    deleted = next(u for u, e in expected.items() if e["form"] == "html" and not e["disallowed"]
                   and not e["needs_js"] and len(e["urls"]) == 1)
    portal.change_report(changed)
    portal.delete_report(deleted)
    portal.clear_requests()
    crawl(sites, data)

    second = fetches(data, run=2)
    documents = [r for r in second if r["role"] != "list"]
    fresh = [r for r in documents if r["status"] == 200]
    assert [r["url"] for r in fresh] == [changed]  # everything else answered 304
    assert all(r["not_modified"] and r["sha256"] for r in documents if r["status"] == 304)
    # Every document was asked for with the validator of its archived version.
    conditional = {r.path for r in portal.requests if r.headers.get("If-None-Match")}
    assert all(urlsplit(r["url"])._replace(scheme="", netloc="").geturl() in conditional for r in documents)
    db = sqlite3.connect(data / "nianbao.db")
    history = {row[0]: row[1:] for row in db.execute(
        "SELECT url, latest_status, distinct_sha256, fetches FROM url_history")}
    assert history[changed] == (200, 2, 2)  # both versions kept
    assert history[deleted][0] == 404
    (old_sha,) = {r["sha256"] for r in fetches(data, run=1) if r["url"] == deleted}
    assert db.execute("SELECT COUNT(*) FROM documents WHERE sha256 = ?", [old_sha]).fetchone() == (1,)


@pytest.mark.slow
def test_killed_crawl_resumes_with_the_same_jobdir_losing_and_duplicating_nothing(portal, tmp_path):
    sites = write_registry(portal, tmp_path / "sites.toml")
    crawl(sites, tmp_path / "reference")
    reference = fetches(tmp_path / "reference")

    data, jobdir = tmp_path / "data", tmp_path / "job"
    slow = ["--jobdir", str(jobdir), "-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    process = subprocess.Popen(crawl_command(sites, data, *slow), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if recorded_so_far(data) >= len(reference) // 3:
                break
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    partial = len(fetches(data))
    assert 0 < partial < len(reference)
    resumed = crawl(sites, data, "--jobdir", str(jobdir))
    assert "resuming crawl run 1" in resumed.stderr and "unfinished requests" in resumed.stderr

    rows = fetches(data)
    assert {r["crawl_run"] for r in rows} == {1}  # the resumed job kept its run
    assert_complete(portal, rows, skip=lambda r: r["needs_js"])
    # Documents exactly once; lists may be fetched again on resume (they always are on a re-crawl).
    assert Counter(r["url"] for r in rows if r["role"] != "list") == Counter(
        r["url"] for r in reference if r["role"] != "list")
    # wendeng has no xxgkAnnualReport.jsp: which body's probe finds that out depends on the
    # order pages come in (and a resumed process asks again), so those probes are left out.
    def lists(fetched):
        return {r["url"] for r in fetched if r["role"] == "list" and not (
            r["url"].startswith(portal.sites["wendeng"].base_url) and "xxgkAnnualReport.jsp" in r["url"])}

    assert lists(rows) == lists(reference)


def test_any_hanweb_portal_by_url_allows_report_files_on_other_hosts_only(portal, tmp_path):
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", CLI, "crawl", "--url", portal.sites["wendeng"].base_url + "/",
         "--family", "hanweb", "--data-dir", str(data), *FAST],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = fetches(data)
    assert_complete(portal, rows, skip=lambda r: r["site"] != "wendeng")
    flipbook = urlsplit(portal.flipbook_url).netloc
    assert all(r["role"] in ("flipbook_page", "image") for r in rows if urlsplit(r["url"]).netloc == flipbook)
    assert "127.0.0.5" not in {r.host.split(":")[0] for r in portal.requests}


def test_since_skips_list_entries_published_before_the_date(portal, tmp_path):
    sites = write_registry(portal, tmp_path / "sites.toml")
    crawl(sites, tmp_path / "data", "wendeng", "--since", "2024-01-01")
    pages = {r["url"] for r in fetches(tmp_path / "data") if r["role"] == "report_page"}
    wendeng = [e for e in portal.expected_reports if e["site"] == "wendeng" and not e["disallowed"]]
    assert {e["report_url"] for e in wendeng if e["published"] >= "2024-01-01"} <= pages
    assert not {u for e in wendeng if e["published"] < "2024-01-01" for u in e["urls"]} & pages


def test_files_over_the_size_cap_are_recorded_as_errors_and_the_crawl_goes_on(portal, tmp_path):
    cap = 200_000
    sites = write_registry(portal, tmp_path / "sites.toml")
    crawl(sites, tmp_path / "data", "wendeng", "-s", f"DOWNLOAD_MAXSIZE={cap}")
    rows = fetches(tmp_path / "data")
    too_big = [r for r in rows if r["error"]]
    assert too_big and all(r["sha256"] is None and "larger than download max size" in r["error"]
                           for r in too_big)
    assert all(r["size"] <= cap for r in rows if r["size"])
    # Everything else of wendeng is there.
    big = {r["url"] for r in too_big}
    pages = {r["url"] for r in rows if r["role"] == "report_page"}
    wendeng = [e for e in portal.expected_reports if e["site"] == "wendeng" and not e["disallowed"]]
    assert all(set(e["urls"]) & pages for e in wendeng)
    archived = {r["url"] for r in rows if r["sha256"]}
    assert all(f in archived or f in big for e in wendeng for f in e["files"])


def test_probe_years_tries_annual_report_years_no_page_links(portal, tmp_path):
    sites = write_registry(portal, tmp_path / "sites.toml", huancui_extra="probe_years = [2020, 2023]")
    crawl(sites, tmp_path / "data", "huancui")
    rows = fetches(tmp_path / "data")
    assert_complete(portal, rows, skip=lambda r: r["site"] != "huancui" or r["needs_js"])
    # 2020 is linked nowhere (the replica has 2021-2023): probed for each body, an empty page each.
    probes = [r for r in rows if "fbtime=2020" in r["url"]]
    assert len(probes) == 4 and all(r["role"] == "list" and r["report_key"] is None for r in probes)


def test_a_portal_fault_is_one_line_in_the_crawl_output_and_a_failed_fetch_in_the_archive(tmp_path):
    """Connections reset by the portal: robots.txt (Scrapy logs that with a traceback) and a
    report page. Each is one line on stderr, the page's failure a fetch row, and the crawl goes on."""
    with ReplicaPortal(seed=0, bodies_per_site=1, years=(2023,)) as portal:
        wendeng = portal.sites["wendeng"].base_url
        report = next(e["report_url"] for e in portal.expected_reports  # a report under one URL only
                      if e["urls"] == [e["report_url"]] and e["report_url"].startswith(wendeng + "/art/"))
        # times: more resets than Twisted's own retry of a request on a reused connection
        portal.set_fault("reset", paths=["/robots.txt", urlsplit(report).path], times=5)
        sites = write_registry(portal, tmp_path / "sites.toml")
        result = crawl(sites, tmp_path / "data", "wendeng", "-s", "RETRY_TIMES=0")
    assert "Traceback" not in result.stderr and "\n  File " not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "] ERROR: " in line]
    assert any(f"ERROR: Error downloading <GET {wendeng}/>" in line and "ConnectionLost" in line
               and line.endswith("(DownloadFailedError)") for line in errors), errors
    assert any(f"ERROR: Gave up retrying <GET {report}> (failed 1 times)" in line for line in errors), errors
    rows = fetches(tmp_path / "data")
    (failed,) = [r for r in rows if r["error"]]
    assert failed["url"] == report and failed["role"] == "report_page" and failed["sha256"] is None
    assert failed["error"].startswith("DownloadFailedError: ") and "ConnectionLost" in failed["error"]
    assert any(r["role"] == "report_page" and r["sha256"] for r in rows)  # the other reports were fetched
    db = sqlite3.connect(tmp_path / "data" / "nianbao.db")
    assert db.execute("SELECT status FROM crawl_runs").fetchone() == ("partial",)
    db.close()

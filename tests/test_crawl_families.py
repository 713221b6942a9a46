"""End-to-end crawls of the TRS and Ucap replicas (nianbao/testbed/families) and of
the Hanweb replica with the generic spider, each as ``nianbao crawl`` in a
subprocess; ``--url`` without ``--family`` (fingerprinting); the generic
spider's page budget; ``nianbao sites add`` and ``sites check``."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.testbed.families import FamilyPortal
from nianbao.testbed.replica import ReplicaPortal

from .replica_http import fetch
from .test_crawl_end_to_end import CLI, FAST, ROOT, fetches

YEARS = (2021, 2022, 2023)


def nianbao(*args: str, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-c", CLI, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def crawl_url(url: str, data: Path, *args: str) -> subprocess.CompletedProcess:
    return nianbao("crawl", "--url", url, "--data-dir", str(data), *FAST, *args)


def found_reports(portal, rows, *, with_files: bool = True) -> set[str]:
    """Every expected report (robots-allowed) found under one report_key, its files archived
    under that key; returns the keys (one per report)."""
    pages = {r["url"]: r for r in rows if r["role"] == "report_page" and r["sha256"]}
    files = {r["url"]: r for r in rows if r["role"] == "attachment" and r["sha256"]}
    keys = set()
    for report in portal.expected_reports:
        if report["disallowed"] or report.get("needs_js"):
            continue
        found = [pages[u] for u in report["urls"] if u in pages]
        assert found, f"report not found: {report['report_url']}"
        (key,) = {f["report_key"] for f in found}
        keys.add(key)
        for url in report["files"] if with_files else ():
            assert url in files and files[url]["report_key"] == key, f"{report['report_url']}: {url}"
    return keys


def assert_polite(portal, rows, mirror_hosts=()):
    """No trap page taken for a report, nothing robots.txt forbids requested, nothing offsite."""
    reports = {r["url"] for r in rows if r["role"] == "report_page"}
    expected = {u for e in portal.expected_reports for u in e["urls"]}
    assert reports <= expected, reports - expected
    served = portal.requests
    hosts = Counter(r.host.split(":")[0] for r in served)
    assert not set(hosts) & set(mirror_hosts), hosts
    barred = {urlsplit(e["report_url"]).path for e in portal.expected_reports if e["disallowed"]}
    requested = {urlsplit(r.path).path for r in served}
    assert barred and not barred & requested
    assert not [p for p in requested if p.startswith("/search/")]
    assert all(r.path == "/robots.txt" or "nianbao" in r.headers.get("User-Agent", "") for r in served)
    assert {r.host for r in served if r.path == "/robots.txt"} == {r.host for r in served}


def family_registry(portal: FamilyPortal, path: Path, base_url: str | None = None, extra: str = "") -> Path:
    path.write_text(f'[sites.{portal.name}]\nfamily = "{portal.family}"\nbase_urls = ["{base_url or portal.base_url}/"]\n'
                    f"{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize("family", ["trs", "ucap"])
def test_family_spider_finds_every_report_once_through_faults(family, tmp_path):
    with FamilyPortal(family, bodies=4, years=YEARS) as portal:
        portal.set_fault("https_fail")
        portal.set_fault("error_then_ok")            # every page and file fails once first
        portal.set_fault("reset", paths=["/uploadfiles/", "/zfxxgk/bangongshi/gknb/20"])
        portal.set_fault("waf_521", rounds=2)
        portal.set_fault("slow", paths=["/zwgk/tongji/", "/zfxxgk/tongji/"], seconds=0.5)
        # Registered by its https URL, whose handshake fails: the crawler falls back to http.
        sites = family_registry(portal, tmp_path / "sites.toml", portal.base_url.replace("http:", "https:"),
                                "https_fallback = true\n")
        result = nianbao("crawl", "--sites-file", str(sites), "--data-dir", str(tmp_path / "data"), *FAST,
                         "-s", "RETRY_TIMES=3")
        rows = fetches(tmp_path / "data")
        keys = found_reports(portal, rows)
        assert len(keys) == len([e for e in portal.expected_reports if not e["disallowed"]])
        assert {r["report_key"] for r in rows if r["role"] == "report_page"} == keys
        assert not [r for r in rows if r["error"]]
        assert max(Counter(r["url"] for r in rows if r["role"] != "list").values()) == 1
        assert_polite(portal, rows, [portal.mirror_address])
        assert any("__jsl_clearance" in r.headers.get("Cookie", "") for r in portal.requests)
        assert f"{portal.name}: " in result.stdout and "pages of budget used" in result.stdout


@pytest.mark.parametrize("family", ["trs", "ucap"])
def test_url_without_family_fingerprints_the_portal_and_uses_its_family_spider(family, tmp_path):
    with FamilyPortal(family, bodies=3, years=YEARS) as portal:
        result = crawl_url(portal.base_url + "/", tmp_path / "data")
        assert f"looks like {family}" in result.stdout and f"crawling with the {family} spider" in result.stdout
        rows = fetches(tmp_path / "data")
        found_reports(portal, rows)
        assert_polite(portal, rows, [portal.mirror_address])


@pytest.mark.parametrize("family", ["trs", "ucap"])
def test_generic_spider_finds_every_report_of_the_other_families(family, tmp_path):
    with FamilyPortal(family, bodies=3, years=YEARS) as portal:
        result = crawl_url(portal.base_url + "/", tmp_path / "data", "--family", "generic")
        assert "generic: crawl run" in result.stdout
        rows = fetches(tmp_path / "data")
        found_reports(portal, rows)
        assert_polite(portal, rows, [portal.mirror_address])


def test_generic_spider_on_a_hanweb_portal(tmp_path):
    with ReplicaPortal(seed=0, bodies_per_site=3, years=YEARS) as portal:
        site = portal.sites["wendeng"]
        crawl_url(site.base_url + "/", tmp_path / "data", "--family", "generic")
        rows = fetches(tmp_path / "data")
        pages = {r["url"] for r in rows if r["role"] == "report_page" and r["sha256"]}
        expected = [e for e in portal.expected_reports if e["site"] == "wendeng" and not e["disallowed"]]
        assert all(set(e["urls"]) & pages for e in expected), [e["report_url"] for e in expected
                                                                  if not set(e["urls"]) & pages]
        assert pages <= {u for e in expected for u in e["urls"]}
        assert "127.0.0.5" not in {r.host.split(":")[0] for r in portal.requests}  # the clone
        # Reports are archived with their files (flip-book pages on their own host included).
        book = next(e for e in expected if e["form"] == "flipbook")
        assert set(book["files"]) <= {r["url"] for r in rows if r["sha256"]}


def test_generic_spider_on_the_county_portal_generalises_report_urls(tmp_path):
    """Years offered by script or not at all, bodies only in a select: the generic spider
    finds them from the report URLs it has (other years, other bodies' codes)."""
    with ReplicaPortal(seed=0, bodies_per_site=6, years=YEARS, office=False,
                       sites=("wendeng", "huancui", "rushan")) as portal:
        site = portal.sites["rushan"]
        crawl_url(site.base_url + "/", tmp_path / "data", "--family", "generic")
        rows = fetches(tmp_path / "data")
        pages = {r["url"] for r in rows if r["role"] == "report_page" and r["sha256"]}
        expected = [e for e in portal.expected_reports if e["site"] == "rushan" and not e["disallowed"]]
        assert [e["report_url"] for e in expected if not set(e["urls"]) & pages] == []
        assert not pages & set(portal.trap_urls)
        robots = fetch(site.base_url + "/robots.txt").text
        barred = [line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Disallow: ")]
        host = urlsplit(site.base_url).netloc
        assert barred and not [r for r in portal.requests if r.host == host and r.path.startswith(tuple(barred))]


def test_generic_spider_stops_at_its_page_budget(tmp_path):
    with FamilyPortal("ucap", bodies=3, years=YEARS) as portal:
        result = crawl_url(portal.base_url + "/", tmp_path / "data", "--family", "generic",
                           "-s", "NIANBAO_GENERIC_MAX_PAGES=10")
        rows = fetches(tmp_path / "data")
        assert len([r for r in rows if r["role"] in ("list", "report_page")]) == 10
        assert "10 of 10 pages of budget used" in result.stdout and "over budget not requested" in result.stdout


def test_depth_bounds_the_calendar_trap(tmp_path):
    with FamilyPortal("trs", bodies=1, years=(2023,)) as portal:
        crawl_url(portal.base_url + "/", tmp_path / "data", "--family", "generic",
                  "-s", "NIANBAO_GENERIC_MAX_DEPTH=3")
        calendar = [r.path for r in portal.requests if r.path.startswith("/rl/")]
        # home (depth 0) links the first month; each month leads one month further each way.
        assert 0 < len(calendar) <= 1 + 2 + 2


class _Plain(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def plain_site(tmp_path):
    """A portal of no known CMS: two static pages."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<html><head><title>某县人民政府</title></head><body>"
                                     "<a href='/gk/index.html'>政府信息公开</a></body></html>", encoding="utf-8")
    (root / "gk").mkdir()
    (root / "gk" / "index.html").write_text("<html><body><a href='/news/1.html'>新闻</a></body></html>",
                                            encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.15", 0), functools.partial(_Plain, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.15:%d/" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_sites_add_detects_the_family_and_sites_check_reports_each_site(tmp_path, plain_site):
    registry = tmp_path / "sites.toml"
    registry.write_text('[sites.closed]\nfamily = "trs"\nbase_urls = ["http://127.0.0.16:9/"]\n', encoding="utf-8")
    probe = ("-s", "DOWNLOAD_DELAY=0")
    with FamilyPortal("trs", bodies=1, years=(2023,)) as trs, FamilyPortal("ucap", bodies=1, years=(2023,)) as ucap:
        added = nianbao("sites", "add", trs.base_url + "/zfxxgk/index.htm", "--name", "zhifu",
                        "--sites-file", str(registry), *probe)
        assert 'family = "trs"' in added.stdout
        nianbao("sites", "add", ucap.base_url + "/", "--sites-file", str(registry), *probe)
        nianbao("sites", "add", plain_site, "--name", "plain", "--sites-file", str(registry), *probe)
        text = registry.read_text(encoding="utf-8")
        assert f'[sites.zhifu]\nfamily = "trs"\nbase_urls = ["{trs.base_url}/"]\ntitle = "烟台市芝罘区人民政府"' in text
        assert '[sites.127-0-0-13]\nfamily = "ucap"' in text and '[sites.plain]\nfamily = "generic"' in text
        again = nianbao("sites", "add", trs.base_url + "/", "--name", "zhifu", "--sites-file", str(registry),
                        *probe, check=False)
        assert again.returncode == 2 and "already in the registry" in again.stderr

        checked = nianbao("sites", "check", "--sites-file", str(registry), *probe, check=False)
        lines = dict(line.split(": ", 1) for line in checked.stdout.splitlines())
        assert checked.returncode == 1  # one site does not answer
        assert lines["closed"].endswith("does not answer (URLError: <urlopen error [Errno 111] Connection refused>)")
        assert "answers (HTTP 200), looks like trs" in lines["zhifu"]
        assert "looks like ucap" in lines["127-0-0-13"]
        assert "answers (HTTP 200), no known family (generic)" in lines["plain"]
        one = nianbao("sites", "check", "zhifu", "--sites-file", str(registry), *probe)
        assert one.stdout.count("\n") == 1
        # The probes were polite too: robots.txt first, the crawler's User-Agent.
        assert trs.requests[0].path == "/robots.txt"
        assert all("nianbao" in r.headers.get("User-Agent", "") for r in trs.requests)


def test_a_url_that_does_not_answer_is_one_clear_error(tmp_path):
    result = nianbao("crawl", "--url", "http://127.0.0.16:9/", "--data-dir", str(tmp_path / "data"), *FAST,
                     check=False)
    assert result.returncode == 2
    assert "http://127.0.0.16:9/ does not answer (URLError: <urlopen error [Errno 111] Connection refused>)" in (
        result.stderr)
    assert not (tmp_path / "data" / "nianbao.db").exists()

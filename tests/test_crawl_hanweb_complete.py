"""A complete Hanweb crawl of the rushan-like county portal (nianbao/testbed/replica/county.py),
run as ``nianbao crawl`` in a subprocess against the replica on 127.0.0.7 with faults on:
every body and every report year, once each, none of the traps, nothing offsite or
disallowed, the calendar trap not walked (within the page budget, from the registry or
with ``--url``), and the coverage per body and year in the archive."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from nianbao.testbed.replica import ReplicaPortal
from nianbao.testbed.replica.county import JSEARCH_PAGE_SIZE

from .test_crawl_end_to_end import CLI, FAST, ROOT, crawl, fetches

BUDGET = 250
YEARS = range(2008, date.today().year + 1)


def write_registry(portal, path):
    rushan = portal.sites["rushan"]
    path.write_text(f"""
[sites.rushan]
family = "hanweb"
base_urls = ["{rushan.base_url}/"]
region_code = "371083"
render_js = false
page_budget = {BUDGET}
""", encoding="utf-8")
    return path


def query(data_dir, sql, params=()):
    db = sqlite3.connect(data_dir / "nianbao.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def probed_years(portal, area: str) -> set[int]:
    """Years of a body's xxgkAnnualReport.jsp the replica was asked for (since its log was cleared)."""
    years = set()
    for request in portal.requests:
        parts = urlsplit(request.path)
        if parts.path.endswith("xxgkAnnualReport.jsp"):
            params = parse_qs(parts.query)
            if params.get("area") == [area]:
                years.add(int(params["fbtime"][0]))
    return years


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("county")
    # The replica's own faults on too: a WAF cookie challenge for every client, and a 500
    # before the first answer of every probe, tree and article (retries and challenge
    # repeats cost no page budget).
    faults = [("waf_521", {"hosts": "rushan"}),
              ("error_then_ok", {"hosts": "rushan", "paths": ["/module/xxgk/", "/art/"]})]
    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023), office=False, faults=faults,
                       sites=("wendeng", "huancui", "rushan")) as portal:
        sites = write_registry(portal, tmp / "sites.toml")
        result = crawl(sites, tmp / "data", "rushan")
        yield portal, sites, tmp / "data", result


def test_every_report_found_once_and_no_trap_taken(county):
    portal, _, data_dir, _ = county
    rows = fetches(data_dir)
    pages = {r["url"]: r for r in rows if r["role"] == "report_page"}
    expected = [e for e in portal.expected_reports if e["site"] == "rushan"]
    keys = set()
    for report in expected:
        found = [pages[u] for u in report["urls"] if u in pages]
        assert found, f"report not discovered: {report['report_url']} ({report['year']})"
        assert {f["report_key"] for f in found} == {report["report_key"]}
        keys.add(report["report_key"])
        for url in report["files"]:
            assert [r for r in rows if r["url"] == url and r["sha256"] and r["report_key"] == report["report_key"]]
    # The report published twice (its page and an article with its DOCX) is one report with both.
    twice = next(e for e in expected if len(e["urls"]) == 2)
    assert all(u in pages for u in twice["urls"])
    assert {r["report_key"] for r in pages.values()} == keys == {e["report_key"] for e in expected}
    assert len(expected) == len(keys)  # the old year only probing finds is among them
    assert 2012 in {e["year"] for e in expected}
    # 0 companion, notice, other-annual or guide pages taken as reports (nor fetched at all).
    traps = portal.trap_urls
    assert set(traps.values()) == {"companion", "notice", "other_annual", "guide"}
    assert not set(traps) & {r["url"] for r in rows}
    documents = [r["url"] for r in rows if r["role"] != "list"]
    assert len(documents) == len(set(documents))


def test_nothing_offsite_or_disallowed_and_the_calendar_not_walked(county):
    portal, _, data_dir, result = county
    rushan = portal.sites["rushan"]
    host = urlsplit(rushan.base_url).netloc
    assert {r.host for r in portal.requests} == {host}
    disallowed = rushan.model.disallowed_paths
    assert disallowed and not [r for r in portal.requests if r.path.startswith(tuple(disallowed))]
    assert any(r.path == "/robots.txt" for r in portal.requests)
    # The calendar's first month is a list the home page links; the months it links (its own
    # URL with another date) are not lists, so the budget is not spent in it.
    calendar = [r for r in portal.requests if f"col{rushan.model.county.calendar_column}/" in r.path]
    assert len(calendar) == 1
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("rushan:"))
    counts = json.loads(query(data_dir, "SELECT counts FROM crawl_runs")[0][0])
    assert f"{counts['pages/rushan']} of {BUDGET} pages of budget used" in line and "over budget" not in line
    assert counts["pages/rushan"] < BUDGET and "over_budget/rushan" not in counts
    # Bad input is recorded, and the crawl went on.
    assert counts["bad_input/malformed_list"] >= 1
    assert counts["bad_input/select_without_options"] >= 2  # the directory's and a body's year select
    assert counts["bad_input/search_error"] >= 2            # jsearch for 年报 and one body's search.jsp
    assert query(data_dir, "SELECT status FROM crawl_runs") == [("partial",)]
    # The lying jsearch pager (50 pages more than there are) is followed only while pages
    # bring new results: the real pages, then one that repeats the last.
    hits = [a for a in rushan.model.articles.values() if "年度报告" in a.title]
    searched = [r for r in portal.requests if r.path.startswith("/jsearchfront/search.do")
                and parse_qs(urlsplit(r.path).query)["q"] == ["年度报告"]]
    assert len(searched) == math.ceil(len(hits) / JSEARCH_PAGE_SIZE) + 1


def test_every_body_is_recorded_with_its_coverage_per_year(county):
    portal, _, data_dir, _ = county
    bodies = {b["area"]: b["name"] for b in portal.expected_bodies if b["site"] == "rushan"}
    recorded = dict(query(data_dir, "SELECT area, name FROM bodies WHERE site = 'rushan'"))
    assert recorded == bodies  # also those only in a <select> or the unit-tree iframe
    filed = {(e["area"], e["year"]) for e in portal.expected_reports if e["site"] == "rushan"}
    coverage = {(area, year): status for area, year, status in
                query(data_dir, "SELECT area, year, status FROM body_year_coverage WHERE site = 'rushan'")}
    assert set(coverage) == {(area, year) for area in bodies for year in YEARS}
    for (area, year), status in coverage.items():
        assert status == ("filed" if (area, year) in filed else "not filed"), (area, year)


def test_later_runs_probe_the_last_two_years_unless_full(county):
    portal, sites, data_dir, _ = county
    hidden = next(area for area, via in portal.sites["rushan"].model.county.years_via.items() if via == "none")
    recent = set(YEARS[-2:])
    portal.clear_requests()
    crawl(sites, data_dir, "rushan")
    assert probed_years(portal, hidden) == recent
    portal.clear_requests()
    crawl(sites, data_dir, "rushan", "--full")
    assert probed_years(portal, hidden) == set(YEARS)


def test_url_crawl_spends_a_few_requests_per_report_not_its_budget(tmp_path):
    """``crawl --url`` (no registry entry, the default budget of 2,000 pages): every report,
    in a few requests each. The calendar once cost the whole budget (2,009 requests for 33
    reports in benchmarks.crawl) through links to its own URL with the next month's date."""
    with ReplicaPortal(seed=0, bodies_per_site=6, years=(2021, 2022, 2023), office=False,
                       sites=("wendeng", "huancui", "rushan")) as portal:
        rushan = portal.sites["rushan"]
        result = subprocess.run(
            [sys.executable, "-c", CLI, "crawl", "--url", rushan.base_url + "/", "--family", "hanweb",
             "--data-dir", str(tmp_path / "data"), *FAST, "-s", "NIANBAO_PAGE_BUDGET=2000"],
            cwd=ROOT, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
        host = urlsplit(rushan.base_url).netloc
        served = [r for r in portal.requests if r.host == host]
    expected = [e for e in portal.expected_reports if e["site"] == "rushan" and not e["disallowed"]]
    pages = {r["url"] for r in fetches(tmp_path / "data") if r["role"] == "report_page" and r["sha256"]}
    assert [e["report_url"] for e in expected if not set(e["urls"]) & pages] == []
    calendar = [r for r in served if f"col{rushan.model.county.calendar_column}/" in r.path]
    assert len(calendar) == 1
    # Most requests are probes, each body's every year since 2008 once (114 of 153 in 2026);
    # the others are a few per report (2.6 here; about 120 each before the calendar was left).
    bodies = [b for b in portal.expected_bodies if b["site"] == "rushan"]
    probes = [r for r in served if "xxgkAnnualReport.jsp" in r.path]
    assert len(probes) <= len(bodies) * len(YEARS)
    assert (len(served) - len(probes)) / len(expected) < 4, (len(served), len(probes), len(expected))
    assert "over budget" not in result.stdout

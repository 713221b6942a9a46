"""Counts and totals the loader keeps for the publication (``archive.db.refresh_counts``) and the
pages that read them (``plugins/nianbao_facets.py``, the canned queries of metadata.yml).

Kept counts must equal what SQLite counts from the rows after every load: new reports, new
versions of a report (its body moved to another province), re-parses; and the pages must
show the same numbers as counting at request time would."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import urllib.parse

import pytest

from archive import Archive
from archive.db import REFUSAL_REASONS, facet_sets
from archive.reparse import parse_reports
from nianbao.serve import build_datasette
from nianbao.testbed.synthetic import random_record, render_text

BODIES = [
    ("威海市文登区统计局", "山东省威海市文登区"),
    ("济南市历下区人民政府", "山东省济南市历下区"),
    ("杭州市西湖区财政局", "浙江省杭州市西湖区"),
    ("成都市武侯区人民政府", "四川省成都市武侯区"),
]


def fetch_report(archive: Archive, n: int, *, seed: int | None = None, body: int | None = None) -> None:
    organization, region = BODIES[n % len(BODIES) if body is None else body]
    record = random_record(n if seed is None else seed, year=2019 + n % 4, organization=organization, region=region)
    archive.record_fetch(url=f"http://127.0.0.1/{n}.txt", status=200, body=render_text(record).encode(),
                         role="report_page", report_key=f"k{n}", filename=f"{n}.txt")


def counted_by_sqlite(conn: sqlite3.Connection) -> set[tuple]:
    """Every row facet_counts should hold, counted from the tables now."""
    expected = set()
    for table, (facets, filters) in facet_sets().items():
        expected.add((table, "", None, "", None, conn.execute(f"select count(*) from [{table}]").fetchone()[0]))
        for facet in facets:
            expected |= {(table, "", None, facet, value, count) for value, count in conn.execute(
                f"select [{facet}], count(*) from [{table}] group by [{facet}]")}
            for column in filters:
                expected |= {(table, column, str(key), facet, value, count) for key, value, count in conn.execute(
                    f"select [{column}], [{facet}], count(*) from [{table}] group by [{column}], [{facet}]")}
        for column in filters:
            expected |= {(table, column, str(key), "", None, count) for key, count in conn.execute(
                f"select [{column}], count(*) from [{table}] group by [{column}]")}
    return expected


def refusals_by_sqlite(conn: sqlite3.Connection) -> set[tuple]:
    """(province, body_type, year, reason, total, reports) summed over the current reports' cells."""
    rows = set()
    for reason in REFUSAL_REASONS:
        rows |= set(conn.execute(
            f"select r.province, r.body_type, r.year, '{reason}', sum(c.[{reason}_total]), count(*) "
            "from reports r join applications_wide_cells c on c.report_id = r.id where r.is_latest = 1 "
            "group by r.province, r.body_type, r.year"))
    return rows


def assert_counts_follow_the_rows(data_dir) -> None:
    conn = sqlite3.connect(data_dir / "nianbao.db")
    try:
        kept = set(conn.execute("select * from facet_counts"))
        assert len(kept) == conn.execute("select count(*) from facet_counts").fetchone()[0]  # no row twice
        assert kept == counted_by_sqlite(conn)
        assert set(conn.execute("select * from refusal_totals")) == refusals_by_sqlite(conn)
        assert set(conn.execute("select * from review_totals")) == set(conn.execute(
            "select 省_province, 市_city, 年度_year, count(行政复议_reviews), sum(行政复议_reviews), "
            "sum(复议纠正_reviews_corrected), sum(行政诉讼_lawsuits), sum(诉讼纠正_lawsuits_corrected) "
            "from report_totals group by 1, 2, 3"))
        assert set(conn.execute("select * from organization_names")) == set(conn.execute(
            "select 机关_organization, count(*) from report_totals group by 1"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def counted_archive(tmp_path_factory):
    """An archive loaded in three rounds, checked after each: reports, more reports and new
    versions (two bodies changed province), then everything parsed again."""
    data_dir = tmp_path_factory.mktemp("counted")
    archive = Archive(data_dir)
    for n in range(16):
        fetch_report(archive, n)
    assert len(parse_reports(archive).loaded) == 16
    archive.close()
    assert_counts_follow_the_rows(data_dir)

    archive = Archive(data_dir)
    for n in range(16, 24):
        fetch_report(archive, n)
    fetch_report(archive, 0, seed=100, body=2)  # new originals: version 2, now in 浙江省
    fetch_report(archive, 5, seed=101, body=3)
    assert len(parse_reports(archive).loaded) == 10
    archive.close()
    assert_counts_follow_the_rows(data_dir)

    archive = Archive(data_dir)
    assert len(parse_reports(archive, only_pending=False).loaded) == 24
    archive.close()
    assert_counts_follow_the_rows(data_dir)
    return data_dir


def test_kept_counts_equal_sqlite_counts_after_loads_new_versions_and_reparses(counted_archive):
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    assert conn.execute("select count(*) from reports where version = 2").fetchone()[0] == 2
    # A set per year of the four loaded (the synthetic tables all add up: checks have one ok value).
    for table, column, values in (("reports", "year", 4), ("checks", "ok", 1), ("report_totals", "年度_year", 4)):
        sets = conn.execute("select count(distinct filter_value) from facet_counts "
                            "where table_name = ? and filter_column = ?", [table, column]).fetchone()[0]
        assert sets == values, table
    conn.close()


def facets(ds, path: str) -> dict:
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text[:300]
    return {name: [(item["value"], item["count"]) for item in facet["results"]]
            for name, facet in response.json()["facet_results"].items()}


def sqlite_facets(conn, table: str, columns, where: str = "", params=()) -> dict:
    """What Datasette's column facet computes: non-null values, most frequent first, then by value."""
    return {column: [tuple(row) for row in conn.execute(
        f"select [{column}], count(*) as n from [{table}] {where} {'and' if where else 'where'} [{column}] is not null "
        f"group by [{column}] order by n desc, [{column}] limit 30", params)] for column in columns}


PAGES = [  # (table page, table, where, params): the sets the loader counts, and two it does not
    ("/nianbao/reports.json", "reports", "", ()),
    ("/nianbao/reports.json?year=2021", "reports", "where year = 2021", ()),
    ("/nianbao/checks.json", "checks", "", ()),
    ("/nianbao/checks.json?ok=0", "checks", "where ok = 0", ()),
    ("/nianbao/report_totals.json", "report_totals", "", ()),
    ("/nianbao/report_totals.json?" + urllib.parse.urlencode({"年度_year": 2020}), "report_totals",
     "where 年度_year = 2020", ()),
    ("/nianbao/reports.json?year=2021&province=" + urllib.parse.quote("山东省"), "reports",
     "where year = 2021 and province = '山东省'", ()),
    ("/nianbao/reports.json?_where=" + urllib.parse.quote("id > 3"), "reports", "where id > 3", ()),
]


@pytest.mark.parametrize("one_pass", [True, False])
@pytest.mark.parametrize("path, table, where, params", PAGES)
def test_table_pages_show_the_counts_sqlite_would(counted_archive, path, table, where, params, one_pass, monkeypatch):
    ds = build_datasette(counted_archive / "nianbao.db", counted_archive / "originals")
    from datasette.plugins import pm

    (counted_facet,) = [c for classes in pm.hook.register_facet_classes() for c in classes if c.type == "counted"]
    # Facets the loader did not count: read once for all columns, or counted column by column.
    monkeypatch.setitem(counted_facet.counted_by_sqlite.__globals__, "ONE_PASS_ROWS", 10**9 if one_pass else 0)
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    shown = facets(ds, path)
    assert shown == sqlite_facets(conn, table, facet_sets()[table][0], where, params)
    conn.close()


def test_pages_read_the_kept_counts_and_ignore_counts_of_another_state(counted_archive, tmp_path):
    data_dir = tmp_path / "copy"
    shutil.copytree(counted_archive, data_dir)
    conn = sqlite3.connect(data_dir / "nianbao.db")
    true = sqlite_facets(conn, "reports", ["province"])["province"]
    with conn:  # a wrong count, the set's size unchanged: the page shows what the table holds
        conn.execute("update facet_counts set count = count + 1000 where table_name = 'reports' "
                     "and filter_column = '' and facet_column = 'province' and value = ?", [true[0][0]])
    conn.close()
    assert facets(build_datasette(data_dir / "nianbao.db"), "/nianbao/reports.json")["province"][0] == (
        true[0][0], true[0][1] + 1000)

    conn = sqlite3.connect(data_dir / "nianbao.db")
    year_2021 = sqlite_facets(conn, "reports", ["province"], "where year = 2021")["province"]
    totals_2020 = sqlite_facets(conn, "report_totals", ["省_province"], "where 年度_year = 2020")["省_province"]
    with conn:  # the same within the sets of one year (?year=2021: the filter Datasette writes as "year" = :p0)
        conn.execute("update facet_counts set count = count + 1000 where facet_column in ('province', '省_province') "
                     "and filter_column != ''")
    conn.close()
    ds = build_datasette(data_dir / "nianbao.db")
    assert facets(ds, "/nianbao/reports.json?year=2021")["province"][0] == (year_2021[0][0], year_2021[0][1] + 1000)
    assert facets(ds, "/nianbao/report_totals.json?" + urllib.parse.urlencode({"年度_year": 2020}))["省_province"][0] == (
        totals_2020[0][0], totals_2020[0][1] + 1000)

    conn = sqlite3.connect(data_dir / "nianbao.db")
    with conn:  # counts of another number of rows (an archive loaded since): counted afresh
        conn.execute("update facet_counts set count = count + 1 where table_name = 'reports' "
                     "and filter_column = '' and facet_column = ''")
    conn.close()
    assert facets(build_datasette(data_dir / "nianbao.db"), "/nianbao/reports.json")["province"] == true


def query_rows(ds, name: str, **params) -> list[dict]:
    response = asyncio.run(ds.client.get(f"/nianbao/{name}.json?_shape=objects&{urllib.parse.urlencode(params)}"))
    assert response.status_code == 200, response.text[:300]
    return response.json()["rows"]


@pytest.mark.parametrize("province, body_type, year", [("", "", ""), ("山东省", "", ""), ("", "", "2020"),
                                                       ("浙江省", "部门", "2021")])
def test_refusals_by_reason_sums_what_the_reports_hold(counted_archive, province, body_type, year):
    ds = build_datasette(counted_archive / "nianbao.db")
    shown = {(row["年度"], row["reason"]): (row["件数"], row["报告数"])
             for row in query_rows(ds, "refusals_by_reason", province=province, body_type=body_type, year=year)}
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    where = ("r.is_latest = 1 and (:province = '' or r.province = :province) and (:body_type = '' or r.body_type = "
             ":body_type) and (:year = '' or r.year = cast(:year as integer))")
    expected = {}
    for reason in REFUSAL_REASONS:
        for year_, total, reports in conn.execute(
                f"select r.year, sum(c.[{reason}_total]), count(*) from reports r join applications_wide_cells c "
                f"on c.report_id = r.id where {where} group by r.year",
                {"province": province, "body_type": body_type, "year": year}):
            expected[(year_, reason)] = (total, reports)
    conn.close()
    assert shown == expected and (shown or province == "浙江省")


@pytest.mark.parametrize("province, year", [("", ""), ("山东省", ""), ("", "2022")])
def test_reviews_corrected_by_region_sums_what_report_totals_hold(counted_archive, province, year):
    ds = build_datasette(counted_archive / "nianbao.db")
    shown = [tuple(row.values()) for row in
             query_rows(ds, "reviews_corrected_by_region", province=province, year=year)]
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    expected = [tuple(row) for row in conn.execute(
        """select 省_province, case when :province = '' then '（全省 all）' else 市_city end as 市, 年度_year,
                  count(行政复议_reviews), sum(行政复议_reviews), sum(复议纠正_reviews_corrected),
                  round(100.0 * sum(复议纠正_reviews_corrected) / nullif(sum(行政复议_reviews), 0), 1),
                  sum(行政诉讼_lawsuits), sum(诉讼纠正_lawsuits_corrected)
           from report_totals where (:province = '' or 省_province = :province)
             and (:year = '' or 年度_year = cast(:year as integer))
           group by 省_province, case when :province = '' then null else 市_city end, 年度_year
           order by 省_province, 市, 年度_year""", {"province": province, "year": year})]
    conn.close()
    assert shown == expected and shown


@pytest.mark.parametrize("part", ["文登", "人民政府", "西湖区财政局", "无此机关"])
def test_body_across_years_finds_the_reports_whose_body_name_holds_the_text(counted_archive, part):
    ds = build_datasette(counted_archive / "nianbao.db")
    shown = [(row["机关_organization"], row["年度_year"], row["report_id"])
             for row in query_rows(ds, "body_across_years", organization=part)]
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    expected = list(conn.execute("select 机关_organization, 年度_year, report_id from report_totals "
                                 "where instr(机关_organization, ?) > 0 order by 1, 2", [part]))
    conn.close()
    assert shown == expected and (shown or part == "无此机关")


def test_a_counted_facet_on_a_column_the_loader_does_not_count_is_counted_by_sqlite(counted_archive):
    ds = build_datasette(counted_archive / "nianbao.db")
    shown = facets(ds, "/nianbao/reports.json?_facet_counted=region_code")["region_code"]
    conn = sqlite3.connect(counted_archive / "nianbao.db")
    assert shown == sqlite_facets(conn, "reports", ["region_code"])["region_code"] and shown
    conn.close()

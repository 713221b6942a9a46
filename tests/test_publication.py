"""The published archive through Datasette's own test client: metadata, facets,
full-text search, canned queries, charts, and archived originals."""

import asyncio
import hashlib
import os
import sqlite3

import pytest

from nianbao.serve import build_datasette

WENDENG = "威海市文登区统计局"


@pytest.fixture(scope="module")
def ds(sample_archive):
    return build_datasette(sample_archive / "nianbao.db", sample_archive / "originals")


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def rows(ds, path):
    response = get(ds, path + ("&" if "?" in path else "?") + "_shape=objects")
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def test_home_page_has_title_description_and_the_database_download(ds):
    page = get(ds, "/")
    assert page.status_code == 200
    assert "政府信息公开工作年度报告数据库" in page.text
    assert 'href="/nianbao.db"' in page.text
    assert "CC BY 4.0" in page.text  # the data's licence in the footer (the code's is on /-/about)
    download = get(ds, "/nianbao.db")
    assert download.status_code == 200
    assert download.content.startswith(b"SQLite format 3\x00")


def test_tables_and_columns_are_described_in_chinese_and_english_with_units(ds):
    page = get(ds, "/nianbao/applications").text
    assert "收到和处理政府信息公开申请情况" in page and "requests received" in page.lower()
    assert "单位：件" in page
    disclosure = get(ds, "/nianbao/active_disclosure").text
    assert "万元" in disclosure
    reports = get(ds, "/nianbao/reports").text
    assert "报告年度" in reports and "Year reported on" in reports


def test_reports_are_faceted_by_year_region_body_type_template_and_tables(ds, sample_db):
    response = get(ds, "/nianbao/reports.json?is_latest=1")
    facets = response.json()["facet_results"]
    for facet in ("year", "province", "city", "county", "body_type", "template", "tables_status"):
        assert facet in facets, facet
    years = {item["value"]: item["count"] for item in facets["year"]["results"]}
    expected = dict(sample_db.execute("select year, count(*) from reports where is_latest = 1 group by year").fetchall())
    assert years == expected
    body_types = {item["value"] for item in facets["body_type"]["results"]}
    assert {"部门", "乡镇街道"} <= body_types
    check_facets = get(ds, "/nianbao/checks.json").json()["facet_results"]
    assert {"code", "ok"} <= set(check_facets)


@pytest.mark.parametrize("word", ["申请", "复议", "诉讼"])
def test_two_character_words_are_found_by_full_text_search(ds, sample_db, word):
    found = rows(ds, f"/nianbao/sections.json?_search={word}")
    assert found, word
    for section in found:
        assert word in (section["title"] or "") + (section["text"] or "")
    # Every section whose text has the word is found, not just some.
    having = sample_db.execute(
        "select count(*) from sections where instr(coalesce(title, '') || coalesce(text, ''), ?) > 0", [word]
    ).fetchone()[0]
    assert len(found) == having


def test_a_table_search_is_not_counted_so_a_word_in_every_report_stays_fast(ds):
    # A million sections hold 复议: the table page lists them without counting them all.
    response = get(ds, "/nianbao/sections.json?_search=复议")
    assert response.json()["filtered_table_rows_count"] is None
    assert response.json()["rows"]
    assert "not counted" in get(ds, "/nianbao/sections?_search=复议").text


def test_search_finds_nothing_for_an_absent_word(ds):
    assert rows(ds, "/nianbao/sections.json?_search=潜水艇") == []


def test_refusals_by_reason_and_year_add_up_to_the_cells(ds, sample_db):
    found = rows(ds, "/nianbao/refusals_by_reason.json?province=&year=2023")
    assert found
    assert all(r["年度"] == 2023 for r in found)
    expected = sample_db.execute(
        "select sum(a.value) from applications a join reports r on r.id = a.report_id "
        "where r.is_latest = 1 and r.year = 2023 and a.column_code = 'total' and "
        "(a.row_code like 'denied_%' or a.row_code like 'unable_%' or a.row_code like 'rejected_%')"
    ).fetchone()[0]
    assert sum(r["件数"] for r in found) == expected
    reports_read = sample_db.execute(
        "select count(distinct a.report_id) from applications a join reports r on r.id = a.report_id "
        "where r.is_latest = 1 and r.year = 2023").fetchone()[0]
    assert {r["报告数"] for r in found} == {reports_read}
    labels = {r["reason"]: r["理由"] for r in found}
    if "unable_not_held" in labels:
        assert labels["unable_not_held"] == "（四）无法提供 1.本机关不掌握相关政府信息"


def test_failed_checks_list_the_body_whose_table_does_not_add_up(ds):
    found = rows(ds, "/nianbao/failed_checks.json?code=")
    assert {(r["organization"], r["code"]) for r in found} >= {("荣成市东山街道", "apps_balance")}
    assert all(r["organization"] == "荣成市东山街道" for r in found)


def test_one_body_across_years(ds, sample_db):
    found = rows(ds, f"/nianbao/body_across_years.json?organization={WENDENG}")
    assert [r["年度_year"] for r in found] == [2021, 2022, 2023]
    for r in found:
        received = sample_db.execute(
            "select value from applications where report_id = ? and row_code = 'new_received' "
            "and column_code = 'total'", [r["report_id"]]
        ).fetchone()[0]
        assert r["新收申请_received"] == received


def test_totals_per_region_and_year(ds, sample_db):
    found = rows(ds, "/nianbao/totals_by_region_year.json?province=")
    wendeng_2022 = [r for r in found if r["region_code"] == "371003" and r["year"] == 2022]
    assert len(wendeng_2022) == 1
    expected = sample_db.execute(
        "select sum(a.value) from applications a join reports r on r.id = a.report_id where r.is_latest = 1 "
        "and r.region_code = '371003' and r.year = 2022 and a.row_code = 'new_received' and a.column_code = 'total'"
    ).fetchone()[0]
    assert wendeng_2022[0]["新收申请"] == expected


def test_reports_without_readable_tables_are_listed(ds):
    found = rows(ds, "/nianbao/tables_not_read.json")
    assert [(r["organization"], r["tables_status"]) for r in found] == [("威海市文登区信访局", "absent")]


def test_coverage_shows_years_a_body_did_not_file(ds):
    found = {r["organization"]: r for r in rows(ds, "/nianbao/coverage.json")}
    assert found["威海市环翠区统计局"]["missing_years"] == "2021"
    assert WENDENG not in found  # filed every year of the archive


def test_coverage_per_body_and_year_tells_not_filed_from_not_probed(ds):
    statuses = {r["year"]: r["status"] for r in rows(ds, "/nianbao/body_coverage.json?organization=文登&status=")}
    assert (statuses[2021], statuses[2020], statuses[2019]) == ("filed", "not filed", "not probed")
    assert set(statuses) >= set(range(2008, 2024))
    filed = rows(ds, "/nianbao/body_coverage.json?organization=&status=filed")
    assert [(r["organization"], r["year"]) for r in filed] == [(WENDENG, 2021)]


def test_unmapped_organizations_are_listed_not_guessed(ds):
    found = {r["organization"]: r for r in rows(ds, "/nianbao/unmapped_organizations.json")}
    assert found["上庄镇人民政府"]["region_code"] is None
    assert found["西宁市湟中区统计局"]["region_code"] == "630100"
    assert WENDENG not in found


def test_crawl_runs_are_published(ds):
    found = rows(ds, "/nianbao/crawl_runs_published.json")
    assert found[0]["status"] == "ok" and found[0]["fetches"] >= 10


def test_dashboard_charts_render_and_their_queries_count_requests(ds, sample_db):
    page = get(ds, "/-/dashboards/overview")
    assert page.status_code == 200
    assert "各年度新收申请" in page.text and "办理结果构成" in page.text
    assert "vega-lite.min.js" in page.text  # bundled with the plugin: charts work offline
    chart = ds.plugin_config("datasette-dashboards")["overview"]["charts"]["applications-per-year"]
    import re

    unfiltered = re.sub(r"\[\[.*?\]\]", "", chart["query"])  # the optional filter clauses, unset
    found = rows(ds, "/nianbao.json?sql=" + _quote(unfiltered))
    per_year = {r["year"]: (r["received"], r["reports"]) for r in found}
    expected = sample_db.execute(
        "select r.year, sum(a.value), count(a.value) from reports r left join applications a on a.report_id = r.id "
        "and a.row_code = 'new_received' and a.column_code = 'total' where r.is_latest = 1 group by r.year"
    ).fetchall()
    # A year whose reports print no figure is NULL (no bar), not 0; each bar carries its report count.
    assert per_year == {str(year): (total, reports) for year, total, reports in expected}


def _quote(sql):
    from urllib.parse import quote

    return quote(sql)


def test_report_rows_link_to_the_portal_and_originals_link_to_the_store(ds, sample_db):
    report = sample_db.execute("select id, source_url from reports where organization = ? limit 1", [WENDENG]).fetchone()
    page = get(ds, f"/nianbao/reports/{report['id']}").text
    assert f'href="{report["source_url"]}"' in page
    sha256 = sample_db.execute("select sha256 from report_documents where report_id = ?", [report["id"]]).fetchone()[0]
    listing = get(ds, f"/nianbao/report_documents?report_id={report['id']}").text
    assert f'href="/-/originals/{sha256}"' in listing


def test_an_archived_original_is_served_byte_for_byte_with_its_content_type(ds, sample_db, sample_archive):
    sha256, content_type = sample_db.execute(
        "select sha256, content_type from fetches where role = 'report_page' limit 1").fetchone()
    response = get(ds, f"/-/originals/{sha256}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == sha256
    assert response.headers["content-type"] == content_type
    assert response.headers["content-security-policy"] == "sandbox"  # archived HTML runs no script here


def test_a_word_original_keeps_its_type_and_chinese_filename(ds, sample_db):
    sha256 = sample_db.execute("select sha256 from documents where format = 'docx'").fetchone()[0]
    response = get(ds, f"/-/originals/{sha256}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''2023%E5%B9%B4" in response.headers["content-disposition"]
    assert response.content[:2] == b"PK"


@pytest.mark.parametrize(
    "path",
    [
        "/-/originals/../../../../etc/passwd",
        "/-/originals/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/-/originals/%2e%2e%2f%2e%2e%2fnianbao.db",
        "/-/originals/" + "0" * 63,
        "/-/originals/" + "g" * 64,
        "/-/originals/" + "ab" * 32 + "/..",
        "/-/originals/" + "0" * 64,  # well formed, not in the store
    ],
)
def test_nothing_outside_the_store_is_served(ds, path):
    # Datasette redirects %2F to its ~2F form first: follow it to the end.
    response = asyncio.run(ds.client.get(path, follow_redirects=True))
    assert response.status_code == 404
    assert b"root:" not in response.content and b"SQLite format" not in response.content


def test_a_symlink_planted_in_the_store_does_not_lead_out_of_it(ds, sample_archive):
    sha256 = "ee" * 32
    planted = sample_archive / "originals" / "ee" / "ee" / sha256
    planted.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("/etc/passwd", planted)
    try:
        assert get(ds, f"/-/originals/{sha256}").status_code == 404
    finally:
        planted.unlink()


def test_the_uppercase_digest_of_a_real_original_is_refused(ds, sample_db):
    sha256 = sample_db.execute("select sha256 from documents limit 1").fetchone()[0]
    assert get(ds, f"/-/originals/{sha256.upper()}").status_code == 404


def test_a_report_page_shows_its_originals_totals_and_failed_checks(ds, sample_db):
    import re

    report_id = sample_db.execute("select id from reports where organization = '荣成市东山街道'").fetchone()[0]
    page = get(ds, f"/nianbao/reports/{report_id}").text
    sha256 = sample_db.execute("select sha256 from report_documents where report_id = ?", [report_id]).fetchone()[0]
    assert f'href="/-/originals/{sha256}"' in page
    received = sample_db.execute("select value from applications where report_id = ? and row_code = 'new_received' "
                          "and column_code = 'total'", [report_id]).fetchone()[0]
    row = re.search(r'<tr data-code="new_received">(.*?)</tr>', page, re.S).group(1)
    assert "一、本年新收政府信息公开申请数量" in row and row.endswith(f'<td class="type-int">{received}</td>')
    assert re.search(r'<li class="failed">✗ 未通过 · [^<]+<code>apps_balance</code>', page)


def test_the_refusals_query_sums_every_refusal_code_of_the_spec(sample_db):
    from archive.db import REFUSAL_REASONS
    from parsers.model import APPLICATION_ROWS

    # refusals_by_reason reads refusal_totals, which the loader fills with one row per reason.
    assert set(REFUSAL_REASONS) == {code for code in APPLICATION_ROWS
                                    if code.startswith(("denied_", "unable_", "rejected_"))}
    kept = {row[0] for row in sample_db.execute("select distinct reason from refusal_totals")}
    assert kept == set(REFUSAL_REASONS)


def test_live_mode_serves_a_mutable_database_without_the_download(sample_archive):
    live = build_datasette(sample_archive / "nianbao.db", sample_archive / "originals", immutable=False)
    assert get(live, "/nianbao/reports.json").status_code == 200
    assert get(live, "/nianbao.db").status_code in (403, 404)


def test_table_counts_come_from_inspect_data_rebuilt_when_the_database_changes(tmp_path):
    from nianbao.serve import inspect_data

    source = tmp_path / "nianbao.db"
    conn = sqlite3.connect(source)
    conn.execute("create table crawl_runs (id integer primary key, status text)")
    conn.execute("insert into crawl_runs (status) values ('ok')")
    conn.commit()
    assert inspect_data(source)["nianbao"]["tables"]["crawl_runs"]["count"] == 1
    assert (tmp_path / "nianbao.inspect.json").is_file()
    conn.execute("insert into crawl_runs (status) values ('partial')")
    conn.commit()
    conn.close()
    os.utime(source, ns=(0, os.stat(source).st_mtime_ns + 1_000_000))  # a later state, even within one tick
    assert inspect_data(source)["nianbao"]["tables"]["crawl_runs"]["count"] == 2


def test_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no database at .*nianbao run"):
        build_datasette(tmp_path / "nianbao.db", tmp_path / "originals")


def test_datasette_reads_the_archive_memory_mapped(ds):
    database = ds.get_database("nianbao")
    mapped = asyncio.run(database.execute_fn(lambda conn: conn.execute("PRAGMA mmap_size").fetchone()[0]))
    assert mapped > 0

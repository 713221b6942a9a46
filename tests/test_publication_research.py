"""The publication as a research tool, through Datasette's test client on the sample archive:
search that finds phrases, the comparison view, the report page, downloads, about and
code book pages, and facet labels."""

import asyncio
import csv
import hashlib
import io
import random
import re
import zipfile

import pytest

from archive.datasette import exports, search
from archive.db import REPORT_TOTALS_FIGURES
from nianbao.serve import build_datasette
from parsers import model

WENDENG = "威海市文登区统计局"
ISSUE_PHRASES = ["依申请", "信息公开", "政府信息公开", "申请公开", "保密审查"]


@pytest.fixture(scope="module")
def ds(sample_archive):
    exports.prepare(sample_archive / "nianbao.db", sample_archive / "exports")
    return build_datasette(sample_archive / "nianbao.db", sample_archive / "originals")


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def found_reports(ds, query: str) -> tuple[set[int], int]:
    """Every report the search page's JSON finds, page by page, and the total it states."""
    ids, page = set(), 1
    while True:
        data = get(ds, f"/-/search.json?q={query}&page={page}").json()
        ids |= {report["report_id"] for report in data["reports"]}
        if page * data["page_size"] >= data["total"]:
            return ids, data["total"]
        page += 1


def current_sections(sample_db):
    return [(row[0], row[1], row[2]) for row in sample_db.execute(
        "select s.id, s.report_id, coalesce(s.title, '') || char(10) || coalesce(s.text, '') from sections s "
        "join reports r on r.id = s.report_id where r.is_latest = 1")]


def holding(sections, *phrases) -> set[int]:
    """Reports whose sections, together, hold every phrase (computed here, not by the site)."""
    reports = {}
    for _, report_id, text in sections:
        reports.setdefault(report_id, set()).update(p for p in phrases if p.lower() in text.lower())
    return {r for r, held in reports.items() if held == set(phrases)}


@pytest.mark.parametrize("phrase", ISSUE_PHRASES)
def test_the_phrases_that_found_nothing_find_every_report_holding_them(ds, sample_db, phrase):
    sections = current_sections(sample_db)
    expected = holding(sections, phrase)
    assert expected  # the sample prints each of them
    ids, total = found_reports(ds, phrase)
    assert ids == expected and total == len(expected)
    # ?_search= on the sections table (HTML and JSON) finds the same sections the text holds.
    table = get(ds, f"/nianbao/sections.json?_search={phrase}&_shape=objects&_size=max").json()["rows"]
    assert {row["id"] for row in table} == {s for s, _, text in sections if phrase in text}
    page = get(ds, f"/nianbao/sections?_search={phrase}")
    assert page.status_code == 200 and f'value="{phrase}"' in page.text  # the box shows what was typed


def test_any_phrase_cut_from_a_report_finds_that_report(ds, sample_db):
    """Substrings across jieba's word boundaries (收到和处理政) and two-character pairs that are no word."""
    sections = current_sections(sample_db)
    rng = random.Random(14)
    tried = 0
    while tried < 60:
        _, report_id, text = rng.choice(sections)
        runs = re.findall(r"[\u4e00-\u9fff]{3,}", text)
        if not runs:
            continue
        run = rng.choice(runs)
        length = rng.randint(2, min(7, len(run)))
        start = rng.randrange(len(run) - length + 1)
        phrase = run[start:start + length]
        if length == 2 and search.words(phrase) == [phrase]:
            continue  # a dictionary word: the word index (see the next test and search.py)
        tried += 1
        ids, _ = found_reports(ds, phrase)
        assert report_id in ids, phrase
        assert ids == holding(sections, phrase), phrase


@pytest.mark.parametrize("word", ["申请", "复议", "诉讼"])
def test_two_character_words_are_found_through_the_word_index(ds, sample_db, word):
    ids, _ = found_reports(ds, word)
    assert ids == holding(current_sections(sample_db), word)


def test_several_phrases_match_within_one_report_not_one_section(ds, sample_db):
    sections = current_sections(sample_db)
    # Two phrases the sample prints in different sections of the same reports.
    first, second = "依申请公开", "行政诉讼"
    in_one_section = {r for _, r, text in sections if first in text and second in text}
    expected = holding(sections, first, second)
    assert expected - in_one_section, "the sample should hold them apart"
    ids, _ = found_reports(ds, f"{first} {second}")
    assert ids == expected


def test_results_are_per_report_with_original_text_snippets_hits_marked(ds, sample_db):
    data = get(ds, "/-/search.json?q=依申请公开").json()
    report = data["reports"][0]
    assert {"title", "organization", "year", "url", "sections"} <= set(report)
    snippet = report["sections"][0]["snippet"]
    assert "<mark>依申请公开</mark>" in snippet
    # The original text, not the segmented copy: no spaces put between Chinese characters.
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", snippet)
    page = get(ds, "/-/search?q=依申请公开").text
    assert "<mark>依申请公开</mark>" in page
    assert f'href="/nianbao/reports/{report["report_id"]}"' in page


def test_search_facets_count_the_reports_found_and_narrow_them(ds, sample_db):
    data = get(ds, "/-/search.json?q=复议").json()
    for facet in ("year", "province", "body_type"):
        assert sum(item["count"] for item in data["facets"][facet]) == data["total"]
    year = data["facets"]["year"][0]["value"]
    narrowed = get(ds, f"/-/search.json?q=复议&year={year}").json()
    assert narrowed["total"] == data["facets"]["year"][0]["count"]
    assert {r["year"] for r in narrowed["reports"]} == {year}
    assert "facet-year" in get(ds, "/-/search?q=复议").text


@pytest.mark.parametrize("query", ['"', "“”", "，。", "x" * 300])
def test_a_malformed_search_gets_a_readable_message(ds, query):
    response = get(ds, f"/-/search.json?q={query}")
    assert response.status_code == 400
    assert "fts5" not in response.text and ("检索" in response.json()["error"])
    table = get(ds, f"/nianbao/sections.json?_search={query}")
    assert table.status_code == 400 and "fts5" not in table.text
    assert "检索词" in get(ds, f"/nianbao/sections?_search={query}").text


# --- comparison view ---------------------------------------------------------------------------


def test_search_counts_up_to_its_cap_then_says_more_than(ds, sample_db, monkeypatch):
    from archive.datasette import search

    everything = get(ds, "/-/search.json?q=复议").json()
    assert everything["more_than"] is None and everything["total"] > 3
    all_found = found_reports(ds, "复议")[0]
    monkeypatch.setattr(search, "MAX_COUNTED", 2)
    capped = get(ds, "/-/search.json?q=复议").json()
    assert capped["more_than"] == 2 and capped["total"] == 3  # counting stopped at the first 3 found
    found = {report["report_id"] for report in capped["reports"]}
    # The first found are the latest loaded (the highest ids), shown newest year first.
    assert found == set(sorted(all_found)[-3:])
    assert [r["year"] for r in capped["reports"]] == sorted((r["year"] for r in capped["reports"]), reverse=True)
    assert sum(item["count"] for item in capped["facets"]["year"]) == 3
    assert "超过 <strong>2</strong> 份报告" in get(ds, "/-/search?q=复议").text
    # Two phrases: the second is looked for in the reports the first finds; counted the same way.
    both = get(ds, "/-/search.json?q=复议 依申请公开").json()
    assert both["more_than"] == 2 and both["total"] == 3
    monkeypatch.setattr(search, "MAX_COUNTED", 10_000)
    assert get(ds, "/-/search.json?q=复议 依申请公开").json()["total"] == len(
        found_reports(ds, "复议 依申请公开")[0])


@pytest.mark.parametrize("query", ["复议", "依申请公开", "复议 诉讼", "保密审查 依申请公开", "府信", "申请 公开"])
def test_a_filtered_search_reading_the_reports_finds_what_reading_the_index_finds(ds, sample_db, query, monkeypatch):
    from archive.datasette import search

    year = sample_db.execute("select max(year) from reports").fetchone()[0]
    province = sample_db.execute("select province from reports where province is not null limit 1").fetchone()[0]
    for filters in (f"year={year}", f"province={province}", f"province={province}&year={year}"):
        monkeypatch.setattr(search, "FEW_REPORTS", 10**9)  # read the filtered reports
        from_reports = get(ds, f"/-/search.json?q={query}&{filters}").json()
        monkeypatch.setattr(search, "FEW_REPORTS", -1)  # read the index, latest first
        from_index = get(ds, f"/-/search.json?q={query}&{filters}").json()
        assert from_reports["total"] == from_index["total"]
        assert from_reports["facets"] == from_index["facets"]
        assert [r["report_id"] for r in from_reports["reports"]] == [r["report_id"] for r in from_index["reports"]]
        phrases = search.parse(query)
        if min(map(len, phrases)) < 3:
            continue  # a two-character word is found as jieba cut it, not as a substring
        expected = holding(current_sections(sample_db), *phrases)
        narrowed = {r for r, in sample_db.execute(
            f"select id from reports where is_latest = 1 and (:y = '' or year = :y) and (:p = '' or province = :p)",
            {"y": str(year) if "year" in filters else "", "p": province if "province" in filters else ""})}
        assert from_reports["total"] == len(expected & narrowed)


def test_the_rarest_phrase_leads_and_a_search_that_runs_too_long_says_so(ds, sample_db, monkeypatch):
    from archive.datasette import search

    # A phrase in no report, beside one in every report: counted first, it leads, so the
    # reports read are those holding it (none), not every report.
    rarity = {p: (sample_db.execute(search.rarity_sql(p)).fetchone()[0]) for p in ("依申请公开", "无此短语在报告中")}
    assert rarity["无此短语在报告中"] == 0 < rarity["依申请公开"]
    sql, _ = search.search_sql(["依申请公开", "无此短语在报告中"], search.Filters(), 20, 0, rarity=rarity)
    assert "MATCH '\"无此短语在报告中\"'" in sql and "lower('依申请公开')" in sql
    assert search.rarity_sql("府信") is None  # no index holds it: read last
    assert get(ds, "/-/search.json?q=依申请公开 无此短语在报告中").json()["total"] == 0

    endless = "with recursive n(i) as (select 1 union all select i + 1 from n) select 'total', null, count(*), null from n"
    monkeypatch.setattr(search, "search_sql", lambda *args, **kwargs: (endless, {}))
    monkeypatch.setattr(ds, "sql_time_limit_ms", 200)
    response = get(ds, "/-/search.json?q=复议")
    assert response.status_code == 400 and "took too long" in response.json()["error"]


def test_report_totals_has_one_row_per_current_report_with_the_printed_figures(ds, sample_db):
    rows = get(ds, "/nianbao/report_totals.json?_shape=objects&_size=max").json()["rows"]
    current = {r[0] for r in sample_db.execute("select id from reports where is_latest = 1")}
    assert {row["report_id"] for row in rows} == current
    names = {name for name, _ in REPORT_TOTALS_FIGURES}
    assert {"新收申请_received", "不予公开合计_denied", "复议纠正_reviews_corrected", "表格_tables_status",
            "核对通过_checks_passed", "机关_organization", "省_province", "年度_year"} <= set(rows[0])
    assert names <= set(rows[0])
    for row in rows:
        cells = dict(((r, c), v) for r, c, v in sample_db.execute(
            "select row_code, column_code, value from applications where report_id = ?", [row["report_id"]]))
        assert row["新收申请_received"] == cells.get(("new_received", "total"))
        denied = [cells.get((code, "total")) for code in model.APPLICATION_ROWS if code.startswith("denied_")]
        printed = [v for v in denied if v is not None]
        assert row["不予公开合计_denied"] == (sum(printed) if printed else None)  # missing is not zero
        failed = sample_db.execute("select count(*) from checks where report_id = ? and ok = 0",
                                   [row["report_id"]]).fetchone()[0]
        checked = sample_db.execute("select count(*) from checks where report_id = ?", [row["report_id"]]).fetchone()[0]
        assert row["核对通过_checks_passed"] == (None if not checked else int(failed == 0))


def test_report_totals_facets_sorts_links_and_exports(ds, sample_db):
    data = get(ds, "/nianbao/report_totals.json?_sort_desc=新收申请_received").json()
    assert {"年度_year", "省_province", "机关类型_body_type", "表格_tables_status"} <= set(data["facet_results"])
    received = [row[data["columns"].index("新收申请_received")] for row in data["rows"]]
    assert [v for v in received if v is not None] == sorted([v for v in received if v is not None], reverse=True)
    page = get(ds, "/nianbao/report_totals").text
    report_id = data["rows"][0][0]
    # The report id is a link that opens the report.
    assert f'href="/nianbao/report_totals/{report_id}"' in page
    opened = get(ds, f"/nianbao/report_totals/{report_id}")
    assert opened.status_code == 302 and opened.headers["location"].endswith(f"/nianbao/reports/{report_id}")
    csv_text = get(ds, "/nianbao/report_totals.csv?_stream=on&_size=max").text
    current = sample_db.execute("select count(*) from reports where is_latest = 1").fetchone()[0]
    assert len(list(csv.reader(io.StringIO(csv_text)))) == 1 + current


def test_every_report_id_on_the_site_links_to_its_report(ds, sample_db):
    failed = sample_db.execute("select report_id from checks where ok = 0").fetchone()[0]
    for path in ["/nianbao/failed_checks?code=&province=&year=", "/nianbao/applications_wide",
                 "/nianbao/checks", f"/nianbao/body_across_years?organization={WENDENG[4:6]}"]:
        page = get(ds, path).text
        assert re.search(r'<a href="/nianbao/reports/\d+"', page), path
    assert f'<a href="/nianbao/reports/{failed}"' in get(ds, "/nianbao/failed_checks?code=&province=&year=").text


def test_canned_queries_offer_choices_and_match_part_of_a_name(ds, sample_db):
    page = get(ds, "/nianbao/refusals_by_reason").text
    provinces = {r[0] for r in sample_db.execute("select distinct province from reports where province is not null")}
    datalist = re.search(r'<datalist id="choices-province">(.*?)</datalist>', page, re.S).group(1)
    assert provinces == set(re.findall(r'<option value="([^"]+)"', datalist))
    assert 'list="choices-year"' in page and 'list="choices-body_type"' in page
    # 文登 finds the bodies whose name holds it.
    rows = get(ds, "/nianbao/body_across_years.json?organization=文登&_shape=objects").json()["rows"]
    assert rows and {r["机关_organization"] for r in rows} == {
        r[0] for r in sample_db.execute("select distinct organization from reports where organization like '%文登%'")}
    assert WENDENG in get(ds, "/-/organizations.json?q=文登").json()


def test_reviews_corrected_per_region_without_writing_sql(ds, sample_db):
    rows = get(ds, "/nianbao/reviews_corrected_by_region.json?province=&year=&_shape=objects").json()["rows"]
    expected = sample_db.execute(
        "select sum(v.value) from reviews_litigation v join reports r on r.id = v.report_id "
        "where r.is_latest = 1 and v.group_code = 'review' and v.column_code = 'corrected'").fetchone()[0]
    assert sum(r["复议纠正"] or 0 for r in rows) == expected


# --- the report page ----------------------------------------------------------------------------


def report_id(sample_db, organization=WENDENG, year=2022):
    return sample_db.execute("select id from reports where organization = ? and year = ? and is_latest = 1",
                             [organization, year]).fetchone()[0]


def test_report_page_reads_as_the_report(ds, sample_db):
    rid = report_id(sample_db)
    page = get(ds, f"/nianbao/reports/{rid}").text
    # Section 三: every row the report prints, all seven columns, printed labels.
    grid = re.search(r'<table class="rows-and-columns applications-grid">(.*?)</table>', page, re.S).group(1)
    for printed in model.APPLICANT_COLUMNS.values():
        assert f">{printed}</th>" in grid
    cells = sample_db.execute("select row_code, column_code, value from applications where report_id = ?", [rid])
    by_row = {}
    for row_code, column_code, value in cells:
        by_row.setdefault(row_code, {})[column_code] = value
    granted = re.search(r'<tr data-code="granted">(.*?)</tr>', grid, re.S).group(1)
    values = re.findall(r'<td class="type-int">([^<]*)</td>', granted)
    assert values == ["" if by_row["granted"].get(c) is None else str(by_row["granted"][c]) for c in model.APPLICANT_COLUMNS]
    # Sections 二 and 四 with the template's labels.
    assert "二、主动公开政府信息情况" in page and "本年制发件数" in page
    reviews = re.search(r'<table class="rows-and-columns reviews-grid">(.*?)</table>', page, re.S).group(1)
    for printed in ("行政复议", "未经复议直接起诉", "复议后起诉", "结果纠正", "尚未审结"):
        assert printed in reviews
    # Status at the top, checks in both languages, originals with their fetch records.
    assert page.index("表格已读取") < page.index("applications-grid")
    assert "收支平衡" in page and "Balance: received + carried over" in page
    fetch = sample_db.execute(
        "select f.url, f.fetched_at, f.sha256 from fetches f join reports r on r.report_key = f.report_key "
        "where r.id = ?", [rid]).fetchone()
    assert fetch[0] in page and fetch[1] in page and fetch[2] in page
    assert "the portal was a local replica" in page


def test_a_report_without_tables_says_so_and_shows_its_warnings(ds, sample_db):
    rid, warnings = sample_db.execute("select id, warnings from reports where tables_status = 'absent'").fetchone()
    page = get(ds, f"/nianbao/reports/{rid}").text
    assert "报告中没有找到表格" in page and "No tables were found" in page
    assert "no table found; no values read" in page
    assert page.index("no table found") < page.index("数据库中的记录")  # at the top, not at the far right


def test_an_imported_report_shows_its_file_name_never_a_local_path(ds, sample_db, sample_archive):
    row = sample_db.execute("select id, source_url from reports where source_url like 'file:%'").fetchone()
    if row is None:
        pytest.skip("the sample has no imported report (shared/seeds absent)")
    page = get(ds, f"/nianbao/reports/{row[0]}").text
    assert "002_ad1dcde78e54ac78.txt" in page
    assert "portal-link" not in page  # no portal link for a file
    assert "/work/" not in page and str(sample_archive) not in page
    for path in ("/nianbao/reports", "/nianbao/fetches", "/nianbao/reports.json", "/-/metadata.json",
                 "/-/databases.json", "/nianbao.json?sql=select+*+from+pragma_database_list"):
        text = get(ds, path).text
        assert "/shared/seeds" not in text and str(sample_archive) not in text, path


# --- downloads, about, code book, facets ---------------------------------------------------------


def test_downloads_list_the_database_and_yearly_zips_with_sizes_and_digests(ds, sample_archive):
    page = get(ds, "/-/downloads").text
    db_file = sample_archive / "nianbao.db"
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() in page
    assert f"{db_file.stat().st_size:,} bytes" in page
    zips = sorted((sample_archive / "exports").glob("nianbao-*.zip"))
    assert zips
    for path in zips:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in page
        download = get(ds, f"/-/downloads/{path.name}")
        assert download.status_code == 200 and download.content == path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.read("reports.csv")[:3] == b"\xef\xbb\xbf"
    for name in ("..%2Fnianbao.db", "nianbao.db", "manifest.json"):
        response = get(ds, f"/-/downloads/{name}")
        assert response.status_code != 200 and not response.content.startswith(b"SQLite"), name


def test_table_csv_streams_every_row_with_a_bom_on_request(ds, sample_db):
    page = get(ds, "/nianbao/applications").text
    link = re.search(r'<a href="([^"]+)">CSV</a>', page).group(1).replace("&amp;", "&")
    assert "_stream=on" in link
    rows = list(csv.reader(io.StringIO(get(ds, link).text)))
    # Every row (the sample has more than one page of 1,000), not the first page.
    assert len(rows) - 1 == sample_db.execute("select count(*) from applications").fetchone()[0] > 1000
    with_bom = get(ds, link + "&_bom=1").content
    assert with_bom.startswith(b"\xef\xbb\xbf") and with_bom[3:] == get(ds, link).content


def test_about_page_states_coverage_licences_and_a_citation(ds, sample_db, sample_archive):
    page = get(ds, "/-/about").text
    reports = sample_db.execute("select count(*) from reports where is_latest = 1").fetchone()[0]
    assert f"<strong>{reports}</strong>" in page
    assert "CC BY 4.0" in page and "Apache-2.0" in page
    digest = hashlib.sha256((sample_archive / "nianbao.db").read_bytes()).hexdigest()
    citation = re.search(r'<p class="citation"><code>(.*?)</code>', page).group(1)
    assert digest in citation and "archive of 20" in citation
    assert "not filed" in page and "not crawled" in page
    assert "the portal was a local replica" in page
    home = get(ds, "/").text
    assert "CC BY 4.0" in home and 'href="/-/about"' in home and 'href="/-/search"' in home


def test_code_book_lists_every_code_in_template_order_with_labels_and_english(ds):
    page = get(ds, "/-/codebook").text
    positions = [page.index(f"<code>{code}</code>") for code in model.APPLICATION_ROWS]
    assert positions == sorted(positions)
    assert "一、本年新收政府信息公开申请数量" in page and "I. New requests received this year" in page
    for code in (*model.APPLICANT_COLUMNS, *model.REVIEW_COLUMNS, "apps_balance", "images"):
        assert f"<code>{code}</code>" in page


def test_facet_values_show_their_labels(ds):
    page = get(ds, "/nianbao/applications?row_code=granted").text
    assert '<span class="code-label">（一）予以公开</span>' in page
    checks = get(ds, "/nianbao/checks").text
    assert "收支平衡" in checks

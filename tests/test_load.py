"""Loading canonical records: long-form rows, wide views, versions, one transaction per report, search."""

import copy
import json

import pytest

from archive import Archive
from archive.load import Source, fts_query, load_record, table_values
from tests.conftest import SPEC

EXAMPLE = json.loads((SPEC / "example-liaocheng-2022.json").read_text(encoding="utf-8"))


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path) as archive:
        yield archive


def fetched(archive, body: bytes, role="report_page") -> Source:
    """A source as the crawler leaves it: an archived fetch (documents row + file)."""
    result = archive.record_fetch(url=f"http://127.0.0.1/{len(body)}", status=200, body=body, role=role)
    return Source(result.sha256, role)


def test_example_record_becomes_long_form_rows(archive):
    report_id = load_record(archive.db, EXAMPLE, report_key="liaocheng:2022",
                            sources=[fetched(archive, b"page")], parser_version="test")
    db = archive.db

    report = db["reports"].get(report_id)
    assert (report["organization"], report["year"], report["published"], report["template"]) == (
        "聊城市统计局", 2022, "2023-01-28", "2021")
    assert (report["version"], report["is_latest"], report["tables_status"]) == (1, 1, "read")
    assert (report["province"], report["city"], report["region_code"]) == ("山东省", "聊城市", "371500")

    assert db["applications"].count == 25 * 7  # the three-row （六） of the 2021 template
    granted = db.execute("SELECT value FROM applications WHERE report_id = ? AND row_code = 'granted' "
                         "AND column_code = 'natural_person'", [report_id]).fetchone()
    assert granted == (13,)
    (wide,) = db.query("SELECT * FROM applications_wide WHERE report_id = ?", [report_id])
    assert (wide["new_received_total"], wide["carried_over_total"], wide["unable_not_held_total"]) == (21, 1, 4)
    (reviews,) = db.query("SELECT * FROM reviews_litigation_wide")
    assert reviews["review_total"] == 0 and reviews["litigation_after_review_pending"] == 0

    active = list(db.query("SELECT seq, item, row_code, metric, value FROM active_disclosure ORDER BY seq"))
    assert active[7] == {"seq": 8, "item": "20(6)", "row_code": "penalty", "metric": "decisions", "value": 2}
    assert len(active) == len(EXAMPLE["active_disclosure"])
    checks = {row["code"]: row["ok"] for row in db["checks"].rows}
    assert checks == {"apps_balance": 1, "apps_results_sum": 1, "apps_row_totals": 1, "review_totals": 1,
                      "text_vs_table": 1}
    assert [row["no"] for row in db["sections"].rows] == [1, 2, 3, 4, 5, 6]


def test_a_table_larger_than_one_statement_allows_is_written_whole(archive):
    import sqlite3

    # 66 cells of applications a statement (a wide-cells row needs 176 parameters)
    archive.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 200)
    report_id = load_record(archive.db, EXAMPLE, report_key="k", sources=[], parser_version="test")

    cells = archive.db.execute("SELECT row_code, column_code, value FROM applications WHERE report_id = ? "
                               "ORDER BY row_code, column_code", [report_id]).fetchall()
    assert cells == sorted((row, column, value) for row, columns in EXAMPLE["applications"].items()
                           for column, value in columns.items())


def test_blank_cells_stay_null_and_decimals_stay_decimal(archive):
    record = copy.deepcopy(EXAMPLE)
    record["applications"]["granted"]["research"] = None
    record["active_disclosure"][-1]["value"] = 1.25  # 本年收费金额（万元）as printed
    report_id = load_record(archive.db, record, report_key="k", sources=[], parser_version="test")

    (wide,) = archive.db.query("SELECT granted_research, granted_total FROM applications_wide")
    assert wide == {"granted_research": None, "granted_total": 13}
    fee = archive.db.execute("SELECT value FROM active_disclosure WHERE report_id = ? AND metric = 'fee_amount'",
                             [report_id]).fetchone()
    assert fee == (1.25,)
    assert table_values(record) == table_values(EXAMPLE) - 1


def test_same_sources_replace_in_place_new_sources_make_a_new_version(archive):
    page_v1 = fetched(archive, b"page v1")
    first = load_record(archive.db, EXAMPLE, report_key="k", sources=[page_v1], parser_version="1")
    again = load_record(archive.db, EXAMPLE, report_key="k", sources=[page_v1], parser_version="2")
    assert again == first
    assert archive.db["reports"].get(first)["parser_version"] == "2"
    assert archive.db["applications"].count == 25 * 7  # replaced, not doubled

    changed = copy.deepcopy(EXAMPLE)
    changed["applications"]["new_received"]["total"] = 22
    second = load_record(archive.db, changed, report_key="k", sources=[fetched(archive, b"page v2")],
                         parser_version="2")
    assert second != first
    versions = list(archive.db.query("SELECT id, version, is_latest FROM reports ORDER BY version"))
    assert versions == [{"id": first, "version": 1, "is_latest": 0}, {"id": second, "version": 2, "is_latest": 1}]
    totals = dict(archive.db.execute("SELECT report_id, new_received_total FROM applications_wide").fetchall())
    assert totals == {first: 21, second: 22}  # the old version keeps its figures


def test_a_report_that_fails_mid_load_leaves_nothing_behind(archive):
    load_record(archive.db, EXAMPLE, report_key="k", sources=[fetched(archive, b"v1")], parser_version="1")
    broken = copy.deepcopy(EXAMPLE)
    broken["checks"].append(dict(broken["checks"][0]))  # the same check twice violates its key, late in the load
    counts = {t: archive.db[t].count for t in ("reports", "sections", "applications", "checks")}

    with pytest.raises(Exception, match="UNIQUE"):
        load_record(archive.db, broken, report_key="k", sources=[fetched(archive, b"v2")], parser_version="1")

    assert {t: archive.db[t].count for t in counts} == counts
    assert archive.db.execute("SELECT version FROM reports WHERE is_latest = 1").fetchall() == [(1,)]


def search(archive, query):
    return sorted(
        row["no"]
        for row in archive.db.query(
            "SELECT s.no FROM sections s JOIN sections_fts ON sections_fts.rowid = s.rowid "
            "WHERE sections_fts MATCH ?", [fts_query(query)])
    )


def test_two_character_chinese_queries_find_their_sections(archive):
    record = copy.deepcopy(EXAMPLE)
    record["sections"][0]["text"] = "2022年，我局主动公开政府信息156条，办理政府信息公开申请21件。"
    record["sections"][3]["text"] = "本年度未发生因政府信息公开引起的行政复议和行政诉讼案件。"
    record["sections"][4]["text"] = "信息公开工作仍需加强。"
    load_record(archive.db, record, report_key="k", sources=[], parser_version="1")

    assert search(archive, "申请") == [1, 3]  # the text of 一 and the title of 三
    assert search(archive, "复议") == [4]
    assert search(archive, "诉讼") == [4]
    assert search(archive, "行政复议") == [4]
    assert search(archive, "信访") == []
    # Datasette passes the query quoted, as one phrase: the segmented index answers that too.
    assert [r[0] for r in archive.db.execute(
        "SELECT rowid FROM sections_fts WHERE sections_fts MATCH '\"诉讼\"'")] == [4]


def test_bulk_load_keeps_each_report_atomic_within_a_commit(archive, monkeypatch):
    from archive import reparse

    good = [copy.deepcopy(EXAMPLE) for _ in range(4)]
    broken = copy.deepcopy(EXAMPLE)
    broken["checks"].append(dict(broken["checks"][0]))
    readings = [parsed(archive, f"r{n}", record) for n, record in enumerate(good[:2] + [broken] + good[2:])]
    monkeypatch.setattr(reparse, "REPORTS_PER_COMMIT", 10)
    summary = reparse.ParseSummary()

    reparse.write_readings(archive, readings, summary)

    assert list(summary.failed) == ["r2"]
    assert [row["report_key"] for row in archive.db["reports"].rows] == ["r0", "r1", "r3", "r4"]
    assert archive.db["checks"].count == 4 * len(EXAMPLE["checks"])  # nothing of r2 survives


def parsed(archive, key: str, record: dict):
    """One report as ``nianbao parse`` has it before writing: its archived original and what was read."""
    from archive.reparse import Candidate, Original, choose

    source = fetched(archive, f"page of {key}".encode())
    original = Original(source.sha256, f"http://127.0.0.1/{key}.html", "report_page", None, None, "text/html")
    return key, choose(key, [original], [Candidate("report_page", [original], record=record)])


def test_parse_writes_reports_in_batches_and_a_refused_report_alone_rolls_back(archive, monkeypatch):
    from archive import reparse

    broken = copy.deepcopy(EXAMPLE)
    broken["checks"].append(dict(broken["checks"][0]))  # refused by the checks table's key
    readings = [parsed(archive, key, record) for key, record in (("a", EXAMPLE), ("b", broken), ("c", EXAMPLE))]
    commits = []
    archive.db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    monkeypatch.setattr(reparse, "REPORTS_PER_COMMIT", 10)
    summary = reparse.ParseSummary()

    reparse.write_readings(archive, readings, summary)

    assert len(commits) == 1  # three reports, one commit
    assert summary.loaded == ["a", "c"]
    assert list(summary.failed) == ["b"] and "UNIQUE" in summary.failed["b"]
    assert [row["report_key"] for row in archive.db["reports"].rows] == ["a", "c"]
    assert archive.db["checks"].count == 2 * len(EXAMPLE["checks"])  # nothing of b survives


def test_parse_commits_a_batch_when_it_is_full(archive, monkeypatch):
    from archive import reparse

    readings = [parsed(archive, f"r{n}", EXAMPLE) for n in range(5)]
    committed = []
    monkeypatch.setattr(reparse, "REPORTS_PER_COMMIT", 2)
    reparse.write_readings(archive, readings, reparse.ParseSummary(),
                           lambda key, report_id: committed.append(archive.db["reports"].count))

    # Progress is told after each batch's commit: 2, 2, 4, 4, 5 reports in the database.
    assert committed == [2, 2, 4, 4, 5]


def test_bulk_loaded_and_reloaded_sections_are_found_once(archive, monkeypatch):
    from archive import reparse

    record = copy.deepcopy(EXAMPLE)
    record["sections"][3]["text"] = "本年度未发生因政府信息公开引起的行政复议和行政诉讼案件。"
    readings = [parsed(archive, f"r{n}", record) for n in range(3)]
    monkeypatch.setattr(reparse, "REPORTS_PER_COMMIT", 2)
    reparse.write_readings(archive, readings, reparse.ParseSummary())
    reparse.write_readings(archive, readings[:1], reparse.ParseSummary())  # the same sources: replaced in place

    assert search(archive, "诉讼") == [4, 4, 4]  # one section per report, none indexed twice
    assert archive.db.execute("SELECT COUNT(*) FROM sections_fts").fetchone()[0] == archive.db["sections"].count
    # The index agrees with its content table (FTS5's own consistency check raises if not).
    archive.db.execute("INSERT INTO sections_fts (sections_fts, rank) VALUES ('integrity-check', 1)")


def test_migration_7_keeps_the_cells_of_an_existing_archive(tmp_path):
    from archive import db as schema

    db = schema.connect(tmp_path / "old.db")
    db["schema_migrations"].create({"version": int, "name": str, "applied_at": str}, pk="version")
    for version, name, apply in schema.MIGRATIONS[:6]:  # an archive as it was before migration 7
        apply(db)
        db["schema_migrations"].insert({"version": version, "name": name, "applied_at": "then"})
    # Today's loader also fills the phrase index (migration 11): lent for this load, then taken away.
    phrase_index = {version: apply for version, _, apply in schema.MIGRATIONS}[11]
    phrase_index(db)
    report_id = load_record(db, EXAMPLE, report_key="k", sources=[], parser_version="1")
    for trigger in ("sections_trigram_ad", "sections_trigram_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP TABLE sections_trigram")
    before = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
              for t in ("applications", "reviews_litigation")}

    assert schema.migrate(db) == [version for version, _, _ in schema.MIGRATIONS[6:]]  # 7 and any later

    assert {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall() for t in before} == before
    assert len(before["applications"]) == 25 * 7
    assert all("WITHOUT ROWID" in sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE name IN ('applications', 'reviews_litigation')"))
    # The key still refuses a cell twice, and the report still loads in place.
    with pytest.raises(Exception, match="UNIQUE"):
        db.execute("INSERT INTO applications SELECT * FROM applications LIMIT 1")
    assert load_record(db, EXAMPLE, report_key="k", sources=[], parser_version="2") == report_id
    assert db["applications"].count == 25 * 7


def test_a_record_that_cannot_become_rows_fails_alone_with_its_reason(archive):
    from archive import reparse

    malformed = copy.deepcopy(EXAMPLE)
    malformed["checks"].append({"ok": True})  # a check without its code
    readings = [parsed(archive, key, record) for key, record in (("a", EXAMPLE), ("b", malformed))]
    summary = reparse.ParseSummary()

    reparse.write_readings(archive, readings, summary)

    assert summary.loaded == ["a"]
    assert summary.failed == {"b": "KeyError: 'code'"}
    assert [row["report_key"] for row in archive.db["reports"].rows] == ["a"]

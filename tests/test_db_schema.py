"""Schema creation and migration are idempotent; the database runs in WAL mode with foreign keys."""

from archive import Archive
from archive import db as schema


def test_schema_created_once_and_reopened_without_change(tmp_path):
    first = Archive(tmp_path)
    tables = set(first.db.table_names())
    first.close()

    database = schema.connect(tmp_path / "nianbao.db")
    assert schema.migrate(database) == []  # second run: nothing to do
    assert set(database.table_names()) == tables
    assert schema.schema_version(database) == schema.MIGRATIONS[-1][0]
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_data_dir_holds_db_originals_and_logs(tmp_path):
    Archive(tmp_path / "data").close()
    assert {p.name for p in (tmp_path / "data").iterdir()} >= {"nianbao.db", "originals", "logs"}


def test_every_table_and_view_of_the_issue_exists(tmp_path):
    archive = Archive(tmp_path)
    assert set(archive.db.table_names()) >= {
        "crawl_runs", "fetches", "documents", "reports", "report_documents", "sections",
        "sections_fts", "active_disclosure", "applications", "reviews_litigation", "checks",
    }
    assert set(archive.db.view_names()) >= {"url_history", "applications_wide", "reviews_litigation_wide"}
    wide_columns = {c.name for c in archive.db["applications_wide"].columns}
    assert {"new_received_total", "results_total_natural_person", "carried_forward_other_org"} <= wide_columns
    assert "review_upheld" in {c.name for c in archive.db["reviews_litigation_wide"].columns}


def test_a_new_migration_applies_once_to_an_existing_database(tmp_path, monkeypatch):
    Archive(tmp_path).close()
    calls = []

    def add_notes_column(db):
        calls.append(1)
        db["reports"].add_column("reviewer_notes", str)

    following = schema.MIGRATIONS[-1][0] + 1
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [(following, "reviewer notes", add_notes_column)])
    Archive(tmp_path).close()
    archive = Archive(tmp_path)

    assert calls == [1]
    assert "reviewer_notes" in archive.db["reports"].columns_dict
    assert [row["version"] for row in archive.db["schema_migrations"].rows] == list(range(1, following + 1))


def test_a_schema_1_archive_upgrades_with_its_wide_cells_filled(tmp_path, monkeypatch):
    import json

    from archive.load import DERIVED_COLUMNS, derived_rows
    from tests.conftest import SPEC

    record = json.loads((SPEC / "example-liaocheng-2022.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
    old = Archive(tmp_path)
    old.db["reports"].insert({"id": 7, "report_key": "k", "version": 1, "is_latest": 1, "parser_version": "0",
                              "sources_digest": "", "organization": "聊城市统计局", "year": 2022})
    for table in ("applications", "reviews_litigation"):
        columns = ("report_id", *DERIVED_COLUMNS[table])
        old.db[table].insert_all(dict(zip(columns, (7, *row))) for row in derived_rows(record)[table])
    old.close()
    monkeypatch.undo()

    upgraded = Archive(tmp_path)
    (row,) = upgraded.db.query("SELECT * FROM applications_wide")
    assert (row["report_id"], row["organization"], row["new_received_total"], row["granted_natural_person"]) == (
        7, "聊城市统计局", 21, 13)
    assert upgraded.db.execute("SELECT review_total FROM reviews_litigation_wide").fetchall() == [(0,)]


def test_readers_see_the_last_commit_while_a_load_is_writing(tmp_path):
    """WAL: Datasette's reads neither block on nor see a load's open transaction."""
    import sqlite3

    archive = Archive(tmp_path)
    archive.record_fetch(url="http://127.0.0.1/1", status=200, body=b"one")
    reader = sqlite3.connect(f"file:{tmp_path / 'nianbao.db'}?mode=ro", uri=True, timeout=0)
    with archive.db.atomic():
        archive.db["crawl_runs"].insert({"started": "2024-01-01", "status": "running"})
        archive.db.execute("INSERT INTO fetches (url, fetched_at) VALUES ('http://127.0.0.1/2', '2024-01-01')")
        assert reader.execute("SELECT COUNT(*) FROM fetches").fetchone() == (1,)
    assert reader.execute("SELECT COUNT(*) FROM fetches").fetchone() == (2,)


def test_facets_read_an_index_and_statistics_follow_a_load(tmp_path):
    from archive.reparse import parse_reports
    from nianbao.testbed.synthetic import random_record, render_text

    archive = Archive(tmp_path)
    assert_loader_finds_reports_by_key(archive.db)
    for n in range(30):
        archive.record_fetch(url=f"http://127.0.0.1/{n}.txt", status=200, body=render_text(random_record(n, year=2019 + n % 5)).encode(),
                             role="report_page", report_key=f"k{n}", filename=f"{n}.txt")
    assert parse_reports(archive).loaded == [f"k{n}" for n in sorted(range(30), key=str)]

    # What Datasette runs for the year facet of /nianbao/reports: an index scan, not a table scan.
    plan = " ".join(row[3] for row in archive.db.execute(
        "EXPLAIN QUERY PLAN SELECT year AS value, count(*) AS count FROM (SELECT * FROM reports) "
        "WHERE year IS NOT NULL GROUP BY year ORDER BY count DESC, value LIMIT 31"))
    assert "COVERING INDEX idx_reports_year" in plan
    # With a year chosen (?year=2022), each other facet too.
    plan = " ".join(row[3] for row in archive.db.execute(
        "EXPLAIN QUERY PLAN SELECT province AS value, count(*) AS count FROM (SELECT * FROM reports WHERE year = 2022) "
        "WHERE province IS NOT NULL GROUP BY province ORDER BY count DESC, value LIMIT 31"))
    assert "COVERING INDEX idx_reports_year_province" in plan
    indexed = {tuple(index.columns) for index in archive.db["reports"].indexes}
    for column in schema.FACET_COLUMNS["reports"][1:]:
        assert {(column, "year"), ("year", column)} <= indexed
    assert_loader_finds_reports_by_key(archive.db)
    assert {("ok", "code"), ("code", "ok")} <= {tuple(index.columns) for index in archive.db["checks"].indexes}
    # The planner's row count for reports is the loaded archive's, not the empty one's at migration.
    stat = archive.db.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'idx_reports_year'").fetchone()[0]
    assert int(stat.split()[0]) == 30
    archive.close()


def assert_loader_finds_reports_by_key(db):
    """The loader's look-up of a report's current version uses its key's index (else each load scans)."""
    for sql in ("SELECT id FROM reports WHERE report_key = 'k1' AND is_latest = 1",
                "UPDATE reports SET is_latest = 0 WHERE report_key = 'k1' AND is_latest = 1"):
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "idx_reports_report_key_version (report_key=?)" in plan, plan

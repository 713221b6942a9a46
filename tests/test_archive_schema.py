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

"""Imported files are published by name, never by the importer's local path, and archives
imported before that are rewritten by migration 10."""

import sqlite3

from archive.archive import Archive
from archive.db import MIGRATIONS, connect, imported_url, migrate
from archive.importer import import_paths


def test_an_import_stores_no_local_directory(tmp_path):
    folder = tmp_path / "张三的文件" / "reports"
    folder.mkdir(parents=True)
    (folder / "2022年报.txt").write_text("政府信息公开工作年度报告", encoding="utf-8")
    with Archive(tmp_path / "data") as archive:
        import_paths(archive, [folder])
        urls = [r[0] for r in archive.db.execute("select url from fetches")]
        keys = [r[0] for r in archive.db.execute("select report_key from fetches")]
    assert urls == keys == [imported_url(str(folder / "2022年报.txt"))]
    assert urls[0].endswith("/2022年报.txt") and "张三" not in urls[0] and str(tmp_path) not in urls[0]


def test_a_saved_page_keeps_its_resources_relative_to_it(tmp_path):
    page = tmp_path / "saved" / "report.html"
    (tmp_path / "saved" / "report_files").mkdir(parents=True)
    page.write_text("<html><body><img src='report_files/t.png'></body></html>", encoding="utf-8")
    (tmp_path / "saved" / "report_files" / "t.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with Archive(tmp_path / "data") as archive:
        import_paths(archive, [tmp_path / "saved"])
        rows = dict(archive.db.execute("select filename, url from fetches").fetchall())
    prefix = rows["report.html"].rsplit("/", 1)[0]
    assert rows["t.png"] == f"{prefix}/report_files/t.png"


def test_migration_10_rewrites_what_earlier_imports_stored(tmp_path):
    local = "/home/someone/私人/年报/2022.pdf"
    db = connect(tmp_path / "nianbao.db")
    migrate(db)
    db.execute("insert into documents (sha256, size, first_seen, last_seen) values ('a' || hex(zeroblob(31)), 1, 'x', 'x')")
    sha = db.execute("select sha256 from documents").fetchone()[0]
    db.execute("insert into fetches (url, fetched_at, sha256, role, report_key, filename) values (?, 'x', ?, 'file', ?, '2022.pdf')",
               ["file:///home/someone/%E7%A7%81%E4%BA%BA/%E5%B9%B4%E6%8A%A5/2022.pdf", sha, local])
    db.execute("insert into reports (report_key, version, is_latest, source_url, parser_version, sources_digest) "
               "values (?, 1, 1, ?, 'v', 'd')", [local, "file:///home/someone/%E7%A7%81%E4%BA%BA/%E5%B9%B4%E6%8A%A5/2022.pdf"])
    db.conn.commit()
    migration_10 = {version: apply for version, _, apply in MIGRATIONS}[10]
    with db.conn:
        migration_10(db)  # as it ran on an archive imported before it
    expected = imported_url(local)
    assert db.execute("select url, report_key from fetches").fetchone() == (expected, expected)
    assert db.execute("select report_key, source_url from reports").fetchone() == (expected, expected)
    db.close()
    dump = "\n".join(sqlite3.connect(tmp_path / "nianbao.db").iterdump())
    assert "someone" not in dump and "%E7%A7%81" not in dump and "私人" not in dump

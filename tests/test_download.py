"""The download in two files (``archive.download``): the tables and the text, used together."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from click.testing import CliRunner

from archive.download import TABLES_NAME, TEXT_NAME, write_download
from nianbao.cli import cli


@pytest.fixture(scope="module")
def split(sample_archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("download")
    result = CliRunner().invoke(cli, ["export", "--data-dir", str(sample_archive), "--download", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{TABLES_NAME}:" in result.output and f"{TEXT_NAME}:" in result.output
    return out


def rows(conn, sql, params=()):
    return sorted(conn.execute(sql, params).fetchall(), key=repr)


def test_the_tables_file_holds_every_table_but_the_text_and_gives_the_long_forms_back(split, sample_archive):
    whole = sqlite3.connect(sample_archive / "nianbao.db")
    tables = sqlite3.connect(split / TABLES_NAME)
    names = {n for n, in tables.execute("select name from sqlite_master where type = 'table'")}
    assert "sections" not in names and not any(n.startswith(("sections_fts", "sections_trigram")) for n in names)
    for table in ("reports", "checks", "active_disclosure", "report_documents", "documents", "fetches",
                  "report_totals", "applications_wide_cells", "facet_counts", "refusal_totals"):
        assert table in names
        assert rows(tables, f"select * from [{table}]") == rows(whole, f"select * from [{table}]"), table
    # The long forms: integer codes on disk, the same rows by name through the view.
    assert {"applications_coded", "reviews_litigation_coded", "cell_codes"} <= names
    for table in ("applications", "reviews_litigation"):
        assert rows(tables, f"select * from [{table}]") == rows(whole, f"select * from [{table}]")
        assert tables.execute(f"select type from sqlite_master where name = '{table}'").fetchone() == ("view",)
    # Queries written for the archive run unchanged: the comparison and the wide views.
    assert rows(tables, "select * from applications_wide") == rows(whole, "select * from applications_wide")
    assert tables.execute("pragma integrity_check").fetchone() == ("ok",)


def test_the_text_file_searches_and_joins_the_tables_when_attached(split, sample_archive):
    whole = sqlite3.connect(sample_archive / "nianbao.db")
    text = sqlite3.connect(split / TEXT_NAME)
    assert rows(text, "select * from sections") == rows(whole, "select * from sections")
    for index in ("sections_fts", "sections_trigram"):  # the indexes copied agree with the text
        text.execute(f"insert into {index} ({index}) values ('integrity-check')")
    together = sqlite3.connect(split / TABLES_NAME)
    together.execute("attach ? as text", [str(split / TEXT_NAME)])
    for index, match in (("sections_trigram", '"依申请公开"'), ("sections_fts", '"复议"')):
        sql = (f"select r.id, s.id from reports r join {{db}}sections s on s.report_id = r.id where s.id in "
               f"(select rowid from {{db}}{index} where {index} match ?)")
        found = rows(together, sql.format(db="text."), [match])
        assert found and found == rows(whole, sql.format(db=""), [match])


def test_the_downloads_page_offers_both_files_with_their_sizes(sample_archive):
    from archive.datasette import exports
    from nianbao.serve import build_datasette

    files = {f["name"]: f for f in exports.prepare(sample_archive / "nianbao.db", sample_archive / "exports")}
    assert {TABLES_NAME, TEXT_NAME} <= set(files)
    ds = build_datasette(sample_archive / "nianbao.db", sample_archive / "originals")
    page = asyncio.run(ds.client.get("/-/downloads")).text
    for name in (TABLES_NAME, TEXT_NAME):
        assert f'href="/-/downloads/{name}"' in page and "{:,}".format(files[name]["size"]) in page
        download = asyncio.run(ds.client.get(f"/-/downloads/{name}"))
        assert download.status_code == 200
        assert download.content == (sample_archive / "exports" / name).read_bytes()
    assert "ATTACH 'nianbao-text.db' AS text" in page
    assert asyncio.run(ds.client.get("/-/downloads/nianbao-other.db")).status_code == 404


def test_an_interrupted_export_leaves_no_file_that_looks_whole(sample_archive, tmp_path, monkeypatch):
    import archive.download as download

    def fail(conn, schema):
        raise RuntimeError("disk full")

    monkeypatch.setattr(download, "_write_text", fail)
    with pytest.raises(RuntimeError):
        write_download(sample_archive / "nianbao.db", tmp_path)
    assert (tmp_path / TABLES_NAME).is_file() and not (tmp_path / TEXT_NAME).exists()

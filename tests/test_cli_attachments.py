"""Spreadsheets, OFD and ZIP/7z end to end: ``nianbao import`` and ``nianbao parse-file``
on good files and on the issue's bad input (one line per file, nothing written outside
the data dir, no archived original changed), and a report split over a page and its
attached 统计表.xls merged by the archive's choice of candidates."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from nianbao.cli import cli
from archive.reparse import parse_reports
from parsers import limits
from nianbao.testbed.synthetic import as_printed, random_record, render_docx, render_html

from .archives import seven_zip_of, text_only_page, with_flag_bits, zip_of
from . import corpus
from .ofd_writer import PRODUCERS, render_ofd
from .test_spreadsheet import _with_sheet_rows
from .workbooks import convert, workbook_xlsx


def run(*args):
    return CliRunner().invoke(cli, list(map(str, args)), catch_exceptions=False)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


GOOD = ("统计表.xlsx", "报告.ofd", "split.zip", "report.7z", "hidden.xlsx", "formulas.xlsx", "missing-page.ofd")
BAD = {
    "bomb.zip": "archive decompresses to more than 8 MB (cap) at zeros.txt; not read",
    "traversal.zip": "no member of the archive could be read: ../../evil.html: unsafe member name "
                     "(path climbs out of the archive (..)); not read",
    "nested.zip": "no member of the archive could be read: a.zip › b.zip: archive nested more than 2 levels deep; "
                  "not read",
    "encrypted.zip": "no member of the archive could be read: secret.html: encrypted member: a password is required",
    "million.xlsx": "XLSX decompresses to more than 8 MB (cap); a report's tables take well under 1 MB",
    "no-root.ofd": "corrupt OFD: OFD.xml is missing",
    "corrupt.xlsx": "corrupt XLSX",
}  # fmt: skip


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Good and bad originals; the caps are lowered so the bombs stay small and fast."""
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 8 * 2**20)
    monkeypatch.setattr(limits, "MAX_SPREADSHEET_UNZIPPED", 8 * 2**20)
    record = random_record(41)
    inner = zip_of({"report.html": render_html(record)})
    no_root = zip_of({"Doc_0/Document.xml": b"<x/>"})
    files = {
        "统计表.xlsx": workbook_xlsx(record),
        "报告.ofd": render_ofd(record),
        "split.zip": zip_of({"年报/报告.html": text_only_page(record), "年报/统计表.xlsx": workbook_xlsx(record)}),
        "report.7z": seven_zip_of({"报告.docx": render_docx(record)}),
        "hidden.xlsx": workbook_xlsx(record, hidden_sheet=True),
        "formulas.xlsx": workbook_xlsx(record, formulas=True),
        "missing-page.ofd": render_ofd(record, drop_page_content=True),
        "bomb.zip": zip_of({"zeros.txt": b"0" * (20 * 2**20)}),
        "traversal.zip": zip_of({"../../evil.html": render_html(record)}),
        "nested.zip": zip_of({"a.zip": zip_of({"b.zip": inner})}),
        "encrypted.zip": with_flag_bits(zip_of({"secret.html": render_html(record)}), 0x1),
        "million.xlsx": _with_sheet_rows(workbook_xlsx(record), 300_000),
        "no-root.ofd": no_root,
        "corrupt.xlsx": b"PK\x03\x04" + bytes(300),
    }
    path = tmp_path / "in"
    path.mkdir()
    for name, data in files.items():
        (path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    return record, path


def test_import_reads_the_new_formats_and_gives_one_line_per_bad_file(folder, tmp_path):
    record, path = folder
    inputs, around = tree(path), {p.name for p in tmp_path.iterdir()}
    data = tmp_path / "data"
    result = run("import", "--data-dir", data, path)

    assert result.exit_code == 1, result.stderr
    assert result.stdout.splitlines() == [f"{len(GOOD) + len(BAD)} files archived ({len(GOOD) + len(BAD)} new), 0 skipped",
                                          f"{len(GOOD)} reports loaded, {len(BAD)} failed, 0 unchanged"], result.stderr  # fmt: skip
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD)
    for name, reason in BAD.items():
        (line,) = [line for line in lines if line.startswith(f"nianbao: {path / name}: ")]
        assert line[len(f"nianbao: {path / name}: "):].startswith(reason), line

    # nothing written outside the data dir; the inputs and the archived originals unchanged
    assert {p.name for p in tmp_path.iterdir()} == around | {"data"}
    assert tree(path) == inputs
    verified = run("verify", "--data-dir", data)
    assert verified.stdout.strip() == f"{len(GOOD) + len(BAD)} originals checked, 0 problems"
    stored = {p.name for p in (data / "originals").glob("??/??/*")}
    assert stored == set(inputs.values())

    expected = as_printed(record)["applications"]["new_received"]["total"]
    with Archive(data) as archive:
        reports = {Path(r["report_key"]).name: r for r in archive.db["reports"].rows_where("is_latest = 1")}
        assert set(reports) == set(GOOD)
        for name in GOOD:
            (total,) = archive.db.execute(
                "SELECT value FROM applications WHERE report_id = ? AND row_code = 'new_received' "
                "AND column_code = 'total'", [reports[name]["id"]]).fetchone()
            assert total == (None if name == "formulas.xlsx" else expected), name  # no cached value: blank
        warnings = {name: json.loads(reports[name]["warnings"]) for name in GOOD}
    assert "sheet '填表说明' is hidden in the workbook; read all the same" in warnings["hidden.xlsx"]
    assert any(w.startswith("report split over two documents") for w in warnings["split.zip"])
    assert any(w.startswith("OFD page ") and w.endswith("is missing; skipped") for w in warnings["missing-page.ofd"])
    assert reports["报告.ofd"]["organization"] == record["organization"]


def test_parse_file_reads_each_new_format_and_names_each_bad_file(folder):
    record, path = folder
    result = run("parse-file", *(path / name for name in (*GOOD, *BAD)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": ", 2)[1] for line in lines] == [str(path / name) for name in BAD]
    for line, reason in zip(lines, BAD.values()):
        assert line.split(": ", 2)[2].startswith(reason), line
    assert result.stdout.count(f"organization: {record['organization']}") == len(GOOD)
    one = run("parse-file", "--json", path / "split.zip")
    merged = json.loads(one.stdout)
    assert merged["applications"] == as_printed(record)["applications"]
    assert merged["title"] == record["title"]


def test_ofds_written_as_each_producer_writes_them_import_and_parse_with_every_cell_exact(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = {name: random_record(43 + n, template=("2021", "2019")[n % 2], other_rows=(1, 3)[n % 2])
               for n, name in enumerate(PRODUCERS)}  # fmt: skip
    folder = tmp_path / "in"
    folder.mkdir()
    for name, record in records.items():
        (folder / f"{name}.ofd").write_bytes(render_ofd(record, style=name))
    data = tmp_path / "data"
    imported = run("import", "--data-dir", data, folder)
    assert imported.exit_code == 0, imported.stderr
    assert imported.stdout.splitlines()[-1] == f"{len(PRODUCERS)} reports loaded, 0 failed, 0 unchanged"
    with Archive(data) as archive:
        loaded = {Path(r["report_key"]).stem: r for r in archive.db["reports"].rows_where("is_latest = 1")}
        for name, record in records.items():
            stored = dict(archive.db.execute(
                "SELECT row_code || '/' || column_code, value FROM applications WHERE report_id = ?",
                [loaded[name]["id"]]).fetchall())  # fmt: skip
            expected = as_printed(record)["applications"]
            assert stored == {f"{row}/{column}": v for row, cells in expected.items() for column, v in cells.items()}
            assert loaded[name]["organization"] == record["organization"], name
    for name, record in records.items():
        parsed = run("parse-file", "--json", folder / f"{name}.ofd")
        correct, total, misses = corpus.score(as_printed(record), json.loads(parsed.stdout))
        assert (correct, misses) == (total, []), name


@pytest.mark.slow
def test_a_page_with_its_tables_attached_as_xls_is_one_merged_record(tmp_path):
    record = random_record(42)
    key = "wendeng:2023:split"
    with Archive(tmp_path / "data") as archive:
        archive.record_fetch(url="http://127.0.0.1/art/2024/1/5/art_1.html", status=200,
                             body=text_only_page(record), role="report_page", report_key=key)
        archive.record_fetch(url="http://127.0.0.1/module/download/统计表.xls", status=200,
                             body=convert(workbook_xlsx(record), "xls"), role="attachment", report_key=key,
                             filename="统计表.xls")  # fmt: skip
        summary = parse_reports(archive)
        assert summary.loaded == [key]
        (report,) = archive.db["reports"].rows
        used = dict(archive.db.execute("SELECT role, used FROM report_documents").fetchall())
        applications = {
            (row, column): value
            for row, column, value in archive.db.execute(
                "SELECT row_code, column_code, value FROM applications WHERE report_id = ?", [report["id"]])
        }  # fmt: skip
    assert used == {"attachment": 1, "report_page": 1}
    assert (report["title"], report["organization"], report["year"]) == (
        record["title"], record["organization"], record["year"])
    expected = as_printed(record)["applications"]
    assert applications == {(row, column): v for row, cells in expected.items() for column, v in cells.items()}
    warnings = json.loads(report["warnings"])
    assert any(w.startswith("report split over two documents: text and metadata from report_page") for w in warnings)
    assert report["source_url"] == "http://127.0.0.1/art/2024/1/5/art_1.html"

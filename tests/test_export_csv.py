"""Bulk CSV export: one ZIP per year, one CSV per standard table, same key columns, UTF-8 with BOM."""

import csv
import io
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner

from nianbao.cli import cli
from archive.export_csv import KEY_COLUMNS, STANDARD_TABLES, export_csv


@pytest.fixture(scope="module")
def exported(sample_archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("csv-out")
    return export_csv(sample_archive / "nianbao.db", out)


def read_csv(zip_path, table):
    with zipfile.ZipFile(zip_path) as archive:
        raw = archive.read(f"{table}.csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_one_zip_per_year_with_every_standard_table(exported):
    assert [p.name for p in exported] == ["nianbao-2021.zip", "nianbao-2022.zip", "nianbao-2023.zip"]
    for path in exported:
        with zipfile.ZipFile(path) as archive:
            assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in STANDARD_TABLES)


def test_every_csv_starts_with_the_same_key_columns(exported):
    for table in STANDARD_TABLES:
        with zipfile.ZipFile(exported[0]) as archive:
            header = archive.read(f"{table}.csv").decode("utf-8-sig").splitlines()[0].split(",")
        assert tuple(header[: len(KEY_COLUMNS)]) == KEY_COLUMNS, table


def test_the_cells_are_those_of_the_database(exported, sample_archive):
    conn = sqlite3.connect(sample_archive / "nianbao.db")
    expected = conn.execute(
        "select r.id, r.organization, a.row_code, a.column_code, a.value from applications a "
        "join reports r on r.id = a.report_id where r.is_latest = 1 and r.year = 2022"
    ).fetchall()
    rows = read_csv(exported[1], "applications")
    got = [(int(r["report_id"]), r["organization"], r["row_code"], r["column_code"],
            int(r["value"]) if r["value"] else None) for r in rows]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert all(r["year"] == "2022" for r in rows)


def test_codes_come_with_their_printed_labels(exported):
    rows = read_csv(exported[2], "applications")
    received = next(r for r in rows if r["row_code"] == "new_received" and r["column_code"] == "total")
    assert received["row_label"] == "一、本年新收政府信息公开申请数量"
    assert received["column_label"] == "总计"
    reviews = read_csv(exported[2], "reviews_litigation")
    assert {r["group_label"] for r in reviews} == {"行政复议", "未经复议直接起诉", "复议后起诉"}


def test_reports_csv_has_region_and_body_type(exported):
    reports = {r["organization"]: r for r in read_csv(exported[2], "reports")}
    wendeng = reports["威海市文登区统计局"]
    assert (wendeng["region_code"], wendeng["body_type"], wendeng["county"]) == ("371003", "部门", "文登区")
    assert wendeng["source_url"].startswith("http://")
    assert reports["上庄镇人民政府"]["region_code"] == ""


def test_failed_checks_are_exported_as_data(exported):
    checks = read_csv(exported[1], "checks")
    failed = {(r["organization"], r["code"]) for r in checks if r["ok"] == "0"}
    assert ("荣成市东山街道", "apps_balance") in failed


def test_only_the_latest_version_of_a_report_is_exported(sample_archive, tmp_path):
    import shutil

    from archive.load import Source, load_record

    copy = tmp_path / "data"
    shutil.copytree(sample_archive, copy)
    conn = sqlite3.connect(copy / "nianbao.db")
    report_key, sha256 = conn.execute(
        "select r.report_key, d.sha256 from reports r join report_documents d on d.report_id = r.id "
        "where r.year = 2021").fetchone()
    conn.close()
    from archive import Archive

    # A corrected report: new originals make version 2; version 1 stays in the database.
    with Archive(copy) as archive:
        record = {"organization": "威海市文登区统计局", "year": 2021, "title": "更正后的报告",
                  "applications": {"new_received": {"total": 99}}}
        fetched = archive.record_fetch(url="http://127.0.0.2/corrected.html", status=200, body=b"<p>corrected</p>",
                                       role="report_page", report_key=report_key)
        load_record(archive.db, record, report_key=report_key,
                    sources=[Source(sha256), Source(fetched.sha256)], parser_version="test")
    (zip_2021,) = [p for p in export_csv(copy / "nianbao.db", tmp_path / "out") if "2021" in p.name]
    rows = read_csv(zip_2021, "applications")
    assert [(r["row_code"], r["value"]) for r in rows] == [("new_received", "99")]
    assert [r["title"] for r in read_csv(zip_2021, "reports")] == ["更正后的报告"]


def test_nianbao_export_csv_command(sample_archive, tmp_path):
    result = CliRunner().invoke(cli, ["export", "--data-dir", str(sample_archive), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "nianbao-2021.zip", "nianbao-2022.zip", "nianbao-2023.zip"]


def test_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no database at"):
        export_csv(tmp_path / "nianbao.db", tmp_path / "out")

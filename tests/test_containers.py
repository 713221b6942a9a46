"""ZIP and 7z attachments (parsers.containers, parsers.parse_archive): members as
candidates, the split report merged, and every limit of the issue's bad-input list (bombs, nesting, traversal, encrypted, corrupt)."""

from __future__ import annotations

import os

import pytest

import parsers
from parsers import containers, limits
from parsers.errors import ParseError, UnsupportedFormat
from parsers.merge import table_values
from nianbao.testbed.synthetic import as_printed, random_record, render_docx, render_html

from .archives import gbk_named_zip, seven_zip_of, text_only_page, with_flag_bits, zip_of
from .workbooks import workbook_xlsx

TABLES = ("active_disclosure", "applications", "reviews_litigation")


@pytest.fixture(scope="module")
def record():
    return random_record(31)


def test_a_report_split_into_a_page_and_a_spreadsheet_is_merged(record):
    packed = zip_of({"年报/2023年报告.html": text_only_page(record), "年报/统计表.xlsx": workbook_xlsx(record)})
    result = parsers.parse_bytes(packed, filename="年报.zip")
    expected = as_printed(record)
    for key in ("title", "organization", "year", "published", *TABLES):
        assert result[key] == expected[key], key
    assert [s["no"] for s in result["sections"]] == [1, 2, 3, 4, 5, 6]
    assert result["warnings"][:2] == [
        "archive member 年报/统计表.xlsx read",
        "report split over two documents: text and metadata from 年报/2023年报告.html, tables from 年报/统计表.xlsx",
    ]
    checks = {c["code"]: c for c in result["checks"]}
    assert checks["text_vs_table"]["ok"] is True  # the page's prose against the spreadsheet's table
    assert not any("no values read" in w or "sections not found" in w for w in result["warnings"])


def test_a_whole_report_in_an_archive_is_read_and_the_rest_named(record):
    packed = zip_of({"report.docx": render_docx(record), "notes.bin": b"\x00\x01binary", "empty/": b""})
    result = parsers.parse_bytes(packed, filename="a.zip")
    assert result["applications"] == as_printed(record)["applications"]
    assert "archive member notes.bin: binary data of unknown type" in result["warnings"]
    assert not any("split over" in w for w in result["warnings"])


def test_member_names_in_gbk_without_the_utf8_flag_are_decoded():
    members = containers.unpack(gbk_named_zip("统计表.html", b"<html><body><p>x</p></body></html>"))
    assert [m.name for m in members] == ["统计表.html"]


def test_traversal_and_absolute_names_are_refused_and_nothing_is_written(tmp_path, monkeypatch, record):
    monkeypatch.chdir(tmp_path)
    packed = zip_of({"../../evil.html": b"<p>x</p>", "/etc/cron.d/x.html": b"<p>x</p>",
                     "C:/x.html": b"<p>x</p>", "ok/report.html": render_html(record)})  # fmt: skip
    result = parsers.parse_bytes(packed, filename="a.zip")
    assert result["applications"] == as_printed(record)["applications"]
    assert "archive member ../../evil.html: unsafe member name (path climbs out of the archive (..)); not read" in (
        result["warnings"]
    )
    assert "archive member /etc/cron.d/x.html: unsafe member name (absolute path); not read" in result["warnings"]
    assert "archive member C:/x.html: unsafe member name (absolute path); not read" in result["warnings"]
    assert os.listdir(tmp_path) == []


def test_a_zip_bomb_is_stopped_by_the_bytes_really_inflated(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 8 * 2**20)
    bomb = zip_of({"a.txt": b"0" * (20 * 2**20)})
    assert len(bomb) < 100_000
    with pytest.raises(ParseError, match=r"^archive decompresses to more than 8 MB \(cap\) at a.txt; not read$"):
        parsers.parse_bytes(bomb, filename="bomb.zip")


def test_a_directory_that_lies_about_sizes_does_not_fool_the_count(monkeypatch):
    """The member declares 10 bytes; inflating it is what is counted (and zipfile stops
    at the declared size, so the CRC fails): a corrupt member, never 20 MB in memory."""
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 8 * 2**20)
    packed = bytearray(zip_of({"a.txt": b"0" * (20 * 2**20)}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = bytes(packed).find(signature) + offset
        packed[at:at + 4] = (10).to_bytes(4, "little")
    members = containers.unpack(bytes(packed))
    assert members[0].data is None and members[0].error.startswith("corrupt member")


def test_nested_archives_are_read_two_levels_deep_and_no_deeper(record):
    page = render_html(record)
    inner = zip_of({"report.html": page})
    two_levels = zip_of({"outer/inner.zip": inner})
    assert [m.name for m in containers.unpack(two_levels)] == ["outer/inner.zip › report.html"]
    three_levels = zip_of({"a.zip": zip_of({"b.zip": inner})})
    (member,) = containers.unpack(three_levels)
    assert (member.name, member.error) == ("a.zip › b.zip", "archive nested more than 2 levels deep; not read")


def test_an_encrypted_member_is_one_line_and_the_others_are_read(record):
    secret = with_flag_bits(zip_of({"secret.html": b"<p>x</p>"}), 0x1)
    packed = zip_of({"secret.zip": secret, "report.html": render_html(record)})
    result = parsers.parse_bytes(packed, filename="a.zip")
    assert "archive member secret.zip › secret.html: encrypted member: a password is required" in result["warnings"]
    assert table_values(result) > 100


def test_a_corrupt_member_is_one_line(record):
    packed = bytearray(zip_of({"broken.html": render_html(record) * 3, "report.html": render_html(record)}))
    start = bytes(packed).find(b"PK\x03\x04") + 30 + len("broken.html") + 50
    packed[start:start + 200] = bytes(200)
    result = parsers.parse_bytes(bytes(packed), filename="a.zip")
    (line,) = [w for w in result["warnings"] if w.startswith("archive member broken.html")]
    assert line.startswith("archive member broken.html: corrupt member: ") and "\n" not in line
    assert result["applications"] == as_printed(record)["applications"]


def test_an_archive_whose_members_all_fail_is_one_error():
    with pytest.raises(ParseError, match=r"^no member of the archive could be read: a.bin: binary data"):
        parsers.parse_bytes(zip_of({"a.bin": b"\x00\x01\x02"}), filename="x.zip")
    with pytest.raises(ParseError, match="the archive holds no files"):
        parsers.parse_bytes(zip_of({"__MACOSX/._a.html": b"x", "dir/": b""}), filename="x.zip")


def test_too_many_members_are_capped(monkeypatch):
    monkeypatch.setattr(containers, "MAX_MEMBERS", 3)
    members = containers.unpack(zip_of({f"{i}.txt": b"text" for i in range(6)}))
    assert [m.name for m in members] == ["0.txt", "1.txt", "2.txt", "…"]
    assert members[-1].error == "archive has more than 3 members; the rest not read (cap)"


def test_read_document_refuses_an_archive_with_the_way_to_read_it():
    with pytest.raises(UnsupportedFormat, match="parse_bytes reads its members"):
        parsers.read_document(zip_of({"a.txt": b"x"}), filename="a.zip")


def test_seven_zip_members_are_read_like_zip_members(record):
    packed = seven_zip_of({"年报/报告.html": text_only_page(record), "年报/统计表.xlsx": workbook_xlsx(record)})
    assert parsers.detect_format(packed) == "7z"
    result = parsers.parse_bytes(packed, filename="年报.7z")
    assert result["applications"] == as_printed(record)["applications"]
    assert result["title"] == record["title"]


def test_an_encrypted_7z_is_one_line():
    packed = seven_zip_of({"a.html": b"<p>x</p>"}, password="secret")
    with pytest.raises(ParseError, match="^encrypted 7z archive: a password is required$"):
        parsers.parse_bytes(packed, filename="a.7z")


def test_a_7z_bomb_is_stopped(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 4 * 2**20)
    packed = seven_zip_of({"a.txt": b"0" * (10 * 2**20)})
    with pytest.raises(ParseError, match=r"decompresses to more than 4 MB \(cap\)"):
        containers.unpack(packed)


def test_rar_is_refused_with_the_reason():
    with pytest.raises(UnsupportedFormat, match="^RAR archive: not read"):
        parsers.detect_format(b"Rar!\x1a\x07\x01\x00" + b"\0" * 100, "a.rar")

"""Format detection decides by content; the filename only breaks ties."""

import io
import struct
import zipfile

import docx
import pytest

from parsers import UnsupportedFormat, detect_format

FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def ole_file(*streams: str) -> bytes:
    """A minimal OLE2 compound file (sector 0 = FAT, sector 1 = directory) naming ``streams``."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 0x2C, 1, 1, 0)  # FAT sectors, first directory sector, ...
    struct.pack_into("<II", header, 0x38, 4096, END)
    struct.pack_into("<109I", header, 0x4C, 0, *[FREE] * 108)
    fat = struct.pack("<128I", FAT_SECTOR, END, *[FREE] * 126)
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry",) + streams):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, i * 128 + 0x40, len(encoded))
    return bytes(header) + fat + bytes(directory)


def zip_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def real_docx() -> bytes:
    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("一、总体情况")
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, filename, expected",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "pdf"),
        (b"\r\n\r\n%PDF-1.4\n", "report.html", "pdf"),  # junk before %PDF, lying name
        (real_docx(), None, "docx"),
        (real_docx(), "report.wps", "docx"),  # a WPS file saved as DOCX is read as DOCX
        (zip_with({"xl/workbook.xml": b"<workbook/>"}), None, "xlsx"),
        (zip_with({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}), None, "odt"),
        (zip_with({"OFD.xml": b"<ofd:OFD/>"}), None, "ofd"),
        (zip_with({"readme.txt": b"hello"}), None, "zip"),
        (ole_file("WordDocument", "1Table"), None, "doc"),
        (ole_file("WordDocument", "1Table"), "年报.wps", "wps"),
        (ole_file("Workbook"), None, "xls"),
        (ole_file("Workbook"), "附表.et", "et"),
        (b"{\\rtf1\\ansi\\deff0 {\\fonttbl}", None, "rtf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, None, "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.pdf", "image"),
        (b"GIF89a\x01\x00", None, "image"),
        (b"BM" + struct.pack("<I", 70) + b"\x00" * 40, None, "image"),
        (b"II*\x00\x08\x00\x00\x00", None, "image"),
        ("<!DOCTYPE html><html><body>年报</body></html>".encode(), "a.pdf", "html"),
        ("\ufeff<html><head><title>年度报告</title>".encode(), None, "html"),
        (b"<!-- saved from url=(0051)http://www.wendeng.gov.cn/ -->\n<html>", None, "html"),
        (b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', None, "html"),
        ('<meta charset="gbk"><div id="zoom">政府信息公开工作年度报告</div>'.encode("gbk"), None, "html"),
        ("  \n<table><tr><td>规章</td></tr></table>".encode(), None, "html"),
        (('<html><meta charset="gbk"><p>' + "政府信息公开年度报告" * 20).encode("gbk") + b"\xff\xff</p>", None, "html"),
        ("一、总体情况\n2023年，我局共收到政府信息公开申请3件。\n".encode(), None, "text"),
        ("一、总体情况\n报告电子版见<http://www.huancui.gov.cn>。\n".encode("gb18030"), None, "text"),
        ("规章\t0\t0\t0\n".encode("utf-16"), None, "text"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_detect_format_by_content(data, filename, expected):
    assert detect_format(data, filename) == expected


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"   \n\t ", "empty file"),
        (bytes(range(256)) * 8, "binary data of unknown type"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "binary data of unknown type"),
        (ole_file("EncryptedPackage", "EncryptionInfo"), "encrypted"),
        (ole_file("Something"), "OLE2 compound file of unknown type"),
    ],
)
def test_unknown_or_empty_input_is_refused_with_the_reason(data, reason):
    with pytest.raises(UnsupportedFormat, match=reason):
        detect_format(data, "report.docx")


def test_truncated_zip_falls_back_to_the_name_so_its_reader_reports_the_damage():
    broken = real_docx()[:200]
    assert detect_format(broken, "年报.docx") == "docx"
    assert detect_format(broken, None) == "zip"

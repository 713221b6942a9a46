"""Hostile and broken input: each gives one clear line, never a hang or a crash."""

import io
import struct
import zipfile
import zlib

import pytest

import parsers
from parsers import limits
from parsers.document import Document, Image, Paragraph
from parsers.errors import ParseError
from parsers.image import read_image_file
from parsers.ocr import resolve_images
from parsers.office import read_office


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size but whose pixels would take gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def zip_bomb(member: str, megabytes: int, level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        with archive.open(member, "w") as stream:
            block = b"\0" * 2**20
            for _ in range(megabytes):
                stream.write(block)
    return buffer.getvalue()


def test_an_image_of_20000_by_20000_pixels_is_refused_before_decoding():
    with pytest.raises(ParseError, match=r"^scan.png of 400 Mpx exceeds the 40 Mpx cap$"):
        read_image_file(png_header(20_000, 20_000), filename="scan.png")


def test_a_huge_picture_inside_a_document_is_kept_as_an_image_with_a_warning():
    doc = Document(blocks=[Paragraph("三、收到和处理政府信息公开申请情况"), Image("huge.png", "", png_header(20_000, 20_000))])
    resolve_images(doc)
    assert isinstance(doc.blocks[1], Image)
    assert doc.warnings == ["image huge.png of 400 Mpx exceeds the 40 Mpx cap"]


def test_a_truncated_image_is_a_parse_error():
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (400, 300), "white").save(buffer, "PNG")
    with pytest.raises(ParseError, match="truncated or corrupt image"):
        read_image_file(buffer.getvalue()[:60], filename="cut.png")


def test_a_zip_bomb_is_refused_from_its_directory_without_inflating_it():
    bomb = zip_bomb("content.xml", 40)
    assert len(bomb) < 200_000
    with pytest.raises(ParseError, match="decompressed size 40 MB exceeds the cap"):
        limits.check_zip(bomb)


def test_a_zip_bomb_odt_never_reaches_libreoffice(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("LibreOffice must not be started for a bomb")

    monkeypatch.setattr("parsers.office.convert", fail)
    with pytest.raises(ParseError, match="decompressed size"):
        read_office(zip_bomb("content.xml", 40), filename="report.odt")


def test_a_zip_bomb_docx_is_a_parse_error_through_the_public_api():
    bomb = zip_bomb("word/document.xml", 300, level=1)
    with pytest.raises(ParseError, match="decompressed size"):
        parsers.read_document(bomb, filename="report.docx")


def test_an_oversized_file_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(ParseError, match="exceeds the 0 MB cap"):
        read_image_file(b"\0" * 2000)


def test_an_image_just_over_the_cap_is_refused_with_its_size():
    with pytest.raises(ParseError, match=r"8000 x 6000 px exceeds the 40 Mpx cap"):
        read_image_file(png_header(8000, 6000), filename="scan.png")


def test_pictures_past_the_ocr_cap_stay_images_and_are_named(monkeypatch):
    monkeypatch.setattr(limits, "MAX_OCR_PAGES", 0)
    picture = Image("media/image1.png", "", png_header(800, 600))
    doc = resolve_images(Document(blocks=[picture]))
    assert doc.blocks == [picture]
    assert doc.warnings == ["image media/image1.png not read: OCR cap of 0 pictures per document reached"]



def test_a_large_scan_is_scaled_down_before_ocr(monkeypatch):
    from PIL import Image as PILImage

    from parsers import ocr

    shapes = []

    def record_shape(gray, ink=None, char=20.0, boxes=None):
        shapes.append(gray.shape)
        return []

    monkeypatch.setattr(ocr, "ruled_tables", record_shape)
    blank = PILImage.new("RGB", (6000, 4000), "white")  # 24 Mpx, e.g. A4 at 500 dpi
    assert ocr.read_image(blank, [], "scan") == []
    ((height, width),) = shapes
    assert width * height <= limits.OCR_MAX_PIXELS and abs(width / height - 1.5) < 0.01

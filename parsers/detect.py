"""Name an original's format from its content.

Portals serve PDFs as ``application/octet-stream``, error pages under a
``.pdf`` URL and WPS files named ``.doc``; the bytes decide. The filename is
consulted only where the content cannot tell (a Kingsoft ``.wps`` and a Word
``.doc`` are the same OLE2 container; a ZIP too broken to list).

Formats: pdf, docx, xlsx, odt, ods, ofd, zip, 7z, doc, wps, xls, et, ppt, rtf,
image, html, text. Anything else raises ``UnsupportedFormat`` with the reason.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile

from .errors import UnsupportedFormat

SNIFF_BYTES = 64 * 1024
# Share of printable characters above which decodable bytes count as text.
PRINTABLE_SHARE = 0.95
# Share of undecodable characters a text or page may have and still count as one.
MAX_DAMAGED_SHARE = 0.01

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_TAGS = re.compile(
    rb"<(!doctype\s+html|html|head|body|meta|title|div|table|p|span|script|style|link|br|center|font"
    rb"|form|iframe|h[1-6]|ul|a|img|frameset|base)[\s>/]"
)
_LEADING_JUNK = re.compile(rb"\A(?:\s+|<!--.*?-->|<\?xml.*?\?>)+", re.S)
_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def detect_format(data: bytes, filename: str | None = None) -> str:
    """The format name for ``READERS``; raises ``UnsupportedFormat`` naming why not."""
    if not data:
        raise UnsupportedFormat("empty file")
    extension = filename.rpartition(".")[2].lower() if filename and "." in filename else ""
    head = data[:1024]
    if b"%PDF-" in head and not _html_before_pdf_marker(data, head.index(b"%PDF-")):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, extension)
    if data.startswith(_OLE_MAGIC):
        return _ole_kind(data, extension)
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if data.startswith(b"Rar!\x1a\x07"):
        raise UnsupportedFormat("RAR archive: not read (no free RAR reader); re-pack it as ZIP or 7z")
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_IMAGE_MAGIC) or _is_bmp(data) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    text = _decode_sample(data[:SNIFF_BYTES])
    if text is None:
        raise UnsupportedFormat("binary data of unknown type")
    if _looks_like_html(text):
        return "html"
    if not text.strip():
        raise UnsupportedFormat("empty file (whitespace only)")
    printable = sum(1 for ch in text if (ch.isprintable() and ch != "\ufffd") or ch in "\t\n\r\f\u3000")
    if printable >= PRINTABLE_SHARE * len(text):
        return "text"
    raise UnsupportedFormat("binary data of unknown type")


def _html_before_pdf_marker(data: bytes, marker: int) -> bool:
    """A page that mentions "%PDF-" in its first kilobyte (a report quoting a file, a
    script) is HTML; a PDF with junk before its header (readers accept 1 KB of it) is not."""
    if marker == 0 or not data[:marker].strip():
        return False
    text = _decode_sample(data[:SNIFF_BYTES])
    return text is not None and _looks_like_html(text)


def _zip_kind(data: bytes, extension: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100].strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, ValueError, OSError, KeyError):
        # Too broken to list: let the reader the name promises report what is wrong.
        return extension if extension in ("docx", "xlsx", "odt", "ofd") else "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype in _ODF_TYPES:
        return _ODF_TYPES[mimetype]
    if "OFD.xml" in names or extension == "ofd":  # an .ofd without OFD.xml: its reader names what is missing
        return "ofd"
    return "zip"


def _ole_kind(data: bytes, extension: str) -> str:
    """Word vs Excel by the streams in the compound file; Kingsoft's WPS/ET files
    carry the same streams, so only their extension tells them apart."""
    streams = _ole_stream_names(data)
    if "EncryptedPackage" in streams:
        raise UnsupportedFormat("encrypted (password-protected) Office document")
    if "WordDocument" in streams:
        return "wps" if extension == "wps" else "doc"
    if streams & {"Workbook", "Book"}:
        return "et" if extension == "et" else "xls"
    if "PowerPoint Document" in streams:
        return "ppt"
    raise UnsupportedFormat("OLE2 compound file of unknown type (no Word or Excel stream)")


def _ole_stream_names(data: bytes) -> set[str]:
    """Names in the OLE2 directory, found by following its sector chain in the FAT."""
    try:
        sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        first_directory = struct.unpack_from("<I", data, 0x30)[0]
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < 0xFFFFFFFA]
        fat: list[int] = []
        for sector in fat_sectors:
            offset = (sector + 1) * sector_size
            fat.extend(struct.unpack_from(f"<{sector_size // 4}I", data, offset))
        names: set[str] = set()
        sector, seen = first_directory, set()
        while sector < 0xFFFFFFFA and sector not in seen and sector < len(fat):
            seen.add(sector)
            offset = (sector + 1) * sector_size
            for entry in range(offset, offset + sector_size, 128):
                length = struct.unpack_from("<H", data, entry + 0x40)[0]
                if 2 <= length <= 64:
                    names.add(data[entry : entry + length - 2].decode("utf-16-le", "replace"))
            sector = fat[sector]
        return names
    except struct.error:
        return set()


def _is_bmp(data: bytes) -> bool:
    # "BM" alone starts plenty of text; the header's declared size must be plausible too.
    return data[:2] == b"BM" and len(data) >= 26 and struct.unpack_from("<I", data, 2)[0] in range(26, 2**31)


def _decode_sample(sample: bytes) -> str | None:
    """The sample as text if it decodes as UTF-8/UTF-16 (BOM) or GB18030; None for binary."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif b"\x00" in sample:
        return None
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            # final=False: the sample may end in the middle of a character.
            return decoder.decode(sample, final=False)
        except UnicodeDecodeError:
            continue
    # Pages with a few stray bytes (mixed encodings, a cut multibyte character) are
    # common; they stay text as long as the damage is rare.
    text = codecs.getincrementaldecoder(encodings[-1])("replace").decode(sample, final=False)
    return text if text.count("\ufffd") <= MAX_DAMAGED_SHARE * len(text) else None


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip("\ufeff").encode("utf-8", "replace").lower()
    head = _LEADING_JUNK.sub(b"", head)
    return bool(_HTML_TAGS.match(head)) or b"<html" in head or b"<!doctype html" in head

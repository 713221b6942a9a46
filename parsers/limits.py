"""Caps that keep one hostile or broken original from hanging or sinking a batch.

Every reader of a heavy format checks its input against these before doing
the expensive work, and raises a one-line ``ParseError`` naming the cap.
The numbers are generous for real reports (a few to a few dozen pages, A4
scans at 300 dpi) and small enough to bound memory and time per file.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from .errors import ParseError

# A report is rarely longer than 40 pages; past this we read the first pages only.
MAX_PDF_PAGES = 100
# Pages rendered and sent to OCR per document (OCR costs ~1-3 s per page).
MAX_OCR_PAGES = 40
# Pixels per image we decode: an A3 page at 300 dpi is ~17 Mpx.
MAX_IMAGE_PIXELS = 40_000_000
# Bytes of an original we accept at all: also the crawler's DOWNLOAD_MAXSIZE and the archive's cap.
MAX_INPUT_BYTES = 200 * 1024 * 1024
# Total uncompressed size of a ZIP container (DOCX, ODT) and its ratio to the file.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200
# Seconds one LibreOffice conversion may take.
CONVERT_TIMEOUT = 120
# Render resolution for OCR of PDF pages: enough for 10.5pt CJK table text.
OCR_DPI = 200
# Pixels OCR works on: larger images (an A4 page at 400 dpi, a poster) are
# scaled down to this first; text stays large enough and memory stays bounded.
OCR_MAX_PIXELS = 16_000_000


# Per file: wall time and address space of the process reading it (parsers/sandbox.py).
# The command line's --time-limit/--memory-limit and NIANBAO_TIME_LIMIT/NIANBAO_MEMORY_LIMIT override them.
PARSE_TIME_LIMIT = 120.0
PARSE_MEMORY_LIMIT = 2 * 2**30
# Text a record keeps: a title is a line, a warning a sentence or two; past these they are cut with a note.
MAX_TITLE_CHARS = 500
MAX_WARNING_CHARS = 1000
MAX_WARNINGS = 200


def read_file(path: str | Path) -> bytes:
    """A file's bytes, checked before reading: a regular file (never a FIFO or a device,
    which could block or never end) no larger than the cap, and never read past it
    (a file growing while read)."""
    path = Path(path)
    with open(path, "rb", buffering=0, opener=_open_nonblocking) as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(f"not a regular file ({file_kind(info.st_mode)})")
        if info.st_size > MAX_INPUT_BYTES:
            raise ParseError(f"file of {info.st_size // 2**20} MB exceeds the {MAX_INPUT_BYTES // 2**20} MB cap")
        data = stream.read(MAX_INPUT_BYTES + 1)
    check_input_size(data)
    return data


def _open_nonblocking(path, flags):
    # O_NONBLOCK: opening a FIFO with no writer would wait for ever; regular files ignore it.
    return os.open(path, flags | os.O_NONBLOCK)


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a file"


def cut_text(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, with a note of what was cut."""
    if len(text) <= limit:
        return text
    note = f" … [cut: {len(text):,} characters]"
    return text[: max(limit - len(note), 0)] + note


def bound_record(record: dict) -> dict:
    """Cut the record's title and warnings to ``MAX_TITLE_CHARS``/``MAX_WARNING_CHARS``
    (a 52 MB text file is not a title; a 19 MB data: URI does not belong in a warning)."""
    if isinstance(record.get("title"), str):
        record["title"] = cut_text(record["title"], MAX_TITLE_CHARS)
    warnings = record.get("warnings")
    if isinstance(warnings, list):
        kept = [cut_text(w, MAX_WARNING_CHARS) if isinstance(w, str) else w for w in warnings[:MAX_WARNINGS]]
        if len(warnings) > MAX_WARNINGS:
            kept.append(f"{len(warnings) - MAX_WARNINGS} more warnings not kept")
        record["warnings"] = kept
    return record


def check_input_size(data: bytes) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(f"file of {len(data) // 2**20} MB exceeds the {MAX_INPUT_BYTES // 2**20} MB cap")


def check_zip(data: bytes) -> None:
    """Refuse a ZIP container (DOCX, ODT) that inflates past the caps.

    The central directory's declared sizes are checked first (it costs nothing),
    then every member is inflated into nothing, counting what it really gives:
    a directory may understate a member, and LibreOffice trusts the data, not
    the directory.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ParseError(f"corrupt ZIP container: {exc}") from None
    cap = min(MAX_UNZIPPED_BYTES, MAX_ZIP_RATIO * max(len(data), 1) + 10 * 2**20)
    _check_unzipped(sum(info.file_size for info in infos), cap, "decompressed size")
    total = 0
    for info in infos:
        total += _inflated_size(data, info, cap - total + 1)
        _check_unzipped(total, cap, "real decompressed size")


def _check_unzipped(total: int, cap: int, what: str) -> None:
    if total > cap:
        raise ParseError(
            f"{what} {total // 2**20} MB exceeds the cap "
            f"({MAX_UNZIPPED_BYTES // 2**20} MB, ratio {MAX_ZIP_RATIO}:1)"
        )


_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def _inflated_size(data: bytes, info: zipfile.ZipInfo, budget: int) -> int:
    """Bytes a member really inflates to (stopping once past ``budget``), read from its
    local header on, whatever the directory says of its sizes."""
    try:
        fields = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    except struct.error:
        raise ParseError(f"corrupt ZIP container: member {info.filename!r} lies outside the file") from None
    start = info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]  # name and extra field lengths
    if info.compress_type == zipfile.ZIP_STORED:
        return min(info.file_size, max(len(data) - start, 0))
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return info.file_size  # bzip2/lzma: zipfile reads no more than declared, LibreOffice ignores them
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    view = memoryview(data)[start:]
    size, position, chunk = 0, 0, 64 * 1024
    try:
        while not inflater.eof and size <= budget:
            pending = inflater.unconsumed_tail or view[position: position + chunk]
            if not inflater.unconsumed_tail:
                if not pending:
                    break
                position += chunk
            size += len(inflater.decompress(pending, 2**20))
    except zlib.error:
        return size  # corrupt data: the reader reports it
    return size


def check_pixels(width: int, height: int, what: str = "image") -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ParseError(
            f"{what} of {width} x {height} px exceeds the {MAX_IMAGE_PIXELS // 1_000_000} Mpx cap"
        )


# Bytes a spreadsheet (XLSX, ODS) may inflate to: a report's tables take well
# under 1 MB; a sheet of 10^6 rows takes ~100 MB and seconds to load.
MAX_SPREADSHEET_UNZIPPED = 40 * 1024 * 1024
# Rows and sheets read from one workbook; past these the rest is left out with a warning.
MAX_SHEET_ROWS = 5_000
MAX_SHEETS = 50


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """A ZIP member's bytes, counted while inflating: the central directory's
    sizes can lie, so a member is refused once it has produced ``budget`` bytes."""
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > budget:
                raise ParseError(
                    f"{info.filename!r} decompresses to more than {budget // 2**20} MB (cap); not read"
                )
            chunks.append(chunk)
    return b"".join(chunks)


def check_inflated_total(data: bytes, budget: int, what: str) -> None:
    """Inflate every member of a ZIP container, counting bytes (nothing kept),
    and refuse the container once the total passes ``budget``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = 0
            for info in archive.infolist():
                with archive.open(info) as stream:
                    while chunk := stream.read(1 << 20):
                        total += len(chunk)
                        if total > budget:
                            raise ParseError(
                                f"{what} decompresses to more than {budget // 2**20} MB (cap); "
                                "a report's tables take well under 1 MB"
                            )
    except (zipfile.BadZipFile, ValueError, EOFError, zlib.error, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: an encrypted part; NotImplementedError: a compression zipfile lacks
        raise ParseError(f"corrupt {what}: {' '.join(str(exc).split())}") from None

"""Caps that keep one hostile or broken original from hanging or sinking a batch.

Every reader of a heavy format checks its input against these before doing
the expensive work, and raises a one-line ``ParseError`` naming the cap.
The numbers are generous for real reports (a few to a few dozen pages, A4
scans at 300 dpi) and small enough to bound memory and time per file.
"""

from __future__ import annotations

import io
import zipfile
import zlib

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


def check_input_size(data: bytes) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(f"file of {len(data) // 2**20} MB exceeds the {MAX_INPUT_BYTES // 2**20} MB cap")


def check_zip(data: bytes) -> None:
    """Refuse a ZIP container whose declared uncompressed size is a bomb.

    The central directory declares every member's size; summing it costs
    nothing, and a member lying about its size fails CRC when read later.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ParseError(f"corrupt ZIP container: {exc}") from None
    if total > MAX_UNZIPPED_BYTES or total > MAX_ZIP_RATIO * max(len(data), 1) + 10 * 2**20:
        raise ParseError(
            f"decompressed size {total // 2**20} MB exceeds the cap "
            f"({MAX_UNZIPPED_BYTES // 2**20} MB, ratio {MAX_ZIP_RATIO}:1)"
        )


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

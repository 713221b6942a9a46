"""Read annual reports of any format into the canonical record.

Two steps, always the same: a format reader turns the original's bytes into
an intermediate ``Document`` (``parsers.document``); the one template reader
(``parsers.template``) maps that Document to the canonical record of
``shared/spec/report-model.md``.

    >>> from parsers import parse_path
    >>> record = parse_path("report.html")
    >>> record["applications"]["new_received"]["total"]
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Sequence

from . import limits
from .document import Document
from .errors import MissingTool, ParseError, UnsupportedFormat

# Bumped whenever a change can alter a record; the archive re-parses on change.
PARSER_VERSION = "0.3.0"  # 0.3.0: unruled tables from positions, real-world quirks, OFD producer variants, OCR second look

# format name -> "module:function" taking (data: bytes, **context) -> Document.
# Modules are imported on first use so that reading HTML never loads OCR models.
READERS: dict[str, str] = {
    "html": "parsers.html:read_html",
    "docx": "parsers.docx:read_docx",
    "text": "parsers.text:read_text",
    "pdf": "parsers.pdf:read_pdf",
    "doc": "parsers.office:read_office",
    "wps": "parsers.office:read_office",
    "rtf": "parsers.office:read_office",
    "odt": "parsers.office:read_office",
    "image": "parsers.image:read_image_file",
    "xlsx": "parsers.spreadsheet:read_spreadsheet",
    "xls": "parsers.spreadsheet:read_spreadsheet",
    "et": "parsers.spreadsheet:read_spreadsheet",
    "ods": "parsers.spreadsheet:read_spreadsheet",
    "ofd": "parsers.ofd:read_ofd",
}


def detect_format(data: bytes, filename: str | None = None) -> str:
    """Name the format from the content (magic bytes, markup); the filename only breaks ties."""
    from .detect import detect_format as detect

    return detect(data, filename)


def read_document(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    base_dir: Path | None = None,
) -> Document:
    """Turn an original's bytes into the intermediate Document.

    ``content_type`` is the HTTP header value where there was one (it may name
    the charset); ``base_dir`` is where relative references (``<img src>``)
    resolve, as for a page saved with its ``page_files/`` folder.
    """
    if not data:
        raise ParseError("empty file")
    fmt = detect_format(data, filename)
    if fmt in ("zip", "7z"):
        raise UnsupportedFormat(f"a {fmt.upper()} archive holds several documents: parse_bytes reads its members")
    target = READERS.get(fmt)
    if target is None:
        raise UnsupportedFormat(f"unsupported format: {fmt}")
    module_name, function_name = target.split(":")
    reader = getattr(importlib.import_module(module_name), function_name)
    document = reader(data, filename=filename, content_type=content_type, base_dir=base_dir)
    # Tables pasted as pictures (DOCX, HTML <img>) are read by OCR into Tables.
    from .ocr import resolve_images

    return resolve_images(document)


def read_originals(
    originals: Path | Sequence[Path | bytes],
    *,
    filename: str | None = None,
    content_type: str | None = None,
    base_dir: Path | None = None,
) -> Document:
    """Read one candidate of a report into a Document: a single original by its own
    format, or a flip-book's pages (several originals, a folder of them, or the
    ``BookPages`` of ``flipbook.group_pages``) joined in page order. The one place that makes this choice, for files on disk and
    archived originals alike.
    """
    from .flipbook import BookPages, read_pages

    if isinstance(originals, BookPages) or (isinstance(originals, Path) and originals.is_dir()):
        return read_pages(originals)
    if isinstance(originals, Path):
        return read_document(limits.read_file(originals), filename=filename or originals.name,
                             content_type=content_type, base_dir=base_dir or originals.parent)
    if len(originals) == 1:
        single = originals[0]
        data = limits.read_file(single) if isinstance(single, Path) else single
        return read_document(data, filename=filename, content_type=content_type, base_dir=base_dir)
    return read_pages(originals)


def parse_originals(
    originals: Path | Sequence[Path | bytes],
    *,
    filename: str | None = None,
    content_type: str | None = None,
    base_dir: Path | None = None,
) -> tuple[dict, bool]:
    """The canonical record of one candidate (as for ``read_originals``) and whether its
    document holds pictures. A single ZIP/7z original is read through its members
    (``parse_archive``): an archive is several documents, so it has no one Document."""
    from .containers import is_container

    if isinstance(originals, Path) and originals.is_file():
        originals, filename, base_dir = [originals], filename or originals.name, base_dir or originals.parent
    if isinstance(originals, (list, tuple)) and len(originals) == 1:
        single = originals[0]
        data = limits.read_file(single) if isinstance(single, Path) else single
        if is_container(data, filename):
            return parse_archive(data, filename=filename)
        originals = [data]
    document = read_originals(originals, filename=filename, content_type=content_type, base_dir=base_dir)
    return parse_document(document), bool(document.images())


def parse_document(document: Document) -> dict:
    """Map an intermediate Document to the canonical record."""
    from .template import read_record

    return limits.bound_record(read_record(document))


def parse_bytes(data: bytes, **context) -> dict:
    """The canonical record of one original; a ZIP or 7z archive gives the record of
    its members (``parse_archive``)."""
    return parse_originals([data], **context)[0]


def parse_archive(data: bytes, *, filename: str | None = None, **context) -> tuple[dict, bool]:
    """Read every member of a ZIP/7z archive and keep the best record (merged where the
    report is split over two members, see ``parsers.merge``); also whether the record's
    document holds pictures. Members that fail are named in ``warnings``; an archive no
    member of which can be read raises ``ParseError`` naming each member's reason."""
    from .containers import unpack
    from .merge import choose, table_values

    parsed: list[tuple[str, dict, bool]] = []
    failed: list[str] = []
    for member in unpack(data, filename):
        if member.data is None:
            failed.append(f"{member.name}: {member.error}")
            continue
        try:
            document = read_document(member.data, filename=member.name.rpartition("/")[2])
            parsed.append((member.name, parse_document(document), bool(document.images())))
        except ParseError as exc:
            failed.append(f"{member.name}: {_one_line(exc)}")
        except Exception as exc:  # a reader's bug costs this member only
            failed.append(f"{member.name}: {type(exc).__name__}: {_one_line(exc)}")
    if not parsed:
        reasons = "; ".join(failed) if failed else "the archive holds no files"
        raise ParseError(f"no member of the archive could be read: {reasons}")
    choice = choose([(name, record) for name, record, _ in parsed])
    used = {choice.tables_from, choice.text_from}
    notes = [f"archive member {parsed[choice.tables_from][0]} read"]
    notes += [f"also in the archive: {name} ({table_values(record)} table values)"
              for i, (name, record, _) in enumerate(parsed) if i not in used]
    notes += [f"archive member {reason}" for reason in failed]
    record = choice.record
    record["warnings"] = notes + choice.notes + record["warnings"]
    return record, parsed[choice.tables_from][2]


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def parse_path(path: str | Path) -> dict:
    """A file (a ZIP/7z through its members), or a folder of a flip-book's pages, to the canonical record."""
    return parse_originals(Path(path))[0]


__all__ = [
    "PARSER_VERSION",
    "READERS",
    "Document",
    "MissingTool",
    "ParseError",
    "UnsupportedFormat",
    "detect_format",
    "parse_archive",
    "parse_bytes",
    "parse_originals",
    "parse_document",
    "parse_path",
    "read_document",
    "read_originals",
]

"""Spreadsheet reader: XLSX, XLS, ET (WPS) and ODS through python-calamine.

Bodies often attach the statistics tables as 统计表.xls while the report's
text is a page. Every sheet becomes blocks in order: rows before the first
row of two or more printed cells, and rows whose one printed cell is merged
across the whole sheet, are paragraphs (titles, section headings); the other
rows, up to a blank row, are a ``Table`` whose merged cells are spans, as in
an HTML table. Values are the cells' cached values (a formula's last computed
result, as Excel, WPS and LibreOffice save it); a formula saved without a
result (by a writer that does not compute, e.g. openpyxl) reads as blank and
is counted in ``warnings``, never computed here. Numbers print as the sheet
shows them (``5.0`` -> ``5``).

calamine gives merged regions for XLSX and XLS; for ODS it gives none, so
they are read from ``content.xml`` (``table:number-rows-spanned`` /
``number-columns-spanned``). An ET file is WPS's XLS-compatible workbook (a
BIFF8 compound file); detection names it by its extension, calamine reads it
as XLS.

Bounds: XLSX and ODS are inflated with the bytes counted first
(``limits.MAX_SPREADSHEET_UNZIPPED``: a sheet of 10^6 rows is refused before
calamine loads it); at most ``MAX_SHEETS`` sheets and ``MAX_SHEET_ROWS`` rows
per sheet are read, the rest named in ``warnings``. Hidden sheets are read,
with a warning.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile

from . import limits
from .detect import detect_format
from .document import Document, Paragraph, Table
from .errors import ParseError

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (inclusive)


def read_spreadsheet(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    import python_calamine as calamine

    limits.check_input_size(data)
    kind = detect_format(data, filename)
    if kind in ("xlsx", "ods"):
        limits.check_inflated_total(data, limits.MAX_SPREADSHEET_UNZIPPED, kind.upper())
    doc = Document(source_format=kind)
    try:
        workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise ParseError(f"encrypted {kind.upper()}: a password is required") from None
    except Exception as exc:  # calamine raises its own error types, and ValueError for garbage
        raise ParseError(f"corrupt {kind.upper()}: {_one_line(exc)}") from None
    ods_merges, uncomputed = _ods_layout(data) if kind == "ods" else ({}, 0)
    if kind == "xlsx":
        uncomputed = _xlsx_uncomputed(data)
    if uncomputed:
        doc.warnings.append(
            f"{uncomputed} formula cell{'s' if uncomputed > 1 else ''} without a saved result (the program that "
            "wrote the file does not compute formulas): read as blank"
        )
    try:
        sheets = workbook.sheets_metadata
        if len(sheets) > limits.MAX_SHEETS:
            doc.warnings.append(f"workbook has {len(sheets)} sheets; read the first {limits.MAX_SHEETS} only")
        for meta in sheets[: limits.MAX_SHEETS]:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                continue
            if meta.visible != calamine.SheetVisibleEnum.Visible:
                doc.warnings.append(f"sheet {meta.name!r} is hidden in the workbook; read all the same")
            try:
                sheet = workbook.get_sheet_by_name(meta.name)
                if sheet.height > limits.MAX_SHEET_ROWS:
                    doc.warnings.append(
                        f"sheet {meta.name!r} has {sheet.height} rows; read the first {limits.MAX_SHEET_ROWS} only"
                    )
                rows = sheet.to_python(skip_empty_area=False, nrows=limits.MAX_SHEET_ROWS)
                merges = ods_merges.get(meta.name, []) if kind == "ods" else _merges(sheet.merged_cell_ranges)
            except Exception as exc:
                doc.warnings.append(f"sheet {meta.name!r} unreadable ({_one_line(exc)}); skipped")
                continue
            doc.blocks += sheet_blocks([[_text(value) for value in row] for row in rows], merges)
    finally:
        workbook.close()
    if not doc.blocks:
        doc.warnings.append("the workbook's sheets print nothing")
    return doc


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _text(value) -> str:
    """A cell's value as the sheet prints it by default."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    return str(value).strip()


def _merges(ranges) -> list[Merge]:
    return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges or ()]


def sheet_blocks(rows: list[list[str]], merges: list[Merge]) -> list[Paragraph | Table]:
    """A sheet's rows (absolute positions) and merged regions to paragraphs and tables."""
    merged_at = {(m[0], m[1]): m for m in merges}
    covered = {
        (r, c) for m in merges for r in range(m[0], m[2] + 1) for c in range(m[1], m[3] + 1) if (r, c) != m[:2]
    }
    # Rows reached by a taller merged cell from above belong to that cell's table.
    continued = {r for m in merges for r in range(m[0] + 1, m[2] + 1)}
    used = [c for row in rows for c, text in enumerate(row) if text]
    left, right = (min(used), max(used)) if used else (0, 0)
    blocks: list[Paragraph | Table] = []
    run: list[int] = []
    seen_table_row = False

    def flush():
        if run:
            blocks.append(_table(rows, run, merged_at, covered))
            run.clear()

    for r, row in enumerate(rows):
        printed = [c for c, text in enumerate(row) if text]
        if not printed:
            if r in continued:
                run.append(r)  # a row inside a tall merged cell
            else:
                flush()  # a blank row ends a table
            continue
        lone = len(printed) == 1
        spans_sheet = lone and (m := merged_at.get((r, printed[0]))) is not None and m[1] <= left and m[3] >= right
        if lone and (spans_sheet or not seen_table_row) and r not in continued:
            flush()
            blocks.append(Paragraph(row[printed[0]]))
            continue
        seen_table_row = seen_table_row or not lone
        run.append(r)
    flush()
    return blocks


def _table(rows, run: list[int], merged_at: dict, covered: set) -> Table:
    """Rows ``run`` as a table of ``(text, rowspan, colspan)``, spans cut to the run and
    to the columns that print something (empty leading columns would read as blanks)."""
    first, last = run[0], run[-1]
    columns = [c for r in run for c, text in enumerate(rows[r]) if text]
    left, right = min(columns), max(columns)
    for r in run:  # a merge starting in a printed column may reach further right
        for c in range(left, right + 1):
            if (m := merged_at.get((r, c))) is not None:
                right = max(right, m[3])
    spans = []
    for r in run:
        line = []
        for c in range(left, right + 1):
            if (r, c) in covered:
                continue
            m = merged_at.get((r, c))
            text = rows[r][c] if c < len(rows[r]) else ""
            rowspan = min(m[2], last) - r + 1 if m else 1
            colspan = min(m[3], right) - c + 1 if m else 1
            line.append((text, rowspan, colspan))
        spans.append(line)
    return Table.from_spans(spans)


_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


# A formula cell whose saved result is missing or empty (<v/>, <v></v>): openpyxl and
# other writers that do not compute save formulas so; calamine then reads a blank.
_UNCOMPUTED = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


def _xlsx_uncomputed(data: bytes) -> int:
    """Formula cells without a saved result in an XLSX's worksheets."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(
            len(_UNCOMPUTED.findall(limits.read_member(archive, info, limits.MAX_SPREADSHEET_UNZIPPED)))
            for info in archive.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        )


def _ods_layout(data: bytes) -> tuple[dict[str, list[Merge]], int]:
    """Merged regions per sheet from an ODS file's content.xml (calamine gives none for
    ODS), and the count of formula cells saved without a result."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = limits.read_member(archive, archive.getinfo("content.xml"), limits.MAX_SPREADSHEET_UNZIPPED)
        root = etree.fromstring(
            content, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        )
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ParseError(f"corrupt ODS: {_one_line(exc)}") from None
    t, office = "{%s}" % _ODF_TABLE, "{%s}" % _ODF_OFFICE
    merges: dict[str, list[Merge]] = {}
    uncomputed = 0
    for table in root.iter(t + "table"):
        found = merges.setdefault(table.get(t + "name", ""), [])
        r = 0
        for row in table.iter(t + "table-row"):
            c = 0
            for cell in row:
                if cell.tag not in (t + "table-cell", t + "covered-table-cell"):
                    continue
                rows_spanned = int(cell.get(t + "number-rows-spanned", "1"))
                cols_spanned = int(cell.get(t + "number-columns-spanned", "1"))
                if rows_spanned > 1 or cols_spanned > 1:
                    found.append((r, c, r + rows_spanned - 1, c + cols_spanned - 1))
                if cell.get(t + "formula") is not None and cell.get(office + "value-type") is None:
                    uncomputed += 1
                c += int(cell.get(t + "number-columns-repeated", "1"))
            r += int(row.get(t + "number-rows-repeated", "1"))
            if r > limits.MAX_SHEET_ROWS:
                break
    return merges, uncomputed

"""Spreadsheets of a report's tables, as bodies attach them (统计表.xls), for the tests.

``workbook_xlsx`` writes the three tables of a synthetic record with openpyxl:
a title row and section headings merged across the sheet, the tables with
the national template's merged cells. ``convert`` turns it into XLS or ODS
through LibreOffice (an ET file is WPS's name for the same XLS container).
"""

from __future__ import annotations

import io

from nianbao.testbed.synthetic import Variants, printed_tables

HEADINGS = {2: "二、主动公开政府信息情况", 3: "三、收到和处理政府信息公开申请情况", 4: "四、政府信息公开行政复议、行政诉讼情况"}


def workbook_xlsx(
    record: dict,
    *,
    title: bool = True,
    formulas: bool = False,
    hidden_sheet: bool = False,
    sheet_per_table: bool = False,
    **variants,
) -> bytes:
    """The record's tables as an XLSX workbook. ``formulas``: section 三's 总计 column
    is a SUM formula (openpyxl stores no cached value; LibreOffice computes one on
    conversion). ``hidden_sheet``: a hidden sheet of notes after the tables.
    ``variants``: how labels and values print (``synthetic.Variants``)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "统计表"
    row = 1
    tables = printed_tables(record, Variants(**variants))
    width = 15
    if title:
        sheet.cell(row, 1, f"{record['title']}统计表")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    for no in (2, 3, 4):
        if sheet_per_table and no != 2:
            sheet = workbook.create_sheet(f"表{no - 1}")
            row = 1
        sheet.cell(row, 1, HEADINGS[no])
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
        row = _write_table(sheet, tables[no], row, formulas=formulas and no == 3) + 1  # a blank row after
    if hidden_sheet:
        notes = workbook.create_sheet("填表说明")
        notes["A1"] = "本表由办公室填报"
        notes.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_table(sheet, printed, first_row: int, *, formulas: bool) -> int:
    """Write printed rows (cells with spans, positions covered from above skipped) from
    ``first_row``; returns the row after the table."""
    taken: set[tuple[int, int]] = set()
    for r, cells in enumerate(printed):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            value = int(cell.text) if cell.text.isdigit() else cell.text
            target = sheet.cell(first_row + r, c + 1, value if value != "" else None)
            if formulas and c == 9 and isinstance(value, int):
                target.value = f"=SUM(D{first_row + r}:I{first_row + r})"
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(start_row=first_row + r, start_column=c + 1,
                                  end_row=first_row + r + cell.rowspan - 1, end_column=c + cell.colspan)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    return first_row + len(printed)


def convert(xlsx: bytes, target: str) -> bytes:
    """The workbook converted by LibreOffice ("xls", "ods", "xlsx": formulas get cached values)."""
    from parsers.office import convert as soffice_convert

    return soffice_convert(xlsx, ".xlsx", target)

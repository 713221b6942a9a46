"""Real-world quirks, reproduced on synthetic records (issue 11).

Each quirk was seen in published reports (the catalogue with the pages is in
parsers/README.md, "Real-world quirks"); here it is printed with our own
values, so a test or benchmark knows every cell the reader should return.

    from nianbao.testbed.quirks import QUIRKS, render_quirk
    data, filename, expected = render_quirk("pipe cells", record)
    parse_bytes(data, filename=filename)  # tables equal expected's

A quirk is a rendering (``form``: web-page text with ``|`` between cells,
one row or one cell per line; one cell per line without pipes; unruled text;
HTML) plus edits of the printed cells (notes on labels, header variants,
zeros printed blank, misprints). ``expected`` is the record a faithful reader
returns: cells printed blank are null, a row that is not the template's is
not read.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

from parsers import model

from . import synthetic
from .synthetic import Printed, Variants, as_printed, printed_tables

# The grid width of each section's table: the padding a page-text export adds to a row.
_WIDTH = {2: 4, 3: 10, 4: 15}
_APPLICANTS = synthetic.APPLICANTS


@dataclass
class Quirk:
    """How a quirk prints a report. ``edit`` changes the printed tables in place
    (and returns the cells it printed blank); ``templates`` are the templates it
    occurs with."""

    form: str  # "pipe rows", "pipe cells", "pipe below", "lines", "unruled", "html"
    edit: Callable[[dict, dict], tuple] = lambda record, tables: ()
    templates: tuple = ("2021", "2019")
    prose: Callable[[dict], list[str]] | None = None  # extra lines printed under section 四's heading
    unread: tuple = ()  # section 二 rows whose label the quirk loses: never read


def _replace(tables: dict, old: str, new: str) -> None:
    for rows in tables.values():
        for row in rows:
            for cell in row:
                if cell.text == old:
                    cell.text = new


def _zeros_blank(record: dict, tables: dict) -> tuple:
    """Zeros of the six applicant columns printed blank, the totals printed (a body
    that fills only 总计, or leaves its zeros out)."""
    blank = tuple(
        (row, column)
        for row, cells in record["applications"].items()
        for column in _APPLICANTS
        if cells.get(column) == 0
    )
    v = Variants(blank_cells=blank)
    tables[3] = printed_tables(record, v)[3]
    return blank


def _blank_rows(record: dict, tables: dict) -> tuple:
    """Every zero of section 三 printed blank, totals too: rows of zeros print as rows
    of blank cells, which a one-cell-per-line export does not end."""
    blank = tuple(
        (row, column) for row, cells in record["applications"].items() for column, value in cells.items() if value == 0
    )
    tables[3] = printed_tables(record, Variants(blank_cells=blank))[3]
    return blank


def _annotated(record: dict, tables: dict) -> tuple:
    """The 2019 template as one province handed it out: every header and some row
    labels carry an explanatory note, and a row of 其他主动公开文件 that is not the
    national template's is printed between them; increases are signed (+2)."""
    year = record["year"]
    notes = {
        "上一年项目数量": f"上一年项目数量（指{year - 1}年事项数）",
        "本年增/减": f"本年增/减（指{year}年增加或减少的事项数，减用负值表示，如-8）",
        "处理决定数量": f"处理决定数量（指{year}年办件量）",
        "规章": "规章（设区的市、自治州人民政府应提供相关数据）",
        "行政规范性文件": "行政规范性文件（行政机关制定发布的决定、公告、通告、意见、通知，以及标题采用“规定”“办法”等字样的公文）",
        "其他对外管理服务事项": "其他对外管理服务事项（指行政许可以外的政务服务事项，含行政确认、行政奖励、行政给付等）",
    }
    for old, new in notes.items():
        _replace(tables, old, new)
    rows = tables[2]
    at = next(i for i, row in enumerate(rows) if row[0].text.startswith("行政规范性文件")) + 1
    rows.insert(at, [Printed("其他主动公开文件（含以本单位名义正式签发的其他主动公开文件）"),
                     Printed("7"), Printed("7"), Printed("31")])
    changes = {c["row"]: c["value"] for c in record["active_disclosure"] if c["metric"] == "change"}
    for row in rows:
        code = next((code for code, (_, labels) in model.ACTIVE_DISCLOSURE_ROWS.items()
                     if row[0].text.split("（")[0] in labels), None)
        if (changes.get(code) or 0) > 0 and len(row) >= 3:
            row[2].text = f"+{changes[code]}"  # 本年增/减 is the second value column
    return ()


def _headers_cut(record: dict, tables: dict) -> tuple:
    """Headers cut short by a narrow column: 「本年新」「本年新」 over 本年新制作/公开数量
    (which is which cannot be told), 「本年增/」 over 本年增/减 (only one header begins so)."""
    _replace(tables, "本年新制作数量", "本年新")
    _replace(tables, "本年新公开数量", "本年新")
    _replace(tables, "本年增/减", "本年增/")
    return ()


def _marks_lost(record: dict, tables: dict) -> tuple:
    """An editor's paste that lost the bracketed parts: 第二十条第 without its item,
    本年收费金额单位：万元, and the first row's label 规章 (its values still printed)."""
    for item in synthetic.ITEM_HEADINGS.values():
        _replace(tables, item, "第二十条第")
    _replace(tables, "本年收费金额（单位：万元）", "本年收费金额单位：万元")
    _replace(tables, "规章", "")
    return ()


def _mixed_header(record: dict, tables: dict) -> tuple:
    """本年制作数量 (a mix of the two templates' headers) and 现行有效件 (cut short)."""
    _replace(tables, "本年制发件数", "本年制作数量")
    _replace(tables, "现行有效件数", "现行有效件")
    return ()


def _misprints(record: dict, tables: dict) -> tuple:
    """Two misprints in section 三's labels, each one character off."""
    for row in tables[3]:
        for cell in row:
            cell.text = cell.text.replace("只计这一情形", "只计这一情况").replace("三类内部事务", "三类内容事务")
    return ()


def _wrapped_year(record: dict) -> list[str]:
    """A sentence under section 四's heading wrapped by the page, its first line
    opening with a year and ending without a full stop (flip-book text)."""
    return [f"{record['year']} 年，本机关对形成的政府信息依法、有序公开，", "未出现申请行政复议、提起行政诉讼的情况。"]


QUIRKS: dict[str, Quirk] = {
    "pipe rows": Quirk("pipe rows"),
    "pipe cells": Quirk("pipe cells"),
    "pipe cells, zeros blank": Quirk("pipe cells", _zeros_blank),
    "pipe cells, blank rows": Quirk("pipe cells", _blank_rows),
    "pipe below": Quirk("pipe below"),
    "one cell per line": Quirk("lines"),
    "html, zeros blank": Quirk("html", _zeros_blank),
    "html, notes on labels": Quirk("html", _annotated, templates=("2019",)),
    "pipe rows, notes on labels": Quirk("pipe rows", _annotated, templates=("2019",)),
    "html, headers cut short": Quirk("html", _headers_cut, templates=("2019",)),
    "html, 2021 headers varied": Quirk("html", _mixed_header, templates=("2021",)),
    "one cell per line, marks lost": Quirk("lines", _marks_lost, templates=("2021",), unread=("regulations",)),
    "html, misprints": Quirk("html", _misprints),
    "unruled, wrapped year": Quirk("unruled", prose=_wrapped_year),
}


def render_quirk(name: str, record: dict) -> tuple[bytes, str, dict]:
    """(bytes, filename, the record a faithful reader returns) for one quirk."""
    quirk = QUIRKS[name]
    tables = printed_tables(record)
    blank = quirk.edit(record, tables)
    lines = synthetic.Variants().title(record) + [synthetic._intro(record)]
    extra = quirk.prose(record) if quirk.prose else []
    for section in record["sections"]:
        no = section["no"]
        lines.append(synthetic._section_heading(section, Variants()))
        if no == 4:
            lines += extra
        lines += [line for line in section["text"].split("\n") if line]
        if no in tables:
            lines.append(("table", no))
    if record.get("published"):
        lines += [record["organization"] or "", synthetic._chinese_date(record["published"])]
    expected = as_printed(record, blank_cells=blank)
    expected["active_disclosure"] = [c for c in expected["active_disclosure"] if c["row"] not in quirk.unread]
    if quirk.form == "html":
        return _html(lines, tables), "report.html", expected
    return "\n".join(_text(lines, tables, quirk.form)).encode("utf-8") + b"\n", "report.txt", expected


def _html(lines: list, tables: dict) -> bytes:
    body = []
    for line in lines:
        if isinstance(line, tuple):
            body.append(synthetic._html_table(tables[line[1]]))
        else:
            body.append(f"<p>{html.escape(line)}</p>")
    page = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>报告</title></head><body><div id="zoom">{}</div></body></html>'
    return page.format("\n".join(body)).encode("utf-8")


def _text(lines: list, tables: dict, form: str) -> list[str]:
    out = []
    for line in lines:
        if not isinstance(line, tuple):
            out += [line, ""] if form == "lines" else [line]
            continue
        rows = tables[line[1]]
        if form == "unruled":
            out += [("  ".join(e for e in row if e)) for row in _tab_rows(rows)]
            continue
        for row in rows:
            texts = [cell.text.replace("\n", " ") for cell in row]
            # the export pads each row with empty cells to the grid's width: a merged cell
            # prints once, so rows with merges end in '||…' (a pad of one looks like a blank)
            pad = max(_WIDTH[line[1]] - len(row), 0)
            if form == "pipe rows":
                out.append(" | ".join(texts) + " |" + (" " + "|" * pad if pad else ""))
            elif form == "pipe cells":
                out += [f"{t} |" if t else "|" for t in texts] + (["|" * pad] if pad else [])
            elif form == "pipe below":
                for t in texts:
                    out += [t, "|"] if t else ["|"]
                if pad:
                    out.append("|" * pad)
            elif form == "lines":
                out += [line_ for t in texts if t for line_ in (t, "")]
    return out


def _tab_rows(rows: list[list[Printed]]) -> list[list[str]]:
    """Rows as unruled PDF text prints them: each printed cell's text, spaces inside
    a cell removed, merged cells once."""
    return [[cell.text.replace("\n", "") for cell in row] for row in rows]

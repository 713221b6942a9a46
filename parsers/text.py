"""Plain text reports (and text extracted from other formats) → Document.

Two table layouts occur in extracted text, and both are read:

* tab-separated: one table row per line, cells separated by tabs
  (``规章\\t0\\t0\\t0``);
* one cell per line: every cell on its own line starting with a tab, rows
  separated by a blank line, and a line without a tab continuing the
  previous cell (a line break inside the cell). Two blank lines end the
  table.

Text exported from web pages (reader modes, Markdown converters, page-text
archives) prints a table with ``|`` between cells, in two ways, both read:

* one row per line: ``规章 | 0 | 0 | 0 |`` or ``| 规章 | 0 | 0 | 0 |``; trailing
  empty cells pad the row to the grid's width (merged cells), a Markdown rule
  line ``|---|---|`` is dropped;
* one cell per line: ``56 |``, a lone ``|`` is a blank cell, a line of two or
  more ``|`` ends the row (its padding), and ``第二十条第(一)项 | |||`` is a
  cell that ends its row; the closing ``|`` may stand on the next line
  (``56`` / ``|``).

``[image: name]`` lines (a picture in the original) become ``Image`` blocks;
every other non-blank line is a Paragraph.
"""

from __future__ import annotations

import re

from .document import Document, Image, Paragraph, Table
from .errors import ParseError
from .limits import check_input_size

_IMAGE = re.compile(r"^\s*\[image:\s*(.*?)\]\s*$")
# Word-processor residue left by converters ("[bookmark: _GoBack]"): not printed text.
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# A section heading never continues a table cell, however few blank lines precede it.
_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030; binary data is refused."""
    check_input_size(data)
    if b"\x00" in data[:4096]:
        raise ParseError("binary data, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ParseError("text is neither UTF-8 nor GB18030") from None


_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _pipe_cells(line: str) -> list[str] | None:
    """The cells of a line printed with '|' between cells, else None. A line of pipes
    alone gives only empty cells."""
    stripped = line.strip()
    if "|" not in stripped or "\t" in line:
        return None
    if stripped == "|":
        return [""]
    body = stripped[1:] if stripped.startswith("|") else stripped
    cells = [cell.strip() for cell in body.split("|")]
    if body.endswith("|"):
        cells.pop()  # the closing pipe
    return cells


def _closing_pipes_joined(lines: list[str]) -> list[str]:
    """'56' / '|' → '56 |': a cell whose closing pipe was printed on the next line."""
    out: list[str] = []
    for line in lines:
        if line.strip() == "|" and out and out[-1].strip() and "|" not in out[-1] and "\t" not in out[-1]:
            out[-1] = out[-1].rstrip() + " |"
        else:
            out.append(line)
    return out


def _is_single_cell(line: str) -> bool:
    return line.startswith("\t") and "\t" not in line[1:]


def _is_tab_row(line: str) -> bool:
    return "\t" in line and not _is_single_cell(line)


class _Builder:
    def __init__(self) -> None:
        self.blocks: list = []
        self.rows: list[list[str]] | None = None  # the table being built

    def end_table(self) -> None:
        if self.rows is not None:
            rows = [row for row in self.rows if row]
            if rows:
                self.blocks.append(Table.from_rows(rows))
            self.rows = None

    def start_table(self) -> list[list[str]]:
        if self.rows is None:
            self.rows = [[]]
        return self.rows

    def pipe_line(self, line: str, cells: list[str]) -> None:
        """One '|' line: a whole row, a single cell of the row being built, a blank
        cell, or the end of the row (pipes alone, the row's padding)."""
        rows = self.start_table()
        filled = [cell for cell in cells if cell]
        if not filled:
            if line == "|":
                rows[-1].append("")
            elif rows[-1]:
                rows.append([])
        elif line.startswith("|") or len(filled) > 1 or cells[0] == "":
            if rows[-1]:
                rows.append([])
            while len(cells) > 1 and not cells[-1]:
                cells.pop()  # padding of merged cells
            rows[-1].extend(cells)
            rows.append([])
        else:
            rows[-1].append(cells[0])
            if len(cells) > 1:  # '第二十条第(一)项 | |||': the cell ends its row
                rows.append([])


def read_text(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    text = decode(data)
    if not text.strip():
        raise ParseError("empty text")
    out = _Builder()
    mode = None  # None, "tabs", "cells" or "pipes"
    blank_run = 0
    for raw in _closing_pipes_joined(text.splitlines()):
        line = _BOOKMARK.sub("", raw.rstrip("\r\n"))
        if not line.strip() and not line.startswith("\t"):
            blank_run += 1
            if mode == "cells" and out.rows and out.rows[-1]:
                if blank_run >= 2:
                    out.end_table()
                    mode = None
                # else: a row break, unless a continuation line follows (handled below)
            continue
        pipes = None if _IMAGE.match(line) else _pipe_cells(line)
        if pipes is not None:
            if mode != "pipes":
                out.end_table()
                mode = "pipes"
            if not _PIPE_RULE.match(line):
                out.pipe_line(line.strip(), pipes)
            blank_run = 0
            continue
        image = _IMAGE.match(line)
        if image:
            out.end_table()
            mode = None
            out.blocks.append(Image(src=image.group(1)))
        elif _is_single_cell(line):
            if mode != "cells":
                out.end_table()
                mode = "cells"
            rows = out.start_table()
            if blank_run and rows[-1]:
                rows.append([])
            rows[-1].append(line[1:].strip())
        elif _is_tab_row(line):
            if mode != "tabs":
                out.end_table()
                mode = "tabs"
            # a single blank line inside a tab table is layout noise, not an end
            out.start_table().append([cell.strip() for cell in line.split("\t")])
        elif mode == "cells" and out.rows and out.rows[-1] and not _HEADING.match(line):
            # a line break inside the previous cell (blank lines inside it included)
            cell = out.rows[-1]
            cell[-1] = f"{cell[-1]}\n{line.strip()}" if cell[-1] else line.strip()
        else:
            out.end_table()
            mode = None
            out.blocks.append(Paragraph(line.strip()))
        blank_run = 0
    out.end_table()
    return Document(blocks=out.blocks, source_format="text")

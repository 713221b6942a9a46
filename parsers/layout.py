"""Positioned text to blocks: the geometry shared by the PDF reader and OCR.

A PDF page gives words with coordinates; OCR gives text boxes with
coordinates. Both are turned into the same blocks here: boxes inside a
ruled table's cell rectangles become that ``Table``'s cells (merged cells
are one rectangle covering several grid columns/rows), the rest become
lines, and lines become paragraphs; a table printed without ruling lines
is rebuilt from the text's own structure (``unruled_tables``). Coordinates
grow rightwards and downwards (PDF points or image pixels, as long as one
call uses one unit).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from .document import Cell, Paragraph, Table

Rect = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class Box:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    confidence: float | None = None
    # The direction the text runs, in degrees clockwise: 0 (left to right),
    # 270 (bottom to top, Word's btLr), 90 (top to bottom, tbRl).
    rotation: int = 0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-6)


_ASCII_WORD = re.compile(r"[A-Za-z0-9.%]")
_DIGITS = re.compile(r"^[0-9０-９.,，]+$")
# Headings and list items that always start a new paragraph.
_PARAGRAPH_START = re.compile(
    r"^\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.、．]\D|附件|附表)"
)


def join_words(boxes: list[Box]) -> str:
    """One line's boxes, left to right: CJK joins without spaces, Latin words
    keep one, and so do texts a column's gap apart."""
    text = ""
    previous: Box | None = None
    for box in sorted(boxes, key=lambda b: b.x0):
        gap = box.x0 - previous.x1 if previous is not None else 0.0
        if (
            previous is not None
            and text
            and box.text
            and (
                (_ASCII_WORD.match(text[-1]) and _ASCII_WORD.match(box.text[0]) and gap > 0.15 * min(box.height, previous.height))
                # a column gap (a table row printed without rules: '行政许可   5')
                or gap > 1.5 * max(box.height, previous.height)
            )
        ):
            text += " "
        text += box.text
        previous = box
    return text


def group_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into text lines by vertical overlap, top to bottom."""
    lines: list[list[Box]] = []
    bounds: list[tuple[float, float]] = []
    for box in sorted(boxes, key=lambda b: (b.top, b.x0)):
        for i in range(len(lines) - 1, max(len(lines) - 3, -1), -1):
            top, bottom = bounds[i]
            if top - 0.1 * box.height <= box.cy <= bottom + 0.1 * box.height:
                lines[i].append(box)
                bounds[i] = (min(top, box.top), max(bottom, box.bottom))
                break
        else:
            lines.append([box])
            bounds.append((box.top, box.bottom))
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def upright(boxes: list[Box]) -> list[Box]:
    """A cell's boxes in the frame its text reads in: where most of them run
    rotated (a merged cell printed with ``textDirection`` btLr or tbRl), the
    page is turned so that the text runs left to right, lines top to bottom."""
    turned = [b.rotation for b in boxes if b.rotation in (90, 270)]
    if len(turned) * 2 <= len(boxes):
        return boxes
    if max(set(turned), key=turned.count) == 270:
        # bottom to top, lines stacked left to right
        return [Box(-b.bottom, b.x0, -b.top, b.x1, b.text, b.confidence) for b in boxes]
    # top to bottom, lines stacked right to left
    return [Box(b.top, -b.x1, b.bottom, -b.x0, b.text, b.confidence) for b in boxes]


def cell_text(boxes: list[Box]) -> str:
    """Lines of a cell joined by ``\\n``, in the direction its text runs; a
    number wrapped in a narrow cell ('125' over '6') is one printed number
    and joins without a break."""
    out: list[str] = []
    for line in group_lines(upright(boxes)):
        text = join_words(line)
        if out and _DIGITS.match(out[-1]) and _DIGITS.match(text):
            out[-1] += text
        else:
            out.append(text)
    return "\n".join(out)


def _cluster(values: list[float], tolerance: float) -> list[float]:
    edges: list[list[float]] = []
    for value in sorted(values):
        if edges and value - edges[-1][-1] <= tolerance:
            edges[-1].append(value)
        else:
            edges.append([value])
    return [sum(group) / len(group) for group in edges]


def _nearest(value: float, edges: list[float]) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def table_from_cells(rects: list[Rect], boxes: list[Box], tolerance: float = 3.0) -> Table:
    """A Table from cell rectangles (a merged cell is one rectangle) and the
    text boxes printed inside them. Grid lines are the rectangles' edges."""
    xs = _cluster([r[0] for r in rects] + [r[2] for r in rects], tolerance)
    ys = _cluster([r[1] for r in rects] + [r[3] for r in rects], tolerance)
    contents: dict[int, list[Box]] = {i: [] for i in range(len(rects))}
    # Which rectangle covers each grid position (the smallest, if drawn twice).
    spans = [(_nearest(r[0], xs), _nearest(r[2], xs), _nearest(r[1], ys), _nearest(r[3], ys)) for r in rects]
    covering: dict[tuple[int, int], int] = {}
    for i in sorted(range(len(rects)), key=lambda i: -(rects[i][2] - rects[i][0]) * (rects[i][3] - rects[i][1])):
        c0, c1, r0, r1 = spans[i]
        for r in range(r0, r1):
            for c in range(c0, c1):
                covering[(r, c)] = i

    def owner(x: float, y: float) -> int | None:
        if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
            return None
        c = min(bisect.bisect_right(xs, x) - 1, len(xs) - 2)
        r = min(bisect.bisect_right(ys, y) - 1, len(ys) - 2)
        return covering.get((r, c))

    for box in boxes:
        i = owner(box.cx, box.cy)
        if i is not None:
            contents[i].append(box)

    grid: list[list[Cell | None]] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for i, rect in enumerate(rects):
        c0, c1, r0, r1 = spans[i]
        if c1 <= c0 or r1 <= r0:
            continue  # a sliver between two nearly equal edges
        scores = [b.confidence for b in contents[i] if b.confidence is not None]
        cell = Cell(cell_text(contents[i]), r0, c0, r1 - r0, c1 - c0, min(scores) if scores else None)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if grid[r][c] is None:
                    grid[r][c] = cell
    rows = [[cell for cell in line if cell is not None] for line in grid]
    return Table([row for row in rows if row])


def paragraphs_from_lines(lines: list[list[Box]], left: float, right: float) -> list[Paragraph]:
    """Visual lines to paragraphs: wrapped lines join (no space between CJK),
    an indented line, a heading or a line after a short line starts a new one."""
    paragraphs: list[str] = []
    previous: list[Box] | None = None
    # Official documents are often set with wide line spacing: a paragraph
    # break is a pitch clearly larger than the usual one, not any white gap.
    pitches = sorted(b[0].top - a[0].top for a, b in zip(lines, lines[1:]) if b[0].top > a[0].top)
    usual_pitch = pitches[len(pitches) // 2] if pitches else 0.0
    for line in lines:
        text = join_words(line).strip()
        if not text:
            continue
        height = max(b.height for b in line)
        starts_new = (
            previous is None
            or line[0].x0 - left > 1.2 * height
            or previous[-1].x1 < right - 2.5 * height
            or line[0].top - previous[0].top > max(1.4 * usual_pitch, 2.2 * height)
            or _PARAGRAPH_START.match(text)
        )
        if starts_new:
            paragraphs.append(text)
        else:
            glue = " " if _ASCII_WORD.match(paragraphs[-1][-1]) and _ASCII_WORD.match(text[0]) else ""
            paragraphs[-1] += glue + text
        previous = line
    return [Paragraph(text) for text in paragraphs]


_NUMBER = re.compile(r"^[-—–/0-9０-９.,，%]+[件个项次万元]*$")


def segments(line: list[Box], gap: float) -> list[Box]:
    """Merge a line's boxes into segments separated by at least ``gap``."""
    merged: list[Box] = []
    for box in line:
        if merged and box.x0 - merged[-1].x1 < gap:
            last = merged[-1]
            merged[-1] = Box(
                last.x0, min(last.top, box.top), box.x1, max(last.bottom, box.bottom),
                join_words([last, box]),
                min((s for s in (last.confidence, box.confidence) if s is not None), default=None),
            )
        else:
            merged.append(box)
    return merged


def is_table_line(parts: list[Box]) -> bool:
    """A line of an unruled table's row: several parts, two or more of them numbers."""
    return len(parts) >= 3 and sum(1 for p in parts if _NUMBER.match(p.text)) >= 2


# A label with a value printed flush against it: '2.没有现成信息需要另行制作3' (OCR
# may read a space between: '1.属于国家秘密 3').
_FLUSH_NUMBER = re.compile(r"^(.*[^\x00-\x7f])\s?([0-9０-９]+)$")
# A label's item number set apart from its words ('2.' | '没有现成信息'): not a value.
_ITEM_NUMBER = re.compile(r"^\d{1,2}[.．、]$")
# Header lines read above an unruled table at most.
MAX_HEADER_LINES = 8
# An opening bracket starts a new group name in a column of stacked characters.
_OPENING = ("（", "(")
_CLOSING = ("）", ")")


@dataclass
class Unruled:
    """What the unruled reading made of a page's text: tables and the other
    lines, each with its top, in reading order; and what it could not place."""

    items: list[tuple[float, Table | list[Box]]]
    warnings: list[str]


def unruled_tables(words: list[Box], chars: list[Box] | None = None) -> Unruled:
    """Tables printed without ruling lines, rebuilt from the text's own structure.

    A table is a run of lines that carry two or more numbers, with the lines
    between them that lie left of the first number column (wrapped labels,
    characters of a merged column). Its cells: value columns where the
    numbers line up across rows, one row band per line of numbers, the label
    column left of the first number column, and narrow columns of single
    stacked (or rotated) characters as merged cells spanning rows. ``chars``
    (a text PDF's characters) place a value printed flush against its label
    exactly; without them (OCR's text lines) it is split by character widths.
    Other lines are returned as lines."""
    lines = group_lines(words)
    numbers = [_number_parts(line) for line in lines]
    runs = _table_runs(lines, numbers)
    items: list[tuple[float, Table | list[Box]]] = []
    warnings: list[str] = []
    taken: set[int] = set()
    for header, first, last in runs:
        run = lines[header : last + 1]
        boxes = [b for line in run for b in line]
        if chars is not None:
            top, bottom = min(b.top for b in boxes), max(b.bottom for b in boxes)
            inside = [c for c in chars if top <= c.cy <= bottom]
            boxes = inside or boxes
        body_top = min(b.top for b in lines[first])
        heads = [b for b in boxes if b.cy < body_top]
        table = _table([b for b in boxes if b.cy >= body_top], warnings, heads)
        items.append((run[0][0].top, table))
        taken.update(range(header, last + 1))
    items += [(line[0].top, line) for k, line in enumerate(lines) if k not in taken]
    items.sort(key=lambda item: item[0])
    return Unruled(items, warnings)


def _number_parts(line: list[Box]) -> list[Box]:
    """The numbers of a line that makes an unruled table row, else none."""
    # the usual height: a word of characters stacked in a merged column is taller
    height = sorted(b.height for b in line)[len(line) // 2]
    parts = [piece for part in segments(line, gap=1.5 * height) for piece in split_flush_number(part)]
    return [p for p in parts if _NUMBER.match(p.text)] if is_table_line(parts) else []


def _extent(boxes: list[Box]) -> Box:
    return Box(min(b.x0 for b in boxes), min(b.top for b in boxes), max(b.x1 for b in boxes), max(b.bottom for b in boxes), "")


def _table_runs(lines: list[list[Box]], numbers: list[list[Box]]) -> list[tuple[int, int, int]]:
    """(header, first, last) line of each table: its header lines from
    ``header``; from ``first``, lines of numbers and the lines left of their
    first number column between and right around them (a label's head above
    its values, its tail below)."""
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lines):
        if not numbers[i]:
            i += 1
            continue
        height = sorted(b.height for b in lines[i])[len(lines[i]) // 2]
        left = min(p.x0 for p in numbers[i])

        labels = [b for b in lines[i] if b.x1 <= left]
        label_right = max((b.x1 for b in labels), default=left)
        first = i
        while (
            first - 1 > (runs[-1][2] if runs else -1)
            and not numbers[first - 1]
            and _left_of(lines[first - 1], left, height)
            and _gap(lines[first - 1], lines[first]) <= 1.5 * height
            and _is_label_head(lines[first - 1], lines[first], left, label_right, height)
        ):
            first -= 1
        # the header rows above: lines with no numbers and no sentence, over the number
        # columns or split into cells; a numbered heading ends them
        header = first
        while (
            header - 1 > (runs[-1][2] if runs else -1)
            and first - header < MAX_HEADER_LINES
            and not numbers[header - 1]
            and _is_header_line(lines[header - 1], left, height)
            and _gap(lines[header - 1], lines[header]) <= 1.5 * height
        ):
            header -= 1
        last, k = i, i + 1
        while k < len(lines) and _gap(lines[k - 1], lines[k]) <= 2.5 * height:
            if numbers[k]:
                left = min(left, min(p.x0 for p in numbers[k]))
                last = k
            elif not _left_of(lines[k], left, height):
                break
            k += 1
        # the tail of the last row's label, right below it
        while (
            last + 1 < len(lines)
            and not numbers[last + 1]
            and _left_of(lines[last + 1], left, height)
            and not _PARAGRAPH_START.match(join_words(lines[last + 1]))  # the next heading
            and _gap(lines[last], lines[last + 1]) <= 1.5 * height
        ):
            last += 1
        runs.append((header, first, last))
        i = max(last, i) + 1
    return runs


def _is_label_head(line: list[Box], below: list[Box], left: float, label_right: float, height: float) -> bool:
    """A label's head is wrapped: it fills its column up to the numbers, or (a
    first value lost by OCR) up to the labels' right edge with no gap below
    it; a heading above the table does neither."""
    right = max(b.x1 for b in line)
    return right >= left - 2.5 * height or (right >= label_right - 1.5 * height and _gap(line, below) <= 0.3 * height)


def _is_header_line(line: list[Box], left: float, height: float) -> bool:
    text = join_words(line)
    if _PARAGRAPH_START.match(text) or "。" in text:
        return False
    parts = segments(line, gap=1.5 * height)
    if any(_NUMBER.match(p.text) for p in parts):
        return False  # a number above a table's rows is no header: never read it as a cell
    return len(parts) >= 2 or parts[0].x0 >= left - 0.5 * height


def _left_of(line: list[Box], left: float, height: float) -> bool:
    return max(b.x1 for b in line) <= left + 0.5 * height


def _gap(upper: list[Box], lower: list[Box]) -> float:
    return min(b.top for b in lower) - max(b.bottom for b in upper)


def _table_segments(line: list[Box], gap: float) -> list[Box]:
    """A table line's boxes merged into cell texts: a gap, a change of
    direction, or a number right after a label's last character ends one."""
    out: list[Box] = []
    for box in line:
        last = out[-1] if out else None
        # characters (a text PDF's) join across a narrow gap; OCR's lines of text
        # are already joined where they touch, and one close to another is its own
        reach = gap if len(box.text) == 1 else 0.15 * gap
        if (
            last is not None
            and -0.2 * box.height <= box.x0 - last.x1 < reach  # not one stacked below the other
            and box.rotation == last.rotation
            and not (_FLUSH_NUMBER.match(last.text + box.text[:1]) and not _FLUSH_NUMBER.match(last.text))
        ):
            out[-1] = Box(
                last.x0, min(last.top, box.top), box.x1, max(last.bottom, box.bottom), join_words([last, box]),
                min((s for s in (last.confidence, box.confidence) if s is not None), default=None), last.rotation,
            )
        else:
            out.append(box)
    return [piece for box in out for flush in split_flush_number(box) for piece in _split_numbers(flush)]


_NUMBERS = re.compile(r"^\d+(\s+\d+)+$")


def _split_numbers(box: Box) -> list[Box]:
    """OCR's one box over several value cells ('0 3', or '03' as wide as two
    cells): a box per number, placed by character widths; digits run
    together are apart only when the box is far wider than they are."""
    text = box.text.strip()
    if _NUMBERS.match(text):
        words = text.split()
    elif text.isdigit() and len(text) > 1 and box.x1 - box.x0 > 2.5 * 0.55 * box.height * len(text):
        words = list(text)
    else:
        return [box]
    step = (box.x1 - box.x0) / len(words)
    return [replace(box, x0=box.x0 + k * step, x1=box.x0 + (k + 1) * step, text=w) for k, w in enumerate(words)]


def split_flush_number(box: Box) -> list[Box]:
    """A label and the number printed flush against it, as two boxes: OCR reads
    them as one line ('2.没有现成信息需要另行制作3'); the cut is placed by
    character widths (a CJK character is about twice a digit's width)."""
    match = _FLUSH_NUMBER.match(box.text)
    if not match:
        return [box]
    label = match.group(1)
    widths = [1.0 if ord(ch) > 0x2E7F else 0.55 for ch in box.text]
    at = box.x0 + (box.x1 - box.x0) * sum(widths[: len(label)]) / sum(widths)
    return [replace(box, x1=at, text=label), replace(box, x0=at, text=match.group(2))]


def _table(boxes: list[Box], warnings: list[str], heads: list[Box]) -> Table:
    """One unruled table from its boxes and the boxes of its header lines."""
    height = sorted(b.height for b in boxes)[len(boxes) // 2]
    pieces = [p for line in _text_rows(boxes, height) for p in _table_segments(line, 0.5 * height)]
    # row bands: lines of two or more numbers (a table of one line: that line)
    found = [p for p in pieces if p.rotation == 0 and _NUMBER.match(p.text) and not _ITEM_NUMBER.match(p.text)]
    lines = _text_rows(found, height, tolerance=0.6)
    bands = [_extent(line) for line in lines if len(line) >= 2] or [_extent(line) for line in lines]

    def band_of(box: Box) -> int | None:
        k = min(range(len(bands)), key=lambda k: abs(bands[k].cy - box.cy))
        return k if bands[k].top - 0.3 * height <= box.cy <= bands[k].bottom + 0.3 * height else None

    numbers = [p for p in found if band_of(p) is not None]
    is_number = {id(p) for p in numbers}
    columns = _cluster([p.cx for p in numbers], 1.5 * height)
    first_left = min(p.x0 for p in numbers if _nearest(p.cx, columns) == 0)
    label_zone = _split_column_starts([p for p in pieces if id(p) not in is_number and p.cx < first_left], height)
    pieces = [p for p in pieces if id(p) in is_number or p.cx >= first_left] + label_zone
    in_label_zone = {id(p) for p in label_zone}
    merged = _merged_cells(label_zone, height)
    in_merged = {id(p) for cell in merged for p in cell}
    labels = [p for p in label_zone if id(p) not in in_merged]
    header, label_rows, footer = _label_rows(_text_rows(labels, height), bands, height)

    values: dict[tuple[int, int], list[Box]] = {}
    for p in pieces:
        if id(p) in is_number or (id(p) not in in_label_zone and p.rotation == 0):
            row = band_of(p)
            if row is None:
                warnings.append(f"unruled table: {p.text!r} lies between rows; left out")
                continue
            values.setdefault((row, _nearest(p.cx, columns)), []).append(p)
    merged_columns = _cluster([_extent(cell).cx for cell in merged], height)
    offset = len(merged_columns) + 1
    grid: list[list[Cell | None]] = [[None] * (offset + len(columns)) for _ in bands]
    for cell_boxes, (first, last) in _merged_spans(merged, bands):
        column = _nearest(_extent(cell_boxes).cx, merged_columns)
        cell = Cell(cell_text(cell_boxes), first, column, last - first + 1, 1, _confidence(cell_boxes))
        for r in range(first, last + 1):
            grid[r][column] = grid[r][column] or cell
    for r in range(len(bands)):
        grid[r][offset - 1] = Cell(cell_text(label_rows[r]), r, offset - 1, confidence=_confidence(label_rows[r]))
        for c in range(len(columns)):
            placed = sorted(values.get((r, c), []), key=lambda b: b.x0)
            if len(placed) > 1:
                warnings.append(f"unruled table: {' '.join(b.text for b in placed)!r} read in one cell")
            text = " ".join(b.text for b in placed)
            grid[r][offset + c] = Cell(text, r, offset + c, confidence=_confidence(placed))
    rows = [[cell for cell in line if cell is not None] for line in grid]
    # text above the first row or below the last that no row takes: a row of its own
    top_rows = _header_rows(heads, height, columns, first_left, offset) + ([[header]] if header else [])
    for cell in {id(cell): cell for line in rows for cell in line}.values():
        cell.row += len(top_rows)
    for r, texts in enumerate(top_rows):
        rows.insert(r, [Cell(cell_text(boxes), r, c) for c, boxes in enumerate(texts)])
    if footer:
        rows.append([Cell(cell_text(footer), len(rows), 0)])
    return Table(rows)


def _header_rows(
    heads: list[Box], height: float, columns: list[float], first_left: float, offset: int
) -> list[list[list[Box]]]:
    """Header lines as rows of cells (each cell's boxes), by the column each
    piece sits over: the label column left of the first number column, else
    the nearest number column. A line of one piece over the number columns
    but over none of them (centred across the table: 第二十条第（一）项) is a
    title row of its own; the other lines make one header row, a cell's lines
    joined top to bottom (a header wrapped in its cell, '本年收费金额（单位：'
    above the others and '万元）' below them)."""
    if not heads:
        return []
    rows: list[dict[int, list[Box]]] = []
    title = False
    for line in _text_rows(heads, height):
        pieces = _table_segments(line, 1.0 * height)
        centre = pieces[0].cx
        if len(pieces) == 1 and centre >= first_left and min(abs(centre - c) for c in columns) > 1.5 * height:
            rows.append({offset - 1: pieces})
            title = True
            continue
        if not rows or title:
            rows.append({})
            title = False
        for piece in pieces:
            column = offset - 1 if piece.cx < first_left else offset + _nearest(piece.cx, columns)
            rows[-1].setdefault(column, []).append(piece)
    return [[row[c] for c in sorted(row)] for row in rows]


def _text_rows(boxes: list[Box], height: float, tolerance: float = 0.4) -> list[list[Box]]:
    """Boxes in lines by their middles (within ``tolerance`` heights of the
    line's first), top to bottom, each left to right. Unlike ``group_lines``
    a line does not grow: characters stacked in a narrow column beside two
    lines of a label do not make those lines one."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: b.cy):
        if lines and box.cy - lines[-1][0].cy <= tolerance * height:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _runs_down(box: Box, height: float) -> bool:
    """A box taller than two lines and narrower than two characters: OCR's
    reading of characters stacked (or text rotated) down a narrow column."""
    return box.bottom - box.top >= 2 * height and box.x1 - box.x0 <= 1.6 * height and len(box.text.strip()) >= 2


def _split_column_starts(pieces: list[Box], height: float) -> list[Box]:
    """OCR joins a merged column's character to the label beside it when they
    nearly touch ('不5.属于三类内部'): a piece whose first character sits on a
    column of single characters is cut there (by character widths)."""
    singles = [p for p in pieces if len(p.text.strip()) == 1]
    out = []
    for p in pieces:
        text = p.text
        if len(text) > 1 and singles and not text[0].isdigit():
            widths = [1.0 if ord(ch) > 0x2E7F else 0.55 for ch in text]
            cut = p.x0 + (p.x1 - p.x0) * widths[0] / sum(widths)
            # stacked characters right above or below it, in line with its first one
            if any(abs(s.cx - (p.x0 + cut) / 2) <= 0.5 * height and abs(s.cy - p.cy) <= 2 * height for s in singles):
                out += [replace(p, x1=cut, text=text[0]), replace(p, x0=cut, text=text[1:])]
                continue
        out.append(p)
    return out


def _confidence(boxes: list[Box]) -> float | None:
    return min((b.confidence for b in boxes if b.confidence is not None), default=None)


def _merged_cells(pieces: list[Box], height: float) -> list[list[Box]]:
    """Columns of single stacked characters, or of rotated text, left of the
    numbers: each vertical run of them is one merged cell (a new run also
    starts where a bracketed name opens after one has closed). A run of one
    or two characters is a merged cell's part only when label text follows
    it on its line (a page break leaves '三' of 三、本年度办理结果 alone)."""
    candidates = [p for p in pieces if p.rotation in (90, 270) or len(p.text.strip()) == 1 or _runs_down(p, height)]
    chosen = {id(p) for p in candidates}
    anchored = {
        id(p)
        for p in candidates
        if any(id(q) not in chosen and q.x0 >= p.x1 and q.top <= p.cy <= q.bottom for q in pieces)
    }
    cells: list[list[Box]] = []
    for x in _cluster([p.cx for p in candidates], 0.6 * height):
        column = sorted((p for p in candidates if abs(p.cx - x) <= 0.6 * height), key=lambda p: p.top)
        if sum(1 for p in column if p.rotation == 270) * 2 > len(column):
            column.reverse()  # text running bottom to top: its first character is the lowest
        run: list[Box] = []
        for p in column:
            text = "".join(b.text for b in run)
            if run and (
                max(p.top - run[-1].bottom, run[-1].top - p.bottom) > 1.5 * height
                or (p.text.startswith(_OPENING) and any(c in text for c in _CLOSING))
            ):
                cells.append(run)
                run = []
            run.append(p)
        cells.append(run)
    return [
        run for run in cells
        if len(run) >= 3 or any(id(p) in anchored or p.rotation or _runs_down(p, height) for p in run)
    ]


def _merged_spans(cells: list[list[Box]], bands: list[Box]) -> list[tuple[list[Box], tuple[int, int]]]:
    """Each merged cell's first and last row. Its text is centred in the rows
    it spans, so the span reaches as far above its text as below it, up to
    halfway to the next merged cell of its column."""
    out = []
    ordered = sorted(cells, key=lambda cell: (round(_extent(cell).cx), _extent(cell).top))
    for k, cell in enumerate(ordered):
        box = _extent(cell)
        below = next((_extent(c).top for c in ordered[k + 1 :] if abs(_extent(c).cx - box.cx) < box.x1 - box.x0), None)
        above = next((_extent(c).bottom for c in reversed(ordered[:k]) if abs(_extent(c).cx - box.cx) < box.x1 - box.x0), None)
        lower = (box.bottom + below) / 2 if below is not None else box.bottom
        upper = (box.top + above) / 2 if above is not None else box.top
        top = min(upper, box.top - (lower - box.bottom)) if above is None else upper
        bottom = max(lower, box.bottom + (box.top - upper)) if below is None else lower
        rows = [r for r, band in enumerate(bands) if top <= band.cy <= bottom]
        if not rows:
            rows = [min(range(len(bands)), key=lambda r: abs(bands[r].cy - box.cy))]
        out.append((cell, (rows[0], rows[-1])))
    return out


def _label_rows(lines: list[list[Box]], bands: list[Box], height: float) -> tuple[list[Box], list[list[Box]], list[Box]]:
    """The label lines of each row band, and the lines above the first row and
    below the last that belong to none (a header's last line, a label cut
    by the page break). A label printed beside its values is that row's; a
    line with no values beside it belongs above or below: the lines of a
    row are centred on its values (or start on them, when the text is set
    at the top of its cell), so each row takes the run of lines whose middle
    is nearest its band; a numbered line ('2.', '（三）', '一、') starts a
    label; a tie goes to the row above (a tail that names nothing is dropped
    by the template reader, a head is not)."""
    m, n = len(bands), len(lines)
    boxes = [_extent(line) for line in lines]
    fixed = []
    for box in boxes:
        # beside the values: level with their middle (a skewed scan makes a band taller than a line)
        inside = [r for r, band in enumerate(bands) if abs(band.cy - box.cy) <= 0.35 * height]
        fixed.append(inside[0] if inside else None)
    numbered = [bool(_PARAGRAPH_START.match(join_words(line))) for line in lines]
    # lines before the first row that no row needs: a header's last line
    head = 0
    while head < n and fixed[head] is None and boxes[head].bottom < bands[0].top:
        head += 1
    most = 6  # lines of one label
    inf = float("inf")
    # cost[j][i]: lines up to i given to the header and the first j rows
    cost = [[inf] * (n + 1) for _ in range(m + 1)]
    choice = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(head + 1):
        cost[0][i] = 0.3 * height * i
    for j in range(1, m + 1):
        band = bands[j - 1]
        for i in range(n + 1):
            for k in range(i, max(-1, i - most - 1), -1):  # row j-1 takes lines k..i-1
                if k < i and fixed[k] not in (None, j - 1):
                    break
                if cost[j - 1][k] == inf:
                    continue
                if k < i:
                    top, bottom = min(b.top for b in boxes[k:i]), max(b.bottom for b in boxes[k:i])
                    c = abs((top + bottom) / 2 - band.cy) + 1e-3 * j * (i - k)
                    c += height * sum(numbered[k + 1 : i])  # a numbered line starts a label
                else:
                    c = 2.0 * height
                if cost[j - 1][k] + c < cost[j][i]:
                    cost[j][i], choice[j][i] = cost[j - 1][k] + c, k
    # lines after the last row that it does not need: the start of a label cut by the page break
    end = min(
        (i for i in range(n + 1) if all(fixed[k] is None and boxes[k].top > bands[-1].bottom for k in range(i, n))),
        key=lambda i: cost[m][i] + 0.3 * height * (n - i),
    )
    rows: list[list[Box]] = [[] for _ in range(m)]
    if cost[m][end] == inf:  # fixed lines out of order: each line to its nearest row
        for line, box in zip(lines, boxes):
            rows[min(range(m), key=lambda r: abs(bands[r].cy - box.cy))] += line
        return [], rows, []
    i = end
    for j in range(m, 0, -1):
        k = choice[j][i]
        rows[j - 1] = [b for line in lines[k:i] for b in line]
        i = k
    return [b for line in lines[:i] for b in line], rows, [b for line in lines[end:] for b in line]


def cells_from_grid(xs: list[float], ys: list[float], has_vertical, has_horizontal) -> list[Rect]:
    """Cell rectangles of a ruled grid: neighbouring grid cells merge where the
    line between them is not drawn. ``has_vertical(x, top, bottom)`` and
    ``has_horizontal(y, left, right)`` say whether a line is drawn there."""
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not has_vertical(xs[c + 1], ys[r], ys[r + 1]):
                parent[find(r * cols + c + 1)] = find(r * cols + c)
            if r + 1 < rows and not has_horizontal(ys[r + 1], xs[c], xs[c + 1]):
                parent[find((r + 1) * cols + c)] = find(r * cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(rows):
        for c in range(cols):
            groups.setdefault(find(r * cols + c), []).append((r, c))
    rects = []
    for members in groups.values():
        r0, r1 = min(m[0] for m in members), max(m[0] for m in members) + 1
        c0, c1 = min(m[1] for m in members), max(m[1] for m in members) + 1
        rects.append((xs[c0], ys[r0], xs[c1], ys[r1]))
    return rects


def cluster(values: list[float], tolerance: float) -> list[float]:
    """Nearby coordinates (within ``tolerance`` of the previous) merged into their mean."""
    return _cluster(values, tolerance)

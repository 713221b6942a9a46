"""Positioned text to blocks: the geometry shared by the PDF reader and OCR.

A PDF page gives words with coordinates; OCR gives text boxes with
coordinates. Both are turned into the same blocks here: boxes inside a
ruled table's cell rectangles become that ``Table``'s cells (merged cells
are one rectangle covering several grid columns/rows), the rest become
lines, and lines become paragraphs. Coordinates grow rightwards and
downwards (PDF points or image pixels, as long as one call uses one unit).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

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
    """One line's boxes, left to right: CJK joins without spaces, Latin words keep one."""
    text = ""
    previous: Box | None = None
    for box in sorted(boxes, key=lambda b: b.x0):
        if (
            previous is not None
            and text
            and box.text
            and _ASCII_WORD.match(text[-1])
            and _ASCII_WORD.match(box.text[0])
            and box.x0 - previous.x1 > 0.15 * min(box.height, previous.height)
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
    """An unruled table row: a label then several numbers."""
    return len(parts) >= 3 and sum(1 for p in parts if _NUMBER.match(p.text)) >= 2


def table_from_columns(rows: list[list[Box]]) -> Table:
    """An unruled table from its segmented lines: numbers go to the column whose
    centre is nearest (columns found from every row's numbers); the text before
    the first number is the row label."""
    centres = [p.cx for parts in rows for p in parts if _NUMBER.match(p.text)]
    height = max((p.height for parts in rows for p in parts), default=10.0)
    columns = _cluster(centres, 1.5 * height)
    table_rows: list[list[Cell]] = []
    for r, parts in enumerate(rows):
        label = [p for p in parts if not _NUMBER.match(p.text) and (not columns or p.cx < columns[0] - height)]
        values: list[Box | None] = [None] * len(columns)
        for p in parts:
            if p not in label:
                k = _nearest(p.cx, columns)
                values[k] = p if values[k] is None else Box(
                    values[k].x0, p.top, p.x1, p.bottom, values[k].text + p.text, p.confidence
                )
        cells = [Cell(join_words(label), r, 0)]
        cells += [
            Cell(v.text if v else "", r, k + 1, confidence=v.confidence if v else None)
            for k, v in enumerate(values)
        ]
        table_rows.append(cells)
    return Table(table_rows)


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

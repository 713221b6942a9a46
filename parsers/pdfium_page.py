"""A PDF page's geometry through pypdfium2: words, ruling lines, pictures.

pdfium parses a page ~25x faster than pdfminer (pdfplumber's engine), which
is what makes a PDF report cost tens of milliseconds. Coordinates are
returned top-down (``top`` grows downwards from the page's top edge), in
points, like the rest of ``parsers.layout``.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field

from .layout import Box, Rect, group_lines

# A path thinner than this (points) is a drawn line, not a filled area.
LINE_WIDTH = 3.0
# Characters closer than this fraction of their height belong to one word.
WORD_GAP = 0.35


@dataclass
class Segment:
    """A horizontal (``at`` = y) or vertical (``at`` = x) ruling line from ``start`` to ``end``."""

    at: float
    start: float
    end: float


@dataclass
class PageGeometry:
    width: float
    height: float
    words: list[Box]
    horizontal: list[Segment]
    vertical: list[Segment]
    pictures: list[Rect]
    # Vector shapes drawn: many with no text means text drawn as outlines.
    paths: int = 0
    # The characters the words are made of: table cells take their text from
    # these, so a word that runs across a cell border is split at the border.
    chars: list[Box] = field(default_factory=list)


def page_geometry(page) -> PageGeometry:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if page.get_rotation() % 180 == 90:
        # get_size() is the displayed size; objects and characters are in the
        # unrotated page space, where the text of such pages runs upright.
        width, height = height, width
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    pictures: list[Rect] = []
    paths = 0
    for obj in page.get_objects(
        filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4
    ):
        left, bottom, right, top = obj.get_bounds()
        rect = (left, height - top, right, height - bottom)
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            pictures.append(rect)
            continue
        paths += 1
        w, h = right - left, top - bottom
        if h <= LINE_WIDTH and w > LINE_WIDTH:
            horizontal.append(Segment((rect[1] + rect[3]) / 2, rect[0], rect[2]))
        elif w <= LINE_WIDTH and h > LINE_WIDTH:
            vertical.append(Segment((rect[0] + rect[2]) / 2, rect[1], rect[3]))
        else:
            # One path holding many borders: cell rectangles stroked ("re S"),
            # or thin filled rectangles, as some writers draw a whole table.
            for segment_h, segment_v in _path_lines(obj, height, pdfium_c):
                horizontal += segment_h
                vertical += segment_v
    chars, word_starts = _chars(page, height)
    words = words_from_chars(chars, word_starts)
    return PageGeometry(width, height, words, horizontal, vertical, pictures, paths, chars)


def _path_lines(obj, height: float, pdfium_c):
    """Axis-parallel lines of a path: the edges of stroked subpaths, and the
    thin subpaths of a filled one. Curves are not borders and are skipped."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke)):
        return
    matrix = obj.get_matrix()
    subpaths: list[list[tuple[float, float]]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(min(pdfium_c.FPDFPath_CountSegments(obj.raw), 5000)):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj.raw, i)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        px, py = matrix.on_point(x.value, y.value)
        point = (px, height - py)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([point])
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            subpaths[-1].append(point)
        else:  # a curve ends any straight run
            subpaths.append([point])
            continue
        if pdfium_c.FPDFPathSegment_GetClose(segment):
            subpaths[-1].append(subpaths[-1][0])
    for points in subpaths:
        if len(points) < 2:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if stroke.value:
            yield _edges(points)
        elif max(ys) - min(ys) <= LINE_WIDTH < max(xs) - min(xs):
            yield [Segment((min(ys) + max(ys)) / 2, min(xs), max(xs))], []
        elif max(xs) - min(xs) <= LINE_WIDTH < max(ys) - min(ys):
            yield [], [Segment((min(xs) + max(xs)) / 2, min(ys), max(ys))]


def _edges(points: list[tuple[float, float]]) -> tuple[list[Segment], list[Segment]]:
    horizontal, vertical = [], []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if abs(y1 - y0) < 0.5 and abs(x1 - x0) > LINE_WIDTH:
            horizontal.append(Segment(y0, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) < 0.5 and abs(y1 - y0) > LINE_WIDTH:
            vertical.append(Segment(x0, min(y0, y1), max(y0, y1)))
    return horizontal, vertical


def _chars(page, height: float) -> tuple[list[Box], set[int]]:
    """The page's characters (loose font boxes, with the direction their text
    runs: 0, or 90/270 for rotated text such as a merged cell's
    ``textDirection``) and the ids of those that follow a space."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        chars: list[Box] = []
        starts_word: set[int] = set()  # ids of chars that follow a space
        space = False
        for i in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            if code in (0, 0xFFFE, 0xFFFF) or chr(code).isspace():
                space = True
                continue
            if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            angle = pdfium_c.FPDFText_GetCharAngle(textpage.raw, i)
            rotation = round(math.degrees(angle) / 90) % 4 * 90 if angle >= 0 else 0
            char = Box(left, height - top, right, height - bottom, chr(code), rotation=rotation)
            if space:
                starts_word.add(id(char))
                space = False
            chars.append(char)
    finally:
        textpage.close()
    return chars, starts_word


def words_from_chars(chars: list[Box], starts_word: set[int]) -> list[Box]:
    """Characters joined into words; a space, printed or inferred by pdfium,
    ends a word even where the gap is narrow."""
    words: list[Box] = []
    for line in group_lines(chars):
        current: Box | None = None
        for char in line:
            if current is not None and id(char) not in starts_word and char.x0 - current.x1 <= WORD_GAP * char.height:
                current.x1 = max(current.x1, char.x1)
                current.top, current.bottom = min(current.top, char.top), max(current.bottom, char.bottom)
                current.text += char.text
            else:
                current = Box(char.x0, char.top, char.x1, char.bottom, char.text)
                words.append(current)
    return words


def table_regions(horizontal: list[Segment], vertical: list[Segment], tolerance: float = 2.0) -> list[tuple[list[Segment], list[Segment]]]:
    """Ruling lines grouped into tables: vertical lines whose extents overlap
    (or touch) form one table, with the horizontal lines inside their span."""
    spans: list[list[float]] = []
    for segment in sorted(vertical, key=lambda s: s.start):
        if spans and segment.start <= spans[-1][1] + tolerance:
            spans[-1][1] = max(spans[-1][1], segment.end)
        else:
            spans.append([segment.start, segment.end])
    regions = []
    for top, bottom in spans:
        v = [s for s in vertical if top - tolerance <= s.start and s.end <= bottom + tolerance]
        h = [s for s in horizontal if top - tolerance <= s.at <= bottom + tolerance]
        if len(v) >= 2 and len(h) >= 2:
            regions.append((h, v))
    return regions


class Rules:
    """Ruling lines indexed by position, answering "is a line drawn across here?"."""

    def __init__(self, segments: list[Segment], tolerance: float = 2.0):
        self.tolerance = tolerance
        self.by_position: dict[int, list[Segment]] = {}
        for segment in segments:
            self.by_position.setdefault(round(segment.at), []).append(segment)

    def covers(self, at: float, start: float, end: float) -> bool:
        """Is the line at ``at`` drawn across the middle of [start, end]?"""
        middle, tolerance = (start + end) / 2, self.tolerance
        return any(
            abs(s.at - at) <= tolerance and s.start - tolerance <= middle <= s.end + tolerance
            for key in range(round(at) - 3, round(at) + 4)
            for s in self.by_position.get(key, ())
        )

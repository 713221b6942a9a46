"""Offline OCR of scans and table pictures into the same blocks as text formats.

Engine: rapidocr with ONLY its default models, which ship inside the wheel
(``rapidocr/models/*.onnx``); asking for any other model makes rapidocr
download it, which must never happen at run time (the crawler hosts have no
route out). Tables are rebuilt from the picture's ruling lines: the cell
rectangles (merged cells included) come from the drawn lines, and the text
boxes are placed into them (``parsers.layout.table_from_cells``); a table
printed without lines is rebuilt from the text's own structure
(``parsers.layout.unruled_tables``, as for text PDFs). Every cell keeps the
recogniser's confidence, and a number read with low confidence is named in
the warnings (its value is still the one read).
"""

from __future__ import annotations

import functools
import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import limits
from .document import Block, Document, Image, Table
from .errors import MissingTool, ParseError
from .layout import (
    Box,
    Rect,
    cells_from_grid,
    group_lines,
    paragraphs_from_lines,
    split_flush_number,
    table_from_cells,
    unruled_tables,
)

# Below this the recogniser is often wrong about a digit; the value stays, a warning names it.
LOW_CONFIDENCE = 0.80
# Pictures smaller than this are icons, logos or QR codes, not tables or pages.
MIN_PICTURE = (200, 60)


@functools.lru_cache(maxsize=1)
def engine():
    """The rapidocr engine with its bundled default models (loaded once per process)."""
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError:
        raise MissingTool("rapidocr is not installed (pip install rapidocr onnxruntime); cannot OCR") from None
    bundled = Path(rapidocr.__file__).parent / "models"
    if not any(bundled.glob("*det*.onnx")) or not any(bundled.glob("*rec*.onnx")):
        raise MissingTool(f"rapidocr's bundled models are missing from {bundled}; reinstall the rapidocr wheel")
    # Only preprocessing options change (same bundled models): never scale a
    # short strip of text up to 736 px (the default "min" rule), and skip the
    # 180-degree classifier (scans are upright; deskew handles small angles).
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Det.limit_type": "max",
            # Detection only finds where lines are; at 960 px a 200 dpi page's
            # text is still ~20 px high, and detection runs ~10x faster than at
            # full size. Recognition crops come from the full-size image.
            "Det.limit_side_len": 960,
            # Pad each line crop to its own width, not to 320 px: a cell's "0" is
            # mostly padding otherwise, and recognition runs ~6x slower.
            "Rec.rec_img_shape": [3, 48, 48],
            # One thread per process: batches run one process per core, and a
            # second thread mostly spins when the cores are shared.
            "EngineConfig.onnxruntime.intra_op_num_threads": int(os.environ.get("NIANBAO_OCR_THREADS", "1")),
        }
    )


def recognise(pixels) -> list[Box]:
    """Text lines of an image (numpy array) found by detection, then recognised."""
    result = engine()(pixels)
    if result.boxes is None or result.txts is None:
        return []
    boxes = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores):
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        boxes.append(Box(min(xs), min(ys), max(xs), max(ys), text.strip(), float(score)))
    return [b for b in boxes if b.text]


def deskew(gray):
    """Straighten a slightly rotated scan (|angle| <= 3 degrees): the angle that
    makes the rows of ink sharpest (ruling lines and text lines) wins."""
    import cv2
    import numpy as np

    height, width = gray.shape
    scale = min(1.0, 1000 / max(width, height))
    # Ink found at full size, then shrunk by area: a hairline ruling line of a
    # 100 dpi scan survives as a faint row (thresholding the shrunk page lost
    # it, and the text alone let noise win by a fraction of a degree).
    _, full = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = cv2.resize(full.astype(np.float32), (int(width * scale), int(height * scale)), interpolation=cv2.INTER_AREA)
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle):
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rotated = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]))
        return float((rotated.sum(axis=1) ** 2).sum())

    best = max(np.arange(-3.0, 3.01, 0.25), key=sharpness)
    best = max(np.arange(best - 0.25, best + 0.26, 0.05), key=sharpness)
    if abs(best) < 0.05:
        return gray, 0.0
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), best, 1.0)
    straight = cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    return straight, float(best)


# A page whose paper is this many grey levels darker in places than
# elsewhere is lit unevenly (a gutter's shadow); evenly lit scans are left
# exactly as they are (dividing them too cost cells on 100 dpi scans).
UNEVEN_LIGHT = 50


def flatten(gray):
    """The page with its lighting evened out when it is uneven: the grey
    divided by the paper's own brightness around it (the brightest pixels
    of a window wider than any character), so a gutter's shadow or a lid
    left open becomes white paper, not one block of ink to a global
    threshold. An evenly lit page is returned as it is."""
    import cv2
    import numpy as np

    height, width = gray.shape
    small = cv2.resize(gray, (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA)
    paper = cv2.blur(cv2.dilate(small, np.ones((7, 7), np.uint8)), (5, 5))
    low, high = np.percentile(paper, (2, 98))
    if high - low < UNEVEN_LIGHT:
        return gray
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(gray.astype(np.float32) * 255.0 / np.maximum(paper, 1), 0, 255).astype(np.uint8)


def upright(image, name: str = "image") -> tuple[object, int, list[str]]:
    """A scanned page turned upright (a page fed sideways or upside down has
    no /Rotate entry to say so) and split where it holds two pages side by
    side: (the upright images, left to right; degrees turned; notes)."""
    import numpy as np

    gray = flatten(np.asarray(image.convert("L")))
    notes = []
    turn = _orientation(gray)
    if turn:
        image = image.rotate(turn, expand=True)
        gray = np.rot90(gray, turn // 90)
        notes.append(f"{name}: scanned turned; read after turning it {turn} degrees counter-clockwise")
    pages = [image]
    gutter = _gutter(gray)
    if gutter is not None:
        pages = [image.crop((0, 0, gutter, image.height)), image.crop((gutter, 0, image.width, image.height))]
        notes.append(f"{name}: two pages side by side on one sheet; read left, then right")
    return pages, turn, notes


def _orientation(gray) -> int:
    """Degrees (counter-clockwise) that make the page's text upright: sample
    lines of text are recognised in each of the four orientations and the
    one the recogniser is surest of wins (upright first; the first
    orientation whose lines read long and sure stops the search)."""
    import cv2
    import numpy as np

    ink, char = _ink(gray)
    long = int(max(40, 3 * char))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long, 1)))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long)))
    text = cv2.subtract(ink, rules)
    # Score: characters read, each weighted by the recogniser's confidence.
    # Text on its side still yields a few short, confident readings of single
    # characters; upright text yields long lines of them.
    scores: dict[int, float] = {}
    for turn in (0, 180, 90, 270):
        crops = _sample_lines(np.rot90(gray, turn // 90), np.rot90(text, turn // 90), char)
        if not crops:
            continue
        result = engine().recognize_txt(crops)
        readings = [(len(t.strip()), float(s)) for t, s in zip(result.txts, result.scores)]
        scores[turn] = sum(n * score for n, score in readings)
        # Long lines read with confidence happen only upright: stop there
        # (most pages at the first try, a turned one without trying the rest).
        # Upright, a line holds about a character per character height of its
        # width; a sideways page crossed by the crop (one character of each
        # line, read with confidence too: turned CJK still looks like CJK)
        # holds one per line pitch, half as many or fewer.
        if len(crops) >= 6 and all(
            n >= 4 and score >= 0.8 and n >= 0.8 * (crop.shape[1] - 6) / char
            for (n, score), crop in zip(readings[:6], crops)
        ):
            return turn
    return max(scores, key=scores.get) if scores else 0


def _sample_lines(gray, text, char: float, count: int = 8) -> list:
    """Up to ``count`` crops of horizontal runs of text (4 to 12 characters wide)."""
    import cv2
    import numpy as np

    joined = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(0.8 * char)), 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    found = [
        (x, y, w, h)
        for x, y, w, h, _area in stats[1:n]
        if 0.7 * char <= h <= 1.6 * char and w >= 4 * char
    ]
    found.sort(key=lambda b: -b[2])
    crops = []
    for x, y, w, h in found[:count]:
        w = min(w, int(12 * char))
        crop = gray[max(y - 3, 0) : y + h + 3, max(x - 3, 0) : x + w + 3]
        crops.append(np.ascontiguousarray(np.stack([crop] * 3, axis=-1)))
    return crops


def _gutter(gray) -> int | None:
    """The x of the blank gutter between two pages scanned side by side on a
    landscape sheet, or None."""
    import numpy as np

    height, width = gray.shape
    if width < 1.15 * height:
        return None
    ink, _ = _ink(gray)
    used = (ink > 0).sum(axis=0) > 0.01 * height  # specks left by the scan are not ink
    lo, hi = int(0.35 * width), int(0.65 * width)
    best, start = (0, None), None
    for x in range(lo, hi + 1):
        if x < hi and not used[x]:
            start = x if start is None else start
        elif start is not None:
            if x - start > best[0]:
                best = (x - start, (start + x) // 2)
            start = None
    length, centre = best
    # both halves must hold ink: a wide blank margin is not a gutter
    if length < 0.01 * width or not used[:lo].any() or not used[hi:].any():
        return None
    return centre


def _runs(profile, threshold) -> list[float]:
    """Centres of runs of a projection profile above a threshold (one per drawn line)."""
    centres, start = [], None
    for i, value in enumerate(list(profile) + [0]):
        if value > threshold and start is None:
            start = i
        elif value <= threshold and start is not None:
            centres.append((start + i - 1) / 2)
            start = None
    return centres


def _ink(gray):
    """Ink mask (Otsu) without scan specks, and the typical character height.
    Components of a few pixels are noise; a thin stroke (a small "一", a "1")
    is kept whole, as an opening would not."""
    import cv2
    import numpy as np

    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] > 6
    keep[0] = False
    return np.where(keep[labels], 255, 0).astype(np.uint8), _char_height(stats[1:count])


def _char_height(stats) -> float:
    """Typical height of a character's ink (the 80th percentile of glyph-sized components)."""
    import cv2
    import numpy as np

    heights = stats[:, cv2.CC_STAT_HEIGHT]
    widths = stats[:, cv2.CC_STAT_WIDTH]
    glyphs = heights[(heights >= 6) & (heights <= 150) & (widths <= 150) & (stats[:, cv2.CC_STAT_AREA] > 6)]
    return float(np.percentile(glyphs, 80)) if len(glyphs) else 20.0


def rule_masks(ink, char: float):
    """(horizontal, vertical) ink of the drawn lines: runs of ink longer than
    any stroke of a character (a border of a one-line row is still longer
    than 1.2 characters)."""
    import cv2

    width = ink.shape[1]
    shortest = int(max(25, 1.2 * char))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(shortest, width // 35), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, shortest)))
    return horizontal, vertical


def ruled_tables(gray, ink=None, char: float = 20.0, boxes: list | None = None) -> list[list[tuple[float, float, float, float]]]:
    """Cell rectangles of every ruled table in the image, one list per table.
    A grid of one cell is a box drawn round text (an unruled table): it is
    no table, and its rectangle is appended to ``boxes`` when given."""
    import cv2
    import numpy as np

    height, width = gray.shape
    if ink is None:
        ink, char = _ink(gray)
    # A ruling line is longer than any stroke of a character; a border of a
    # single-line row is still longer than 1.2 characters.
    horizontal, vertical = rule_masks(ink, char)
    frame = cv2.dilate(horizontal | vertical, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(frame)
    line_count, _, lines, _ = cv2.connectedComponentsWithStats(vertical)
    tables = []
    for x, y, w, h, _area in stats[1:count]:
        if w < 80 or h < 30:
            continue
        x, w = _side_lines(x, y, w, h, lines[1:line_count], char)
        h_part = horizontal[y : y + h, x : x + w] > 0
        v_part = vertical[y : y + h, x : x + w] > 0
        ys = [y + c for c in _runs(h_part.sum(axis=1), 0.08 * w)]
        xs = [x + c for c in _runs(v_part.sum(axis=0), 0.08 * h)]
        # A page break printed without a line along the cut (as browsers print
        # tables): the vertical lines' ends are the table's edges there.
        inked = v_part.any(axis=1).nonzero()[0]
        if len(inked):
            top, bottom = y + float(inked[0]), y + float(inked[-1])
            if not ys or top < ys[0] - char / 2:
                ys.insert(0, top)
            if bottom > ys[-1] + char / 2:
                ys.append(bottom)
        if len(ys) < 2 or len(xs) < 2:
            continue
        rects = _cells_from_lines(xs, ys, horizontal > 0, vertical > 0)
        if len(rects) < 2:
            # only a box drawn round the text: its table is read as unruled (as in pdf.py)
            if boxes is not None:
                boxes.append(tuple(rects[0]))
            continue
        tables.append(rects)
    return sorted(tables, key=lambda rects: min(r[1] for r in rects))


def _side_lines(x, y, w, h, lines, char: float) -> tuple[int, int]:
    """The table's left edge and width, taking in a vertical line standing
    apart just beside it: the outer border of a merged column that a page
    break cut, where no row line reaches it."""
    for lx, ly, lw, lh, _area in lines:
        if lh < 3 * char or min(ly + lh, y + h) - max(ly, y) < 0.5 * lh:
            continue
        if x - 4 * char <= lx < x:
            w, x = w + x - lx, lx
        elif x + w < lx + lw <= x + w + 4 * char:
            w = lx + lw - x
    return int(x), int(w)


class RuledTable(list):
    """A table's cell rectangles, with the cells along its top and bottom
    edges where no line is drawn (a merged cell or row cut by a page break)."""

    open_top: list = []
    open_bottom: list = []


def _cells_from_lines(xs, ys, horizontal, vertical):
    """Grid cells between drawn lines, merged where the line between two cells is absent."""

    def drawn(mask, fixed, a, b, along_x):
        # The line must be inked over most of the middle 60% of the border.
        lo, hi = int(a + 0.2 * (b - a)), int(b - 0.2 * (b - a)) + 1
        f0, f1 = int(fixed) - 4, int(fixed) + 5
        band = mask[f0:f1, lo:hi] if along_x else mask[lo:hi, f0:f1]
        if band.size == 0:
            return True
        return band.any(axis=0 if along_x else 1).mean() > 0.5

    rects = RuledTable(
        cells_from_grid(
            xs,
            ys,
            lambda x, top, bottom: drawn(vertical, x, top, bottom, along_x=False),
            lambda y, left, right: drawn(horizontal, y, left, right, along_x=True),
        )
    )
    rects.open_top = [r for r in rects if r[1] == ys[0] and not drawn(horizontal, ys[0], r[0], r[2], along_x=True)]
    rects.open_bottom = [r for r in rects if r[3] == ys[-1] and not drawn(horizontal, ys[-1], r[0], r[2], along_x=True)]
    return rects


@dataclass
class Layout:
    """What OCR found on an image: ruled tables (cell rectangles and the text
    lines inside them) and the text boxes outside tables, in pixels."""

    tables: list[tuple[list[Rect], list[Box]]]
    text: list[Box]
    angle: float
    # what was re-read or left out in number cells (warnings)
    notes: list[str] = field(default_factory=list)


def layout(image, name: str = "image") -> Layout:
    import cv2
    import numpy as np

    limits.check_pixels(image.width, image.height, name)
    if image.width * image.height > limits.OCR_MAX_PIXELS:
        factor = (limits.OCR_MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * factor), int(image.height * factor)))
    gray, angle = deskew(flatten(np.asarray(image.convert("L"))))
    ink, char = _ink(gray)
    boxes: list = []
    tables = ruled_tables(gray, ink, char, boxes)
    # Prose is detected with the tables blanked out: a band of prose beside a
    # table must not read the table's cells a second time. Vertical lines
    # outside ruled tables (longer than any stroke of a heading's larger
    # characters) are erased too, as the recogniser reads them as 1s, and so
    # is a box drawn round an unruled table; other horizontal rules stay, text
    # detection finds the rows between them better than without them.
    lines = _rule_lines(ink, char)
    outside = gray.copy()
    outside[_long_verticals(ink, char)] = 255
    for x0, top, x1, bottom in boxes:
        rows, columns = slice(max(int(top) - 4, 0), int(bottom) + 5), slice(max(int(x0) - 4, 0), int(x1) + 5)
        outside[rows, columns][lines[rows, columns]] = 255
    for rects in tables:
        x0, top = int(min(r[0] for r in rects)), int(min(r[1] for r in rects))
        x1, bottom = int(max(r[2] for r in rects)), int(max(r[3] for r in rects))
        outside[max(top - 3, 0) : bottom + 4, max(x0 - 3, 0) : x1 + 4] = 255
    text: list[Box] = []
    for top, bottom in _prose_bands(ink, tables):
        band = outside[top:bottom]
        text += [
            Box(b.x0, b.top + top, b.x1, b.bottom + top, b.text, b.confidence)
            for b in recognise(np.stack([band] * 3, axis=-1))
        ]
    clean_gray, clean_ink = _erase_rules(gray, ink, lines)
    notes = _missed_values(clean_gray, clean_ink, text, char, name)
    cells = _read_cells(clean_gray, clean_ink, tables, char, gray)
    notes += _recheck_numbers(clean_gray, tables, cells, name)
    return Layout(list(zip(tables, cells)), text, angle, notes)


_DIGITS = re.compile(r"^\d+$")


def _missed_values(gray, ink, text: list[Box], char: float, name: str) -> list[str]:
    """Second look at the rows of numbers outside ruled tables (unruled
    tables): text detection drops a value printed flush against its label,
    or lower than the label's first line (a wrapped label's value sits
    between its lines), and sometimes one in the middle of a row. Where a
    row lacks a number in a column that the rows around it (sharing two
    columns with it) fill, the glyphs of digit height in that column and
    the row's band of digits are read alone (all other ink blanked); a
    reading that is a number is added to ``text`` with its confidence below
    LOW_CONFIDENCE and named in the returned notes. Nothing is added where
    no ink is, or where the ink does not read as a number (a blank cell
    stays blank)."""
    import cv2
    import numpy as np

    numbers = [p for b in text for p in split_flush_number(b) if _DIGITS.match(p.text.strip())]
    rows = [row for row in group_lines(numbers) if len(row) >= 2]
    if len(rows) < 2:
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tries: list[tuple[Box, object]] = []
    for r, row in enumerate(rows):
        band = _digit_band(ink, row)
        if band is None:
            continue
        top, bottom = band
        height = bottom - top
        wanted: list[tuple[float, float]] = []
        for other in rows[max(r - 4, 0) : r + 5]:
            if other is row or abs(other[0].cy - row[0].cy) > 10 * char:
                continue
            aligned = [b for b in other if any(abs(b.cx - a.cx) <= 0.8 * char for a in row)]
            if len(aligned) < 2:
                continue
            for b in other:
                near = any(abs(b.cx - x0 / 2 - x1 / 2) <= 0.8 * char for x0, x1 in wanted)
                if not near and not any(abs(b.cx - a.cx) <= 0.8 * char for a in row):
                    wanted.append((b.x0 - 0.5 * char, b.x1 + 0.5 * char))
        for x0, x1 in wanted:
            over = [b for b in text if _over(b, x0, x1, top, bottom)]
            if any(not _CJK.search(b.text) or re.search(r"\d\s*$", b.text) for b in over):
                continue  # something else read there ('O', '-1', '1.', a label and its number): the cell is read
            keep = [
                k
                for k in range(1, count)
                if x0 <= stats[k, 0] and stats[k, 0] + stats[k, 2] <= x1
                and top - 0.25 * height <= stats[k, 1] and stats[k, 1] + stats[k, 3] <= bottom + 0.25 * height
                and stats[k, 3] >= 0.5 * height
            ]
            if not keep:
                continue
            left = min(stats[k, 0] for k in keep)
            right = max(stats[k, 0] + stats[k, 2] for k in keep)
            upper = min(stats[k, 1] for k in keep)
            lower = max(stats[k, 1] + stats[k, 3] for k in keep)
            pad = 4
            ys = slice(max(upper - pad, 0), lower + pad)
            xs = slice(max(left - pad, 0), right + pad)
            crop = gray[ys, xs].copy()
            crop[(ink[ys, xs] > 0) & ~np.isin(labels[ys, xs], keep)] = 255
            tries.append((Box(float(left), float(upper), float(right), float(lower), ""), crop))
    if not tries:
        return []
    notes = []
    result = engine().recognize_txt([_rgb(np.pad(crop, 3, constant_values=255)) for _, crop in tries])
    for (box, _), read, score in zip(tries, result.txts, result.scores):
        digits = _as_number(read.strip())
        if digits is None:
            continue
        confidence = min(float(score), LOW_CONFIDENCE - 0.01)
        text.append(replace(box, text=digits, confidence=confidence))
        notes.append(
            f"{name}: text detection left out {read.strip()!r} ({float(score):.2f}) in a row of numbers "
            f"at ({box.x0:.0f}, {box.top:.0f}); read it on its own and took {digits!r}"
        )
    return notes


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _over(box: Box, x0: float, x1: float, top: float, bottom: float) -> bool:
    """Whether a box covers a third of [x0, x1) and lies across [top, bottom)."""
    return min(box.x1, x1) - max(box.x0, x0) >= (x1 - x0) / 3 and box.top < bottom and box.bottom > top


def _digit_band(ink, row: list[Box]) -> tuple[int, int] | None:
    """[top, bottom) of the digits' ink in a row of number boxes (the
    median over the boxes read as numbers alone, not split from a label)."""
    import numpy as np

    tops, bottoms = [], []
    for b in row:
        if not _DIGITS.match(b.text.strip()):
            continue
        part = ink[int(b.top) : int(b.bottom) + 1, int(b.x0) : int(b.x1) + 1]
        inked = np.nonzero(part.any(axis=1))[0]
        if len(inked):
            tops.append(int(b.top) + inked[0])
            bottoms.append(int(b.top) + inked[-1] + 1)
    if not tops:
        return None
    return int(np.median(tops)), int(np.median(bottoms))


def _erase_rules(gray, ink, lines):
    """The page (grey and ink) with ruling lines (``_rule_lines``) and scan
    specks erased, for reading cells: a digit printed flush against a border
    is then cropped whole, no border is read as a 1, and no speck as a stop."""
    import cv2
    import numpy as np

    clean_gray = gray.copy()
    clean_gray[lines] = 255
    # specks: dark to Otsu but too small to be kept as ink by _ink
    _, raw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    clean_gray[(raw > 0) & (ink == 0)] = 255
    return clean_gray, np.where(lines, 0, ink).astype(np.uint8)


def _rule_lines(ink, char: float):
    """Mask of the drawn lines, with a pixel around them: a slanted line's
    jagged edge left standing reads as strokes."""
    import cv2
    import numpy as np

    horizontal, vertical = rule_masks(ink, char)
    return cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8)) > 0


def _long_verticals(ink, char: float):
    """Mask of vertical lines four characters long or more (the sides of a
    box), with a pixel around them."""
    import cv2
    import numpy as np

    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(4 * char))))
    return cv2.dilate(down, np.ones((3, 3), np.uint8)) > 0


def read_image(image, warnings: list[str], name: str = "image") -> list[Block]:
    """Blocks (paragraphs, tables) of one page or picture, read by OCR, in reading order."""
    found = layout(image, name)
    placed: list[tuple[float, Block]] = []
    tops = sorted(min(r[1] for r in rects) for rects, _ in found.tables)
    for rects, boxes in found.tables:
        placed.append((min(r[1] for r in rects), table_from_cells(rects, boxes, tolerance=6.0)))
    # Text between two tables is read as its own group, so paragraphs never straddle a table.
    bands: dict[int, list[Box]] = {}
    for box in found.text:
        bands.setdefault(sum(1 for top in tops if top < box.top), []).append(box)
    for band in bands.values():
        placed += _text_blocks(band, warnings, name)
    placed.sort(key=lambda pair: pair[0])
    blocks = [block for _, block in placed]
    warnings.append(ocr_note(name, found.angle))
    warnings.extend(found.notes)
    warnings.extend(review_cells(blocks, name))
    return blocks


def ocr_note(name: str, angle: float) -> str:
    note = f"{name}: text read by OCR"
    if abs(angle) >= 0.05:
        note += f" (straightened by {angle:.2f} degrees)"
    return note


def _ink_runs(profile, min_gap: int, min_length: int) -> list[tuple[int, int]]:
    """[start, end) runs where a projection profile has ink, bridging gaps shorter than min_gap."""
    runs: list[list[int]] = []
    for i in (int(i) for i in profile.nonzero()[0]):
        if runs and i - runs[-1][1] < min_gap:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, b) for a, b in runs if b - a >= min_length]


def _text_lines(cell, char: float) -> list[tuple[int, int]]:
    """[start, end) rows of a cell's lines of ink. Runs a gap apart that
    together are no taller than a character are one line: the strokes of 三
    or 二 are separate runs, and each alone is too thin to be kept."""
    runs = _ink_runs((cell > 0).sum(axis=1) >= 1, min_gap=3, min_length=1)
    lines: list[list[int]] = []
    for a, b in runs:
        if lines and b - lines[-1][0] <= 1.15 * char:
            lines[-1][1] = b
        else:
            lines.append([a, b])
    return [(a, b) for a, b in lines if b - a >= 6]


def _rotated_band(cell, char: float) -> list[tuple[int, int]]:
    """The one band of a narrow cell whose ink runs down it as a single line
    of turned characters (gaps between them far narrower than between the
    lines of characters stacked upright: most gaps are narrow, a 、 or a
    space may leave a wider one); [] for any other cell."""
    height, width = cell.shape
    if width > 2.5 * char or height < 3 * char:
        return []
    runs = _ink_runs((cell > 0).sum(axis=1) >= 1, min_gap=1, min_length=1)
    if not runs or runs[-1][1] - runs[0][0] < 2.5 * char:
        return []
    gaps = sorted(b[0] - a[1] for a, b in zip(runs, runs[1:]))
    if gaps and gaps[len(gaps) // 2] > 0.25 * char:
        return []
    # one band per stretch of ink (a speck far away from the text is not part of it)
    bands: list[list[int]] = []
    for a, b in runs:
        if bands and a - bands[-1][1] <= char:
            bands[-1][1] = b
        else:
            bands.append([a, b])
    return [(a, b) for a, b in bands if b - a >= 6]


def _ink_extent(band, char: float) -> tuple[int, int] | None:
    """[left, right) of a line's ink without the specks of a low-resolution
    scan: clusters of ink more than half a character apart that hold a mere
    speck are left out, and a line that is nothing but specks is None (a
    dash or a 一 is wide enough to stay)."""
    profile = (band > 0).sum(axis=0)
    runs = _ink_runs(profile >= 1, min_gap=max(2, int(0.5 * char)), min_length=1)
    kept = [(a, b) for a, b in runs if profile[a:b].sum() >= 0.05 * char * char or b - a >= 0.4 * char]
    if not kept:
        return None
    return kept[0][0], kept[-1][1]


def _read_cells(gray, ink, tables, char: float = 20.0, original=None) -> list[list[Box]]:
    """Recognise every text line of every cell without text detection: the
    lines of a cell are the bands of ink between its ruling lines. A band
    that runs down the cell, taller than a character and narrow, is either
    turned text (textDirection btLr / tbRl) or upright characters set
    vertically: it is read turned both ways and character by character, and
    the reading the recogniser is surest of is kept."""
    import numpy as np

    crops, where = [], []
    bordered: dict[int, object] = {}
    for t, rects in enumerate(tables):
        for x0, top, x1, bottom in rects:
            x0, top, x1, bottom = int(x0) + 2, int(top) + 2, int(x1) - 1, int(bottom) - 1
            if x1 - x0 < 6 or bottom - top < 6:
                continue
            cell = ink[top:bottom, x0:x1]
            turned = _rotated_band(cell, char)
            for a, b in turned or _text_lines(cell, char):
                extent = _ink_extent(cell[a:b], char)
                if extent is None:
                    continue
                left, right = extent
                pad = 4
                crop = gray[max(top + a - pad, 0) : top + b + pad, max(x0 + left - pad, 0) : x0 + right + pad]
                box = Box(x0 + left, top + a, x0 + right, top + b, "")
                if not turned and (b - a <= 1.6 * char or right - left >= 1.8 * char):
                    crops.append(_rgb(crop))
                    where.append((t, box, "upright"))
                    if left <= 0.5 * char and original is not None:
                        # ink flush against the left border: a digit's stroke may
                        # lie on the erased line; read it with the border too
                        # (later, and only if the plain reading holds no digit)
                        reach = max(0, x0 - int(0.25 * char))
                        bordered[id(box)] = original[max(top + a - pad, 0) : top + b + pad, reach : x0 + right + pad]
                    continue
                crops += [_rgb(np.rot90(crop, -1)), _rgb(np.rot90(crop, 1))]
                where += [(t, box, "270"), (t, box, "90")]
                for c0, c1 in _glyph_rows(cell[a:b], char):
                    rows = slice(max(top + a + c0 - pad, 0), top + a + c1 + pad)
                    glyph = gray[rows, max(x0 + left - pad, 0) : x0 + right + pad]
                    crops.append(_rgb(glyph))
                    where.append((t, box, "stacked"))
    found: list[list[Box]] = [[] for _ in tables]
    if not crops:
        return found
    result = engine().recognize_txt(crops)
    # per band: each way of reading it -> (texts, scores)
    readings: dict[int, dict[str, tuple[list[str], list[float]]]] = {}
    bands: dict[int, tuple[int, Box]] = {}
    for (t, box, way), text, score in zip(where, result.txts, result.scores):
        bands[id(box)] = (t, box)
        texts, scores = readings.setdefault(id(box), {}).setdefault(way, ([], []))
        texts.append(text.strip())
        scores.append(float(score))
    _read_with_border(bordered, readings, bands)
    for key, ways in readings.items():
        t, box = bands[key]
        if "with border" in ways:
            ways = _border_reading(ways)
        way, (texts, scores) = max(ways.items(), key=lambda item: sum(item[1][1]) / len(item[1][1]))
        text = "\n".join(filter(None, texts))
        if text:
            box.text, box.confidence = text, min(scores)
            found[t].append(box)
    return found


def _as_number(text: str) -> str | None:
    """The digits a number cell's reading stands for (letters read for
    digits, specks read as dots), or None when it is not a number."""
    if not _NUMBER_WITH_LOOKALIKES.match(text):
        return None
    digits = _STRAY_DOTS.sub("", text.strip().translate(_DIGIT_LOOKALIKES))
    return digits if re.fullmatch(r"\d+", digits) else None


def _recheck_numbers(gray, tables, cells: list[list[Box]], name: str) -> list[str]:
    """Second looks at cells of number columns (columns of a table where
    most cells read as a number): a cell whose reading is not a number is
    read again on a crop cut tight to its ink (the padding around a digit touching an erased border is
    what makes a 0 read as ``p``); and a speck read as a line of its own
    below or above a number (``0`` / ``’``) is left out. A number read
    first is never re-read: a second reading that differs could only
    replace one guess by another (a speck read as a 5 must not make a
    number). Every choice is named with both readings, and a re-read
    value's confidence stays below LOW_CONFIDENCE so it is named again
    among the unsure ones."""
    import numpy as np

    notes: list[str] = []
    retry: list[tuple[Box, object]] = []
    for rects, boxes in zip(tables, cells):
        by_rect: dict[tuple, list[Box]] = {}
        for box in boxes:
            cx, cy = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
            rect = next((r for r in rects if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]), None)
            if rect is not None:
                by_rect.setdefault(tuple(rect), []).append(box)
        columns: dict[tuple, list[list[Box]]] = {}
        for rect, held in by_rect.items():
            columns.setdefault((round(rect[0]), round(rect[2])), []).append(held)
        for held_cells in columns.values():
            numbers = sum(1 for held in held_cells if any(_as_number(b.text) is not None for b in held))
            if len(held_cells) < 3 or numbers < 0.6 * len(held_cells):
                continue
            for held in held_cells:
                read = [b for b in held if _as_number(b.text) is not None]
                if len(held) > 1 and len(read) == 1:
                    for speck in held:
                        if speck is not read[0] and not re.search(r"[\d\u4e00-\u9fff]", speck.text) and len(speck.text) <= 3:
                            notes.append(f"{name}: OCR read {speck.text!r} beside the number {read[0].text!r}; left out as a speck")
                            boxes.remove(speck)
                    continue
                if len(held) == 1 and not read:
                    retry.append((held[0], gray))
    if retry:
        crops = []
        for box, image in retry:
            crop = image[int(box.top) : int(box.bottom) + 1, int(box.x0) : int(box.x1) + 1]
            crops.append(_rgb(np.pad(crop, 3, constant_values=255)))
        result = engine().recognize_txt(crops)
        for (box, _), text, score in zip(retry, result.txts, result.scores):
            digits = _as_number(text.strip())
            if digits is None:
                continue
            notes.append(
                f"{name}: OCR read {box.text!r} ({box.confidence:.2f}) in a number cell and {text.strip()!r} "
                f"({float(score):.2f}) on a tighter crop; took {digits!r}"
            )
            box.text, box.confidence = digits, min(float(score), LOW_CONFIDENCE - 0.01)
    return notes


def _read_with_border(bordered: dict, readings: dict, bands: dict) -> None:
    """Read with their left border the lines flush against it whose plain
    reading holds no digit (most read as a number at once and need no
    second crop), adding that reading to the band's ways."""
    wanted = [key for key in bordered if key in readings and not any(ch.isdigit() for ch in "".join(readings[key]["upright"][0]))]
    if not wanted:
        return
    result = engine().recognize_txt([_rgb(bordered[key]) for key in wanted])
    for key, text, score in zip(wanted, result.txts, result.scores):
        readings[key]["with border"] = ([text.strip()], [float(score)])


_BORDER_STROKE = re.compile(r"^[|1lI丨\[\]]")


def _border_reading(ways: dict) -> dict:
    """A line flush against its cell's left border, read without and with the
    border. The reading without it stands unless it holds no digit; then the
    reading with it (less the one stroke the border may add) is taken if that
    is a number, its confidence capped below LOW_CONFIDENCE so that the
    warnings name it."""
    (plain,), (plain_score,) = ways["upright"]
    (bordered,), (bordered_score,) = ways["with border"]
    if any(ch.isdigit() for ch in plain):
        return {"upright": ways["upright"]}
    # the border read as a stroke of its own ('|0'), or not at all ('1')
    for text in (_BORDER_STROKE.sub("", bordered.strip(), count=1), bordered):
        digits = _STRAY_DOTS.sub("", text.strip().translate(_DIGIT_LOOKALIKES))
        if re.fullmatch(r"\d+", digits):
            return {"with border": ([digits], [min(bordered_score, LOW_CONFIDENCE - 0.01)])}
    return {"upright": ways["upright"]}


def _glyph_rows(band, char: float) -> list[tuple[int, int]]:
    """[start, end) rows of the characters of a column of upright characters."""
    runs = _ink_runs((band > 0).sum(axis=1) >= 1, min_gap=1, min_length=1)
    glyphs: list[list[int]] = []
    for a, b in runs:
        if glyphs and b - glyphs[-1][0] <= 1.1 * char:
            glyphs[-1][1] = b
        else:
            glyphs.append([a, b])
    return [(a, b) for a, b in glyphs if b - a >= 4]


def _rgb(gray_crop):
    import numpy as np

    return np.ascontiguousarray(np.stack([gray_crop] * 3, axis=-1))


def _prose_bands(ink, tables) -> list[tuple[int, int]]:
    """Horizontal bands of ink outside the ruled tables, for text detection."""
    mask = ink.copy()
    for rects in tables:
        x0, top = int(min(r[0] for r in rects)), int(min(r[1] for r in rects))
        x1, bottom = int(max(r[2] for r in rects)), int(max(r[3] for r in rects))
        mask[max(top - 3, 0) : bottom + 4, max(x0 - 3, 0) : x1 + 4] = 0
    rows = (mask > 0).sum(axis=1) >= 2
    bands = _ink_runs(rows, min_gap=60, min_length=8)
    return [(max(a - 10, 0), min(b + 10, ink.shape[0])) for a, b in bands]


def _text_blocks(boxes: list[Box], warnings: list[str], name: str) -> list[tuple[float, Block]]:
    """Boxes outside ruled tables: unruled tables (``layout.unruled_tables``; what
    they could not place goes to ``warnings``), then paragraphs."""
    out: list[tuple[float, Block]] = []
    lines = group_lines(boxes)
    if not lines:
        return out
    left = min(line[0].x0 for line in lines)
    right = max(line[-1].x1 for line in lines)
    prose: list[list[Box]] = []
    found = unruled_tables(boxes)
    warnings.extend(f"{name}: {note}" for note in found.warnings)
    for top, block in found.items:
        if isinstance(block, list):
            prose.append(block)
            continue
        out.extend(_paragraphs(prose, left, right))
        prose.clear()
        out.append((top, block))
    out.extend(_paragraphs(prose, left, right))
    return out


def _paragraphs(lines, left, right):
    # One position for the group: the (stable) sort keeps the paragraphs' own order.
    return [(lines[0][0].top, p) for p in paragraphs_from_lines(lines, left, right)] if lines else []


# Letters the recogniser returns for digits it saw: in a cell of numbers they
# can only be digits. Each replacement is named in the warnings.
_DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "ó": "0", "ò": "0", "Q": "0", "〇": "0", "Ｏ": "0", "D": "0",
     "l": "1", "I": "1", "|": "1", "丨": "1"}
)
_NUMBER_WITH_LOOKALIKES = re.compile(r"^[.,\s]*[0-9OoóòQＯ〇DlI|丨][0-9.,OoóòQＯ〇DlI|丨]*[.,\s]*$")
# A speck beside a digit of a low-resolution scan reads as a dot ("0.", ".0").
_STRAY_DOTS = re.compile(r"^[.,\s]+(?=\d)|(?<=\d)[.,\s]+$")
# No label starts with a comma or a stop: one read there is a speck.
_STRAY_LEAD = re.compile(r"^[，,.。、·'`]+(?=[\u4e00-\u9fff])|(?<=[)）])\s*[.,。·]\s*(?=[\u4e00-\u9fff])")


def review_cells(blocks: list[Block], name: str) -> list[str]:
    """Read letters-for-digits in number cells as the digits they are, and
    name every such choice and every low-confidence number in warnings
    (the value read is kept either way)."""
    out = []
    for t, table in enumerate(b for b in blocks if isinstance(b, Table)):
        for row in table.rows():
            label = next((c.text for c in row if re.search("[\u4e00-\u9fff]", c.text)), "").replace("\n", "")
            for cell in row:
                if cell.confidence is None:
                    continue
                where = f"(table {t + 1}, row {cell.row + 1} {label[:20]!r}, column {cell.col + 1})"
                cell.text = _STRAY_LEAD.sub("", cell.text.strip())
                text = cell.text
                digits = _STRAY_DOTS.sub("", text.translate(_DIGIT_LOOKALIKES))
                if digits != text and _NUMBER_WITH_LOOKALIKES.match(text):
                    out.append(f"{name}: OCR read {text!r} in a number cell, taken as {digits!r} {where}")
                    cell.text = digits
                if cell.confidence < LOW_CONFIDENCE and any(ch.isdigit() for ch in cell.text):
                    out.append(f"{name}: low OCR confidence {cell.confidence:.2f} for {cell.text!r} {where}")
    return out


def open_image(data: bytes, name: str = "image"):
    """Decode image bytes with the pixel cap checked before decoding (PIL reads the size lazily)."""
    from PIL import Image as PILImage, ImageOps, UnidentifiedImageError

    try:
        image = PILImage.open(io.BytesIO(data))
    except PILImage.DecompressionBombError as exc:
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)) // 1_000_000} Mpx" if pixels else "too many pixels"
        raise ParseError(f"{name} of {size} exceeds the {limits.MAX_IMAGE_PIXELS // 1_000_000} Mpx cap") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ParseError(f"{name}: unreadable image ({exc})") from None
    limits.check_pixels(image.width, image.height, name)
    try:
        image.load()
    except (OSError, ValueError) as exc:
        raise ParseError(f"{name}: truncated or corrupt image ({exc})") from None
    # A phone photo stores its rotation in EXIF; OCR needs the upright pixels.
    return ImageOps.exif_transpose(image).convert("RGB")


def _holds_text(blocks: list[Block]) -> bool:
    """A table, or real prose (at least 20 Chinese characters): a photo or a
    logo yields a few stray characters and stays a picture."""
    if any(isinstance(b, Table) for b in blocks):
        return True
    text = "".join(b.text for b in blocks if not isinstance(b, (Table, Image)))
    return len(re.findall("[\u4e00-\u9fff]", text)) >= 20


def resolve_images(doc: Document) -> Document:
    """Replace pictures that hold tables or text (DOCX/HTML reports whose tables
    were pasted as images) by the blocks OCR reads from them.

    Small pictures (icons, logos) and pictures where OCR finds nothing stay as
    ``Image`` blocks; an unreadable picture stays too, with a warning."""
    if not any(isinstance(b, Image) and b.data for b in doc.blocks):
        return doc
    blocks: list[Block] = []
    used_ocr = False
    budget = limits.MAX_OCR_PAGES
    for block in doc.blocks:
        if not (isinstance(block, Image) and block.data):
            blocks.append(block)
            continue
        name = f"image {block.src or block.alt or '?'}"
        if budget <= 0:
            doc.warnings.append(f"{name} not read: OCR cap of {limits.MAX_OCR_PAGES} pictures per document reached")
            blocks.append(block)
            continue
        try:
            image = open_image(block.data, name)
            if image.width < MIN_PICTURE[0] or image.height < MIN_PICTURE[1]:
                blocks.append(block)
                continue
            notes: list[str] = []
            budget -= 1
            found = read_image(image, notes, name)
        except ParseError as exc:
            doc.warnings.append(str(exc))
            blocks.append(block)
            continue
        except Exception as exc:  # one odd picture must not cost the document its text
            doc.warnings.append(f"{name}: OCR failed ({type(exc).__name__}: {exc})")
            blocks.append(block)
            continue
        if _holds_text(found):
            blocks.extend(found)
            doc.warnings.extend(notes)
            used_ocr = True
        else:
            blocks.append(block)
    doc.blocks = blocks
    if used_ocr:
        doc.source_format = "ocr"
    return doc

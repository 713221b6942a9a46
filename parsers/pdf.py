"""PDF reader: text PDFs through pypdfium2, image-only pages through OCR.

Per page (``parsers.pdfium_page``): ruled tables are rebuilt from the drawn
lines, so a merged cell is the one rectangle whose inner lines are missing
and spans come from geometry; words inside a cell are that cell's text (a
number wrapped in a narrow cell joins again); words outside tables become lines,
lines become paragraphs; tables without rules are rebuilt from the text's
own structure (``layout.unruled_tables``).
Across pages: running headers, footers and page numbers are dropped, and a
table that ends a page and resumes at the top of the next is joined into
one (a repeated header row is dropped). A page with no text layer is
rendered and read by OCR (``parsers.ocr``), and so is a picture pasted
into a text page where no text is printed over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import limits
from .document import Document, Image, Paragraph, Table
from .errors import ParseError
from .layout import (
    Box,
    Rect,
    cell_text,
    cells_from_grid,
    cluster,
    paragraphs_from_lines,
    table_from_cells,
    unruled_tables,
)
from .pdfium_page import PageGeometry, Rules, page_geometry, table_regions

# A page with no text but this many vector shapes prints its text as outlines.
OUTLINED_TEXT_PATHS = 200
# Fraction of the page height at the top and bottom where running headers and footers live.
MARGIN_ZONE = 0.09
_PAGE_NUMBER = re.compile(
    r"^[-—–_\s]*(第\s*)?[0-9０-９]+\s*(页)?\s*((/|of|共)\s*[0-9０-９]+\s*页?)?[-—–_\s]*$"
    r"|^\s*(Page|P\.)\s*\d+",
    re.IGNORECASE,
)


@dataclass
class _PageTable:
    """A ruled table kept as rectangles + characters until page joins are decided."""

    rects: list[Rect]
    boxes: list[Box]
    bbox: Rect
    page: int
    # Cells along the top/bottom edge with no line drawn there: a merged cell
    # (or a row) that a page break cut, as browsers print it.
    open_top: list[Rect] = field(default_factory=list)
    open_bottom: list[Rect] = field(default_factory=list)


@dataclass
class _Picture:
    """A picture pasted on a text page with no text over it: read by OCR."""

    rect: Rect
    page: int


@dataclass
class _Item:
    top: float
    block: Paragraph | Table | Image | _PageTable | _Picture | list | None
    lines: list[list[Box]] = field(default_factory=list)


def read_pdf(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    import pypdfium2 as pdfium

    limits.check_input_size(data)
    doc = Document(source_format="pdf")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ParseError(_pdf_error(exc)) from None
    try:
        count = len(pdf)
        if count == 0:
            raise ParseError("corrupt PDF: no pages could be read")
        if b"%%EOF" not in data[-2048:]:
            doc.warnings.append("PDF is truncated (no end-of-file marker); read what pdfium could recover")
        if count > limits.MAX_PDF_PAGES:
            doc.warnings.append(f"PDF has {count} pages; read the first {limits.MAX_PDF_PAGES} only")
            count = limits.MAX_PDF_PAGES
        per_page: list[list[_Item]] = []
        ocr_pages: list[int] = []
        heights: list[float] = []
        for number in range(count):
            try:
                page = pdf[number]
                geometry = page_geometry(page)
                page.close()
            except pdfium.PdfiumError as exc:
                doc.warnings.append(f"PDF page {number + 1} unreadable ({exc}); skipped")
                per_page.append([])
                heights.append(842.0)
                continue
            items, needs_ocr = _read_page(geometry, number, doc.warnings)
            per_page.append(items)
            heights.append(geometry.height)
            if needs_ocr:
                ocr_pages.append(number)
                if geometry.words:
                    doc.warnings.append(f"page {number + 1}: text layer has no Unicode mapping; read by OCR")
    finally:
        pdf.close()
    if ocr_pages or any(isinstance(i.block, _Picture) for items in per_page for i in items):
        _ocr_pages(data, ocr_pages, per_page, heights, doc)
    _drop_running_lines(per_page, heights)
    doc.blocks = _assemble(per_page)
    if doc.source_format == "ocr":
        from .ocr import review_cells

        doc.warnings.extend(review_cells(doc.blocks, "scan"))
    return doc


def _pdf_error(exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower():
        return "encrypted PDF: a password is required to read it"
    return f"corrupt or truncated PDF: {text.strip() or type(exc).__name__}"


def _inside(box: Box, rect: Rect) -> bool:
    return rect[0] <= box.cx <= rect[2] and rect[1] <= box.cy <= rect[3]


def unreadable_text(words: list[Box]) -> bool:
    """A text layer without a Unicode mapping: fonts embedded without
    ToUnicode give private-use or replacement characters instead of the
    printed ones (common in Chinese PDFs). Such a page is read by OCR."""
    chars = "".join(w.text for w in words)
    bad = sum(1 for ch in chars if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd" or ord(ch) < 32)
    return len(chars) >= 20 and bad > 0.3 * len(chars)


def _read_page(page: PageGeometry, number: int, warnings: list[str] | None = None) -> tuple[list[_Item], bool]:
    """One page's items (tables, text lines, pictures to OCR) and whether the
    whole page needs OCR; what an unruled table could not place goes to ``warnings``."""
    words = page.words
    if not words:
        # A scan, or text drawn as outlines; a blank page needs no OCR.
        return [], bool(page.pictures) or page.paths >= OUTLINED_TEXT_PATHS
    if unreadable_text(words):
        return [], True
    items: list[_Item] = []
    regions: list[Rect] = []
    for horizontal, vertical in table_regions(page.horizontal, page.vertical):
        xs = cluster([s.at for s in vertical], 2.0)
        # Where a page break cuts a table, browsers draw no line along the cut:
        # the vertical lines' ends are then the table's edges.
        top, bottom = min(s.start for s in vertical), max(s.end for s in vertical)
        ys = cluster([s.at for s in horizontal] + [top, bottom], 2.0)
        if len(xs) < 2 or len(ys) < 2:
            continue
        rules = Rules(horizontal)
        rects = cells_from_grid(xs, ys, Rules(vertical).covers, rules.covers)
        if len(rects) < 2:
            continue  # only a box drawn round the text: its table is read as unruled
        bbox = (xs[0], ys[0], xs[-1], ys[-1])
        open_top = [r for r in rects if r[1] == ys[0] and not rules.covers(ys[0], r[0], r[2])]
        open_bottom = [r for r in rects if r[3] == ys[-1] and not rules.covers(ys[-1], r[0], r[2])]
        # Characters, not words: a cell's text is what its box holds, even where
        # a value is printed flush against the label of the next cell.
        inside = [c for c in (page.chars or words) if _inside(c, bbox)]
        items.append(_Item(bbox[1], _PageTable(rects, inside, bbox, number, open_top, open_bottom)))
        regions.append(bbox)
    # Pictures with no text over them are pasted images (often the tables): OCR them later.
    for rect in page.pictures:
        large = rect[2] - rect[0] > 0.25 * page.width and rect[3] - rect[1] > 40
        if large and not any(_inside(w, rect) for w in words):
            items.append(_Item(rect[1], _Picture(rect, number)))
            regions.append(rect)
    rest = [w for w in words if not any(_inside(w, r) for r in regions)]
    chars = [c for c in page.chars if not any(_inside(c, r) for r in regions)] if page.chars else None
    items += _text_items(rest, chars, warnings, f"page {number + 1}")
    items.sort(key=lambda item: item.top)
    return items, False


def _text_items(words: list[Box], chars: list[Box] | None, warnings: list[str] | None, name: str) -> list[_Item]:
    """Words outside ruled tables: unruled tables (``layout.unruled_tables``)
    and lines (paragraphs are made after page joins)."""
    found = unruled_tables(words, chars)
    if warnings is not None:
        warnings.extend(f"{name}: {note}" for note in found.warnings)
    items = [
        _Item(top, None, [block]) if isinstance(block, list) else _Item(top, block) for top, block in found.items
    ]
    return items


def _normalise(text: str) -> str:
    return re.sub(r"[0-9０-９]+", "#", re.sub(r"\s+", "", text))


def _drop_running_lines(per_page: list[list[_Item]], heights: list[float]) -> None:
    """Remove page numbers, and headers/footers repeated in the same margin
    (top or bottom) of several pages; a signature at the foot of the last page
    that matches a running *header* stays."""

    def margin_lines(n):
        for item in per_page[n]:
            if item.lines:
                top = item.lines[0][0].top
                if top < MARGIN_ZONE * heights[n]:
                    yield "top", item
                elif top > (1 - MARGIN_ZONE) * heights[n]:
                    yield "bottom", item

    seen: dict[tuple[str, str], set[int]] = {}
    for n in range(len(per_page)):
        for zone, item in margin_lines(n):
            seen.setdefault((zone, _normalise(_line_text(item))), set()).add(n)
    repeats = {key for key, pages in seen.items() if len(pages) >= max(2, len(per_page) // 2)}
    for n in range(len(per_page)):
        drop = {
            id(item)
            for zone, item in margin_lines(n)
            if _PAGE_NUMBER.match(_line_text(item)) or (zone, _normalise(_line_text(item))) in repeats
        }
        per_page[n] = [item for item in per_page[n] if id(item) not in drop]


def _line_text(item: _Item) -> str:
    return "".join(b.text for b in item.lines[0])


def _same_columns(a: _PageTable, b: _PageTable, tolerance: float = 4.0) -> bool:
    return abs(a.bbox[0] - b.bbox[0]) <= tolerance and abs(a.bbox[2] - b.bbox[2]) <= tolerance


def _assemble(per_page: list[list[_Item]]) -> list:
    """Pages in order into blocks: join page-broken tables, make paragraphs."""
    flat: list[_Item] = []
    for items in per_page:
        for k, item in enumerate(items):
            block = item.block
            previous = flat[-1].block if flat else None
            if (
                k == 0
                and isinstance(block, _PageTable)
                and isinstance(previous, _PageTable)
                and block.page == previous.page + 1
                and _same_columns(previous, block)
            ):
                _join(previous, block)
            else:
                flat.append(item)
    blocks: list = []
    lines: list[list[Box]] = []

    def flush_lines():
        if lines:
            left = min(line[0].x0 for line in lines)
            right = max(line[-1].x1 for line in lines)
            blocks.extend(paragraphs_from_lines(lines, left, right))
            lines.clear()

    for item in flat:
        if item.lines:
            lines.extend(item.lines)
            continue
        flush_lines()
        block = item.block
        if isinstance(block, _PageTable):
            blocks.append(_table(block))
        elif isinstance(block, list):
            blocks.extend(block)
        else:
            blocks.append(block)
    flush_lines()
    return blocks


def _join(first: _PageTable, second: _PageTable) -> None:
    """Append a continuation table below the first, in the first's coordinates,
    dropping the header rows it repeats (as many leading rows as print the
    same text as the first table's leading rows, up to four)."""
    shift = first.bbox[3] - second.bbox[1]
    rects = [(r[0], r[1] + shift, r[2], r[3] + shift) for r in second.rects]
    boxes = [replace(b, top=b.top + shift, bottom=b.bottom + shift) for b in second.boxes]
    if second.open_top and first.open_bottom:
        # No line along the cut: cells open on both sides of it are one cell.
        first.rects = _continue_cells(first, rects, [(r[0], r[1] + shift, r[2], r[3] + shift) for r in second.open_top])
        first.boxes += boxes
        first.bbox = (first.bbox[0], first.bbox[1], first.bbox[2], max(r[3] for r in first.rects))
        first.page, first.open_bottom = second.page, second.open_bottom
        return
    tops = sorted({round(r[1], 1) for r in rects})
    head, repeated = _row_texts(first.rects, first.boxes), _row_texts(rects, boxes)
    drop = 0
    for k in range(1, min(4, len(tops) - 1) + 1):
        if repeated[:k] == head[:k] and any(head[:k]):
            drop = k
    if drop:
        header = [r for r in rects if round(r[1], 1) < tops[drop]]
        words = [b for b in boxes if any(_inside(b, r) for r in header)]
        dy = tops[drop] - tops[0]
        rects = [(r[0], r[1] - dy, r[2], r[3] - dy) for r in rects if r not in header]
        boxes = [replace(b, top=b.top - dy, bottom=b.bottom - dy) for b in boxes if b not in words]
    first.rects += rects
    first.boxes += boxes
    first.bbox = (first.bbox[0], first.bbox[1], first.bbox[2], max(r[3] for r in first.rects))
    first.page = second.page


def _continue_cells(first: _PageTable, rects: list[Rect], open_top: list[Rect], tolerance: float = 3.0) -> list[Rect]:
    """The joined table's rectangles: each cell the first table leaves open at
    its bottom is extended over the continuation's cell open at its top in the
    same columns (a merged cell or a row the page break cut)."""
    kept = list(first.rects)
    continued = set()
    for k, r in enumerate(kept):
        if r not in first.open_bottom:
            continue
        below = next((o for o in open_top if abs(o[0] - r[0]) <= tolerance and abs(o[2] - r[2]) <= tolerance), None)
        if below is not None:
            kept[k] = (r[0], r[1], r[2], below[3])
            continued.add(below)
    return kept + [r for r in rects if r not in continued]


def _row_texts(rects: list[Rect], boxes: list[Box], limit: int = 5) -> list[str]:
    """The text of the first ``limit`` rows of rectangles (by top edge), top to bottom."""
    out = []
    for top in sorted({round(r[1], 1) for r in rects})[:limit]:
        row = [r for r in rects if round(r[1], 1) == top]
        words = [b for b in boxes if any(_inside(b, r) for r in row)]
        out.append(cell_text(words).replace("\n", ""))
    return out


def _table(table: _PageTable) -> Table:
    return table_from_cells(table.rects, table.boxes)


def _ocr_pages(
    data: bytes, whole_pages: list[int], per_page: list[list[_Item]], heights: list[float], doc: Document
) -> None:
    """Render image-only pages, and the pasted pictures of text pages, and read them by OCR."""
    from . import ocr

    budget = limits.MAX_OCR_PAGES
    for number, items in enumerate(per_page):
        pictures = [item for item in items if isinstance(item.block, _Picture)]
        if number not in whole_pages and not pictures:
            continue
        if budget <= 0:
            if budget == 0:
                doc.warnings.append(f"OCR stopped after {limits.MAX_OCR_PAGES} pages (cap); later pages not read")
                budget -= 1
            for item in pictures:  # kept as pictures, as a DOCX reader keeps them
                item.block = Image(src=f"page {number + 1}", alt="picture not read (OCR cap)")
            continue
        budget -= 1
        doc.source_format = "ocr"
        image, scale = render_page(data, number)
        if scale * 72 < 0.75 * limits.OCR_DPI:
            doc.warnings.append(
                f"page {number + 1} is {image.width / scale / 72 * 2.54:.0f} cm wide: read by OCR at "
                f"{scale * 72:.0f} dpi only (pixel cap); small print may be missed"
            )
        if number in whole_pages:
            name = f"page {number + 1}"
            parts, _, notes = ocr.upright(image, name)
            doc.warnings += notes
            items, offset = _ScannedItems(), 0.0
            for part in parts:
                found = ocr.layout(part, name)
                doc.warnings += found.notes
                items += _scanned_page(found, number, scale, offset, doc.warnings)
                items.angle = items.angle if abs(items.angle) > abs(found.angle) else found.angle
                offset += part.height / scale
            # two pages on one sheet: the right one is read below the left one
            heights[number] = max(heights[number], offset)
            per_page[number] = items
            doc.warnings.append(ocr.ocr_note(name, items.angle))
            continue
        for item in pictures:
            x0, top, x1, bottom = (v * scale for v in item.block.rect)
            crop = image.crop((int(x0), int(top), int(x1) + 1, int(bottom) + 1))
            item.block = ocr.read_image(crop, doc.warnings, name=f"picture on page {number + 1}")


class _ScannedItems(list):
    """A scanned page's items, with the angle its scan was straightened by."""

    angle: float = 0.0


def _scanned_page(found, number: int, scale: float, offset: float = 0.0, warnings: list[str] | None = None) -> list[_Item]:
    """OCR geometry (pixels) to the same items as a text page (points, moved
    down by ``offset``), so that scanned pages get the same table joins,
    header removal and paragraphs."""
    k = 1 / scale

    def scaled(b: Box) -> Box:
        return replace(b, x0=b.x0 * k, top=b.top * k + offset, x1=b.x1 * k, bottom=b.bottom * k + offset)

    def rect(r) -> Rect:
        return (r[0] * k, r[1] * k + offset, r[2] * k, r[3] * k + offset)

    items = _ScannedItems()
    items.angle = found.angle
    for found_rects, boxes in found.tables:
        rects = [rect(r) for r in found_rects]
        bbox = (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects), max(r[3] for r in rects))
        open_top = [rect(r) for r in getattr(found_rects, "open_top", [])]
        open_bottom = [rect(r) for r in getattr(found_rects, "open_bottom", [])]
        table = _PageTable(rects, [scaled(b) for b in boxes], bbox, number, open_top, open_bottom)
        items.append(_Item(bbox[1], table))
    items += _text_items([scaled(b) for b in found.text], None, warnings, f"page {number + 1}")
    items.sort(key=lambda item: item.top)
    return items


def render_page(data: bytes, number: int, dpi: int = limits.OCR_DPI):
    """One PDF page as a PIL image and its scale (pixels per point). A page
    too large for OCR at ``dpi`` is rendered at the largest scale that fits
    ``limits.OCR_MAX_PIXELS`` (a poster-sized page must not exhaust memory)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        page = pdf[number]
        width, height = page.get_size()
        # 0.99: pdfium rounds the bitmap size up.
        scale = min(dpi / 72, 0.99 * (limits.OCR_MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
        return page.render(scale=scale).to_pil().convert("RGB"), scale
    finally:
        pdf.close()


def blocks_from_pages(pages: list[PageGeometry], warnings: list[str] | None = None) -> list:
    """Blocks of pages that carry their text with positions (an OFD's, in points):
    the same tables, lines, paragraphs, page joins and running-line removal as a
    text PDF; pages without text give nothing here (their readers say why).
    What an unruled table could not place goes to ``warnings``."""
    per_page = [_read_page(page, number, warnings)[0] for number, page in enumerate(pages)]
    _drop_running_lines(per_page, [page.height for page in pages])
    return _assemble(per_page)

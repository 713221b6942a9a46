"""A small OFD writer (GB/T 33190) for the tests: a synthetic report laid out on A4
pages, written the ways real OFD producers write their XML.

Structure as the standard has it: ``OFD.xml`` → ``Doc_0/Document.xml`` →
``Doc_0/Pages/Page_N/Content.xml``. The layout (where each line of text and
each table cell goes, in millimetres) is made once; a ``Style`` then decides
how it is written. The default is the plain form: one ``TextObject`` per line
(``Boundary`` around it, ``TextCode`` X/Y relative to it, ``DeltaX`` in the
``g N d`` abbreviation) and each table cell's border a stroked ``PathObject``
rectangle, so a merged cell is one rectangle. ``PRODUCERS`` combines the
variants the way the writers they are named after write them (sources in
parsers/README.md, OFD section).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, replace
from xml.sax.saxutils import escape

from nianbao.testbed.synthetic import Variants, printed_tables

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 20.0
SIZE = 3.5  # mm, about 10 pt
TABLE_SIZE = 2.8
LINE = SIZE * 1.6
MM_PER_POINT = 25.4 / 72


@dataclass(frozen=True)
class Style:
    """How the XML is written. Each field is one variant a real producer writes."""

    namespace: str = "prefix"  # "prefix" (ofd:), "default" (xmlns=), "none", "2011" (http://www.ofdspec.org)
    # "run": a TextObject per line, X/Y relative to its Boundary; "page": Boundary the whole page, X/Y absolute;
    # "ctm": Size 1 scaled up by the CTM (PDF converted); "points": a TextObject per character, X/Y in points
    # and a CTM turning points to millimetres whose translation cancels the Boundary's origin.
    text: str = "run"
    deltas: str = "g"  # "g" (g N d runs), "full" (every advance), "short" (a final run of equal advances left out)
    # "cells": a stroked rectangle per cell; "lines": a stroked PathObject per cell edge; "filled": thin filled
    # rectangles (Stroke false); "grid": the whole table one PathObject of subpaths, in points under a CTM.
    rules: str = "cells"
    # Merged label cells spanning many rows: "none" (wrapped across), "stack" (ReadDirection 90, DeltaY,
    # upright characters), "rotate" (CharDirection 90: the text turned to run downwards), "ctm" (a CTM turning
    # the run 90°), "codes" (a TextCode per character, X only on the first: absent X is the previous one's).
    vertical: str = "none"
    blocks: bool = False  # each table's objects inside nested PageBlocks
    composite: bool = False  # each table drawn through a CompositeObject (a CompositeGraphicUnit in PublicRes)
    template: str = ""  # "background"/"foreground": a running header, rule and footer on a TemplatePage
    baseloc: str = "relative"  # "relative", "absolute" (/Doc_0/…), "root" (Doc_0/… written inside Doc_0)
    zip_names: str = "plain"  # "backslash" (Windows zippers), "case" (entries in other case than referenced)
    documents: int = 1  # >1: the pages split over several DocBody documents
    pretty: bool = False  # indented XML, TextCode text on its own indented line
    encoding: str = "utf-8"  # or "gb18030", declared in each part
    watermark: bool = False  # a slanted watermark text drawn across each page, over the tables
    signed: bool = False  # a signature with its stamp annotation, and an annotations file
    page_area: str = "common"  # "common" (CommonData's PageArea), "page" (each page's own Area)
    hscale: float = 1.0  # glyphs condensed (HScale) with advances to match


# Variants as whole producers combine them (see parsers/README.md, OFD section, for the sources).
PRODUCERS = {
    "plain": Style(),
    # ofdrw's writer: advances listed in full, objects in PageBlocks, each page its Area, vertical text
    # as ReadDirection 90 with DeltaY (DrawContext.fillText), borders as separate lines.
    "ofdrw": Style(deltas="full", blocks=True, page_area="page", vertical="stack", rules="lines"),
    # PDF converted to OFD (ofdrw-tool's test resources): text at Size 1 under a scaling CTM, rules as thin
    # filled rectangles, content drawn through CompositeGraphicUnits, turned text by CTM.
    "pdf-converted": Style(text="ctm", deltas="full", rules="filled", composite=True, vertical="ctm"),
    # libofd's sample TextObject: a TextObject per character in points under a millimetre CTM; here with
    # absolute part locations, a running header on a template page and the whole grid one path.
    "points-ctm": Style(text="points", rules="grid", vertical="rotate", baseloc="absolute", template="background",
                        namespace="default"),
    # Hand-assembled or older writers: no namespace prefix, GB18030 parts, indented XML, short DeltaX,
    # Windows zip names, package-root locations, two documents, a signature, a watermark.
    "assembled": Style(namespace="none", encoding="gb18030", pretty=True, deltas="short", zip_names="backslash",
                       baseloc="root", documents=2, signed=True, watermark=True, vertical="codes",
                       template="foreground", hscale=0.9, text="page"),
}  # fmt: skip

# One focused change from the plain form per variant: what each test and the benchmark reads.
VARIANTS = {
    f"{name}={value}": replace(Style(), **{name: value})
    for name, values in {
        "namespace": ["default", "none", "2011"],
        "text": ["page", "ctm", "points"],
        "deltas": ["full", "short"],
        "rules": ["lines", "filled", "grid"],
        "vertical": ["stack", "rotate", "ctm", "codes"],
        "blocks": [True],
        "composite": [True],
        "template": ["background", "foreground"],
        "baseloc": ["absolute", "root"],
        "zip_names": ["backslash", "case"],
        "documents": [2],
        "pretty": [True],
        "encoding": ["gb18030"],
        "watermark": [True],
        "signed": [True],
        "page_area": ["page"],
        "hscale": [0.8],
    }.items()
    for value in values
}


def _advance(char: str, size: float) -> float:
    return size if ord(char) > 0x2E80 else size / 2


def _width(text: str, size: float) -> float:
    return sum(_advance(c, size) for c in text)


class _Page:
    """What one page draws, in page millimetres; written out by ``_Writer``."""

    def __init__(self):
        self.items: list[tuple] = []  # ("text", x, baseline, text, size) / ("vtext", x, top, text, size) / ...
        self.tables: list[tuple[int, int, tuple]] = []  # (first item, end item, (x, y, w, h))
        self.y = MARGIN


def _wrap(text: str, width: float, size: float) -> list[str]:
    lines = []
    for part in text.split("\n"):
        line = ""
        for char in part:
            if line and _width(line + char, size) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def _column_widths(rows, columns: int) -> list[float]:
    """Widths (mm) from the longest single-column text of each column, labels widest."""
    longest = [2] * columns
    taken: set[tuple[int, int]] = set()
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            if cell.colspan == 1 and c < columns:
                longest[c] = max(longest[c], min(len(cell.text), 14))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    total = sum(longest)
    return [(PAGE_W - 2 * MARGIN) * n / total for n in longest]


def _table(pages: list[_Page], rows, vertical: bool) -> None:
    columns = max(sum(cell.colspan for cell in cells) for cells in rows[:1])
    widths = _column_widths(rows, columns)
    lefts = [MARGIN + sum(widths[:c]) for c in range(columns + 1)]
    # Place cells on the grid first (positions covered from above are skipped, as in HTML).
    placed, taken = [], set()
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    # Each row is as tall as the wrapped text of its single-row cells needs.
    heights = [TABLE_SIZE * 1.6 + 2] * len(rows)
    for r, c, cell in placed:
        if cell.rowspan == 1:
            lines = _wrap(cell.text, lefts[c + cell.colspan] - lefts[c] - 1, TABLE_SIZE)
            heights[r] = max(heights[r], len(lines) * TABLE_SIZE * 1.3 + 2)
    page = pages[-1]
    if page.y + sum(heights) > PAGE_H - MARGIN:
        pages.append(_Page())
        page = pages[-1]
    tops = [page.y + sum(heights[:r]) for r in range(len(rows) + 1)]
    first = len(page.items)
    for r, c, cell in placed:
        x, y = lefts[c], tops[r]
        w, h = lefts[c + cell.colspan] - x, tops[min(r + cell.rowspan, len(rows))] - y
        page.items.append(("box", x, y, w, h))
        text = cell.text.replace("\n", "")
        if vertical and cell.rowspan >= 4 and len(text) * TABLE_SIZE < h - 2 and w > TABLE_SIZE + 1:
            page.items.append(("vtext", x + 0.5, y + 1, text, TABLE_SIZE))
            continue
        for k, line in enumerate(_wrap(cell.text, w - 1, TABLE_SIZE)):
            if line:
                page.items.append(("text", x + 0.5, y + 1 + TABLE_SIZE * (1.3 * k + 1), line, TABLE_SIZE))
    page.tables.append((first, len(page.items), (lefts[0], tops[0], lefts[-1] - lefts[0], tops[-1] - tops[0])))
    page.y = tops[-1] + LINE


def _paragraph(pages: list[_Page], text: str, indent: bool = True, right: bool = False) -> None:
    width = PAGE_W - 2 * MARGIN
    for line in _wrap(("　　" if indent else "") + text, width, SIZE):
        if pages[-1].y + LINE > PAGE_H - MARGIN:
            pages.append(_Page())
        page = pages[-1]
        stripped = line.lstrip("　")
        x = PAGE_W - MARGIN - _width(stripped, SIZE) if right else MARGIN + (len(line) - len(stripped)) * SIZE
        page.items.append(("text", x, page.y + SIZE, stripped, SIZE))
        page.y += LINE


def _picture(pages: list[_Page], rows, pictures: dict[int, bytes], ids) -> None:
    """The table drawn as a PNG (``tests.corpus.table_image``), alone on a new page."""
    from tests.corpus import table_image

    image = table_image(rows)
    png = io.BytesIO()
    image.save(png, "PNG")
    resource = next(ids)
    pictures[resource] = png.getvalue()
    width = PAGE_W - 2 * MARGIN
    height = min(width * image.height / image.width, PAGE_H - 2 * MARGIN)
    page = _Page()
    page.items.append(("image", MARGIN, MARGIN, width, height, resource))
    pages += [page, _Page()]


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


# How far a turned glyph reaches to the left of its baseline, in font sizes.
DESCENT_W = 0.12


def _boundary(x: float, y: float, w: float, h: float) -> str:
    return f'Boundary="{_num(x)} {_num(y)} {_num(w)} {_num(h)}"'


def _rectangle(w: float, h: float) -> str:
    return f"M 0 0 L {_num(w)} 0 L {_num(w)} {_num(h)} L 0 {_num(h)} C"


class _Writer:
    """Objects as XML in a Style."""

    def __init__(self, style: Style, ids):
        self.s = style
        self.ids = ids
        self.p = {"prefix": "ofd:", "default": "", "none": "", "2011": "ofd:"}[style.namespace]

    def tag(self, name: str, attrs: str = "", body: str | None = None) -> str:
        t = f"{self.p}{name}"
        attrs = f" {attrs.strip()}" if attrs.strip() else ""
        return f"<{t}{attrs}/>" if body is None else f"<{t}{attrs}>{body}</{t}>"

    def obj(self, name: str, attrs: str, body: str | None = None) -> str:
        """A page object with the next ID."""
        return self.tag(name, f'ID="{next(self.ids)}" {attrs}', body)

    def root(self, name: str, attrs: str, body: str) -> str:
        uri = "http://www.ofdspec.org" if self.s.namespace == "2011" else NS
        ns = {"prefix": f'xmlns:ofd="{uri}"', "2011": f'xmlns:ofd="{uri}"', "default": f'xmlns="{uri}"', "none": ""}
        xml = self.tag(name, f"{ns[self.s.namespace]} {attrs}", body)
        if self.s.pretty:
            xml = _indent(xml)
        return f'<?xml version="1.0" encoding="{self.s.encoding.upper()}"?>\n{xml}'

    def deltas(self, advances: list[float]) -> str:
        values = [_num(a) for a in advances]
        if self.s.deltas == "short":
            while len(values) > 1 and values[-1] == values[-2]:
                values.pop()
        if self.s.deltas != "g":
            return " ".join(values)
        out, i = [], 0
        while i < len(values):
            j = i
            while j < len(values) and values[j] == values[i]:
                j += 1
            out.append(f"g {j - i} {values[i]}" if j - i > 1 else values[i])
            i = j
        return " ".join(out)

    def code(self, text: str, attrs: str) -> str:
        body = escape(text)
        if self.s.pretty:  # as ofdrw's own test resources have it
            body = f"\n                    {body}\n                "
        return self.tag("TextCode", attrs, body)

    def text(self, x: float, baseline: float, text: str, size: float) -> list[str]:
        """A horizontal line of text."""
        h = self.s.hscale
        advances = [_advance(c, size) * h for c in text[:-1]]
        common = 'Font="1"' + (f' HScale="{_num(h)}"' if h != 1 else "")
        if self.s.text == "points":  # a TextObject per character, as in libofd's sample
            out, cx, k = [], x, MM_PER_POINT
            for char, advance in zip(text, [*advances, _advance(text[-1], size) * h]):
                if not char.isspace():
                    ctm = f'CTM="{_num(k)} 0 0 {_num(k)} {_num(-cx)} {_num(-(baseline - size))}"'
                    at = f'X="{_num(cx / k)}" Y="{_num(baseline / k)}"'
                    box = _boundary(cx, baseline - size, advance, size * 1.2)
                    attrs = f'{ctm} {box} {common} Size="{_num(size / k)}"'
                    out.append(self.obj("TextObject", attrs, self.code(char, at)))
                cx += advance
            return out
        delta = f'DeltaX="{self.deltas(advances)}"' if advances else ""
        if self.s.text == "page":  # Boundary the whole page, X/Y absolute
            at = f'X="{_num(x)}" Y="{_num(baseline)}" {delta}'
            attrs = f'{_boundary(0, 0, PAGE_W, PAGE_H)} {common} Size="{_num(size)}"'
            return [self.obj("TextObject", attrs, self.code(text, at))]
        box = _boundary(x, baseline - size, _width(text, size) * h, size * 1.2)
        if self.s.text == "ctm":  # Size 1, scaled by the CTM; advances in the unscaled space
            delta = f'DeltaX="{self.deltas([a / size for a in advances])}"' if advances else ""
            ctm = f'CTM="{_num(size)} 0 0 {_num(size)} 0 0"'
            return [self.obj("TextObject", f'{ctm} {box} {common} Size="1"', self.code(text, f'X="0" Y="1" {delta}'))]
        at = f'X="0" Y="{_num(size)}" {delta}'
        return [self.obj("TextObject", f'{box} {common} Size="{_num(size)}"', self.code(text, at))]

    def vtext(self, x: float, top: float, text: str, size: float) -> list[str]:
        """Text running down a merged cell, one character under the other."""
        n = len(text)
        obj = f'{_boundary(x, top, size * 1.2, n * size + 0.5)} Font="1" Size="{_num(size)}"'
        down = f'DeltaY="g {n - 1} {_num(size)}"'
        if self.s.vertical == "stack":  # upright characters stacked (ofdrw DrawContext: ReadDirection 90, DeltaY)
            at = f'X="0" Y="{_num(size * 0.9)}" {down}'
            return [self.obj("TextObject", f'{obj} ReadDirection="90"', self.code(text, at))]
        if self.s.vertical == "codes":  # a TextCode per character; X only on the first
            codes = "".join(self.code(c, ('X="0" ' if i == 0 else "") + f'Y="{_num(size * (i + 0.9))}"')
                            for i, c in enumerate(text))  # fmt: skip
            return [self.obj("TextObject", obj, codes)]
        if self.s.vertical == "rotate":  # glyphs turned 90° clockwise, running downwards
            at = f'X="{_num(size * DESCENT_W)}" Y="0" {down}'
            return [self.obj("TextObject", f'{obj} ReadDirection="90" CharDirection="90"', self.code(text, at))]
        # "ctm": a horizontal run turned 90° clockwise by the CTM
        ctm = f'CTM="0 1 -1 0 {_num(size * DESCENT_W)} 0"'
        return [self.obj("TextObject", f"{obj} {ctm}", self.code(text, f'X="0" Y="0" DeltaX="g {n - 1} {_num(size)}"'))]

    def line(self, x0: float, y0: float, x1: float, y1: float) -> str:
        if self.s.rules == "filled":  # a thin filled rectangle, as PDF converters draw a rule
            t = 0.15
            w, h = (x1 - x0, t) if y0 == y1 else (t, y1 - y0)
            bx, by = (x0, y0 - t / 2) if y0 == y1 else (x0 - t / 2, y0)
            data = self.tag("AbbreviatedData", "", _rectangle(w, h))
            return self.obj("PathObject", f'{_boundary(bx, by, w, h)} Stroke="false" Fill="true"', data)
        data = self.tag("AbbreviatedData", "", f"M 0 0 L {_num(x1 - x0)} {_num(y1 - y0)}")
        return self.obj("PathObject", f'{_boundary(x0, y0, x1 - x0 + 0.01, y1 - y0 + 0.01)} LineWidth="0.25"', data)

    def box(self, x: float, y: float, w: float, h: float) -> list[str]:
        if self.s.rules in ("lines", "filled"):
            right, bottom = x + w, y + h
            return [self.line(x, y, right, y), self.line(right, y, right, bottom),
                    self.line(x, bottom, right, bottom), self.line(x, y, x, bottom)]  # fmt: skip
        data = self.tag("AbbreviatedData", "", _rectangle(w, h))
        return [self.obj("PathObject", f'{_boundary(x, y, w, h)} LineWidth="0.25"', data)]

    def grid(self, boxes: list[tuple], x: float, y: float, w: float, h: float) -> str:
        """Every cell of a table as subpaths of one PathObject, in points under a CTM."""
        k = MM_PER_POINT
        subpaths = []
        for bx, by, bw, bh in boxes:
            x0, y0, x1, y1 = (_num(v / k) for v in (bx - x, by - y, bx - x + bw, by - y + bh))
            subpaths.append(f"M {x0} {y0} L {x1} {y0} L {x1} {y1} L {x0} {y1} C")
        ctm = f'CTM="{_num(k)} 0 0 {_num(k)} 0 0"'
        return self.obj("PathObject", f'{_boundary(x, y, w, h)} {ctm} LineWidth="0.25"',
                        self.tag("AbbreviatedData", "", " ".join(subpaths)))  # fmt: skip

    def objects(self, items: list[tuple], dx: float = 0.0, dy: float = 0.0) -> list[str]:
        """Items as objects, positions shifted by (-dx, -dy) (a composite unit's own space)."""
        out: list[str] = []
        boxes = [(i[1] - dx, i[2] - dy, i[3], i[4]) for i in items if i[0] == "box"]
        if self.s.rules == "grid" and boxes:
            xs, ys = [b[0] for b in boxes], [b[1] for b in boxes]
            x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
            out.append(self.grid(boxes, min(xs), min(ys), x1 - min(xs), y1 - min(ys)))
        for kind, *args in items:
            if kind == "text":
                x, baseline, text, size = args
                out += self.text(x - dx, baseline - dy, text, size)
            elif kind == "vtext":
                x, top, text, size = args
                out += self.vtext(x - dx, top - dy, text, size)
            elif kind == "box" and self.s.rules != "grid":
                x, y, w, h = args
                out += self.box(x - dx, y - dy, w, h)
            elif kind == "image":
                x, y, w, h, resource = args
                ctm = f'CTM="{_num(w)} 0 0 {_num(h)} 0 0"'
                out.append(self.obj("ImageObject", f'{_boundary(x, y, w, h)} {ctm} ResourceID="{resource}"'))
        return out


def _indent(xml: str) -> str:
    """Indented XML (TextCode bodies already carry their own line breaks)."""
    from lxml import etree

    root = etree.fromstring(xml.encode())
    etree.indent(root, space="    ")
    return etree.tostring(root, encoding="unicode")


def render_ofd(
    record: dict,
    *,
    style: Style | str = "plain",
    drop_page_content: bool = False,
    tables_as_images: bool = False,
    drop_images: bool = False,
    **variants,
) -> bytes:
    """The report as an OFD package, written in ``style`` (a Style, or a name in
    PRODUCERS or VARIANTS). ``drop_page_content`` leaves the last page's
    Content.xml out (an OFD with a missing resource). ``tables_as_images``: each
    table is a PNG picture (a ``MultiMedia`` resource) alone on its page, as a
    scanned table is; ``drop_images`` leaves those pictures' files out."""
    if isinstance(style, str):
        style = PRODUCERS.get(style) or VARIANTS[style]
    ids = iter(range(1, 10**6))
    pages = [_Page()]
    tables = printed_tables(record, Variants(**variants))
    pictures: dict[int, bytes] = {}
    _paragraph(pages, record["title"], indent=False)
    for section in record["sections"]:
        _paragraph(pages, f"{'一二三四五六'[section['no'] - 1]}、{section['title']}", indent=False)
        for paragraph in section["text"].split("\n"):
            if paragraph.strip():
                _paragraph(pages, paragraph)
        if section["no"] in tables and tables_as_images:
            _picture(pages, tables[section["no"]], pictures, ids)
        elif section["no"] in tables:
            _table(pages, tables[section["no"]], vertical=style.vertical != "none")
    year, month, day = (int(part) for part in record["published"].split("-"))
    for line in (record["organization"], f"{year}年{month}月{day}日"):  # the closing signature, right-aligned
        _paragraph(pages, line, indent=False, right=True)
    return _package(record, style, pages, pictures, ids, drop_page_content, drop_images)


def _page_xml(w: _Writer, page: _Page, style: Style, composites: list[str]) -> str:
    objects: list[str] = []
    start = 0
    for first, end, (tx, ty, tw, th) in page.tables:
        objects += w.objects(page.items[start:first])
        table = w.objects(page.items[first:end], *((tx, ty) if style.composite else (0.0, 0.0)))
        if style.composite:
            unit = next(w.ids)
            size = f'Width="{_num(tw)}" Height="{_num(th)}"'
            content = w.tag("Content", "", "".join(table))
            composites.append(w.tag("CompositeGraphicUnit", f'ID="{unit}" {size}', content))
            table = [w.obj("CompositeObject", f'ResourceID="{unit}" {_boundary(tx, ty, tw, th)}')]
        if style.blocks:  # nested PageBlocks, as ofdrw's layout writes its containers
            table = [w.obj("PageBlock", "", w.obj("PageBlock", "", "".join(table)))]
        objects += table
        start = end
    objects += w.objects(page.items[start:])
    if style.watermark:  # slanted across the middle of the page, over whatever table is there
        a = math.radians(-30)
        ctm = f'CTM="{_num(math.cos(a))} {_num(math.sin(a))} {_num(-math.sin(a))} {_num(math.cos(a))} 0 0"'
        objects.append(w.obj("TextObject", f'{_boundary(40, 150, 130, 60)} {ctm} Font="1" Size="12" Alpha="60"',
                             w.code("内部资料 仅供参考", 'X="0" Y="40" DeltaX="g 8 12"')))  # fmt: skip
    head = ""
    if style.template:
        head += w.tag("Template", f'TemplateID="{TEMPLATE_ID}" ZOrder="{style.template.capitalize()}"')
    if style.page_area == "page":
        head += w.tag("Area", "", w.tag("PhysicalBox", "", f"0 0 {PAGE_W:g} {PAGE_H:g}"))
    layer = w.obj("Layer", 'Type="Body"', "".join(objects))
    return w.root("Page", "", head + w.tag("Content", "", layer))


TEMPLATE_ID = 9_000_001


def _template_xml(w: _Writer, record: dict) -> str:
    """A running header (the body's name over a rule) and a footer, as 公文 print them."""
    objects = w.text(MARGIN, 12, record["organization"], 3.0) + [w.line(MARGIN, 14, PAGE_W - MARGIN, 14)]
    objects += w.text(PAGE_W / 2 - 3, PAGE_H - 10, "— 共 —", 3.0)
    return w.root("Page", "", w.tag("Content", "", w.obj("Layer", "", "".join(objects))))


def _package(record, style: Style, pages: list[_Page], pictures, ids, drop_page_content: bool,
             drop_images: bool) -> bytes:
    w = _Writer(style, ids)
    split = [pages] if style.documents == 1 else [pages[: len(pages) // 2], pages[len(pages) // 2 :]]
    package: dict[str, str | bytes] = {}
    bodies = []
    first = 0  # the document's first page, counted over the whole package
    for d, doc_pages in enumerate(split):
        doc = f"Doc_{d}"
        composites: list[str] = []
        page_xml = [_page_xml(w, page, style, composites) for page in doc_pages]

        def loc(path: str) -> str:  # a location written inside Doc_d/Document.xml
            return {"relative": path, "absolute": f"/{doc}/{path}", "root": f"{doc}/{path}"}[style.baseloc]

        area = w.tag("PageArea", "", w.tag("PhysicalBox", "", f"0 0 {PAGE_W:g} {PAGE_H:g}"))
        common = w.tag("MaxUnitID", "", str(next(ids))) + area
        common += w.tag("PublicRes", "", loc("PublicRes.xml")) + w.tag("DocumentRes", "", loc("DocumentRes.xml"))
        if style.template:
            common += w.tag("TemplatePage", f'ID="{TEMPLATE_ID}" BaseLoc="{loc("Tpls/Tpl_0/Content.xml")}"')
            package[f"{doc}/Tpls/Tpl_0/Content.xml"] = _template_xml(w, record)
        listed = "".join(w.tag("Page", f'ID="{1000 + first + n}" BaseLoc="{loc(f"Pages/Page_{n}/Content.xml")}"')
                         for n in range(len(doc_pages)))  # fmt: skip
        annotations = w.tag("Annotations", "", loc("Annots/Annotations.xml")) if style.signed else ""
        body = w.tag("CommonData", "", common) + w.tag("Pages", "", listed) + annotations
        package[f"{doc}/Document.xml"] = w.root("Document", "", body)
        fonts = w.tag("Fonts", "", w.tag("Font", 'ID="1" FontName="宋体" FamilyName="宋体"'))
        units = w.tag("CompositeGraphicUnits", "", "".join(composites)) if composites else ""
        package[f"{doc}/PublicRes.xml"] = w.root("Res", 'BaseLoc="Res"', fonts + units)
        media = "".join(w.tag("MultiMedia", f'ID="{rid}" Type="Image" Format="PNG"',
                              w.tag("MediaFile", "", f"table_{rid}.png")) for rid in pictures)  # fmt: skip
        package[f"{doc}/DocumentRes.xml"] = w.root("Res", 'BaseLoc="Res"', w.tag("MultiMedias", "", media))
        if not drop_images:
            for rid, png in pictures.items():
                package[f"{doc}/Res/table_{rid}.png"] = png
        for n, xml in enumerate(page_xml):
            if not (drop_page_content and d == len(split) - 1 and n == len(page_xml) - 1):
                package[f"{doc}/Pages/Page_{n}/Content.xml"] = xml
        if style.signed:
            _signature(w, package, doc, first)
        info = w.tag("DocInfo", "", w.tag("DocID", "", str(d)) + w.tag("Title", "", escape(record["title"])))
        signatures = w.tag("Signatures", "", f"{doc}/Signs/Signatures.xml") if style.signed else ""
        bodies.append(w.tag("DocBody", "", info + w.tag("DocRoot", "", f"{doc}/Document.xml") + signatures))
        first += len(doc_pages)
    package["OFD.xml"] = w.root("OFD", 'Version="1.1" DocType="OFD"', "".join(bodies))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in package.items():
            if style.zip_names == "backslash":
                name = name.replace("/", "\\")
            elif style.zip_names == "case":
                name = name.lower() if name != "OFD.xml" else name
            archive.writestr(name, content.encode(style.encoding) if isinstance(content, str) else content)
    return out.getvalue()


def _signature(w: _Writer, package: dict, doc: str, first_page: int) -> None:
    """A signature as signing tools add it: Signs/Signatures.xml, a Signature.xml whose
    StampAnnot sits on the first page, the signed value, and an annotations file
    with a stamp annotation."""
    page = 1000 + first_page
    entry = w.tag("Signature", 'ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"')
    package[f"{doc}/Signs/Signatures.xml"] = w.root("Signatures", "", w.tag("MaxSignId", "", "1") + entry)
    stamp = w.tag("StampAnnot", f'ID="1" PageRef="{page}" Boundary="140 240 40 40"')
    signed = w.tag("SignedInfo", "", w.tag("Provider", 'ProviderName="test"') + stamp)
    value = w.tag("SignedValue", "", f"/{doc}/Signs/Sign_0/SignedValue.dat")
    package[f"{doc}/Signs/Sign_0/Signature.xml"] = w.root("Signature", "", signed + value)
    package[f"{doc}/Signs/Sign_0/SignedValue.dat"] = bytes(range(256))
    listed = w.tag("Page", f'PageID="{page}"', w.tag("FileLoc", "", "Page_0/Annotation.xml"))
    package[f"{doc}/Annots/Annotations.xml"] = w.root("Annotations", "", listed)
    appearance = w.tag("Appearance", 'Boundary="140 240 40 40"', "".join(w.text(2, 20, "已签章", 5.0)))
    annot = w.tag("Annot", 'ID="1" Type="Stamp"', appearance)
    package[f"{doc}/Annots/Page_0/Annotation.xml"] = w.root("PageAnnot", "", annot)

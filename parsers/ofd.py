"""OFD reader (GB/T 33190, China's fixed-layout format): positioned text and
ruling paths into the PDF reader's page model.

An OFD is a ZIP of XML: ``OFD.xml`` names one or more documents (``DocBody``/
``DocRoot``), each ``Document.xml`` lists its pages (``Pages/Page/@BaseLoc``),
template pages and resource files (``CommonData``), and each page's
``Content.xml`` holds layers of ``TextObject`` (``Boundary`` box, ``Size``,
optional ``CTM``, ``HScale``, ``ReadDirection``, ``CharDirection``;
``TextCode`` with ``X``/``Y`` of the baseline and the advances
``DeltaX``/``DeltaY``, ``g N d`` meaning N advances of d) and ``PathObject``
(``AbbreviatedData``: ``M``/``S`` move, ``L`` line, ``B``/``Q``/``A`` curves,
``C`` close), possibly nested in ``PageBlock``s or drawn through a
``CompositeObject`` whose content is a ``CompositeGraphicUnit`` resource.
Units are millimetres, y grows downwards.

Every character gets its box (the glyph's em box, turned by its CharDirection
and carried to the page by the CTMs and Boundaries it is drawn through),
characters join into words as on a PDF page, and paths give the horizontal and
vertical ruling lines. The result is a ``pdfium_page.PageGeometry`` per page
(in points), so the PDF reader's table, line and paragraph reading
(``pdf.blocks_from_pages``) applies as is. Template pages a page names
(``Template TemplateID``) are read with it: background ones before its own
content, foreground ones after. Annotations and signatures (stamps) are not
page content and are not read. Text drawn at a slant (a watermark) is left
out with a warning, so it cannot land in a table cell.

Why our own reader: easyofd (reportlab, PyMuPDF, loguru, xmltodict) returns
text boxes and raw path strings for drawing, not resolved character
positions, and pulls a PDF engine in; ofdkit (stdlib only) resolves text
runs but reads no PathObjects, so tables would lose their rules. Neither
bounds what it inflates. This reader is lxml (no entities resolved, no
network) on parts inflated with their bytes counted.

Pictures (``ImageObject``: a scanned page, a table pasted as a picture) become
``Image`` blocks with their bytes from the ``MultiMedia`` resources after
their page's text, and OCR reads those holding a table or prose, as for a
DOCX (``ocr.resolve_images``); a picture whose resource is missing is a
warning. A picture under a text layer (a scan with the text recognised by the
scanning software) is read from that text, not by OCR again, as the PDF
reader reads such a page.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from . import limits
from .document import Document, Image
from .errors import ParseError
from .layout import Box
from .pdfium_page import LINE_WIDTH, PageGeometry, Segment, _edges, words_from_chars

POINTS_PER_MM = 72 / 25.4
# Bytes one XML part may inflate to: a page of a report is tens of KB.
MAX_PART_BYTES = 20 * 2**20
# A glyph's box around its baseline, in font sizes (CJK fonts: ascent ~0.88, descent ~0.12).
ASCENT, DESCENT = 0.88, 0.12
# Composite objects may draw composite objects; deeper than this is a loop or an attack.
MAX_NESTING = 8
# Page blocks and wrappers nested deeper than this (XML allows 256 per part) are not walked.
MAX_DEPTH = 300
# Objects one page may draw in all (composites and templates included): a report's page draws thousands.
MAX_OBJECTS = 200_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMAND = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_DELTA = re.compile(r"g|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Pretty-printed XML: a line break and its indentation inside a TextCode are layout, not text.
_INDENT = re.compile(r"[ \t]*[\r\n]+[ \t]*")
# Points each path command takes.
_ARGUMENTS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
# How far (degrees) a text direction may be off a right angle and still be read.
SLANT = 10.0
# Characters over a picture that make it a scan's text layer (a running header over a scan has fewer).
TEXT_LAYER_CHARS = 30

Matrix = tuple[float, float, float, float, float, float]  # x' = a x + c y + e, y' = b x + d y + f
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name] if element is not None else []


def _child(element, name: str):
    return next(iter(_children(element, name)), None)


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text or "")]


def _name(path: str) -> str:
    """A part name as looked up: writers differ in case and some (Windows zippers) write backslashes."""
    return path.replace("\\", "/").lstrip("/").lower()


class _Package:
    """The OFD's ZIP, parts read on demand with their inflated bytes counted."""

    def __init__(self, data: bytes):
        limits.check_zip(data)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise ParseError(f"corrupt OFD: {exc}") from None
        self.names = {_name(info.filename): info for info in self.zip.infolist()}

    def has(self, path: str) -> bool:
        return _name(path) in self.names

    def read(self, path: str, cap: int = MAX_PART_BYTES) -> bytes | None:
        info = self.names.get(_name(path))
        if info is None:
            return None
        try:
            return limits.read_member(self.zip, info, cap)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise ParseError(f"corrupt OFD part {path}: {' '.join(str(exc).split())}") from None

    def xml(self, path: str):
        data = self.read(path)
        if data is None:
            return None
        try:
            return etree.fromstring(data, _PARSER)
        except (etree.XMLSyntaxError, ValueError, LookupError) as exc:
            raise ParseError(f"corrupt OFD part {path}: {' '.join(str(exc).split())}") from None

    def locate(self, base_dir: str, location: str) -> str:
        """A part name from a location: relative to ``base_dir`` as the standard has it
        (absolute ones from the package root); where no such part exists, relative to
        the package root, as some writers put it (``Doc_0/Pages/…`` inside Doc_0)."""
        path = _resolve(base_dir, location)
        if not self.has(path) and not location.strip().startswith("/"):
            from_root = _resolve("", location)
            if self.has(from_root):
                return from_root
        return path


def _resolve(base_dir: str, location: str) -> str:
    """A part name from a location in ``base_dir`` (absolute locations start at the package root)."""
    location = location.strip().replace("\\", "/")
    path = posixpath.normpath(location.lstrip("/") if location.startswith("/") else posixpath.join(base_dir, location))
    if path.startswith("..") or path.startswith("/"):
        raise ParseError(f"corrupt OFD: part location {location!r} leaves the package")
    return path


@dataclass
class _Resources:
    """What pages draw through resource IDs: pictures' part names, composite units' content."""

    media: dict[str, str] = field(default_factory=dict)
    composites: dict[str, object] = field(default_factory=dict)

    def add(self, package: _Package, base_dir: str, locations, warnings: list[str]) -> None:
        for location in locations:
            try:
                path = package.locate(base_dir, location)
                res = package.xml(path)
            except ParseError as exc:
                warnings.append(f"OFD resources: {exc}")
                continue
            if res is None:
                warnings.append(f"OFD resources: {path} is missing")
                continue
            res_dir = posixpath.dirname(path)
            try:
                base = _resolve(res_dir, res.get("BaseLoc") or ".")
            except ParseError as exc:
                warnings.append(f"OFD resources: {exc}")
                continue
            for item in res.iter():
                name = _local(item.tag)
                if name == "MultiMedia" and (file := _child(item, "MediaFile")) is not None:
                    try:
                        found = package.locate(base, _text(file))
                        if not package.has(found) and package.has(beside := package.locate(res_dir, _text(file))):
                            found = beside  # a MediaFile that repeats the BaseLoc (Res/x.png under BaseLoc Res)
                        self.media[item.get("ID", "")] = found
                    except ParseError as exc:
                        warnings.append(f"OFD resources: {exc}")
                elif name == "CompositeGraphicUnit":
                    self.composites[item.get("ID", "")] = item


def read_ofd(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    from .pdf import blocks_from_pages

    limits.check_input_size(data)
    package = _Package(data)
    doc = Document(source_format="ofd")
    root = package.xml("OFD.xml")
    if root is None:
        raise ParseError("corrupt OFD: OFD.xml is missing")
    bodies = [body for body in _children(root, "DocBody") if _text(_child(body, "DocRoot"))]
    if not bodies:
        raise ParseError("corrupt OFD: OFD.xml names no DocRoot")
    if len(bodies) > 1:
        doc.warnings.append(f"OFD holds {len(bodies)} documents; all are read, in order")
    title = _text(_child(_child(bodies[0], "DocInfo"), "Title"))
    if title:
        doc.page_title = title
    run: list[PageGeometry] = []  # consecutive pages read as one text layer (tables may cross them)
    number = 0
    for body in bodies:
        if number >= limits.MAX_PDF_PAGES:
            break
        document_path = package.locate("", _text(_child(body, "DocRoot")))
        document = package.xml(document_path)
        if document is None:
            raise ParseError(f"corrupt OFD: its document {document_path} is missing")
        document_dir = posixpath.dirname(document_path)
        common = _child(document, "CommonData")
        default_box = _page_box(common)
        resources = _Resources()
        declared = [*_children(common, "PublicRes"), *_children(common, "DocumentRes")]
        resources.add(package, document_dir, [_text(e) for e in declared if _text(e)], doc.warnings)
        templates = {t.get("ID", ""): t for t in _children(common, "TemplatePage")}
        pages = _children(_child(document, "Pages"), "Page")
        if not pages:
            raise ParseError(f"corrupt OFD: the document {document_path} lists no pages")
        if number + len(pages) > limits.MAX_PDF_PAGES:
            cap = limits.MAX_PDF_PAGES
            doc.warnings.append(f"OFD has more than {cap} pages; read the first {cap} only")
        for page in pages[: limits.MAX_PDF_PAGES - number]:
            number += 1
            content = _part(package, document_dir, page.get("BaseLoc") or "", f"OFD page {number}", doc.warnings)
            if content is None:
                continue
            page_resources = resources
            if _children(content, "PageRes"):
                page_resources = _Resources(dict(resources.media), dict(resources.composites))
                page_dir = _page_dir(package, document_dir, page)
                page_resources.add(package, page_dir, [_text(e) for e in _children(content, "PageRes")], doc.warnings)
            layers = _template_layers(package, document_dir, templates, content, number, doc.warnings)
            geometry, images, notes = page_geometry(content, default_box, page_resources, layers)
            doc.warnings += [f"OFD page {number}: {note}" for note in notes]
            run.append(geometry)
            if images:
                # A scan, or a picture pasted on the page: an Image block after the page's text,
                # read by OCR where it holds a table or prose (parsers.ocr.resolve_images).
                doc.blocks += blocks_from_pages(run)
                run = []
                doc.blocks += _images(package, page_resources.media, images, number, doc.warnings)
    doc.blocks += blocks_from_pages(run)
    return doc


def _page_dir(package: _Package, document_dir: str, page) -> str:
    return posixpath.dirname(package.locate(document_dir, page.get("BaseLoc") or ""))


def _part(package: _Package, base_dir: str, location: str, what: str, warnings: list[str]):
    """A page's (or template's) XML, or None with a warning where it is missing or broken."""
    if not location.strip():
        warnings.append(f"{what}: it names no content; skipped")
        return None
    try:
        path = package.locate(base_dir, location)
        content = package.xml(path)
    except ParseError as exc:
        warnings.append(f"{what}: {exc}; skipped")
        return None
    if content is None:
        warnings.append(f"{what}: its content {location} is missing; skipped")
    return content


def _template_layers(package, document_dir, templates, page, number, warnings) -> tuple[list, list]:
    """The Content of the template pages a page names: (drawn before its own content, after it)."""
    below, above = [], []
    for use in _children(page, "Template"):
        template = templates.get(use.get("TemplateID", ""))
        if template is None:
            warnings.append(f"OFD page {number}: template {use.get('TemplateID')!r} is not declared; not read")
            continue
        content = _part(package, document_dir, template.get("BaseLoc") or "", f"OFD page {number} template", warnings)
        order = (use.get("ZOrder") or template.get("ZOrder") or "Background").lower()
        (above if order == "foreground" else below).append(_child(content, "Content") if content is not None else None)
    return [c for c in below if c is not None], [c for c in above if c is not None]


def _images(package: _Package, media: dict[str, str], images: list[str], number: int,
            warnings: list[str]) -> list[Image]:
    out = []
    for resource in images:
        path = media.get(resource)
        name = f"OFD page {number} image {resource}"
        try:
            data = package.read(path, limits.MAX_INPUT_BYTES) if path else None
        except ParseError as exc:
            warnings.append(f"{name}: {exc}")
            continue
        if data is None:
            warnings.append(f"{name}: its resource {path or '(undeclared)'} is missing; not read")
            continue
        out.append(Image(src=name, data=data))
    return out


def _box(area) -> tuple[float, float] | None:
    """Width and height (mm) of a page area: its PhysicalBox, else its ApplicationBox (as ofd.js reads it)."""
    for name in ("PhysicalBox", "ApplicationBox"):
        numbers = _numbers(_text(_child(area, name)))
        if len(numbers) == 4:
            return numbers[2], numbers[3]
    return None


def _page_box(common) -> tuple[float, float]:
    """The document's page size (CommonData's PageArea); A4 where none is given."""
    return _box(_child(common, "PageArea")) or (210.0, 297.0)


def _area_box(page, default_box):
    return _box(_child(page, "Area")) or default_box


class _Page:
    """What one page draws, gathered while its objects are walked."""

    def __init__(self, resources: _Resources):
        self.resources = resources
        self.chars: list[tuple[Box, bool]] = []  # (character, starts a word)
        self.horizontal: list[Segment] = []
        self.vertical: list[Segment] = []
        self.images: list[tuple[str, tuple[float, float, float, float]]] = []  # (resource ID, page box)
        self.paths = 0
        self.slanted = 0  # characters drawn at a slant (watermarks)
        self.objects = 0
        self.notes: list[str] = []

    def walk(self, container, matrix: Matrix, composites: int = 0, depth: int = 0) -> None:
        """Draw a layer, page block or composite unit's content: graphic objects are
        read, any other element (PageBlock, a writer's own wrapper) is walked into."""
        if depth > MAX_DEPTH:
            self.notes.append(f"page blocks nested deeper than {MAX_DEPTH}; the inner ones not read")
            return
        for element in container:
            self.objects += 1
            if self.objects > MAX_OBJECTS:
                if self.objects == MAX_OBJECTS + 1:
                    self.notes.append(f"more than {MAX_OBJECTS} objects; the rest not read")
                return
            name = _local(element.tag)
            if name == "TextObject":
                chars, slanted = _characters(element, matrix)
                self.chars += chars
                self.slanted += slanted
            elif name == "PathObject":
                self.paths += 1
                for h, v in _path_lines(element, matrix):
                    self.horizontal += h
                    self.vertical += v
            elif name == "ImageObject":
                # An image fills its unit square, placed by its CTM and Boundary.
                m = _compose(matrix, _placement(element))
                corners = [_apply(m, u, v) for u, v in ((0, 0), (1, 0), (1, 1), (0, 1))]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                self.images.append((element.get("ResourceID", ""), (min(xs), min(ys), max(xs), max(ys))))
            elif name == "CompositeObject":
                unit = self.resources.composites.get(element.get("ResourceID", ""))
                content = _child(unit, "Content")
                if content is None:
                    resource = element.get("ResourceID")
                    self.notes.append(f"composite object {resource!r} has no declared content; not read")
                elif composites >= MAX_NESTING:
                    self.notes.append("composite objects nested too deep; the inner ones not read")
                else:
                    self.walk(content, _compose(matrix, _placement(element)), composites + 1, depth + 1)
            elif name not in _NOT_CONTENT:
                self.walk(element, matrix, composites, depth + 1)


# Elements that hold no page content of their own (a path's clip, a colour's pattern cell).
_NOT_CONTENT = {"Clips", "FillColor", "StrokeColor", "Actions", "Area", "Template", "PageRes"}


def page_geometry(page, default_box: tuple[float, float], resources: _Resources | None = None,
                  templates: tuple[list, list] = ([], [])) -> tuple[PageGeometry, list[str], list[str]]:
    """One page's words and ruling lines (points, top-down), its pictures' resource
    IDs, and notes on what could not be read."""
    width, height = _area_box(page, default_box)
    drawn = _Page(resources or _Resources())
    below, above = templates
    k = POINTS_PER_MM
    scale: Matrix = (k, 0.0, 0.0, k, 0.0, 0.0)
    for content in [*below, _child(page, "Content"), *above]:
        for layer in _children(content, "Layer"):
            drawn.walk(layer, scale)
    if drawn.slanted:
        drawn.notes.append(f"{drawn.slanted} characters drawn at a slant (a watermark?) not read")
    from .pdf import OUTLINED_TEXT_PATHS

    if not drawn.chars and not drawn.images and drawn.paths >= OUTLINED_TEXT_PATHS:
        drawn.notes.append(f"no text, only {drawn.paths} drawings (text drawn as outlines?); nothing read from it")
    chars = [box for box, _ in drawn.chars]
    # A picture under a text layer (a scan with its recognised text, as scanning software
    # writes it) is read from that text, as the PDF reader reads such a page, not by OCR again.
    images = []
    for resource, (x0, y0, x1, y1) in drawn.images:
        covered = sum(1 for c in chars if x0 <= c.cx <= x1 and y0 <= c.cy <= y1)
        if covered >= TEXT_LAYER_CHARS:
            drawn.notes.append(f"picture {resource} lies under {covered} characters of text: read from them, "
                               "not by OCR")
        else:
            images.append(resource)
    return PageGeometry(
        width * k,
        height * k,
        words_from_chars(chars, {id(box) for box, first in drawn.chars if first}),
        drawn.horizontal,
        drawn.vertical,
        pictures=[],
        paths=0,
        chars=chars,
    ), images, list(dict.fromkeys(drawn.notes))


def _compose(outer: Matrix, inner: Matrix) -> Matrix:
    """``outer`` after ``inner``."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (A * a + C * b, B * a + D * b, A * c + C * d, B * c + D * d, A * e + C * f + E, B * e + D * f + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _placement(element) -> Matrix:
    """Object space -> its container's space: the CTM, then the Boundary's origin."""
    boundary = _numbers(element.get("Boundary"))
    ox, oy = (boundary[0], boundary[1]) if len(boundary) >= 2 else (0.0, 0.0)
    ctm = _numbers(element.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else IDENTITY
    return (a, b, c, d, e + ox, f + oy)


def _deltas(text: str | None, count: int | None = None) -> list[float]:
    """DeltaX/DeltaY with the ``g N d`` abbreviation (N advances of d) expanded;
    given ``count``, a list shorter than that is filled with its last value, as
    ofdrw's reader does."""
    out: list[float] = []
    tokens = _DELTA.findall(text or "")
    i = 0
    while i < len(tokens) and len(out) < 100_000:
        if tokens[i] == "g":
            if i + 2 < len(tokens) and tokens[i + 1] != "g" and tokens[i + 2] != "g":
                out += [float(tokens[i + 2])] * max(0, min(int(float(tokens[i + 1])), 100_000))
            i += 3
            continue
        out.append(float(tokens[i]))
        i += 1
    if count is not None and out and len(out) < count:
        out += [out[-1]] * (count - len(out))
    return out


def _turn(degrees: float) -> tuple[float, float, float, float]:
    """The linear part of a clockwise turn (y grows downwards)."""
    r = math.radians(degrees)
    return math.cos(r), math.sin(r), -math.sin(r), math.cos(r)


def _characters(element, matrix: Matrix) -> tuple[list[tuple[Box, bool]], int]:
    """A TextObject's characters as page boxes, and how many were drawn at a slant."""
    m = _compose(matrix, _placement(element))
    size = (_numbers(element.get("Size")) or [3.5])[0]
    hscale = (_numbers(element.get("HScale")) or [1.0])[0] or 1.0
    read = int((_numbers(element.get("ReadDirection")) or [0])[0]) % 360
    turn = (_numbers(element.get("CharDirection")) or [0])[0]
    ga, gb, gc, gd = _turn(turn)  # glyph space -> object space
    # The direction the glyphs' baseline runs on the page decides how the text is read.
    vx, vy = m[0] * ga + m[2] * gb, m[1] * ga + m[3] * gb
    angle = math.degrees(math.atan2(vy, vx)) % 360
    rotation = round(angle / 90) % 4 * 90
    if abs(angle - round(angle / 90) * 90) > SLANT:
        return [], sum(len((c.text or "").strip()) for c in _children(element, "TextCode"))
    # Where a TextCode gives no advances, glyphs follow each other in the reading direction.
    step = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}.get(read, (1, 0))
    # Glyph space -> page: a glyph box's page extent is, per page axis, the sum of the
    # extents its two sides give (the bounding box of a turned rectangle, exactly).
    xu, xv = m[0] * ga + m[2] * gb, m[0] * gc + m[2] * gd
    yu, yv = m[1] * ga + m[3] * gb, m[1] * gc + m[3] * gd
    top, bottom = -ASCENT * size, DESCENT * size
    x_tb = (min(xv * top, xv * bottom), max(xv * top, xv * bottom))
    y_tb = (min(yv * top, yv * bottom), max(yv * top, yv * bottom))
    x_w, y_w = (min(0.0, xu), max(0.0, xu)), (min(0.0, yu), max(0.0, yu))  # per unit of (positive) width
    out: list[tuple[Box, bool]] = []
    x = y = 0.0
    for code in _children(element, "TextCode"):
        # An absent X or Y is the previous TextCode's (GB/T 33190 11.3).
        x = (_numbers(code.get("X")) or [x])[0]
        y = (_numbers(code.get("Y")) or [y])[0]
        text = _INDENT.sub("", code.text or "")
        given_x, given_y = code.get("DeltaX") is not None, code.get("DeltaY") is not None
        dx = _deltas(code.get("DeltaX"), len(text) - 1)
        dy = _deltas(code.get("DeltaY"), len(text) - 1)
        cx, cy, starts = x, y, True
        for i, char in enumerate(text):
            em = size * hscale if ord(char) > 0x2E80 else size * hscale / 2
            if given_x or given_y:
                ax = dx[i] if i < len(dx) else 0.0
                ay = dy[i] if i < len(dy) else 0.0
            else:
                ax, ay = step[0] * (em if step[0] else size), step[1] * size
            if char.isspace():
                starts = True
            else:
                along = ax * ga + ay * gb  # the advance along the glyph's baseline
                width = along if 0 < along <= 1.5 * size else em
                px, py = _apply(m, cx, cy)
                box = Box(px + x_w[0] * width + x_tb[0], py + y_w[0] * width + y_tb[0],
                          px + x_w[1] * width + x_tb[1], py + y_w[1] * width + y_tb[1], char, rotation=rotation)
                out.append((box, starts))
                starts = False
            cx, cy = cx + ax, cy + ay
    return out, 0


def _path_lines(element, matrix: Matrix):
    """Axis-parallel lines of a PathObject: the edges of a stroked path, and the
    thin subpaths of a filled one (points, top-down). Curves end a straight run."""
    stroke = element.get("Stroke", "true").strip().lower() != "false"
    fill = element.get("Fill", "false").strip().lower() == "true"
    data = _child(element, "AbbreviatedData")
    if data is None or not (stroke or fill):
        return
    m = _compose(matrix, _placement(element))
    tokens = _COMMAND.findall(data.text or "")
    subpaths: list[list[tuple[float, float]]] = []
    command = None
    i = 0
    while i < len(tokens) and i < 200_000:
        if tokens[i].isalpha():
            command = tokens[i].upper()
            i += 1
            if command not in _ARGUMENTS:
                command = None
                continue
        elif command in (None, "C"):  # a number where no command takes one
            i += 1
            continue
        # else: numbers after a command's arguments repeat it (M then means L), as in SVG.
        count = _ARGUMENTS[command]
        args = []
        for token in tokens[i : i + count]:
            if token.isalpha():
                break
            args.append(float(token))
        i += len(args)
        if command == "C":
            if subpaths and subpaths[-1]:
                subpaths[-1].append(subpaths[-1][0])
            continue
        if len(args) < count:
            continue
        point = _apply(m, args[-2], args[-1])
        if command in ("M", "S") or not subpaths:
            subpaths.append([point])
            command = "L" if command in ("M", "S") else command
        elif command == "L":
            subpaths[-1].append(point)
        else:  # Q, B, A: a curve is no border
            subpaths.append([point])
    for points in subpaths:
        if len(points) < 2:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if stroke:
            yield _edges(points)
        elif max(ys) - min(ys) <= LINE_WIDTH < max(xs) - min(xs):
            yield [Segment((min(ys) + max(ys)) / 2, min(xs), max(xs))], []
        elif max(xs) - min(xs) <= LINE_WIDTH < max(ys) - min(ys):
            yield [], [Segment((min(xs) + max(xs)) / 2, min(ys), max(ys))]

"""OFD reader (GB/T 33190, China's fixed-layout format): positioned text and
ruling paths into the PDF reader's page model.

An OFD is a ZIP of XML: ``OFD.xml`` names the document (``DocRoot``),
``Document.xml`` lists the pages (``Pages/Page/@BaseLoc``), and each page's
``Content.xml`` holds layers of ``TextObject`` (``Boundary`` box, ``Size``,
optional ``CTM``; ``TextCode`` with ``X``/``Y`` of the baseline and the
advances ``DeltaX``, ``g N d`` meaning N advances of d) and ``PathObject``
(``AbbreviatedData``: ``M``/``S`` move, ``L`` line, ``B``/``Q``/``A``
curves, ``C`` close). Units are millimetres, y grows downwards.

Every character gets its box, characters join into words as on a PDF page,
and paths give the horizontal and vertical ruling lines. The result is a
``pdfium_page.PageGeometry`` per page (in points), so the PDF reader's
table, line and paragraph reading (``pdf.blocks_from_pages``) applies as is.

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
warning. Page templates (running headers) are not read.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

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
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_COMMAND = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Points each path command takes.
_ARGUMENTS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name]


def _child(element, name: str):
    return next(iter(_children(element, name)), None)


def _numbers(text: str | None) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text or "")]


class _Package:
    """The OFD's ZIP, parts read on demand with their inflated bytes counted."""

    def __init__(self, data: bytes):
        limits.check_zip(data)
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise ParseError(f"corrupt OFD: {exc}") from None
        # Part names are case-insensitive in practice (writers differ), so look them up so.
        self.names = {info.filename.lstrip("/").lower(): info for info in self.zip.infolist()}

    def read(self, path: str, cap: int = MAX_PART_BYTES) -> bytes | None:
        info = self.names.get(path.lstrip("/").lower())
        if info is None:
            return None
        try:
            return limits.read_member(self.zip, info, cap)
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
            raise ParseError(f"corrupt OFD part {path}: {' '.join(str(exc).split())}") from None

    def xml(self, path: str):
        info = self.names.get(path.lstrip("/").lower())
        if info is None:
            return None
        try:
            return etree.fromstring(limits.read_member(self.zip, info, MAX_PART_BYTES), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise ParseError(f"corrupt OFD part {path}: {exc}") from None
        except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
            raise ParseError(f"corrupt OFD part {path}: {' '.join(str(exc).split())}") from None


def _resolve(base_dir: str, location: str) -> str:
    """A part name from a location in ``base_dir`` (absolute locations start at the package root)."""
    location = location.strip().replace("\\", "/")
    path = posixpath.normpath(location.lstrip("/") if location.startswith("/") else posixpath.join(base_dir, location))
    if path.startswith("..") or path.startswith("/"):
        raise ParseError(f"corrupt OFD: part location {location!r} leaves the package")
    return path


def read_ofd(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    from .pdf import blocks_from_pages

    limits.check_input_size(data)
    package = _Package(data)
    doc = Document(source_format="ofd")
    root = package.xml("OFD.xml")
    if root is None:
        raise ParseError("corrupt OFD: OFD.xml is missing")
    body = _child(root, "DocBody")
    doc_root = _child(body, "DocRoot") if body is not None else None
    if doc_root is None or not (doc_root.text or "").strip():
        raise ParseError("corrupt OFD: OFD.xml names no DocRoot")
    info = _child(body, "DocInfo")
    if info is not None and (title := _child(info, "Title")) is not None and (title.text or "").strip():
        doc.page_title = title.text.strip()
    document_path = _resolve("", doc_root.text)
    document = package.xml(document_path)
    if document is None:
        raise ParseError(f"corrupt OFD: its document {document_path} is missing")
    document_dir = posixpath.dirname(document_path)
    common = _child(document, "CommonData")
    default_box = _page_box(common)
    media = _media(package, document_dir, common, doc.warnings)
    pages_element = _child(document, "Pages")
    pages = _children(pages_element, "Page") if pages_element is not None else []
    if not pages:
        raise ParseError("corrupt OFD: the document lists no pages")
    if len(pages) > limits.MAX_PDF_PAGES:
        doc.warnings.append(f"OFD has {len(pages)} pages; read the first {limits.MAX_PDF_PAGES} only")
    run: list[PageGeometry] = []  # consecutive pages read as one text layer (tables may cross them)
    for number, page in enumerate(pages[: limits.MAX_PDF_PAGES], start=1):
        location = page.get("BaseLoc") or ""
        try:
            content = package.xml(_resolve(document_dir, location)) if location else None
        except ParseError as exc:
            doc.warnings.append(f"OFD page {number}: {exc}; skipped")
            content = None
        if content is None:
            if location:
                doc.warnings.append(f"OFD page {number}: its content {location} is missing; skipped")
            continue
        geometry, images = page_geometry(content, default_box)
        run.append(geometry)
        if images:
            # A scan, or a picture pasted on the page: an Image block after the page's text,
            # read by OCR where it holds a table or prose (parsers.ocr.resolve_images).
            doc.blocks += blocks_from_pages(run)
            run = []
            doc.blocks += _images(package, media, images, number, doc.warnings)
    doc.blocks += blocks_from_pages(run)
    return doc


def _media(package: _Package, document_dir: str, common, warnings: list[str]) -> dict[str, str]:
    """Resource ID -> part name of every image the document's resource files declare."""
    found: dict[str, str] = {}
    for element in [*_children(common, "PublicRes"), *_children(common, "DocumentRes")] if common is not None else []:
        if not (element.text or "").strip():
            continue
        try:
            path = _resolve(document_dir, element.text)
            res = package.xml(path)
        except ParseError as exc:
            warnings.append(f"OFD resources: {exc}")
            continue
        if res is None:
            warnings.append(f"OFD resources: {path} is missing")
            continue
        base = _resolve(posixpath.dirname(path), res.get("BaseLoc") or ".")
        for item in res.iter():
            if _local(item.tag) == "MultiMedia" and (file := _child(item, "MediaFile")) is not None:
                try:
                    found[item.get("ID", "")] = _resolve(base, file.text or "")
                except ParseError as exc:
                    warnings.append(f"OFD resources: {exc}")
    return found


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


def _page_box(element) -> tuple[float, float]:
    """Width and height (mm) of a PageArea's PhysicalBox; A4 where none is given."""
    area = _child(element, "PageArea") if element is not None else None
    box = _numbers(_child(area, "PhysicalBox").text) if area is not None and _child(area, "PhysicalBox") is not None else []
    return (box[2], box[3]) if len(box) == 4 else (210.0, 297.0)


def page_geometry(page, default_box: tuple[float, float]) -> tuple[PageGeometry, list[str]]:
    """One page's words and ruling lines (points, top-down), and its pictures' resource IDs."""
    width, height = _area_box(page, default_box)
    chars: list[tuple[Box, bool]] = []  # (character, starts a word)
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    images: list[str] = []  # resource IDs of the page's pictures
    content = _child(page, "Content")
    for layer in _children(content, "Layer") if content is not None else []:
        for element in layer.iter():
            name = _local(element.tag)
            if name == "TextObject":
                chars += _characters(element)
            elif name == "PathObject":
                for h, v in _path_lines(element):
                    horizontal += h
                    vertical += v
            elif name == "ImageObject":
                images.append(element.get("ResourceID", ""))
    k = POINTS_PER_MM
    return PageGeometry(
        width * k,
        height * k,
        words_from_chars([box for box, _ in chars], {id(box) for box, first in chars if first}),
        horizontal,
        vertical,
        pictures=[],
        paths=0,
        chars=[box for box, _ in chars],
    ), images


def _area_box(page, default_box):
    area = _child(page, "Area")
    box = _child(area, "PhysicalBox") if area is not None else None
    numbers = _numbers(box.text) if box is not None else []
    return (numbers[2], numbers[3]) if len(numbers) == 4 else default_box


def _transform(element):
    """Object space -> page space (mm): the CTM, then the Boundary's origin."""
    boundary = _numbers(element.get("Boundary"))
    ox, oy = (boundary[0], boundary[1]) if len(boundary) >= 2 else (0.0, 0.0)
    ctm = _numbers(element.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return lambda x, y: (a * x + c * y + e + ox, b * x + d * y + f + oy), (abs(a * d - b * c) ** 0.5 or 1.0)


def _deltas(text: str | None) -> list[float]:
    """DeltaX/DeltaY with the ``g N d`` abbreviation (N advances of d) expanded."""
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    while i < len(tokens) and len(out) < 100_000:
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                out += [float(tokens[i + 2])] * min(int(float(tokens[i + 1])), 100_000)
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(tokens[i]))
        except ValueError:
            pass
        i += 1
    return out


def _characters(element) -> list[tuple[Box, bool]]:
    to_page, scale = _transform(element)
    size = (_numbers(element.get("Size")) or [3.5])[0] * scale
    k = POINTS_PER_MM
    out: list[tuple[Box, bool]] = []
    x = y = 0.0
    for code in _children(element, "TextCode"):
        x = (_numbers(code.get("X")) or [x])[0]
        y = (_numbers(code.get("Y")) or [y])[0]
        text = code.text or ""
        dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
        cx, cy, starts = x, y, True
        for i, char in enumerate(text):
            advance = dx[i] if i < len(dx) else (size if ord(char) > 0x2E80 else size / 2) / scale
            if char.isspace():
                starts = True
            else:
                left, baseline = to_page(cx, cy)
                right, _ = to_page(cx + advance, cy)
                box = Box(left * k, (baseline - ASCENT * size) * k, max(right, left + 0.1) * k,
                          (baseline + DESCENT * size) * k, char)
                out.append((box, starts))
                starts = False
            cx += advance
            if i < len(dy):
                cy += dy[i]
        x = cx  # a TextCode without X continues where the previous one ended
    return out


def _path_lines(element):
    """Axis-parallel lines of a PathObject: the edges of a stroked path, and the
    thin subpaths of a filled one (points, top-down). Curves end a straight run."""
    stroke = element.get("Stroke", "true").lower() != "false"
    fill = element.get("Fill", "false").lower() == "true"
    data = _child(element, "AbbreviatedData")
    if data is None or not (stroke or fill):
        return
    to_page, _ = _transform(element)
    k = POINTS_PER_MM
    tokens = _COMMAND.findall(data.text or "")
    subpaths: list[list[tuple[float, float]]] = []
    i = 0
    while i < len(tokens) and i < 200_000:
        command = tokens[i]
        count = _ARGUMENTS.get(command.upper())
        if count is None:
            i += 1
            continue
        args = []
        for token in tokens[i + 1 : i + 1 + count]:
            try:
                args.append(float(token))
            except ValueError:
                break
        i += 1 + len(args)
        if len(args) < count:
            continue
        command = command.upper()
        if command == "C":
            if subpaths and subpaths[-1]:
                subpaths[-1].append(subpaths[-1][0])
            continue
        px, py = to_page(args[-2], args[-1])
        point = (px * k, py * k)
        if command in ("M", "S") or not subpaths:
            subpaths.append([point])
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

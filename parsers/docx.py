"""Word 2007+ documents (.docx, and what LibreOffice converts .doc/.wps/.rtf/.odt to) → Document.

The package is read with zipfile and lxml (``_Package``); the body is read
from its XML in document order: paragraphs (a line break inside one starts a
new Paragraph), tables with merged cells resolved (``gridSpan`` → colspan,
``vMerge`` restart/continue → rowspan), inline pictures with their bytes. Cell text keeps its line
breaks as ``\\n``; a table nested in a cell becomes one line per row.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from . import limits
from .document import Document, Image, Paragraph, Table
from .errors import ParseError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_T, _TAB = W + "t", W + "tab"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def read_docx(data: bytes, **_context) -> Document:
    if not data:
        raise ParseError("empty file")
    limits.check_input_size(data)
    # Before anything is inflated: a bomb is refused from the ZIP directory.
    limits.check_zip(data)
    package = _Package(data)
    body = package.body
    # Text boxes and shapes come twice, as DrawingML and as a VML fallback: keep one.
    for fallback in list(body.iter(_MC_FALLBACK)):
        fallback.getparent().remove(fallback)
    reader = _BodyReader(package)
    reader.read(body)
    return Document(blocks=reader.blocks, source_format="docx", warnings=reader.warnings)


# The main part of a document, a template (.dotx) or a macro-enabled file (.docm, .dotm):
# the same document XML under four content types.
_WORD_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
_OFFICE_DOCUMENT = ("/officeDocument/2006/relationships/officeDocument",  # transitional
                    "/officeDocument/relationships/officeDocument")  # strict
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# As python-docx parses (blank text between elements dropped, no entities resolved: no
# XXE), and never from the network.
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class _Relationship:
    type: str
    target: str  # a part name ("/word/media/image1.png") or, external, the URL
    is_external: bool


class _Package:
    """The parts of a Word package the reader needs, straight from the ZIP with lxml.

    python-docx opened every part (styles, numbering, settings, themes) into its
    object model before the body was read: a third of a report's reading time.
    Here the main document part is found through ``_rels/.rels`` and parsed alone;
    images and embedded chunks are read when a relationship is followed.
    """

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.content_types = self._content_types()
            main = self._main_part()
            if self.content_type(main) not in _WORD_MAIN_TYPES:
                raise ParseError(f"corrupt DOCX: its main part is not a Word document ({self.content_type(main)})")
            self.body = etree.fromstring(self.blob(main), _PARSER).find(W + "body")
            if self.body is None:
                raise ParseError("corrupt DOCX: the document has no body")
            self.rels = self._relationships(main)
        except ParseError:
            raise
        # A malformed package has no single error: a missing part is a KeyError, bad XML an
        # XMLSyntaxError, a damaged member a BadZipFile or zlib error.
        except Exception as exc:  # noqa: BLE001
            detail = str(exc).splitlines()[0] if str(exc) else ""
            raise ParseError(f"corrupt DOCX: {type(exc).__name__} {detail}".strip()) from None

    def blob(self, partname: str) -> bytes:
        return self.zip.read(partname.lstrip("/"))

    def content_type(self, partname: str) -> str | None:
        overrides, defaults = self.content_types
        return overrides.get(partname.lower()) or defaults.get(posixpath.splitext(partname)[1][1:].lower())

    def _content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        root = etree.fromstring(self.zip.read("[Content_Types].xml"), _PARSER)
        overrides = {e.get("PartName", "").lower(): e.get("ContentType") for e in root.iter(_CONTENT_TYPES + "Override")}
        defaults = {e.get("Extension", "").lower(): e.get("ContentType") for e in root.iter(_CONTENT_TYPES + "Default")}
        return overrides, defaults

    def _main_part(self) -> str:
        for rel in self._relationships("/").values():
            if rel.type.endswith(_OFFICE_DOCUMENT) and not rel.is_external:
                return rel.target
        return "/word/document.xml"  # where every Word writes it, if the package lost its index

    def _relationships(self, partname: str) -> dict[str, _Relationship]:
        folder, name = posixpath.split(partname)
        rels_name = posixpath.join(folder, "_rels", f"{name}.rels").lstrip("/")
        if rels_name not in self.zip.namelist():
            return {}
        root = etree.fromstring(self.zip.read(rels_name), _PARSER)
        return {
            rel.get("Id"): _Relationship(rel.get("Type", ""), target, True) if rel.get("TargetMode") == "External"
            else _Relationship(rel.get("Type", ""), _resolve(folder, target), False)
            for rel in root.iter(_RELATIONSHIPS)
            if (target := rel.get("Target")) is not None
        }


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as an absolute part name ("media/a.png" from /word -> /word/media/a.png)."""
    return posixpath.normpath(target if target.startswith("/") else posixpath.join(folder or "/", target))


class _BodyReader:
    def __init__(self, package: _Package) -> None:
        self.package = package
        self.blocks: list = []
        self.warnings: list[str] = []

    def read(self, container) -> None:
        for child in container:
            if child.tag == W + "p":
                self.paragraph(child)
            elif child.tag == W + "tbl":
                self.table(child)
            elif child.tag in (W + "customXml", W + "sdtContent", W + "ins", W + "smartTag"):
                # Content controls and tracked insertions wrap ordinary body content.
                self.read(child)
            elif child.tag == W + "sdt":
                self.read(child.findall(W + "sdtContent"))
            elif child.tag == W + "altChunk":
                self.alt_chunk(child)

    def alt_chunk(self, element) -> None:
        """A chunk of another format embedded whole (CMS exports embed HTML this way)."""
        rel = self.package.rels.get(element.get(R + "id"))
        blob = None if rel is None or rel.is_external else self._blob(rel.target)
        if blob is None:
            self.warnings.append("DOCX: an embedded altChunk has no content; skipped")
            return
        content_type = self.package.content_type(rel.target)
        if content_type in ("text/html", "application/xhtml+xml"):
            from .html import read_html

            chunk = read_html(blob)
            self.blocks.extend(chunk.blocks)
            self.warnings.extend(chunk.warnings)
        else:
            self.warnings.append(f"DOCX: embedded altChunk of type {content_type} not read")

    def paragraph(self, p) -> None:
        for line in paragraph_text(p).split("\n"):
            line = line.strip()
            if line:
                self.blocks.append(Paragraph(line))
        self.blocks.extend(self.images(p))

    def table(self, tbl) -> None:
        rows = _table_spans(tbl)
        if any(text for row in rows for text, _, _ in row):
            self.blocks.append(Table.from_spans(rows))
        # Pictures in cells (often the table itself, pasted as an image) follow the table.
        self.blocks.extend(self.images(tbl))

    def images(self, container) -> list[Image]:
        """Pictures under a paragraph or table, by their relationship to the package."""
        found = []
        for picture in container.iter(_BLIP, _VML_IMAGE):
            embed = picture.get(R + "embed") or picture.get(R + "id")
            link = picture.get(R + "link")
            rels = self.package.rels
            if embed and embed in rels:
                target = rels[embed]
                if target.is_external:
                    found.append(Image(src=target.target))
                elif (data := self._blob(target.target)) is not None:
                    found.append(Image(src=target.target, data=data))
            elif link and link in rels:
                found.append(Image(src=rels[link].target))
        return found

    def _blob(self, partname: str) -> bytes | None:
        """A related part's bytes; a part the package lacks is a warning, the rest is still read."""
        try:
            return self.package.blob(partname)
        except (KeyError, zipfile.BadZipFile, zlib.error) as exc:
            self.warnings.append(f"DOCX: part {partname} cannot be read ({type(exc).__name__}); skipped")
            return None


def paragraph_text(p) -> str:
    """A w:p's printed text: runs, tabs, and line breaks as "\\n" (deleted text excluded)."""
    if next(p.iter(W + "br", W + "cr", W + "tab", W + "noBreakHyphen"), None) is None:
        return "".join(p.itertext(W + "t", with_tail=False))  # the common case, without a Python loop
    out = []
    for element in p.iter(W + "t", W + "tab", W + "br", W + "cr", W + "noBreakHyphen"):
        if element.tag == W + "t":
            out.append(element.text or "")
        elif element.tag == W + "tab":
            # w:tab also appears in w:pPr/w:tabs as a tab-stop definition: not text.
            if element.getparent().tag != W + "tabs":
                out.append("\t")
        elif element.tag == W + "noBreakHyphen":
            out.append("-")
        else:
            out.append("\n")
    return "".join(out)


_NS = {"w": W[1:-1]}
# A cell's printed pieces in document order: paragraph starts, text, tabs, breaks.
_CELL_PIECES = etree.XPath(
    "w:p | w:p//w:t | w:p//w:br | w:p//w:cr | w:p//w:tab[not(parent::w:tabs)]", namespaces=_NS
)
# Most cells are one paragraph of plain runs; their text is read as strings only.
_CELL_IS_SIMPLE = etree.XPath(
    "count(*) - count(w:tcPr) = 1 and w:p"
    " and not(w:p//w:br or w:p//w:cr or w:p//w:r/w:tab or w:p//w:noBreakHyphen)",
    namespaces=_NS,
)
_CELL_RUN_TEXT = etree.XPath("w:p//w:t/text()", namespaces=_NS, smart_strings=False)
# A cell's merge marks as one string, "gridSpan|has vMerge|vMerge value" ("2|1|restart").
_CELL_MERGE = etree.XPath(
    "concat(string(w:tcPr/w:gridSpan/@w:val), '|', count(w:tcPr/w:vMerge), '|', string(w:tcPr/w:vMerge/@w:val))",
    namespaces=_NS,
)


def _cell_text(tc) -> str:
    if _CELL_IS_SIMPLE(tc):
        return "".join(_CELL_RUN_TEXT(tc)).replace("\u3000", " ").strip()
    if tc.find(W + "tbl") is not None or tc.find(W + "sdt") is not None:
        return _nested_cell_text(tc)
    # One XPath call per cell instead of a walk per paragraph: cells are most of a report.
    pieces = []
    for node in _CELL_PIECES(tc):
        tag = node.tag
        if tag == _T:
            pieces.append(node.text or "")
        elif tag == _TAB:
            pieces.append("\t")
        else:  # a paragraph start, w:br, w:cr
            pieces.append("\n")
    return _tidy("".join(pieces))


def _nested_cell_text(tc) -> str:
    lines = []
    for child in tc:
        if child.tag == W + "p":
            lines.append(paragraph_text(child))
        elif child.tag == W + "tbl":
            for row in _table_spans(child):
                lines.append(" ".join(text.replace("\n", " ") for text, _, _ in row if text))
        elif child.tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                lines.extend(paragraph_text(p) for p in content.iter(W + "p"))
    return _tidy("\n".join(lines))


def _tidy(text: str) -> str:
    text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
    return text.replace("\u3000", " ").strip()


def _table_spans(tbl) -> list[list[tuple[str, int, int]]]:
    """Rows of (text, rowspan, colspan) listing the cells that start in each row.

    Word marks a vertical merge with ``vMerge restart`` on the top cell and
    ``vMerge`` (continue) on each cell below at the same grid column; the
    rowspan is the length of that run.
    """
    layout = []  # per row: list of (grid column, colspan, vmerge, tc)
    for tr in _own_rows(tbl):
        column = _int(tr.find(f"{W}trPr/{W}gridBefore"), 0, low=0)
        cells = []
        for tc in _row_cells(tr):
            # Read as one string, without building element objects for tcPr and its children.
            span_text, merged, merge_value = _CELL_MERGE(tc).split("|")
            span = max(1, min(int(span_text), 1000)) if span_text.isdigit() else 1
            vmerge = (merge_value or "continue") if merged != "0" else None
            cells.append((column, span, vmerge, tc))
            column += span
        layout.append(cells)
    continues = [{column for column, _, vmerge, _ in cells if vmerge == "continue"} for cells in layout]
    rows = []
    merging: set[int] = set()  # grid columns where a vertical merge runs down from the row above
    for r, cells in enumerate(layout):
        row = []
        if cells and cells[0][0] > 0:
            row.append(("", 1, cells[0][0]))  # gridBefore: an empty leading position
        for column, span, vmerge, tc in cells:
            # A "continue" with nothing above to continue is printed as a cell of its own.
            if vmerge == "continue" and column in merging:
                continue
            rowspan = 1
            if vmerge == "restart":
                while r + rowspan < len(layout) and column in continues[r + rowspan]:
                    rowspan += 1
            row.append((_cell_text(tc), rowspan, span))
        merging = {column for column, _, vmerge, _ in cells if vmerge}
        rows.append(row)
    return rows


def _own_rows(tbl):
    """The table's w:tr (not a nested table's), including those wrapped in content controls."""
    for child in tbl:
        if child.tag == W + "tr":
            yield child
        elif child.tag in (W + "sdt", W + "customXml"):
            content = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
            yield from (content.findall(W + "tr") if content is not None else ())


def _row_cells(tr):
    """The row's w:tc, including those wrapped in content controls."""
    for child in tr:
        if child.tag == W + "tc":
            yield child
        elif child.tag in (W + "sdt", W + "customXml"):
            yield from child.iter(W + "tc")


def _int(element, default: int, low: int = 1) -> int:
    if element is None:
        return default
    try:
        return max(low, min(int(element.get(W + "val")), 1000))
    except (TypeError, ValueError):
        return default

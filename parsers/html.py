"""HTML pages (Hanweb JCMS articles, xxgk annual-report pages, saved pages) → Document.

Three steps: decode the bytes (``decode_html``), find the article body
(``find_body``), walk it into paragraphs, tables and images (``_Walker``).
Everything outside the body (navigation, header, footer, share bars,
scripts) is dropped; inside it, scripts, styles, share bars and the xxgk
metadata table (索引号 …) are dropped too, the latter after lending its
dates to ``page_date``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from . import limits
from .document import Document, Image, Paragraph, Table
from .errors import ParseError

# An <img> file read from a saved page's folder is at most this big.
MAX_IMAGE_BYTES = 20 * 1024 * 1024

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Hanweb JCMS wraps the article text in these comment markers.
_BODY_MARKERS = (
    ("<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->"),
    ("<!--<$[信息内容]>begin-->", "<!--<$[信息内容]>end-->"),
)
# Known article containers: Hanweb (#zoom, old td.bt_content .art_con), TRS, Ucap.
_BODY_SELECTORS = tuple(etree.XPath(selector) for selector in (
    "//*[@id='zoom']",
    "//td[contains(concat(' ', normalize-space(@class), ' '), ' bt_content ')]"
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' art_con ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' art_con ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='UCAP-CONTENT']",
))
_DATE_LABEL = re.compile(
    r"(?:发布日期|发布时间|发文日期|成文日期)\s*[:：]?\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_ISO_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0\u3000\u200b]+")
# Never part of the report: scripts, forms and page chrome.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed",
    "select", "button", "input", "textarea", "link", "meta",
)  # fmt: skip
# Class/id words of page chrome, matched as whole words of the attribute ("nb_print", "bdsharebuttonbox").
_CHROME = re.compile(
    r"(?:^|[\s_-])"
    r"(?:share\w*|bdshare\w*|fenxiang|print|tools?|position|breadcrumbs?|crumbs?|nav\w*|footer|header|search)"
    r"(?:$|[\s_-])",
    re.I,
)
_METADATA_FIELDS = ("发布机构", "发布单位", "成文日期", "文号", "公开方式", "主题分类", "内容分类")
# Elements that may be page chrome when their class/id says so (never table parts).
_CHROME_TAGS = ("div", "ul", "ol", "dl", "span", "p", "a", "nav", "header", "footer", "section")
_BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section",
    "article", "blockquote", "pre", "center", "address", "header", "footer", "main", "form", "hr",
    "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "figure", "figcaption", "body", "html",
}
_LEADING_NUMBER = re.compile(r"\s*(\d{1,9})")
# Descendants that break a cell's text into lines; XPath answers with numbers and
# strings, so the common cell costs no element objects.
_BREAKING = (
    "descendant::*[self::br or self::p or self::div or self::li or self::table or self::tr"
    " or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
)
_LINE_BREAKS = etree.XPath(f"count({_BREAKING})")
_HAS_BR = etree.XPath("boolean(descendant::br)")
_STRING = etree.XPath("string()", smart_strings=False)
_FIRST_BREAKING_STRING = etree.XPath(f"string(({_BREAKING})[1])", smart_strings=False)
# Plain strings and numbers straight from libxml2: no element objects, no Python joins.
_BODY_TEXT = etree.XPath("//body//text()", smart_strings=False)
_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_GBK_FAMILY = {"gbk", "gb2312", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "936", "euc-cn", "csgb2312"}


def read_html(
    data: bytes, *, filename: str | None = None, content_type: str | None = None, base_dir=None, **_context
) -> Document:
    limits.check_input_size(data)
    text, warnings = decode_html(data, content_type)
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise ParseError("empty HTML page")
    page = _parse(text, warnings)
    page_title = _meta(page, "ArticleTitle") or _title(page)
    for element in list(page.iter("script", "style", "noscript", "template")):
        _remove(element)
    page_date = _iso(_meta(page, "PubDate")) or _labelled_date(page)
    body = find_body(page, text)
    meta_date = _drop_metadata_tables(body)
    page_date = page_date or meta_date
    _drop_chrome(body)
    walker = _Walker(Path(base_dir) if base_dir else None, warnings)
    walker.walk(body)
    return Document(
        blocks=walker.finish(),
        page_title=page_title,
        page_date=page_date,
        source_format="html",
        warnings=warnings,
    )


# --- decoding ----------------------------------------------------------------------------


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, list[str]]:
    """Decode by BOM, then HTTP header charset, then ``<meta charset>``, then sniffing.

    The BOM goes first because it cannot lie (as browsers do). A declared
    charset that does not decode the page (a GBK page labelled UTF-8), or a
    GBK label on bytes that are valid UTF-8, is overruled, with a warning.
    GBK and GB2312 are read as their superset GB18030.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace"), []
    warnings: list[str] = []
    declared = None
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        declared = match and match.group(1)
    if not declared:
        match = _CHARSET.search(data[:8192])
        declared = match and match.group(1).decode("ascii", "replace")
    encoding = _normalise_encoding(declared) if declared else None
    if encoding and encoding != "utf-8" and not data.isascii() and _is_utf8(data):
        # Non-ASCII bytes that are valid UTF-8 are practically never GBK: the label is stale
        # (a page converted to UTF-8 that kept its old <meta charset=gbk>).
        warnings.append(f"HTML: page declares charset {declared} but is UTF-8; read as UTF-8")
        return data.decode("utf-8"), warnings
    if encoding:
        try:
            return data.decode(encoding), warnings
        except UnicodeDecodeError:
            warnings.append(f"HTML: page declares charset {declared} but does not decode as it; sniffed instead")
        except LookupError:
            warnings.append(f"HTML: unknown charset {declared}; sniffed instead")
    return data.decode(_sniff(data), "replace"), warnings


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _normalise_encoding(name: str) -> str | None:
    name = name.strip().lower()
    if name in _GBK_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _sniff(data: bytes) -> str:
    if _is_utf8(data):
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data[:256 * 1024]).best()
    encoding = best.encoding if best else "gb18030"
    # charset-normalizer names the GB family variously; the superset reads them all.
    return "gb18030" if encoding.replace("_", "").lower() in {"gbk", "gb2312", "gb18030", "cp936"} else encoding


# --- parsing ------------------------------------------------------------------------------

def _parse(text: str, warnings: list[str] | None = None):
    # lxml's plain HTML parser (lxml.html's element classes cost a Python lookup per
    # node); huge_tree, or libxml2 drops everything nested deeper than 256 elements.
    parser = etree.HTMLParser(remove_blank_text=False, remove_comments=False, huge_tree=True)
    try:
        page = etree.fromstring(text, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"unparseable HTML: {exc}") from None
    if page is None:
        raise ParseError("unparseable HTML: no elements")
    if warnings is not None and any("Excessive depth" in e.message for e in parser.error_log):
        warnings.append("HTML: elements nested past libxml2's depth limit; text inside them is lost")
    return page


def _text(element) -> str:
    """The text under an element (read_html has removed scripts and styles by then)."""
    return "".join(element.itertext())


# --- page metadata -----------------------------------------------------------------------


def _meta(page, name: str) -> str | None:
    for meta in page.iter("meta"):
        if (meta.get("name") or "").lower() == name.lower():
            content = _clean(meta.get("content") or "")
            if content:
                return content
    return None


def _title(page) -> str | None:
    title = page.find(".//title")
    return _clean(_text(title)) or None if title is not None else None


def _iso(text: str | None) -> str | None:
    match = _ISO_DATE.search(text or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _labelled_date(page) -> str | None:
    """The first 发布日期:/发布时间: date printed on the page (outside scripts)."""
    for match in _DATE_LABEL.finditer("\n".join(_BODY_TEXT(page))):
        if not match.group(0).startswith("成文日期"):
            return _iso(match.group(0))
    return None


# --- finding the article body ------------------------------------------------------------


def find_body(page, text: str):
    """The element holding the report: inside the JCMS markers, else a known CMS
    container, else the densest text block (other CMSs, xxgk annual-report pages)."""
    for begin, end in _BODY_MARKERS:
        start = text.find(begin)
        stop = text.rfind(end)
        if 0 <= start < stop:
            fragment = text[start + len(begin) : stop]
            body = _parse(f"<div>{fragment}</div>").find(".//body/div")
            if body is not None and (_clean(_text(body)) or body.find(".//img") is not None):
                return body
    for selector in _BODY_SELECTORS:
        found = selector(page)
        if found:
            return found[0]
    return _densest(page)


def _densest(page):
    """Readability's idea: each paragraph or table scores its parent (and half its
    grandparent) with its text length; links count against. The best-scored
    container is the article. Falls back to <body>."""
    scores: dict = {}
    for element in page.iter("p", "table", "td", "pre", "h1", "h2", "h3", "span", "font"):
        if element.tag in ("td", "span", "font") and next(element.iter("p"), None) is not None:
            continue
        score = _TEXT_LENGTH(element)
        if score > 10 and next(element.iter("a"), None) is not None:
            score -= 2 * sum(_TEXT_LENGTH(a) for a in element.iter("a"))
        if score <= 10:
            continue
        parent = element.getparent()
        while parent is not None and parent.tag in ("tbody", "tr", "thead", "td", "table") and element.tag == "table":
            parent = parent.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + score
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0) + score / 2
    if not scores:
        body = page.find(".//body")
        return body if body is not None else page
    return max(scores, key=scores.get)


def _drop_metadata_tables(body) -> str | None:
    """Remove xxgk metadata tables (索引号 / 发布机构 / 成文日期 …); return their date."""
    date = None
    for table in list(body.iter("table")):
        text = _clean(_text(table))
        if "索引号" in text[:60] and any(field in text for field in _METADATA_FIELDS):
            labelled = _DATE_LABEL.search(text)
            date = date or _iso(labelled.group(0) if labelled else None)
            _remove(table)
    return date


def _drop_chrome(body) -> None:
    for element in list(body.iter(*_DROP_TAGS)):
        _remove(element)
    for element in list(body.iter(*_CHROME_TAGS)):
        if element is body:
            continue
        marks = f"{element.get('class') or ''} {element.get('id') or ''}"
        if _CHROME.search(marks) and len(_clean(_text(element))) < 200:
            _remove(element)


def _remove(element) -> None:
    """Remove an element but keep the text after it (its tail) in the tree."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


# --- walking the body into blocks --------------------------------------------------------


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class _Walker:
    """Depth-first over the body: text accumulates into the current line;
    block elements and <br> end it; tables and images become their own blocks."""

    def __init__(self, base_dir: Path | None, warnings: list[str]) -> None:
        self.base_dir = base_dir.resolve() if base_dir else None
        self.warnings = warnings
        self.blocks: list = []
        self.line: list[str] = []

    def finish(self) -> list:
        self.end_line()
        return self.blocks

    def end_line(self) -> None:
        text = _clean("".join(self.line))
        self.line = []
        if text:
            self.blocks.append(Paragraph(text))

    def walk(self, root) -> None:
        """Iteratively (real pages nest deeper than Python recurses): start and end
        events, text before an element's children, its tail after its end."""
        for node in root.xpath(".//comment() | .//processing-instruction()"):
            _remove(node)  # iterwalk does not visit them; their tails are text
        if root.text:
            self.line.append(root.text)
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, element in walker:
            if element is root:
                continue
            tag = element.tag.lower()
            if event == "start":
                if tag in ("br", "img", "table") or tag in _BLOCK_TAGS:
                    self.end_line()
                if tag == "img":
                    self.blocks.append(self.image(element))
                elif tag == "table" and self.table(element):
                    walker.skip_subtree()
                    continue
                if element.text:
                    self.line.append(element.text)
            else:
                if tag in _BLOCK_TAGS or tag == "table":
                    self.end_line()
                if element.tail:
                    self.line.append(element.tail)

    def table(self, element) -> bool:
        """Add a data table; False for a one-column table, which is page layout
        (a frame around the text) whose cells the walk reads as paragraphs."""
        rows = _rows(element)
        if all(sum(_span(cell, "colspan") for cell in row) <= 1 for row in rows):
            return False
        try:
            texts = [[_cell_text(cell) for cell in row] for row in rows]
        except RecursionError:
            # Tables nested in cells hundreds deep: keep each cell's text on one line.
            self.warnings.append("HTML: tables nested too deep in a cell; its lines were joined")
            texts = [[_clean(_text(cell)) for cell in row] for row in rows]
        spans = [
            [(text, _span(cell, "rowspan"), _span(cell, "colspan")) for cell, text in zip(row, row_texts)]
            for row, row_texts in zip(rows, texts)
        ]
        if any(text for row in spans for text, _, _ in row):
            self.blocks.append(Table.from_spans(spans))
        for row in rows:
            for cell in row:
                for img in cell.iter("img"):
                    self.blocks.append(self.image(img))
        return True

    def image(self, element) -> Image:
        src = element.get("src") or element.get("data-src") or element.get("original") or ""
        return Image(src=src, alt=_clean(element.get("alt") or element.get("title") or ""), data=self.load(src))

    def load(self, src: str) -> bytes | None:
        """Image bytes from a data: URI or a file under base_dir (never outside it)."""
        if src.startswith("data:"):
            header, _, payload = src.partition(",")
            if ";base64" not in header or len(payload) > MAX_IMAGE_BYTES * 4 // 3:
                return None
            try:
                return base64.b64decode(payload, validate=False)
            except (binascii.Error, ValueError):
                self.warnings.append("HTML: an inline image's data: URI is corrupt")
                return None
        if self.base_dir is None or not src:
            return None
        parts = urlsplit(src)
        # An absolute http(s) URL is looked up by its path alone: the archive lays a
        # report's originals out at their URL paths, host dropped (archive.reparse).
        if parts.scheme not in ("", "http", "https"):
            return None
        path = (self.base_dir / unquote(parts.path).lstrip("/")).resolve()
        if not path.is_relative_to(self.base_dir) or not path.is_file():
            return None
        if path.stat().st_size > MAX_IMAGE_BYTES:
            self.warnings.append(f"HTML: image {src} exceeds {MAX_IMAGE_BYTES // 2**20} MB; not loaded")
            return None
        return path.read_bytes()


def _rows(table) -> list[list]:
    """The table's own rows (not those of tables nested in its cells), as lists of cells."""
    return [
        [cell for cell in tr if isinstance(cell.tag, str) and cell.tag.lower() in ("td", "th")]
        for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    ]


def _span(cell, name: str) -> int:
    value = cell.get(name)
    if value is None:
        return 1
    match = _LEADING_NUMBER.match(value)
    # rowspan="0" ("to the end") and absurd spans are read as what a report can mean.
    return min(max(int(match.group(1)), 1), 1000) if match else 1


def _cell_text(cell) -> str:
    """A cell's text with its line breaks (<br>, <p>, nested rows) as "\\n"."""
    # Most cells hold one number or label, at most in one <p> (no <br>): no walk needed.
    breaks = _LINE_BREAKS(cell)
    if breaks == 0 or (breaks == 1 and not _HAS_BR(cell)):
        text = _clean(_STRING(cell))
        if breaks == 0 or text == _clean(_FIRST_BREAKING_STRING(cell)):
            return text
    lines: list[str] = []
    current: list[str] = []

    def end() -> None:
        text = _clean("".join(current))
        current.clear()
        if text:
            lines.append(text)

    def walk(element) -> None:
        if element.text:
            current.append(element.text)
        for child in element:
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag == "br":
                end()
            elif tag in ("table", "tr"):
                # A table nested in a cell: one line per row, cells separated by a space.
                end()
                for row in _rows(child) if tag == "table" else [child]:
                    lines.append(" ".join(filter(None, (_cell_text(c) for c in row))).strip())
            elif tag in _BLOCK_TAGS:
                end()
                walk(child)
                end()
            elif tag not in _DROP_TAGS and tag:
                walk(child)
            if child.tail:
                current.append(child.tail)

    walk(cell)
    end()
    return "\n".join(line for line in lines if line)

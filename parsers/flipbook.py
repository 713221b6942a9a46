"""Flip-books: a report published as FlipBuilder ("Flip PDF") pages.

Such a book keeps one ``files/basic-html/pageN.html`` per printed page,
with the page's text in ``.text-container pre code`` (one PDF line per
line), the viewer's chrome ("Page N - title", "P. N") around it, and page
images in ``files/mobile/N.jpg`` (``files/thumb/N.jpg`` as a last resort).
``read_pages`` joins a book's pages, in page order, into one Document:
wrapped lines of a paragraph are merged (Chinese without spaces), table
cells, which these books print one per line, stay one line each, and a
page without a text layer is read from its page image by OCR.

    >>> doc = read_pages("book/files/basic-html")          # a directory
    >>> doc = read_pages(["page1.html", "page2.html"])     # or the page files
    >>> doc = read_pages([page1_bytes, page2_bytes])        # or their bytes
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterable

from . import limits
from .document import Block, Document, Paragraph
from .errors import ParseError

_PAGE_FILE = re.compile(r"page(\d{1,6})\.html?$", re.IGNORECASE)
_TITLE = re.compile(r"^\s*Page\s+(\d{1,6})\s*-\s*(.*)$", re.IGNORECASE | re.DOTALL)
_CHROME = re.compile(r"^\s*(Page\s+\d+\s*-.*|P\.\s*\d+)\s*$", re.IGNORECASE)
# Lines that always start a paragraph: headings, list items, the closing date.
_STARTS = re.compile(
    r"^\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[.、．]|附件|附表)"
)
_NUMBER = re.compile(r"^[-—–/0-9０-９.,，%]+$")


class _Page:
    def __init__(self, number: int | None, title: str | None, lines: list[str], source: Path | None):
        self.number, self.title, self.lines, self.source = number, title, lines, source


def read_pages(pages: str | Path | Iterable[str | Path | bytes]) -> Document:
    """Join one book's pages (a directory, page files or page bytes) into a Document."""
    parsed = [_read_page(data, path, k) for k, (data, path) in enumerate(_inputs(pages))]
    if not parsed:
        raise ParseError("no flip-book pages (pageN.html) found")
    parsed.sort(key=lambda page: page.number)
    doc = Document(source_format="flipbook")
    doc.page_title = next((p.title for p in parsed if p.title), None)
    numbers = [p.number for p in parsed]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        doc.warnings.append(f"flip-book pages given twice (first copy read): {', '.join(map(str, repeated))}")
        parsed = [p for k, p in enumerate(parsed) if p.number not in numbers[:k]]
    # Bounded: a page claiming to be "Page 999999999" must not build a huge range.
    missing = sorted(set(range(1, min(max(numbers), len(parsed) + 100) + 1)) - set(numbers))
    if missing:
        doc.warnings.append(f"flip-book pages missing: {', '.join(map(str, missing[:50]))}")
    lines: list[str] = []
    ocr_pages = 0
    for page in parsed:
        if page.lines:
            lines += page.lines
            continue
        if ocr_pages >= limits.MAX_OCR_PAGES:
            doc.warnings.append(f"flip-book page {page.number} not read: OCR page cap reached")
            continue
        blocks = _ocr_page(page, doc)
        ocr_pages += blocks is not None
        if blocks is not None:
            doc.blocks += _paragraphs(lines)
            lines = []
            doc.blocks += blocks
    doc.blocks += _paragraphs(lines)
    return doc


def _inputs(pages) -> list[tuple[bytes, Path | None]]:
    if isinstance(pages, (str, Path)):
        root = Path(pages)
        if not root.is_dir():
            return [(limits.read_file(root), root)]
        for folder in (root / "files" / "basic-html", root / "basic-html", root):
            files = [f for f in folder.glob("*.htm*") if _PAGE_FILE.search(f.name)]
            if files:
                return [(limits.read_file(f), f) for f in files]
        return []
    out = []
    for page in pages:
        if isinstance(page, bytes):
            out.append((page, None))
        else:
            out.append((limits.read_file(page), Path(page)))
    return out


def _read_page(data: bytes, path: Path | None, position: int) -> _Page:
    import lxml.html

    if len(data) > 20 * 2**20:
        raise ParseError(f"flip-book page {path or position + 1} is larger than 20 MB")
    try:
        tree = lxml.html.fromstring(data.decode("utf-8", "replace"))
    except Exception as exc:  # lxml raises ParserError on empty or non-HTML input
        raise ParseError(f"flip-book page {path or position + 1} is not HTML: {exc}") from None
    number, title = None, None
    head = tree.findtext(".//title") or ""
    match = _TITLE.match(head)
    if match:
        number, title = int(match.group(1)), match.group(2).strip() or None
    if number is None and path is not None and _PAGE_FILE.search(path.name):
        number = int(_PAGE_FILE.search(path.name).group(1))
    if number is None:
        number = position + 1
    box = "//*[contains(concat(' ', normalize-space(@class), ' '), ' text-container ')]"
    containers = tree.xpath(box + "//pre//code") or tree.xpath(box + "//pre") or tree.xpath("//pre")
    text = "\n".join(c.text_content() for c in containers)
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    lines = [line for line in lines if not _CHROME.match(line)]
    # Keep blank lines as paragraph breaks, but not at the page's edges.
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return _Page(number, title, lines, path)


def _width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _paragraphs(lines: list[str]) -> list[Block]:
    """Merge wrapped lines: a line continues the previous one when the previous
    filled the page width (a full line) and the line starts no heading or item."""
    widths = sorted(_width(line) for line in lines if line)
    if not widths:
        return []
    full = widths[int(0.9 * (len(widths) - 1))]
    out: list[str] = []
    previous_full = False
    for line in lines:
        if not line:
            previous_full = False
            continue
        if out and previous_full and not _STARTS.match(line) and not _NUMBER.match(line):
            glue = " " if out[-1][-1].isascii() and out[-1][-1].isalnum() and line[0].isascii() else ""
            out[-1] += glue + line
        else:
            out.append(line)
        previous_full = full >= 12 and _width(line) >= full - 1.5
    return [Paragraph(text) for text in out]


def _ocr_page(page: _Page, doc: Document) -> list[Block] | None:
    """OCR the page image of a page without text, if the book's folder has it."""
    from .ocr import open_image, read_image

    images = []
    if page.source is not None:
        files = page.source.parent.parent  # files/basic-html/pageN.html -> files/
        images = [files / kind / f"{page.number}.jpg" for kind in ("large", "mobile", "thumb")]
    image_path = next((p for p in images if p.is_file()), None)
    if image_path is None:
        doc.warnings.append(f"flip-book page {page.number} has no text and no page image")
        return None
    try:
        blocks = read_image(open_image(image_path.read_bytes(), image_path.name), doc.warnings, f"page {page.number}")
    except ParseError as exc:
        doc.warnings.append(f"flip-book page {page.number}: {exc}")
        return None
    if image_path.parent.name == "thumb":
        doc.warnings.append(f"flip-book page {page.number} read from its thumbnail (low resolution)")
    doc.source_format = "ocr"
    return blocks


class BookPages(tuple):
    """Page files of one flip-book given together (``nianbao parse-file page*.html``)."""

    def __str__(self) -> str:
        return f"{self[0].parent / 'page*.html'} ({len(self)} pages)"


def group_pages(paths: Iterable[Path]) -> list:
    """Command-line paths with FlipBuilder page files of one folder gathered
    into one ``BookPages`` (read as one report), placed where the book's first
    page was; other paths unchanged. Only files named ``pageN.html`` whose
    title says ``Page N - …`` count."""
    out: list = []
    books: dict[Path, int] = {}  # folder -> index of its BookPages in out
    for path in paths:
        if path.is_file() and _PAGE_FILE.search(path.name) and _is_flipbook_page(path):
            if path.parent in books:
                k = books[path.parent]
                out[k] = BookPages((*out[k], path))
            else:
                books[path.parent] = len(out)
                out.append(BookPages((path,)))
        else:
            out.append(path)
    return out


def _is_flipbook_page(path: Path) -> bool:
    with path.open("rb") as stream:
        head = stream.read(4096).decode("utf-8", "replace")
    return re.search(r"<title>\s*Page\s+\d+\s*-", head, re.IGNORECASE) is not None

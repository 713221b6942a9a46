"""Reading government portal pages, whatever the CMS: pure functions over HTML text.

What every family shares lives here (family modules such as ``crawler/hanweb.py``
read their own markup and use these):

* titles: is a list entry or page an annual report, or one of the traps around
  it (companions such as 图解/解读, notices about compiling reports, other annual
  documents, disclosure guides)?
* links and list records (``<a href>`` with title and date);
* attachments (office/PDF/OFD/image files, download endpoints) and their names;
* FlipBuilder flip-books (``files/basic-html/pageN.html`` and page images);
* the report key of an article page (``site:USCC:year``), the same for every
  copy of a report whichever family's portal carries it.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, unquote, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

# --- titles -------------------------------------------------------------------------

REPORT_COLUMN_TEXT = re.compile(r"年报|年度报告|工作报告")
XXGK_TEXT = re.compile(r"信息公开")
# "…政府信息公开工作年度报告", "…信息公开年度报告", "…年报", and the pre-2019
# "2020年度政府信息公开工作报告".
REPORT_TITLE = re.compile(r"信息公开.{0,8}?(年度报告|年报|工作报告)")
# The traps around reports, by kind (issue 12): each is published beside the
# reports, often in the same column, and titled like one.
TRAPS = {
    # another rendering of a report: illustrated, explained, H5, video
    "companion": re.compile(r"图解|图说|一图(?:读懂|看懂|了解)|长图|解读|H5|视频|动漫|微视", re.I),
    # notices about compiling or submitting reports, evaluations, trainings
    "notice": re.compile(r"通知|公告|的函|关于.{0,30}(?:报送|编制|做好|开展|印发)|培训|会议|评估|考核|通报"),
    # other annual documents
    "other_annual": re.compile(r"法治政府|预算|决算|工作要点"),
    # the disclosure guide and rules
    "guide": re.compile(r"指南|制度|规定|办法"),
}
YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


def title_kind(title: str) -> str | None:
    """What a title names: ``"report"`` (a government-information annual report),
    a trap kind (``"companion"``, ``"notice"``, ``"other_annual"``, ``"guide"``)
    when it mentions reports or disclosure but is not one, else None."""
    title = normalise_space(title)
    for kind, pattern in TRAPS.items():
        if pattern.search(title):
            return kind
    return "report" if REPORT_TITLE.search(title) else None


def is_report_title(title: str) -> bool:
    """Does a list entry's title name a government-information annual report?"""
    return title_kind(title) == "report"


def is_report_column(text: str) -> bool:
    """Is a navigation link's text that of a 年报 column?"""
    text = normalise_space(text)
    return bool(REPORT_COLUMN_TEXT.search(text)) and len(text) <= 30 and title_kind(text) in (None, "report")


def is_xxgk_link(text: str) -> bool:
    text = normalise_space(text)
    return bool(XXGK_TEXT.search(text)) and len(text) <= 20


def report_year(title: str) -> int | None:
    """The year a title reports on (first 4-digit year followed by 年)."""
    m = YEAR.search(title)
    return int(m.group(1)) if m else None


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


# --- links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def page_links(html, base_url: str) -> list[Link]:
    """Every ``<a href>`` of a page (HTML text or an lxml tree) as absolute URLs,
    text from ``title`` or content."""
    doc = parse_html(html) if isinstance(html, str) else html
    if doc is None:
        return []
    links = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = a.get("title") or a.text_content()
        links.append(Link(urljoin(base_url, href), normalise_space(text)))
    return links


def parse_html(text: str):
    if not text or not text.strip():
        return None
    try:
        return lxml.html.fromstring(text)
    except (etree.ParserError, ValueError):
        return None


# --- list records ----------------------------------------------------------------------

DATE = re.compile(r"((?:19|20)\d\d)[-/.年](\d{1,2})[-/.月](\d{1,2})")


@dataclass(frozen=True)
class Record:
    """One entry of a column list: an article (or sub-column) link."""

    url: str
    title: str
    date: date | None = None


def parse_record(fragment: str, base_url: str) -> Record | None:
    """Read one ``<record>`` CDATA fragment (``<li>``/``<tr>`` markup, any template).

    The full title is taken from ``title=""`` when present: the visible text is
    often truncated with ``...`` and JCMS sometimes leaves broken markup.
    """
    doc = parse_html(f"<div>{fragment}</div>")
    if doc is None:
        return None
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "#")):
            title = normalise_space(a.get("title") or a.text_content())
            return Record(urljoin(base_url, href), title, first_date(doc.text_content()))
    return None


def first_date(text: str) -> date | None:
    m = DATE.search(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


# --- articles ---------------------------------------------------------------------------

ATTACHMENT_EXT = re.compile(
    r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar|7z|jpe?g|png|gif|bmp|tiff?)$", re.I
)
DOWNLOAD_PATHS = ("/module/download/downfile.jsp", "/module/download/down.jsp")


@dataclass
class Article:
    title: str
    attachments: list[Link]
    images: list[str]
    flipbooks: list[str]
    # The page's other titles (<title>, <h1>): a trap may show what it is in one only.
    headings: list[str] = field(default_factory=list)


def page_headings(doc) -> list[str]:
    """A page's ``<title>`` and ``<h1>`` texts."""
    found = [normalise_space(e.text_content()) for e in (*doc.iter("title"), *doc.iter("h1"))]
    return [text for text in found if text]


def is_attachment_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.path.endswith(DOWNLOAD_PATHS)
        or "/attach/" in parts.path
        or ("/picture/" in parts.path and bool(ATTACHMENT_EXT.search(parts.path)))
        or (bool(ATTACHMENT_EXT.search(parts.path)) and "/files/" not in parts.path)
    )


def attachment_name(url: str, text: str = "") -> str | None:
    """The original file name: downfile.jsp's ``showname``, else the link text
    when it looks like a file name, else the URL's last segment."""
    q = parse_qs(urlsplit(url).query)
    if q.get("showname"):
        return q["showname"][0]
    if text and ATTACHMENT_EXT.search(text.strip()):
        return text.strip()
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return last or None


def meta_content(html: str, name: str) -> str | None:
    """A head ``<meta name=…>`` value, matching the name case-insensitively."""
    m = re.search(
        rf"<meta\s+name=[\"']?{re.escape(name)}[\"']?\s+content=[\"']([^\"']*)[\"']", html, re.I
    ) or re.search(
        rf"<meta\s+content=[\"']([^\"']*)[\"']\s+name=[\"']?{re.escape(name)}[\"']?", html, re.I
    )
    return html_lib.unescape(m.group(1)).strip() if m else None


# --- report keys ------------------------------------------------------------------------

INDEX_NUMBER = re.compile(r"\b([0-9A-Z]{18})/(?:19|20)\d\d-\d+")


def report_key_for_article(site: str, html: str, title: str, url: str) -> str:
    """A stable key for the report an article page carries, the same for every
    copy of it (two columns, two article ids, two host aliases):
    ``site:USCC:year`` from the xxgk table's 索引号 (``{USCC}/{year}-{seq}``) and
    the title's year; without a 索引号 (older templates) the publishing body
    (ContentSource meta) stands in for the USCC; failing both, the URL path.
    """
    year = report_year(title)
    index = INDEX_NUMBER.search(html)
    if index and year:
        return f"{site}:{index.group(1)}:{year}"
    source = meta_content(html, "ContentSource")
    if source and year:
        return f"{site}:{source}:{year}"
    parts = urlsplit(url)
    return f"{site}:{parts.path}" + (f"?{parts.query}" if parts.query else "")


# --- FlipBuilder books -----------------------------------------------------------------

FLIPBOOK_MARKERS = re.compile(r"^(?P<root>.*?/)(?:files/basic-html/|files/mobile/|mobile/|index\.html)")


def flipbook_root(url: str) -> str | None:
    """The book's root (``…/book/2022dzs/shangwu/``) for any link into a FlipBuilder book."""
    parts = urlsplit(url)
    path = parts.path
    if "/files/basic-html/" not in path and not re.search(r"/book/", path):
        return None
    m = FLIPBOOK_MARKERS.match(path)
    root = m.group("root") if m else (path if path.endswith("/") else path + "/")
    return urlunsplit((parts.scheme, parts.netloc, root, "", ""))


def flipbook_page_url(root: str, page: int) -> str:
    return urljoin(root, f"files/basic-html/page{page}.html")


def flipbook_image_url(root: str, page: int) -> str:
    return urljoin(root, f"files/mobile/{page}.jpg")


def flipbook_page_numbers(html: str) -> list[int]:
    """Every page of a book, from a ``pageN.html``'s ``<noscript>`` list of all pages
    (falling back to the pager window when there is no noscript list)."""
    noscript = re.findall(r"<noscript>(.*?)</noscript>", html, re.S | re.I)
    source = " ".join(noscript) or html
    return sorted({int(n) for n in re.findall(r"page(\d+)\.html", source)})

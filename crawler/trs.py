"""Reading TRS WCM (拓尔思) pages: pure functions over HTML text.

What the family looks like (see crawler/README.md, "TRS WCM", for what is
known from public pages and crawlers and what is assumed):

* a channel (column) is a folder with ``index.htm`` as its first page and
  ``index_1.htm``, ``index_2.htm``, … after it; the pager is written in the
  browser by ``createPageHTML(countPage, currentPage, "index", "htm")``, with
  the page count either literal or in ``var countPage = N``;
* documents are ``./YYYYMM/tYYYYMMDD_NNNNN.htm`` below their channel;
* a document's text is in ``div.TRS_Editor`` (newer editors: ``TRS_UEDITOR``);
* attachments are stored beside the document as ``P0…`` files and linked
  relative to it (``./P020200120….pdf``), often written by a script
  (``document.write('<a href="./P0….pdf">…</a>')``), so they are read from the
  raw text, not only from ``<a>`` elements.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from .pages import Link, Record, first_date, meta_content, normalise_space, page_links, parse_html

ARTICLE = re.compile(r"/t(?P<day>(?:19|20)\d{6})_(?P<id>\d+)\.s?html?$")
CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(?P<count>\w+)\s*,\s*(?P<current>\w+)\s*,\s*['\"](?P<name>[\w-]+)['\"]\s*,"
    r"\s*['\"](?P<ext>\w+)['\"]", re.S)
MARKERS = ("TRS_Editor", "TRS_UEDITOR", "createPageHTML")
# A P0… attachment (any quoting, inside markup or a script string).
ATTACHMENT_HREF = re.compile(
    r"href\s*=\s*\\?[\"'](?P<href>\.{0,2}/?[^\"'\\]*?P0\d+[^\"'\\]*?\.(?:pdf|docx?|wps|xlsx?|ofd|zip|rar|et))\\?[\"']"
    r"[^>]*>(?P<text>.*?)</a>", re.I | re.S)


def is_article_url(url: str) -> bool:
    return bool(ARTICLE.search(urlsplit(url).path))


def looks_like_trs(html: str) -> bool:
    """A page of a TRS WCM portal: its editor's class, its pager, or its document URLs."""
    return any(m in html for m in MARKERS) or bool(re.search(r"/t20\d{6}_\d+\.htm", html))


def list_pages(html: str, url: str) -> list[str]:
    """Every page of a channel list, from its ``createPageHTML(...)`` call.

    Page 0 is ``index.htm``, page k is ``index_k.htm`` in the same folder. The
    count may be a literal or a variable (``var countPage = 5``); a count that
    cannot be read gives no pages (the list's own links still lead on)."""
    m = CREATE_PAGE.search(html)
    if not m:
        return []
    count = _int_or_var(m.group("count"), html)
    if not count or count < 2:
        return []
    name, ext = m.group("name"), m.group("ext")
    return [urljoin(url, f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}") for k in range(count)]


def _int_or_var(token: str, html: str) -> int | None:
    if token.isdigit():
        return int(token)
    m = re.search(rf"\bvar\s+{re.escape(token)}\s*=\s*['\"]?(\d+)", html)
    return int(m.group(1)) if m else None


def list_records(html: str, url: str) -> list[Record]:
    """The documents a channel page lists: links to ``t…_N.htm`` pages, with the
    full title (``title=""`` wins over truncated text) and the row's date."""
    records, seen = [], set()
    for row in re.finditer(r"<li\b.*?</li>|<tr\b.*?</tr>", html, re.S | re.I):
        for link in page_links(row.group(0), url):
            if is_article_url(link.url) and link.url not in seen:
                seen.add(link.url)
                records.append(Record(link.url, link.text, _date(row.group(0))))
    return records


def _date(text: str) -> date | None:
    return first_date(re.sub(r"<[^>]+>", " ", text))


@dataclass
class Article:
    title: str
    has_content: bool  # the editor div holds text (else the report is only in its files)
    attachments: list[Link] = field(default_factory=list)


def parse_article(html: str, url: str) -> Article:
    """A document page: its title (``ArticleTitle`` meta, else ``<title>``), whether
    ``TRS_Editor`` holds text, and its ``P0…`` attachments."""
    title = meta_content(html, "ArticleTitle") or _tag_text(html, "title")
    text = "".join(editor_text(html).split())
    attachments, seen = [], set()
    for m in ATTACHMENT_HREF.finditer(html):
        target = urljoin(url, html_lib.unescape(m.group("href")))
        if target not in seen:
            seen.add(target)
            attachments.append(Link(target, normalise_space(re.sub(r"<[^>]+>", "", m.group("text")))))
    return Article(normalise_space(title), bool(text), attachments)


def editor_text(html: str) -> str:
    """The text of the page's ``TRS_Editor``/``TRS_UEDITOR`` divs ("" when there is none)."""
    doc = parse_html(html)
    if doc is None:
        return ""
    editors = doc.xpath("//div[contains(@class, 'TRS_Editor') or contains(@class, 'TRS_UEDITOR')]")
    return "\n".join(e.text_content() for e in editors)


def _tag_text(html: str, tag: str) -> str:
    m = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else ""

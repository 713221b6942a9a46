"""Reading Ucap (开普云) pages: pure functions over HTML and JSON text.

What the family looks like (see crawler/README.md, "Ucap", for what is known
and what is assumed):

* pages are static ``.shtml`` files; a document page carries its parts in
  Ucap's own elements: ``<ucaptitle>``, ``<publishtime>``, ``<ucapcontent>``;
* bodies have a 公开年报 column named ``gknb`` (``…/gknb/index.shtml``);
* static lists page as ``index.shtml``, ``index_2.shtml``, …;
* lists drawn by JavaScript ask a JSON API for their entries, with the page
  size, the page number and the column's id on the query string
  (``…/getInfoList?channelid=…&pagesize=15&currpage=1``), and get
  ``{"infolist": [{"title", "link", "pubtime"}, …]}`` back.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from .pages import Link, Record, first_date, normalise_space, page_links

MARKERS = re.compile(r"<ucapcontent|<ucaptitle|<publishtime|UCAP-CONTENT|/gknb/[^\"'\s<>]*\.shtml", re.I)
PAGE_PARAMS = ("currpage", "pageNo", "pageno", "page", "pageIndex")
SIZE_PARAMS = ("pagesize", "pageSize", "perpage", "rows")
# A list API named in a script: a quoted same-site URL with a page-number parameter.
SCRIPT_URL = re.compile(r"[\"'](?P<url>(?:https?://[^\"'\s]+)?/[^\"'\s<>]*\?[^\"'\s<>]*"
                        r"\b(?:" + "|".join(PAGE_PARAMS) + r")=[^\"'\s<>]*)[\"']")
FILE_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|ofd|zip|rar|jpg|png)$", re.I)


def looks_like_ucap(html: str) -> bool:
    return bool(MARKERS.search(html))


def is_article_url(url: str) -> bool:
    """Ucap documents are ``.shtml`` pages other than a list's ``index*.shtml``."""
    path = urlsplit(url).path
    return path.endswith(".shtml") and not re.search(r"/(index|nav_list|list)(_\d+)?\.shtml$", path)


@dataclass
class Article:
    title: str
    has_content: bool       # <ucapcontent> holds text (else the report is only in its files)
    attachments: list[Link] = field(default_factory=list)


def parse_article(html: str, url: str) -> Article:
    """A document page: ``<ucaptitle>`` (else ``<title>``), whether ``<ucapcontent>``
    holds text, and the files it links."""
    title = _element(html, "ucaptitle") or _element(html, "title")
    content = re.search(r"<ucapcontent[^>]*>(.*?)</ucapcontent>", html, re.S | re.I)
    body = content.group(1) if content else ""
    attachments = [link for link in page_links(body, url) if FILE_EXT.search(urlsplit(link.url).path)]
    return Article(normalise_space(title), bool(re.sub(r"<[^>]+>|&nbsp;|\s", "", body)),
                   attachments)


def _element(html: str, tag: str) -> str:
    m = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""


def list_records(html: str, url: str) -> list[Record]:
    """The documents a static list page links (``.shtml`` pages, titles from ``title=""``)."""
    records, seen = [], set()
    for row in re.finditer(r"<li\b.*?</li>|<tr\b.*?</tr>", html, re.S | re.I):
        for link in page_links(row.group(0), url):
            if is_article_url(link.url) and link.url not in seen and link.text:
                seen.add(link.url)
                records.append(Record(link.url, link.text, first_date(re.sub(r"<[^>]+>", " ", row.group(0)))))
    return records


def list_pages(html: str, url: str) -> list[str]:
    """Further pages of a static list: ``index_N.shtml`` links of its pager."""
    pages = []
    for link in page_links(html, url):
        if re.search(r"/index_\d+\.shtml$", urlsplit(link.url).path) and link.url not in pages:
            pages.append(link.url)
    return pages


@dataclass(frozen=True)
class ListApi:
    """A JSON list call found in a page's script, and how to ask for page N."""

    url: str
    page_param: str

    def page(self, n: int) -> str:
        parts = urlsplit(self.url)
        query = [(k, str(n) if k == self.page_param else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        return urlunsplit(parts._replace(query=urlencode(query)))


def list_apis(html: str, url: str) -> list[ListApi]:
    """The JSON list APIs a page's scripts call (quoted URLs with a page parameter)."""
    apis = []
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I):
        for m in SCRIPT_URL.finditer(script):
            target = urljoin(url, html_lib.unescape(m.group("url")))
            query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
            param = next((p for p in PAGE_PARAMS if p in query), None)
            if param and not FILE_EXT.search(urlsplit(target).path):
                api = ListApi(ListApi(target, param).page(1), param)
                if api not in apis:
                    apis.append(api)
    return apis


@dataclass
class JsonPage:
    records: list[Record]
    total_pages: int | None
    malformed: bool = False


def parse_json_list(text: str, url: str) -> JsonPage:
    """A list API's answer. Entries are the objects of the first list that hold a
    link and a title (``infolist``, ``data``, ``list``, ``rows``…); the page
    count is read when the answer gives it (``totalpage``/``pagecount``, or a
    total and a page size), else the caller pages until an empty list."""
    try:
        data = json.loads(text)
    except ValueError:
        return JsonPage([], None, malformed=True)
    entries = _entries(data)
    records = []
    for entry in entries:
        link = next((entry[k] for k in ("link", "url", "href", "docurl", "linkurl") if entry.get(k)), None)
        title = next((entry[k] for k in ("title", "name", "doctitle") if entry.get(k)), "")
        if isinstance(link, str):
            when = next((str(entry[k]) for k in ("pubtime", "publishtime", "pubdate", "date") if entry.get(k)), "")
            records.append(Record(urljoin(url, link), normalise_space(str(title)), first_date(when)))
    return JsonPage(records, _total_pages(data, len(entries)))


def _entries(data) -> list[dict]:
    if isinstance(data, list):
        if data and all(isinstance(e, dict) for e in data):
            return data
        return []
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, (list, dict)) and (found := _entries(value)):
                return found
    return []


def _total_pages(data, count: int) -> int | None:
    if not isinstance(data, dict):
        return None
    flat = {k.lower(): v for k, v in data.items() if isinstance(v, (int, str)) and str(v).isdigit()}
    for key in ("totalpage", "totalpages", "pagecount", "pages"):
        if key in flat:
            return int(flat[key])
    total = next((int(flat[k]) for k in ("total", "totalcount", "count", "totalrecord") if k in flat), None)
    size = next((int(flat[k]) for k in ("pagesize", "perpage", "size") if k in flat), None)
    if total is not None and size:
        return -(-total // size)
    return None

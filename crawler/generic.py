"""Reading pages of a portal whose CMS the crawler does not know: pure functions.

The generic spider (``spiders/generic.py``) walks a portal breadth-first from
its home page and needs, for any page:

* which links lead towards reports: text or URL naming 政府信息公开, 政务公开,
  信息公开目录, 年报, 年度报告 (``is_disclosure_link``), short navigation links
  inside such a section (a directory of bodies), and the pager of a list
  (``pager_links``: 下一页/尾页/page numbers, ``index_N``/``page=N`` siblings, a
  TRS-style ``createPageHTML`` count, a JSON list API named in a script);
* every link, also those inside scripts and XML datastores (``raw_links``):
  many CMSs keep a list's records in a ``<script>`` and write attachments with
  ``document.write``;
* whether a page is a report: its title names one (``crawler.pages.title_kind``)
  and its text has the national template's section headings or it links the
  report as a file (``report_evidence``).

``family_of`` fingerprints a page of a known family (Hanweb, TRS, Ucap).
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from . import trs, ucap
from .pages import (ATTACHMENT_EXT, Link, flipbook_root, is_attachment_url, meta_content, normalise_space, parse_html,
                    title_kind)

# --- fingerprints ------------------------------------------------------------------------

HANWEB = re.compile(r"/module/(?:web/)?jpage|/module/jslib/|\.jpage\(|/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html"
                    r"|/module/xxgk/|/col/col\d+/index\.html")


def family_of(html: str) -> str | None:
    """The known CMS family a page's markup shows, or None."""
    if HANWEB.search(html):
        return "hanweb"
    if trs.looks_like_trs(html):
        return "trs"
    if ucap.looks_like_ucap(html):
        return "ucap"
    return None


# --- links ----------------------------------------------------------------------------------

DISCLOSURE_TEXT = re.compile(r"信息公开|政务公开|公开目录|年报|年度报告|公开指南")
DISCLOSURE_URL = re.compile(r"xxgk|zwgk|zfxxgk|gknb|ndbg|nianbao|annualreport|xxgkml", re.I)
REPORT_URL = re.compile(r"annualreport|gknb|ndbg|nianbao", re.I)
PAGER_TEXT = re.compile(r"^(?:下一页|下页|尾页|末页|最后一页|上一页|首页|>|>>|»|\d{1,4})$")
PAGER_URL = re.compile(r"(?:index|list|default)_\d+\.s?html?$|[?&](?:page|currpage|pageNum|pageNo|pageIndex|p)=\d+",
                       re.I)
# <a …href=…>text</a>, also inside scripts and CDATA, and with JS-escaped quotes.
ANCHOR = re.compile(r"<a\b(?P<attrs>[^>]*?)\bhref\s*=\s*\\?(?P<q>[\"'])(?P<href>[^\"'\\]*)\\?(?P=q)(?P<rest>[^>]*)>"
                    r"(?P<text>.*?)</a>", re.I | re.S)
TITLE_ATTR = re.compile(r"\btitle\s*=\s*\\?[\"']([^\"'\\]*)", re.I)
IFRAME = re.compile(r"<iframe\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.I)


def raw_links(html: str, base_url: str) -> list[Link]:
    """Every link in the page's text, markup or not (scripts, datastore CDATA),
    plus iframe sources; ``title=""`` wins over the visible text."""
    links, seen = [], set()
    for m in ANCHOR.finditer(html):
        href = html_lib.unescape(m.group("href")).strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        title = TITLE_ATTR.search(m.group("attrs") + m.group("rest"))
        text = title.group(1) if title else re.sub(r"<[^>]+>", "", m.group("text"))
        link = Link(urljoin(base_url, href).split("#")[0], normalise_space(html_lib.unescape(text)))
        if link not in seen:
            seen.add(link)
            links.append(link)
    for src in IFRAME.findall(html):
        link = Link(urljoin(base_url, html_lib.unescape(src)), "")
        if link not in seen:
            seen.add(link)
            links.append(link)
    for link in select_links(html, base_url):
        if link not in seen:
            seen.add(link)
            links.append(link)
    return links


SELECT = re.compile(r"<select\b(?P<attrs>[^>]*)>(?P<options>.*?)</select>", re.I | re.S)
OPTION = re.compile(r"<option\b[^>]*\bvalue\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))[^>]*>(.*?)(?=<option|$)",
                    re.I | re.S)
# onchange="window.open('…' + this.value + '…')" or location.href = '…' + this.value
VALUE_TEMPLATE = re.compile(r"(?:[\"'](?P<pre>[^\"']*)[\"']\s*\+\s*)?this\.(?:value|options\[[^\]]*\]\.value)"
                            r"(?:\s*\+\s*[\"'](?P<post>[^\"']*)[\"'])?")


def select_links(html: str, base_url: str) -> list[Link]:
    """The pages a ``<select>`` opens: each option's value, put into the URL its
    ``onchange`` builds from ``this.value`` (``window.open(this.value)`` opens the value itself)."""
    links = []
    for m in SELECT.finditer(html):
        onchange = re.search(r"onchange\s*=\s*\"([^\"]*)\"|onchange\s*=\s*'([^']*)'", m.group("attrs"), re.I)
        template = VALUE_TEMPLATE.search(html_lib.unescape(onchange.group(1) or onchange.group(2))) if onchange else None
        if template is None:
            continue
        for double, single, bare, text in OPTION.findall(m.group("options")):
            value = html_lib.unescape(double or single or bare).strip()
            if value:
                target = (template.group("pre") or "") + value + (template.group("post") or "")
                links.append(Link(urljoin(base_url, target), normalise_space(re.sub(r"<[^>]+>", "", text))))
    return links


YEAR_NAME = re.compile(r"year|nd|fbtime|time|date", re.I)
# '…?area=X&fbtime=' + year  (a quoted URL ending in a parameter, completed by a variable)
SCRIPT_TEMPLATE = re.compile(r"[\"'](?P<prefix>[^\"'\s<>]*\?[^\"'\s<>]*?(?P<param>\w+)=)[\"']\s*\+\s*(?P<var>[\w.]+)")


def year_templates(html: str, base_url: str) -> list[str]:
    """URL prefixes a page's scripts complete with a year (``'…&fbtime=' + year``,
    ``'…&year=' + this.value``): the report years are tried in them."""
    text = html_lib.unescape(html)
    return list(dict.fromkeys(urljoin(base_url, m.group("prefix")) for m in SCRIPT_TEMPLATE.finditer(text)
                              if YEAR_NAME.search(m.group("param")) or YEAR_NAME.search(m.group("var"))))


CODE = re.compile(r"[0-9A-Za-z]{8,}")


def codes(url: str) -> list[tuple[str, str]]:
    """The (parameter, value) pairs of a URL's query whose value looks like a code (a body's id)."""
    return [(k, v) for k, v in parse_qsl(urlsplit(url).query) if CODE.fullmatch(v)]


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def year_siblings(url: str, year: int, years) -> list[str]:
    """The same report URL for other years, when a query parameter holds the report's
    year (``…xxgkAnnualReport.jsp?area=…&fbtime=2022``): a report page's URL template
    shows where other years' reports would be."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = [k for k, v in query if v == str(year)]
    if len(keys) != 1:
        return []
    return [with_param(url, keys[0], str(y)) for y in years if y != year]


def is_disclosure_link(link: Link) -> bool:
    """A link whose text or URL names government information disclosure or annual reports."""
    text = link.text
    if text and len(text) <= 30 and DISCLOSURE_TEXT.search(text) and title_kind(text) in (None, "report", "guide"):
        return True
    return bool(DISCLOSURE_URL.search(urlsplit(link.url).path + "?" + urlsplit(link.url).query))


def is_navigation(link: Link) -> bool:
    """A short link text such as a body's or a column's name (not an article title or a date)."""
    text = link.text
    return 2 <= len(text) <= 14 and not re.search(r"\d{4}[-/.年]\d{1,2}", text)


def pager_links(html: str, url: str, links: list[Link]) -> list[str]:
    """Other pages of the list ``url`` is: pager links in the same folder, and the
    pages a TRS-style ``createPageHTML(count, …)`` call names."""
    folder = urlsplit(url).path.rsplit("/", 1)[0]
    found = []
    for link in links:
        parts = urlsplit(link.url)
        if parts.path.rsplit("/", 1)[0] != folder or link.url == url:
            continue
        target = parts.path + ("?" + parts.query if parts.query else "")
        if PAGER_TEXT.match(link.text) or (PAGER_URL.search(target) and len(link.text) <= 4):
            found.append(link.url)
    found += [p for p in trs.list_pages(html, url) if p != url]
    return list(dict.fromkeys(found))


def is_file(url: str) -> bool:
    """A link to a document file (office, PDF, OFD, archive, image) or a download endpoint."""
    return (is_attachment_url(url) and flipbook_root(url) is None
            and bool(ATTACHMENT_EXT.search(urlsplit(url).path) or "down" in url.lower()))


# --- reports ----------------------------------------------------------------------------------

# The national template's six section headings (2019 and 2021 wording).
SECTION_HEADINGS = (
    re.compile(r"[一1][、.．]\s*总体情况"),
    re.compile(r"主动公开政府信息情况"),
    re.compile(r"收到和处理政府信息公开申请情况"),
    re.compile(r"政府信息公开行政复议[、和]\s*行政诉讼情况"),
    re.compile(r"存在的主要问题及改进情况"),
    re.compile(r"其他需要报告的事项"),
)


def page_titles(html: str) -> list[str]:
    """The titles a page gives itself: ``ArticleTitle``, Ucap's ``<ucaptitle>``, ``<h1>``, ``<title>``."""
    titles = [meta_content(html, "ArticleTitle") or ""]
    for tag in ("ucaptitle", "h1", "title"):
        m = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S | re.I)
        if m:
            titles.append(normalise_space(html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1)))))
    nb = re.search(r"class=[\"']nb_title[\"'][^>]*>(.*?)</", html, re.S)
    if nb:
        titles.append(normalise_space(re.sub(r"<[^>]+>", "", nb.group(1))))
    return [t for t in titles if t]


def text_of(html: str) -> str:
    doc = parse_html(html)
    if doc is None:
        return ""
    for bad in doc.xpath("//script|//style"):
        bad.drop_tree()
    return doc.text_content()


def section_headings(text: str) -> int:
    """How many of the template's section headings a text has."""
    return sum(1 for h in SECTION_HEADINGS if h.search(text))


SCAN_IMAGE = re.compile(r"/(?:picture|attach|attachment|upload|uploadfile|uploadfiles)/", re.I)


def report_evidence(html: str, links: list[Link], *, candidate: bool) -> bool:
    """Does a page look like a report in content: at least three of the template's
    section headings, or, for a page a report-titled link led to, the report in
    another form: a linked file, a flip-book, scanned pages?"""
    if section_headings(text_of(html)) >= 3:
        return True
    return candidate and bool(any(is_file(link.url) for link in links) or flipbooks(links) or scans(html, ""))


def flipbooks(links: list[Link]) -> list[str]:
    """The FlipBuilder books a page links (their roots)."""
    return list(dict.fromkeys(root for link in links if (root := flipbook_root(link.url))))


def scans(html: str, base_url: str) -> list[str]:
    """Images a page shows from an upload folder (scanned report pages, not the template's icons)."""
    return list(dict.fromkeys(urljoin(base_url, src) for src in re.findall(
        r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", html, re.I) if SCAN_IMAGE.search(src)))


def report_title(titles: list[str]) -> str | None:
    """The first of a page's titles that names a report (None when one names a trap or none names a report)."""
    kinds = [(title_kind(t), t) for t in titles]
    if any(k not in (None, "report") for k, _ in kinds):
        return None
    return next((t for k, t in kinds if k == "report"), None)


def report_key(site: str, title: str, url: str) -> str:
    """``site:ORGANISATION:YEAR`` from a report title (the generic spider knows no
    body codes); the URL's path when the title names no year."""
    m = re.search(r"^(?P<org>.*?)((?:19|20)\d\d)\s*年", title)
    if m and m.group("org").strip():
        return f"{site}:{m.group('org').strip()}:{m.group(2)}"
    return f"{site}:{urlsplit(url).path}"


"""Archived HTML (and CSS) as web archives replay it: every reference points into the archive.

An archived page names its pictures, style sheets, flip-book pages and attachments by
their URLs on the portal, often relative ones. ``rewrite_html`` resolves each against the
page's own URL and replaces it by the archived copy fetched for it (``resolve``: the
``fetches`` table is the index, as a CDX index is for a WARC replay tool), or by a
"not archived" page (links) or placeholder (pictures) when nothing was fetched for it.
Scripts, event handlers and ``javascript:`` URLs are removed, and the response forbids
script anyway (``Content-Security-Policy``). A banner names the source URL, the fetch
time and the sha256.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Callable

from lxml import etree, html
from markupsafe import escape

# Attributes holding one URL, by element (srcset and style are handled apart).
URL_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "img": ("src", "lowsrc", "data-src", "data-original"),
    "link": ("href",), "iframe": ("src",), "frame": ("src",), "embed": ("src",), "source": ("src",),
    "video": ("src", "poster"), "audio": ("src",), "object": ("data",), "input": ("src",),
    "td": ("background",), "table": ("background",), "body": ("background",),
}
EMBEDDED = {"img", "link", "iframe", "frame", "embed", "source", "video", "audio", "object", "input",
            "td", "table", "body"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)
# A grey picture saying 未存档 · not archived, for images nobody fetched.
NOT_ARCHIVED_IMAGE = (
    "data:image/svg+xml;charset=utf-8," + urllib.parse.quote(
        "<svg xmlns='http://www.w3.org/2000/svg' width='160' height='40'><rect width='160' height='40' "
        "fill='#eee' stroke='#999'/><text x='80' y='25' font-size='13' text-anchor='middle' fill='#555'>"
        "未存档 · not archived</text></svg>")
)
BANNER_STYLE = ("position:sticky;top:0;z-index:2147483647;background:#fffbe6;border-bottom:2px solid #c90;"
                "padding:6px 10px;font:13px/1.5 sans-serif;color:#222;word-break:break-all")


@dataclass(frozen=True)
class Capture:
    """One archived fetch: where the bytes came from and what they are."""

    url: str
    sha256: str
    fetched_at: str | None = None
    is_html: bool = False
    is_css: bool = False


Resolver = Callable[[str], "Capture | None"]


def archive_href(capture: Capture, path: Callable[[str], str]) -> str:
    """Where the replay serves a capture: pages and style sheets rewritten, the rest as stored."""
    if capture.is_html or capture.is_css:
        return path(f"/-/replay/{capture.sha256}")
    return path(f"/-/originals/{capture.sha256}")


def _absolute(base: str, ref: str) -> str | None:
    ref = (ref or "").strip()
    if not ref or ref.startswith(("#", "data:", "mailto:", "tel:")):
        return None
    url = urllib.parse.urljoin(base, ref)
    return urllib.parse.urldefrag(url)[0] if urllib.parse.urlsplit(url).scheme in ("http", "https", "file") else None


def _rewrite_ref(ref: str, base: str, resolve: Resolver, path, *, embedded: bool) -> tuple[str, bool]:
    """(new reference, archived?) for one reference of the page."""
    if ref.strip().lower().startswith("javascript:"):
        return "#", True  # script, not a missing page: it just goes nowhere
    absolute = _absolute(base, ref)
    if absolute is None:
        return ref, True
    capture = resolve(absolute)
    if capture is not None:
        fragment = urllib.parse.urldefrag(urllib.parse.urljoin(base, ref))[1]
        return archive_href(capture, path) + (f"#{fragment}" if fragment else ""), True
    if embedded:
        return NOT_ARCHIVED_IMAGE, False
    return path("/-/not-archived?" + urllib.parse.urlencode({"url": absolute})), False


def rewrite_css(text: str, base: str, resolve: Resolver, path) -> str:
    def replace(match: re.Match) -> str:
        ref = match.group(2) or match.group(4)
        new, _ = _rewrite_ref(ref, base, resolve, path, embedded=True)
        return f'url("{new}")' if match.group(2) else f'@import "{new}"'

    return _CSS_URL.sub(replace, text)


def rewrite_html(body: str, capture: Capture, resolve: Resolver, path, *, report_href: str | None = None) -> str:
    """The page with every reference into the archive, its scripts removed and a banner on top."""
    try:
        document = html.document_fromstring(body or "<html></html>")
    except (etree.ParserError, ValueError):
        document = html.document_fromstring("<html><body></body></html>")
    base = capture.url
    for element in document.iter("base"):
        if element.get("href"):
            base = urllib.parse.urljoin(base, element.get("href"))
        element.drop_tree()
    for element in list(document.iter("script", "noscript")):
        element.drop_tree()
    missing = 0
    for element in document.iter(etree.Element):
        tag = element.tag if isinstance(element.tag, str) else ""
        for name in list(element.attrib):
            if name.lower().startswith("on"):
                del element.attrib[name]  # event handlers are script too
        for name in URL_ATTRIBUTES.get(tag, ()):
            original = element.get(name)
            if original is not None:
                new, archived = _rewrite_ref(original, base, resolve, path, embedded=tag in EMBEDDED)
                element.set(name, new)
                if not archived:
                    missing += 1
                    element.set("data-nianbao", "not-archived")
                    element.set("title", f"未存档 · not archived: {urllib.parse.urljoin(base, original)}")
        if element.get("srcset"):
            element.attrib.pop("srcset")  # the src above is the archived choice
        if element.get("style"):
            element.set("style", rewrite_css(element.get("style"), base, resolve, path))
        if tag == "style" and element.text:
            element.text = rewrite_css(element.text, base, resolve, path)
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            element.drop_tree()
    body_element = document.find("body")
    if body_element is None:
        body_element = etree.SubElement(document, "body")
    banner = html.fragment_fromstring(_banner(capture, missing, path, report_href))
    body_element.insert(0, banner)
    head = document.find("head")
    if head is None:
        head = etree.Element("head")
        document.insert(0, head)
    charset = etree.SubElement(head, "meta")
    charset.set("charset", "utf-8")
    head.insert(0, charset)
    style = etree.SubElement(head, "style")
    style.text = "[data-nianbao=not-archived]{outline:2px dashed #c00}"
    return "<!DOCTYPE html>\n" + html.tostring(document, encoding="unicode")


def _banner(capture: Capture, missing: int, path, report_href: str | None) -> str:
    parts = [
        "<div id='nianbao-replay-banner' style='%s'>" % BANNER_STYLE,
        "<strong>存档网页 · Archived page</strong> · 原网址 · source: ",
        f"<span class='source-url'>{escape(capture.url)}</span>",
        f" · 抓取时间 · fetched: <span class='fetched-at'>{escape(capture.fetched_at or '?')}</span>",
        f" · sha256 <code class='sha256'>{escape(capture.sha256)}</code>",
        f" · <a href='{escape(path('/-/originals/' + capture.sha256))}'>原始文件 · raw original</a>",
    ]
    if report_href:
        parts.append(f" · <a href='{escape(report_href)}'>报告 · report</a>")
    if missing:
        parts.append(f" · <span class='not-archived-count'>{missing} 处引用未存档（虚线框）· {missing} references "
                     "not archived (dashed)</span>")
    parts.append("<br><small>脚本已停用；链接指向存档副本 · Scripts are off; links lead to archived copies.</small></div>")
    return "".join(parts)


def decode(body: bytes, content_type: str | None) -> str:
    """The page's text: the charset its server or its <meta> named, else UTF-8, else GB18030."""
    declared = re.search(r"charset=([\w-]+)", content_type or "", re.IGNORECASE)
    meta = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.IGNORECASE)
    for charset in filter(None, [declared and declared.group(1),
                                 meta and meta.group(1).decode("ascii", "ignore"), "utf-8"]):
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("gb18030", errors="replace")

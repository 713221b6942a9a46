"""Routing: one request in, one ``Response`` out, per kind of host.

Kept free of sockets so that every endpoint is plain code; ``server.py`` adds
HTTP, faults and logging around it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import Message
from urllib.parse import parse_qsl, quote, urlsplit

from . import county, pages
from .content import ReplicaContent
from .sites import Article, Attachment, Report, Site

PROXY_PATHS = ("/module/web/jpage/dataproxy.jsp", "/module/jslib/jquery/jpage/dataproxy.jsp")
LEGACY_PROXY = PROXY_PATHS[1]
MAX_PERPAGE = 300  # the proxy truncates larger pages (field reports: "perpage 超过 ~300 会被截断")

HTML = "text/html; charset=utf-8"
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/octet-stream",  # servers rarely know Kingsoft's type
    "jpg": "image/jpeg",
    "png": "image/png",
}


@dataclass
class Request:
    method: str
    target: str          # path + query as sent
    headers: Message
    body: bytes = b""
    host: str = ""       # Host header (host:port)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def params(self) -> dict[str, str]:
        """Query string, then the urlencoded form body (the form wins, as in a JSP)."""
        merged = dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))
        if self.method == "POST" and self.body:
            merged.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return merged


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None  # enables If-Modified-Since


def html(text: str, **kw) -> Response:
    return Response(body=text.encode("utf-8"), **kw)


def not_found() -> Response:
    return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>")


def _int(value: str | None, default: int) -> int:
    """JSP-style: a missing parameter takes its default, a malformed one is a server error."""
    if value in (None, ""):
        return default
    return int(value)


class SiteApp:
    """A Hanweb JCMS site (wendeng-, huancui- or weihai-like)."""

    def __init__(self, site: Site, content: ReplicaContent, links):
        self.site = site
        self.content = content
        self.links = links  # callable(own_url) -> pages.Links
        self.units = {b.unit_column: b for b in site.bodies}
        # The structured 年报 module answers only where bodies file through it (not on wendeng).
        self.annual_module = any(r.form == "annual_report" for r in site.reports)
        self.by_area: dict[str, list[Article]] = {}
        for art in sorted(site.articles.values(), key=lambda a: a.published, reverse=True):
            if art.body is not None:
                self.by_area.setdefault(art.body.uscc, []).append(art)

    def handle(self, req: Request) -> Response:
        path = req.path
        if path != "/" and path.endswith("/"):
            return not_found()  # JCMS serves files, not directories
        links = self.links("http://" + req.host)
        try:
            if self.site.county is not None and (answer := self.county(req, links)) is not None:
                return answer
            if path in ("/", "/index.html"):
                return html(pages.home(self.site, links))
            if path == "/robots.txt":
                return Response(body=pages.robots(self.site).encode(), content_type="text/plain; charset=utf-8")
            if m := re.fullmatch(r"/col/col(\d+)/index\.html", path):
                return self.column(int(m.group(1)), links)
            if path in PROXY_PATHS:
                return self.proxy(req, links)
            if path == "/module/xxgk/tree.jsp":
                body = self.site.body_by_area(req.params.get("area", ""))
                return html(pages.tree(self.site, body)) if body else not_found()
            if path == "/module/xxgk/search.jsp":
                return self.search(req)
            if path == "/module/xxgk/script/dynamic.js":
                return Response(body=pages.DYNAMIC_JS.encode(), content_type="application/javascript")
            if path == "/module/xxgk/xxgkAnnualReport.jsp" and self.annual_module:
                return self.annual_report(req)
            if path.startswith("/art/"):
                return self.article(path, links)
            if path == "/module/download/downfile.jsp":
                return self.downfile(req)
            if path.startswith(("/attach/", "/picture/")):
                att = self.site.attachments.get(path)
                return self.attachment(att) if att else not_found()
            if path == "/jsearchfront/search.do":
                return self.jsearch(req, links)
        except ValueError as exc:  # a malformed number in a parameter, as a JSP would fail
            return Response(500, f"java.lang.NumberFormatException: {exc}".encode(), "text/plain")
        return not_found()

    def county(self, req: Request, links) -> Response | None:
        """The county portal's own pages and faults (county.py); None: as any site."""
        path, params, extras = req.path, req.params, self.site.county
        if path in ("/", "/index.html"):
            return html(county.home(self.site))
        if m := re.fullmatch(r"/col/col(\d+)/index\.html", path):
            column_id = int(m.group(1))
            if column_id == self.site.xxgk_column:
                return html(county.directory(self.site))
            if column_id == extras.malformed_column:
                return html(county.malformed_column_page(self.site, self.site.columns[column_id], links))
            if column_id == extras.calendar_column:
                return html(county.calendar(self.site, params.get("date", "")))
            return None
        if path == "/module/xxgk/unittree.jsp":
            return html(county.unit_tree(self.site))
        if path == "/module/xxgk/tree.jsp":
            body = self.site.body_by_area(params.get("area", ""))
            return html(county.tree(self.site, body)) if body else not_found()
        if path == "/module/xxgk/search.jsp" and params.get("area") == extras.search_error_area:
            return Response(500, b"java.lang.NullPointerException", "text/plain")
        if path == "/jsearchfront/search.do":
            query, page = params.get("q", "").strip(), max(1, _int(params.get("p"), 1))
            if query == "年报":  # this search always fails
                return Response(500, b"<html><body>jsearch: internal error</body></html>")
            hits = [a for a in sorted(self.site.articles.values(), key=lambda a: a.published, reverse=True)
                    if query in a.title]
            return html(county.jsearch(self.site, hits, query, page, links))
        if path.startswith("/art/") and path in extras.trap_kinds:
            art = self.site.articles[path]
            shown = replace(art, title=county.trap_title_on_page(art.title))
            return html(pages.article(self.site, shown, self.content, links, "政府信息公开年报"))
        return None

    def column(self, column_id: int, links) -> Response:
        if column_id == self.site.xxgk_column:
            return html(pages.directory(self.site))
        if column_id in self.units:
            return html(pages.unit_shell(self.site, self.units[column_id]))
        column = self.site.columns.get(column_id)
        if column is None:
            return not_found()
        if column.js_only:
            return html(pages.js_column_page(self.site, column))
        # ?uid=&pageNum= are read by jpage's JS only: the server always renders group 1.
        return html(pages.column_page(self.site, column, links))

    def proxy(self, req: Request, links) -> Response:
        params = req.params
        column = self.site.columns.get(_int(params.get("columnid"), 0))
        entries = column.entries if column else []
        perpage = min(_int(params.get("perpage"), column.per_page if column else 15), MAX_PERPAGE)
        if perpage < 1:
            raise ValueError(f"perpage={perpage}")
        # Both paging styles: ``page`` wins when present, else startrecord/endrecord (§1.2).
        if params.get("page"):
            start = (max(1, _int(params["page"], 1)) - 1) * perpage
            end = start + perpage
        else:
            start = max(1, _int(params.get("startrecord"), 1)) - 1
            end = min(_int(params.get("endrecord"), start + 3 * perpage), start + 3 * perpage)
        total = len(entries)
        # The old path answers in GBK (declared): a decoder that assumes UTF-8 makes mojibake.
        encoding = "GBK" if req.path == LEGACY_PROXY else "UTF-8"
        style = column.record_style if column else "span_after"
        text = pages.proxy_xml(entries[start:end], style, total, math.ceil(total / perpage), links, encoding)
        return Response(body=text.encode(encoding.lower()), content_type=f"text/xml;charset={encoding}")

    def search(self, req: Request) -> Response:
        params = req.params
        rows = [a for a in self.by_area.get(params.get("area", ""), []) if not (a.report and a.report.deleted)]
        if title := params.get("vc_title", "").strip():
            rows = [a for a in rows if title in a.title]
        page = max(1, _int(params.get("currpage"), 1))
        return html(pages.search_results(rows, page))

    def annual_report(self, req: Request) -> Response:
        params = req.params
        body = self.site.body_by_area(params.get("area", ""))
        if body is None:
            return not_found()
        report = self.site.report_for(body.uscc, _int(params.get("fbtime"), 0))
        if report is not None and report.deleted:
            return not_found()
        # A year the body did not file: the module still answers, with an empty page.
        return html(pages.annual_report(report, self.content),
                    last_modified=report.last_modified if report else None)

    def article(self, path: str, links) -> Response:
        art = self.site.articles.get(path)
        if art is None or (art.report and art.report.deleted):
            return not_found()
        column = self.site.columns.get(art.column_id)
        text = pages.article(self.site, art, self.content, links, column.name if column else "通知公告")
        gbk = art.report is not None and art.report.form == "gbk"
        # The legacy GBK page names its charset only in <meta>, like the old servers did.
        return Response(body=text.encode("gbk" if gbk else "utf-8", "xmlcharrefreplace"),
                        content_type="text/html" if gbk else HTML,
                        last_modified=art.report.last_modified if art.report else art.published)

    def downfile(self, req: Request) -> Response:
        filename = req.params.get("filename", "")
        att = self.site.attachments.get(f"/attach/0/{filename}") or self.site.attachments.get(f"/picture/0/{filename}")
        if att is None:
            return not_found()
        return Response(302, b"", headers=[("Location", att.attach_path)])

    def attachment(self, att: Attachment) -> Response:
        part = att.report.attachments.index(att)
        data = self.content.file(att.report, att.ext, part)
        headers = []
        if att.ext not in ("jpg", "png"):
            headers.append(("Content-Disposition", content_disposition(att.showname, att.disposition)))
        return Response(body=data, content_type=CONTENT_TYPES[att.ext], headers=headers,
                        last_modified=att.report.last_modified)

    def jsearch(self, req: Request, links) -> Response:
        params = req.params
        query = params.get("q", "").strip()
        hits = [a for a in sorted(self.site.articles.values(), key=lambda a: a.published, reverse=True)
                if query in a.title and not (a.report and a.report.deleted)]
        page = max(1, _int(params.get("p"), 1))
        per_page = min(max(1, _int(params.get("pg"), 10)), 50)
        return html(pages.jsearch(self.site, hits, query, page, per_page, links))


def content_disposition(name: str, variant: str) -> str:
    """As real servers send it: RFC 5987 ``filename*``, a raw GBK ``filename`` (bytes shown as
    latin-1 so that http.server writes them through unchanged), or both."""
    raw = name.encode("gbk", "replace").decode("latin-1")
    utf8 = "filename*=UTF-8''" + quote(name)
    if variant == "gbk":
        return f'attachment; filename="{raw}"'
    if variant == "utf8":
        return f"attachment; {utf8}"
    return f'attachment; filename="{raw}"; {utf8}'


class FlipbookApp:
    """The bare-IP FlipBuilder host: ``/book/{year}dzs/{dept}/…`` (§6)."""

    def __init__(self, reports: list[Report], content: ReplicaContent):
        self.books = {r.flipbook.root: r for r in reports if r.flipbook}
        self.content = content

    def handle(self, req: Request) -> Response:
        m = re.fullmatch(r"(/book/\d{4}dzs/[^/]+)/(.+)", req.path)
        report = self.books.get(m.group(1)) if m else None
        if report is None:
            return not_found()
        book, rest = report.flipbook, m.group(2)
        count = self.content.book_page_count(report)
        if rest in ("index.html", "mobile/index.html"):
            return html(pages.book_viewer(book))
        if rest == "mobile/javascript/config.js":
            return Response(body=pages.book_config(book, count).encode(), content_type="application/javascript")
        if rest == "files/basic-html/index.html":
            return html(pages.book_index(book, count))
        if (pm := re.fullmatch(r"files/(basic-html/page|mobile/|thumb/)(\d+)\.(html|jpg)", rest)) is None:
            return not_found()
        kind, number = pm.group(1), int(pm.group(2))
        if not 1 <= number <= count or (kind == "basic-html/page") != (pm.group(3) == "html"):
            return not_found()
        if kind == "basic-html/page":
            return html(pages.book_page(book, number, count, self.content.book_lines(report, number)),
                        last_modified=report.last_modified)
        data = self.content.book_image(report, number, thumb=kind == "thumb/")
        return Response(body=data, content_type="image/jpeg", last_modified=report.last_modified)


class CloneApp:
    """A mirror that copies a Hanweb site's URLs: crawlers must never go there."""

    def __init__(self, source: SiteApp):
        self.source = source

    def handle(self, req: Request) -> Response:
        if req.path == "/robots.txt":
            return Response(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
        if req.path == "/":
            reports = [r.articles[0].path for r in self.source.site.reports if r.articles][:10]
            return html(pages.clone_home(reports))
        if req.path.startswith("/art/"):
            return self.source.article(req.path, self.source.links("http://" + req.host))
        return not_found()

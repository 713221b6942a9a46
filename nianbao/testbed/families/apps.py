"""Routing and markup of the TRS WCM and Ucap replica portals.

Both answer like the Hanweb replica's apps (``replica.app.Request`` in,
``Response`` out) so that ``replica.server`` serves them with the same faults
and request log. What each reproduces is listed in ``README.md`` beside this.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import datetime
from html import escape

from nianbao.testbed.replica.app import CONTENT_TYPES, Request, Response, _int, html, not_found
from nianbao.testbed.replica.content import ReplicaContent

from .model import Document, FamilySite

PER_PAGE = 3            # list entries a page: small, so that even a small replica pages its lists
CALENDAR_START = "202301"


def shown_title(doc: Document) -> str:
    """The title a page gives itself: a 图解 companion drops its prefix everywhere on
    its own page (only the list that links it says 图解), as real ones do."""
    return doc.title.removeprefix("图解：")


def _intro(doc: Document) -> str:
    return (f'<p style="text-indent:2em">根据《中华人民共和国政府信息公开条例》规定，现将{escape(doc.title)}'
            "予以公布。</p>\n")


class FamilyApp:
    """What both replicas share: the model, robots.txt, the calendar trap, report bodies."""

    folder_index = "index.htm"

    def __init__(self, site: FamilySite, content: ReplicaContent, mirror_url: str = ""):
        self.site = site
        self.content = content
        self.mirror_url = mirror_url
        # One report page robots.txt forbids (a crawler must not fetch it).
        self.barred = next((d for d in reversed(site.documents) if d.report and d.report.form == "html"), None)
        if self.barred:
            self.barred.report.disallowed = True
        self.by_path = {self.doc_path(d): d for d in site.documents}
        self.files = {self.file_path(d, f): (d, f) for d in site.documents for f in d.attachments}
        self.slugs = {b.slug: b for b in site.bodies}

    def doc_path(self, doc: Document) -> str:
        raise NotImplementedError

    def file_path(self, doc: Document, ref) -> str:
        raise NotImplementedError

    def robots(self) -> Response:
        lines = [f"# robots.txt for {self.site.title}", "User-agent: *", "Disallow: /search/"]
        if self.barred:
            lines.append(f"Disallow: {self.doc_path(self.barred)}")
        return Response(body=("\n".join(lines) + "\n").encode(), content_type="text/plain; charset=utf-8")

    def handle(self, req: Request) -> Response:
        path = req.path
        if path == "/robots.txt":
            return self.robots()
        if path != "/" and path.endswith("/"):  # a folder: the CMS serves its index page
            return Response(302, b"", headers=[("Location", path + self.folder_index)])
        if m := re.fullmatch(r"/rl/(\d{6})\.s?html?", path):
            return html(self.calendar(m.group(1)))
        if path.startswith("/search/"):
            return html("<html><body><form>站内搜索</form></body></html>")
        if path in self.files:
            doc, ref = self.files[path]
            return Response(body=self.content.file(doc.report, ref.ext), content_type=CONTENT_TYPES[ref.ext],
                            last_modified=doc.published)
        if path in self.by_path:
            doc = self.by_path[path]
            if doc.report is not None and doc.report.deleted:
                return not_found()
            return self.document(doc)
        try:
            return self.route(req)
        except ValueError as exc:  # a malformed number, as the server-side script would fail
            return Response(500, f"java.lang.NumberFormatException: {exc}".encode(), "text/plain")

    def route(self, req: Request) -> Response:
        raise NotImplementedError

    def document(self, doc: Document) -> Response:
        raise NotImplementedError

    def calendar(self, month: str) -> str:
        """政务公开日历: every month links the one before and after it, without end (a crawler trap)."""
        when = datetime.strptime(month, "%Y%m")
        prev = f"{when.year - (when.month == 1)}{(when.month - 2) % 12 + 1:02d}"
        nxt = f"{when.year + (when.month == 12)}{when.month % 12 + 1:02d}"
        ext = self.folder_index.rsplit(".", 1)[1]
        return (f"<html><head><meta charset='utf-8'><title>政务公开日历 {when:%Y年%m月}</title></head><body>"
                f"<h1>{when:%Y年%m月}</h1><a href='/rl/{prev}.{ext}'>上个月</a> <a href='/rl/{nxt}.{ext}'>下个月</a>"
                "</body></html>")

    def report_body(self, doc: Document, file_links: str) -> str:
        """What the content area holds: the report itself, or an intro and its file."""
        if doc.report is None:
            text = (f'<p style="text-indent:2em">{escape(shown_title(doc))}全文如下。</p>\n'
                    '<p style="text-indent:2em">各有关单位：现将有关事项通知如下，请认真贯彻执行。</p>\n')
            if doc.trap == "companion":  # an illustrated page: pictures, and the sections as captions
                text += ('<p><img src="/images/tujie.png" alt=""></p>\n<p>一、总体情况</p>\n'
                         '<p>二、主动公开政府信息情况</p>\n<p>三、收到和处理政府信息公开申请情况</p>\n')
            return text
        if doc.report.form == "attachment":
            return _intro(doc) + file_links
        return self.content.fragment(doc.report)

    def xxgk_table(self, doc: Document) -> str:
        seq = doc.doc_id % 100_000
        return ('<table class="xxgk_table"><tr><td>索引号：</td>'
                f"<td>{doc.body.uscc}/{doc.published.year}-{seq:05d}</td><td>发布机构：</td>"
                f"<td>{escape(doc.body.organization)}</td></tr><tr><td>发布日期：</td>"
                f"<td>{doc.published:%Y-%m-%d}</td><td>主题分类：</td><td>政府信息公开年报</td></tr></table>\n")

    def home_links(self) -> str:
        mirror = f'<a href="{self.mirror_url}/">镜像站点</a> ' if self.mirror_url else ""
        ext = self.folder_index.rsplit(".", 1)[1]
        return (f'<a href="/rl/{CALENDAR_START}.{ext}">政务公开日历</a> {mirror}'
                '<a href="http://www.gov.cn/">中国政府网</a> <a href="/search/?q=年报">搜索</a>')


# --- TRS WCM ------------------------------------------------------------------------------------

COLUMN_NAMES = {"gknb": "政府信息公开年报", "tzgg": "通知公告", "zcwj": "政策文件"}


class TrsApp(FamilyApp):
    """A TRS WCM county portal: ``/zfxxgk/{body}/{column}/index[_k].htm`` lists whose pager
    is ``createPageHTML``, documents ``./YYYYMM/tYYYYMMDD_N.htm``, files ``./P0….ext``."""

    folder_index = "index.htm"

    def doc_path(self, doc: Document) -> str:
        p = doc.published
        return f"/zfxxgk/{doc.body.slug}/{doc.column}/{p:%Y%m}/t{p:%Y%m%d}_{doc.doc_id}.htm"

    def file_path(self, doc: Document, ref) -> str:
        return f"/zfxxgk/{doc.body.slug}/{doc.column}/{doc.published:%Y%m}/{ref.name}.{ref.ext}"

    def route(self, req: Request) -> Response:
        path = req.path
        if path in ("/", "/index.htm", "/index.html"):
            return html(self.home())
        if path == "/zwdt/index.htm":  # news: no reports
            return self.list_page("zwdt", "政务动态", [], 0)
        if path == "/zfxxgk":
            return Response(301, b"", headers=[("Location", "/zfxxgk/index.htm")])
        if path == "/zfxxgk/index.htm":
            return html(self.directory())
        if m := re.fullmatch(r"/zfxxgk/ndbg/index(?:_(\d+))?\.htm", path):
            latest = max(self.site.years)
            docs = [d for d in self.site.documents if d.report and d.report.year == latest]
            return self.list_page("ndbg", "政府信息公开年报", sorted(docs, key=lambda d: d.published, reverse=True),
                                  int(m.group(1) or 0))
        if m := re.fullmatch(r"/zfxxgk/([a-z0-9]+)/index\.htm", path):
            body = self.slugs.get(m.group(1))
            return html(self.body_page(body)) if body else not_found()
        if m := re.fullmatch(r"/zfxxgk/([a-z0-9]+)/(gknb|tzgg|zcwj)/index(?:_(\d+))?\.htm", path):
            body = self.slugs.get(m.group(1))
            if body is None:
                return not_found()
            return self.list_page(m.group(2), COLUMN_NAMES[m.group(2)], self.site.column(body, m.group(2)),
                                  int(m.group(3) or 0))
        return not_found()

    def home(self) -> str:
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(self.site.title)}</title>"
                "</head><body>\n"
                "<div class='nav'><a href='/index.htm'>首页</a> <a href='/zwdt/index.htm'>政务动态</a> "
                "<a href='/zfxxgk'>政府信息公开</a> <a href='/zfxxgk/ndbg/index.htm'>政府信息公开年报</a> "
                f"{self.home_links()}</div>\n</body></html>")

    def directory(self) -> str:
        items = "".join(f"<li><a href='./{b.slug}/'>{escape(b.name)}</a></li>\n" for b in self.site.bodies)
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>政府信息公开目录</title></head><body>\n"
                f"<h2>政府信息公开目录</h2><ul class='bmlist'>\n{items}</ul></body></html>")

    def body_page(self, body) -> str:
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>{escape(body.organization)} 政府信息公开</title></head><body>\n"
                f"<h2>{escape(body.organization)}</h2><ul class='lmlist'>"
                "<li><a href='./gknb/index.htm'>政府信息公开年报</a></li>"
                "<li><a href='./tzgg/index.htm'>通知公告</a></li>"
                "<li><a href='./zcwj/index.htm'>政策文件</a></li></ul></body></html>")

    def list_page(self, column: str, name: str, docs: list[Document], page: int) -> Response:
        count = max(1, math.ceil(len(docs) / PER_PAGE))
        if page >= count:
            return not_found()
        rows = []
        for d in docs[page * PER_PAGE:(page + 1) * PER_PAGE]:
            href = self.doc_path(d)
            if column != "ndbg":  # inside a body's column the links are relative, as TRS writes them
                href = "./" + href.split(f"/{column}/", 1)[1]
            short = d.title if len(d.title) <= 24 else d.title[:24] + "..."
            rows.append(f"<li><a href='{href}' title='{escape(d.title)}' target='_blank'>{escape(short)}</a>"
                        f"<span>{d.published:%Y-%m-%d}</span></li>\n")
        # The pager exists only as script: createPageHTML writes it in the browser.
        script = (f"<script type='text/javascript'>var countPage = {count}//共多少页\nvar currentPage = {page};"
                  "//所在页从0开始\ncreatePageHTML(countPage, currentPage, \"index\", \"htm\");</script>")
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                    f"<title>{escape(name)}</title></head><body>\n<h2>{escape(name)}</h2>"
                    f"<ul class='list'>\n{''.join(rows)}</ul>\n<div class='page'>{script}</div></body></html>")

    def document(self, doc: Document) -> Response:
        files = "".join(f'<a href="./{f.name}.{f.ext}">{escape(f.showname)}</a><br/>' for f in doc.attachments)
        # The attachment list is a script string, as TRS templates write it.
        script = (f"<script type=\"text/javascript\">var file_appendix = '{files}';\n"
                  "if (file_appendix != \"\") { document.write('<p>附件：' + file_appendix + '</p>'); }</script>\n")
        gbk = doc.report is not None and doc.report.form == "gbk"
        charset = "gb2312" if gbk else "utf-8"
        page = (f"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
                f'<meta name="ArticleTitle" content="{escape(shown_title(doc))}">'
                f'<meta name="PubDate" content="{doc.published:%Y-%m-%d %H:%M}">'
                f'<meta name="ContentSource" content="{escape(doc.body.organization)}">'
                f"<title>{escape(shown_title(doc))}</title></head><body>\n{self.xxgk_table(doc)}"
                f"<h1>{escape(shown_title(doc))}</h1>\n"
                f"<div class='content'><div class='TRS_Editor'>{self.report_body(doc, '')}</div></div>\n"
                f"{script}</body></html>")
        if gbk:  # the charset only in <meta>, like the old servers
            return Response(body=page.encode("gbk", "xmlcharrefreplace"), content_type="text/html",
                            last_modified=doc.published)
        return html(page, last_modified=doc.published)


# --- Ucap (开普云) ---------------------------------------------------------------------------------

API_PATH = "/ucap/info/getInfoList"


class UcapApp(FamilyApp):
    """An Ucap county portal: ``.shtml`` pages with ``<ucaptitle>``/``<publishtime>``/
    ``<ucapcontent>``, per-body ``gknb`` columns, static (``index_N.shtml``) for even
    bodies and drawn by script from a JSON list API for odd ones."""

    folder_index = "index.shtml"

    def doc_path(self, doc: Document) -> str:
        digest = hashlib.md5(f"{self.site.name}:{doc.doc_id}".encode()).hexdigest()
        return f"/zwgk/{doc.body.slug}/{doc.column}/{doc.published:%Y%m}/{digest}.shtml"

    def file_path(self, doc: Document, ref) -> str:
        digest = hashlib.md5(f"{ref.name}".encode()).hexdigest()
        return f"/uploadfiles/{doc.published:%Y%m}/{digest}.{ref.ext}"

    def js_list(self, body) -> bool:
        return self.site.bodies.index(body) % 2 == 1

    def route(self, req: Request) -> Response:
        path = req.path
        if path in ("/", "/index.shtml"):
            return html(self.home())
        if path == "/zwgk/index.shtml":
            return html(self.directory())
        if path == "/xwzx/index.shtml":  # news: no reports
            return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>新闻中心</title></head>"
                        "<body><ul class='infolist'></ul></body></html>")
        if path == API_PATH:
            return self.api(req)
        if m := re.fullmatch(r"/zwgk/([a-z0-9]+)/index\.shtml", path):
            body = self.slugs.get(m.group(1))
            return html(self.body_page(body)) if body else not_found()
        if m := re.fullmatch(r"/zwgk/([a-z0-9]+)/(gknb|tzgg)/index(?:_(\d+))?\.shtml", path):
            body = self.slugs.get(m.group(1))
            if body is None:
                return not_found()
            page = int(m.group(3) or 1)
            if m.group(2) == "gknb" and self.js_list(body):
                return html(self.js_shell(body)) if page == 1 else not_found()
            return self.static_list(body, m.group(2), page)
        return not_found()

    def home(self) -> str:
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(self.site.title)}</title>"
                "</head><body>\n<div class='nav'><a href='/index.shtml'>首页</a> "
                "<a href='/zwgk/'>政务公开</a> <a href='/xwzx/index.shtml'>新闻中心</a> "
                f"{self.home_links()}</div>\n</body></html>")

    def directory(self) -> str:
        items = "".join(f"<li><a href='/zwgk/{b.slug}/index.shtml'>{escape(b.name)}</a></li>\n"
                        for b in self.site.bodies)
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>政府信息公开目录</title></head><body>\n"
                f"<h2>信息公开目录</h2><ul class='dept'>\n{items}</ul></body></html>")

    def body_page(self, body) -> str:
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                f"<title>{escape(body.organization)}</title></head><body>\n"
                f"<h2>{escape(body.organization)}</h2><ul class='lm'>"
                f"<li><a href='/zwgk/{body.slug}/gknb/index.shtml'>公开年报</a></li>"
                f"<li><a href='/zwgk/{body.slug}/tzgg/index.shtml'>通知公告</a></li></ul></body></html>")

    def static_list(self, body, column: str, page: int) -> Response:
        docs = self.site.column(body, column)
        count = max(1, math.ceil(len(docs) / PER_PAGE))
        if not 1 <= page <= count:
            return not_found()
        rows = "".join(
            f"<li><a href='{self.doc_path(d)}' title='{escape(d.title)}'>{escape(d.title)}</a>"
            f"<span class='time'>{d.published:%Y-%m-%d}</span></li>\n"
            for d in docs[(page - 1) * PER_PAGE:page * PER_PAGE])
        pager = []
        if page < count:
            pager.append(f"<a href='index_{page + 1}.shtml'>下一页</a>")
        pager.append(f"<a href='index_{count}.shtml'>尾页</a>" if count > 1 else "")
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>公开年报</title></head><body>\n"
                    f"<ul class='infolist'>\n{rows}</ul><div class='pager'>{''.join(pager)}</div></body></html>")

    def js_shell(self, body) -> str:
        channel = f"{body.slug}-gknb"
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>公开年报</title></head><body>\n"
                "<ul class='infolist' id='infolist'></ul><div id='pager'></div>\n<script type='text/javascript'>\n"
                f"var api = \"{API_PATH}?channelid={channel}&pagesize={PER_PAGE}&currpage=1\";\n"
                "function load(p){ $.getJSON(api.replace(/currpage=\\d+/, 'currpage=' + p), function(d){"
                " $.each(d.infolist, function(i, e){ $('#infolist').append('<li><a href=\"' + e.link + '\">'"
                " + e.title + '</a><span>' + e.pubtime + '</span></li>'); }); }); }\nload(1);\n</script>"
                "</body></html>")

    def api(self, req: Request) -> Response:
        params = req.params
        slug, _, column = params.get("channelid", "").partition("-")
        body = self.slugs.get(slug)
        docs = self.site.column(body, column) if body and column in ("gknb", "tzgg") else []
        size = _int(params.get("pagesize"), PER_PAGE)
        page = _int(params.get("currpage"), 1)
        if size < 1 or page < 1:
            raise ValueError(f"pagesize={size}, currpage={page}")
        chunk = docs[(page - 1) * size:page * size]
        data = {"totalcount": len(docs), "pagesize": size, "currpage": page,
                "infolist": [{"title": d.title, "link": self.doc_path(d), "pubtime": f"{d.published:%Y-%m-%d %H:%M:%S}"}
                             for d in chunk]}
        return Response(body=json.dumps(data, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8")

    def document(self, doc: Document) -> Response:
        files = "".join(f'<p>附件：<a href="{self.file_path(doc, f)}">{escape(f.showname)}</a></p>\n'
                        for f in doc.attachments)
        gbk = doc.report is not None and doc.report.form == "gbk"
        charset = "gbk" if gbk else "utf-8"
        page = (f"<!DOCTYPE html><html><head><meta charset='{charset}'><title>{escape(shown_title(doc))}</title></head>"
                f"<body>\n{self.xxgk_table(doc)}<div class='article'>"
                f"<h1><ucaptitle>{escape(shown_title(doc))}</ucaptitle></h1>\n"
                f"<div class='info'>发布时间：<publishtime>{doc.published:%Y-%m-%d %H:%M:%S}</publishtime></div>\n"
                f"<div id='zoom'><ucapcontent>{self.report_body(doc, files)}</ucapcontent></div></div>"
                "</body></html>")
        if gbk:
            return Response(body=page.encode("gbk", "xmlcharrefreplace"), content_type="text/html",
                            last_modified=doc.published)
        return html(page, last_modified=doc.published)

"""HTML/XML/JS of the replica's pages, shaped like the real Hanweb JCMS output.

Each function returns text; the server encodes it. Markup follows the stored
copies described in ``shared/research-hanweb-portals.md`` (section numbers in
comments), including their quirks, because the crawler must cope with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from .content import ReplicaContent
from .sites import Article, Body, Column, FlipBook, ListEntry, Report, Site

ARTICLE_TITLE_CUT = 18  # list pages show this many characters, then "..."
SEARCH_PAGE_SIZE = 10   # search.jsp rows per page


@dataclass
class Links:
    """Absolute URLs of the other hosts, known once the servers are bound."""
    clone_url: str
    flipbook_url: str
    alias_url: str | None
    own_url: str  # scheme://host:port as the client asked (Host header)


def _date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _cut(title: str) -> str:
    return title if len(title) <= ARTICLE_TITLE_CUT else title[:ARTICLE_TITLE_CUT] + "..."


def _head(title: str, meta: dict[str, str], charset: str = "utf-8") -> str:
    metas = "\n".join(f'<meta name="{k}" content="{escape(str(v))}">' for k, v in meta.items())
    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; '
            f'charset={charset}">\n{metas}\n<title>{escape(title)}</title>\n'
            '<link rel="stylesheet" href="/images/common/style.css">\n'
            '<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>\n</head>\n')


def _header(site: Site) -> str:
    p = site.profile
    return (f'<div class="header"><div class="logo"><a href="/"><img src="/images/{p.site_id_code}/logo.png" '
            f'alt="{p.site_name}"></a></div>\n<div class="search"><form action="/jsearchfront/search.do" '
            f'method="get"><input type="hidden" name="websiteid" value="{p.jsearch_websiteid}">'
            '<input type="hidden" name="tpl" value="1361"><input type="hidden" name="pg" value="20">'
            '<input name="q" placeholder="请输入关键字"><button type="submit">搜索</button></form></div></div>\n'
            f'<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/col/col{site.xxgk_column}/index.html">'
            '信息公开</a></li><li><a href="#">政务服务</a></li>'
            '<li><a href="#">互动交流</a></li></ul></div>\n')


def _footer(site: Site) -> str:
    p = site.profile
    return (f'<div class="footer"><p>主办：{p.site_name}办公室 承办：{p.county}大数据中心</p>'
            f'<p>网站标识码：{p.site_id_code} 鲁ICP备05046317号</p></div>\n'
            '<script type="text/javascript">var _hmt = _hmt || [];</script>\n</body>\n</html>\n')


# --- home and directory --------------------------------------------------------------------

def home(site: Site, links: Links) -> str:
    p = site.profile
    parts = [_head(p.site_name, {"SiteName": p.site_name, "SiteIDCode": p.site_id_code}), "<body>\n",
             _header(site), '<div class="main">\n<div class="box zwgk"><h3>政务公开</h3><ul>\n',
             f'<li><a href="/col/col{site.xxgk_column}/index.html">政府信息公开</a></li>\n']
    annual = site.columns.get(site.annual_column)
    if annual is not None and site.name == "wendeng":
        parts.append(f'<li><a href="/col/col{annual.column_id}/index.html?uid={annual.unit_id}&pageNum=1">'
                     '政府信息公开年报</a></li>\n')
    elif annual is not None:
        parts.append(f'<li><a href="/col/col{annual.column_id}/index.html">{annual.name}</a></li>\n')
    parts.append('</ul></div>\n')
    if any(r.form == "annual_report" for r in site.reports):
        # The newest structured reports; on huancui one through the ":8443" alias, parameters swapped.
        parts.append('<div class="box nb"><h3>年度报告</h3><ul>\n')
        latest = [r for r in site.reports if r.form == "annual_report"][-4:]
        for r in latest:
            href = r.annual_report_path
            if r.alias_linked and links.alias_url:
                href = f"{links.alias_url}/module/xxgk/xxgkAnnualReport.jsp?fbtime={r.year}&area={r.body.uscc}"
            parts.append(f'<li><a href="{escape(href)}" target="_blank">{escape(r.title)}</a></li>\n')
        parts.append('</ul></div>\n')
    parts.append('</div>\n')
    parts.append(_footer(site))
    return "".join(parts)


def directory(site: Site) -> str:
    """The xxgk directory: one link per body, carrying its USCC as ``vc_xxgkarea`` (§2.1)."""
    parts = [_head("政府信息公开", {"ColumnName": "政府信息公开", "ColumnType": "信息公开目录",
                                   "SiteName": site.profile.site_name}),
             "<body>\n", _header(site), '<div class="main"><div class="bmlist"><h3>部门信息公开</h3><ul>\n']
    for body in site.bodies:
        parts.append(f'<li><a href="/col/col{body.unit_column}/index.html?vc_xxgkarea={body.uscc}&amp;jh=261" '
                     f'target="_blank">{escape(body.name)}</a></li>\n')
    parts.append("</ul></div></div>\n")
    parts.append(_footer(site))
    return "".join(parts)


def unit_shell(site: Site, body: Body) -> str:
    """A body's xxgk page: an iframe tree and a loader script; no records in the static HTML."""
    area = body.uscc
    return "".join([
        _head(body.organization, {"ColumnName": body.name, "ColumnType": "信息公开",
                                  "SiteName": site.profile.site_name}),
        "<body>\n", _header(site),
        f'<div class="xxgk_top"><h2>{escape(body.organization)}</h2><input id="title" type="text">'
        '<a href="javascript:search(\'\')">检索</a></div>\n',
        f'<div class="xxgk_left"><iframe id="tree" src="/module/xxgk/tree.jsp?standardXxgk=1&amp;area={area}'
        '&amp;divid=div4" width="220" height="600" frameborder="0"></iframe></div>\n',
        '<div class="xxgk_right" id="div4"></div>\n',
        '<script type="text/javascript" src="/module/xxgk/script/dynamic.js"></script>\n',
        '<script type="text/javascript">\nfunction search(a){\n'
        "  loadDynamic('/module/xxgk/search.jsp?standardXxgk=1&infotypeId='+a+'&vc_title='"
        f"+encodeURI(document.getElementById('title').value)+'&area={area}', 'div4', 1);\n}}\n"
        "search('');\n</script>\n",
        _footer(site)])


DYNAMIC_JS = """// xxgk list loader: POSTs the search form to search.jsp and drops the table into the div.
function loadDynamic(url, divid, currpage) {
  var parts = url.split('?'); var xhr = new XMLHttpRequest();
  xhr.open('POST', parts[0], true);
  xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8');
  xhr.onload = function () { document.getElementById(divid).innerHTML = xhr.responseText; };
  xhr.send((parts[1] || '') + '&divid=' + divid + '&currpage=' + (currpage || 1) +
           '&fbtime=-1&sortfield=,createdatetime:0,orderid:0&isAllList=1&texttype=0');
}
"""


def tree(site: Site, body: Body) -> str:
    """The infotype tree inside the shell's iframe; the 年报 node is where reports hang."""
    parts = ['<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>tree</title></head><body>\n'
             '<ul class="xxgk_tree">\n<li><a href="javascript:parent.search(\'\')">全部信息</a></li>\n'
             '<li><a href="javascript:parent.search(\'N01\')">政府信息公开指南</a></li>\n'
             '<li><a href="javascript:parent.search(\'N02\')">法定主动公开内容</a></li>\n'
             '<li class="nb">政府信息公开年报<ul>\n']
    if body.report_column is not None:
        c = body.report_column
        parts.append(f'<li><a href="/col/col{c.column_id}/index.html?uid={c.unit_id}&amp;pageNum=1" '
                     f'target="_blank">政府信息公开年报</a></li>\n')
    else:
        for year in sorted(site.years, reverse=True):
            parts.append(f'<li><a href="/module/xxgk/xxgkAnnualReport.jsp?area={body.uscc}&amp;fbtime={year}" '
                         f'target="_blank">{year}年</a></li>\n')
    parts.append("</ul></li>\n</ul>\n</body></html>\n")
    return "".join(parts)


def search_results(rows: list[Article], page: int) -> str:
    """search.jsp's answer: every document of the body, not filtered by column (§2.1)."""
    pages = max(1, math.ceil(len(rows) / SEARCH_PAGE_SIZE))
    chunk = rows[(page - 1) * SEARCH_PAGE_SIZE: page * SEARCH_PAGE_SIZE]
    out = ['<table width="100%" class="tb_main" cellspacing="0">\n'
           '<tr class="tr_main_title"><td>序号</td><td>名称</td><td>发布日期</td></tr>\n']
    for i, art in enumerate(chunk):
        cls = "tr_main_value_odd" if i % 2 == 0 else "tr_main_value_even"
        out.append(f'<tr class="{cls}"><td>{(page - 1) * SEARCH_PAGE_SIZE + i + 1}</td>'
                   f'<td><a href="{art.path}" title="{escape(art.title)}" target="_blank">{escape(_cut(art.title))}'
                   f'</a></td><td>{_date(art.published)}</td></tr>\n')
    out.append("</table>\n")
    nav = f'<a href="javascript:goPage({page + 1})">下一页</a>' if page < pages else ""
    out.append(f'<div class="xxgk_page">共{len(rows)}条 共{pages}页 当前第{page}页 {nav}</div>\n')
    return "".join(out)


# --- jpage columns ------------------------------------------------------------------------

def record_markup(entry: ListEntry, style: str, links: Links) -> str:
    """One list record in one of the template variants seen in the wild (§1.1)."""
    href = entry.href.replace("{clone}", links.clone_url)
    title, date = escape(entry.title), _date(entry.date)
    if style == "b_clearfix":
        markup = f'<li class="clearfix"><a target="_blank" href="{href}" title="{title}">{title}</a> <b>{date}</b></li>'
    elif style == "span_before":
        markup = f"<li><span>{date}</span><a href='{href}' title='{title}' target='_blank'>{escape(_cut(entry.title))}</a></li>"
    elif style == "sp_time":
        markup = f'<li><a href="{href}" title="{title}" target="_blank">{title}</a><span class="sp_time">{date}</span></li>'
    elif style == "table_row":
        markup = (f'<tr><td class="bt"><a href="{href}" title="{title}" target="_blank">{escape(_cut(entry.title))}'
                  f'</a></td><td class="rq">[{date}]</td></tr>')
    else:  # span_after
        markup = f"<li><a href='{href}' title='{title}' target='_blank'>{escape(_cut(entry.title))}</a><span>{date}</span></li>"
    if entry.stray_fragment:
        markup = markup.replace("<li>", "<li style=<br/>", 1)
    return markup


def proxy_params(site: Site, column: Column) -> str:
    webname = quote(quote(site.profile.site_name))  # stored copies show it double-encoded
    return (f"appid=1&webid={site.profile.webid}&path=/&columnid={column.column_id}&unitid={column.unit_id}"
            f"&webname={webname}&permissiontype=0")


def proxy_path(column: Column) -> str:
    return "/module/jslib/jquery/jpage/dataproxy.jsp" if column.legacy_proxy else "/module/web/jpage/dataproxy.jsp"


def column_page(site: Site, column: Column, links: Links) -> str:
    """A 年报 column: group 1 (3 × perPage records) inline in a ``<datastore>``, then jpage's init call."""
    group = column.entries[: 3 * column.per_page]
    records = "\n".join(f"<record><![CDATA[\n{record_markup(e, column.record_style, links)}\n]]></record>"
                        for e in group)
    nextgroup = f'<a href="{proxy_path(column)}?page=1&{proxy_params(site, column)}"></a>'
    wrapper = ("<table class=\"list\">", "</table>") if column.record_style == "table_row" else ("", "")
    body = (f'<div class="list_box">{wrapper[0]}\n<div id="{column.unit_id}"><script type="text/xml"><datastore>\n'
            f"<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n<recordset>\n{records}\n</recordset>\n"
            f"</datastore></script></div>{wrapper[1]}</div>\n"
            f"<script type=\"text/javascript\">$('#{column.unit_id}').jpage({{basePath:'/module/web/jpage',"
            f"dataStore:dataStore,themeName:'default',showMode:'full',totalRecord:{len(column.entries)},"
            f"perPage:{column.per_page},groupSize:3,barPosition:'bottom',openCookies:false,"
            f"proxyUrl:'{proxy_path(column)}',ajaxParam:{{col:1,appid:1,webid:{site.profile.webid},path:'/',"
            f"columnid:{column.column_id},sourceContentType:1,unitid:'{column.unit_id}',"
            f"webname:'{site.profile.site_name}',permissiontype:0}}}});</script>\n")
    return _column_shell(site, column, body)


# A JS-only list renders one group, as jpage does; the replica's groups are small enough
# that its few reports need more than one (the crawler must ask the proxy for the rest).
JS_GROUP_SIZE = 1


def js_column_page(site: Site, column: Column) -> str:
    """A column whose list only a browser sees: no datastore, ids computed at run time.
    The browser renders the first group; the rest are only in the data proxy."""
    offset = column.column_id - 4000
    body = (f'<div id="{column.unit_id}"></div>\n<script type="text/javascript">\n'
            f"var cid = 4000 + {offset}; var uid = '{column.unit_id}';\n"
            "function jpage(el, o) {\n"
            "  var xhr = new XMLHttpRequest();\n"
            "  xhr.open('POST', o.proxyUrl + '?startrecord=1&endrecord=' + (o.groupSize * o.perPage) + '&perpage=' + o.perPage, true);\n"
            "  xhr.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8');\n"
            "  xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');\n"
            "  xhr.onload = function () {\n"
            "    var recs = xhr.responseXML.getElementsByTagName('record'), html = '';\n"
            "    for (var i = 0; i < recs.length; i++) html += recs[i].textContent;\n"
            "    el.innerHTML = '<div class=\"default_pgContainer\"><ul>' + html + '</ul></div>';\n"
            "  };\n"
            "  var p = []; for (var k in o.ajaxParam) p.push(k + '=' + encodeURIComponent(o.ajaxParam[k]));\n"
            "  xhr.send(p.join('&'));\n}\n"
            f"jpage(document.getElementById(uid), {{perPage:{column.per_page},groupSize:{JS_GROUP_SIZE},"
            "proxyUrl:'/module/web/jpage/dataproxy.jsp',"
            f"ajaxParam:{{col:1,appid:1,webid:{site.profile.webid},path:'/',columnid:cid,unitid:uid,"
            "permissiontype:0}});\n</script>\n")
    return _column_shell(site, column, body)


def _column_shell(site: Site, column: Column, body: str) -> str:
    meta = {"SiteName": site.profile.site_name, "SiteDomain": site.name, "SiteIDCode": site.profile.site_id_code,
            "ColumnName": column.name, "ColumnType": "政府信息公开年报", "ColumnKeywords": "年度报告",
            "ColumnDescription": column.name}
    return "".join([_head(column.name, meta), "<body>\n", _header(site),
                    f'<div class="position">当前位置：<a href="/">首页</a> &gt; {escape(column.name)}</div>\n'
                    '<div class="main">\n', body, "</div>\n", _footer(site)])


def proxy_xml(records: list[ListEntry], style: str, total: int, total_pages: int, links: Links,
              encoding: str = "UTF-8") -> str:
    """dataproxy.jsp's answer (§1.2)."""
    recs = "\n".join(f"<record><![CDATA[\n{record_markup(e, style, links)}\n]]></record>" for e in records)
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n<datastore>\n<totalrecord>{total}</totalrecord>\n'
            f"<totalpage>{total_pages}</totalpage>\n<recordset>\n{recs}\n</recordset>\n</datastore>\n")


# --- report pages ---------------------------------------------------------------------------

ANNUAL_REPORT = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/module/xxgk/css/annualreport.css">
</head>
<body>
<div class="nb_main">
  <div class="nb_title">{title}</div>
  <div class="nb_time">{time}</div>
  <div class="nb_content">
{body}
  </div>
  <div class="nb_print"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
</body>
</html>
"""


def annual_report(report: Report | None, content: ReplicaContent) -> str:
    """xxgkAnnualReport.jsp: title, 发布时间 and the report with HTML tables; empty when not filed."""
    if report is None:
        return ANNUAL_REPORT.format(title="", time="发布时间:", body='<p class="nodata">暂无数据</p>')
    return ANNUAL_REPORT.format(title=escape(report.title), time=f"发布时间:{_time(report.last_modified)}",
                                body=content.fragment(report))


def _intro(report: Report) -> str:
    return (f'<p style="text-indent:2em">根据《中华人民共和国政府信息公开条例》规定，现将{escape(report.title)}'
            "予以公布。</p>\n")


def report_body(report: Report, content: ReplicaContent, links: Links) -> str:
    """What sits inside div#zoom, by the report's form."""
    if report.form == "annual_report" and report.attachments:
        # An xxgkAnnualReport.jsp report republished as an article carrying it as a file.
        return _intro(report) + "".join(
            f'<p>附件：<a href="{escape(a.link_path)}" target="_blank">{escape(a.showname)}</a></p>\n'
            for a in report.attachments)
    if report.form == "attachment":
        if report.related_files:  # listed below the body instead (related_files_list)
            return _intro(report) + '<p style="text-indent:2em">详见相关附件。</p>\n'
        items = "".join(f'<p>附件：<a href="{escape(a.link_path)}" target="_blank">{escape(a.showname)}</a></p>\n'
                        for a in report.attachments)
        return _intro(report) + items
    if report.form == "scan":
        imgs = "".join(f'<p style="text-align:center"><img src="{a.attach_path}" border="0" alt=""></p>\n'
                       for a in report.attachments)
        return _intro(report) + imgs
    if report.form == "flipbook":
        book = report.flipbook
        target = "index.html" if book.via_viewer else "files/basic-html/page1.html"
        return _intro(report) + (f'<p><a href="{links.flipbook_url}{book.root}/{target}" target="_blank">'
                                 f"点击阅读：{escape(book.title)}</a></p>\n")
    return content.fragment(report)


def related_files_list(report: Report | None) -> str:
    """The 相关附件 list some templates print under div#zoom (``ul.xgbd``)."""
    if report is None or not report.related_files:
        return ""
    items = "".join(f'<li><a href="{escape(a.link_path)}" target="_blank">{escape(a.showname)}</a></li>\n'
                    for a in report.attachments)
    return f'<div class="xgfj"><h4>相关附件：</h4><ul class="xgbd">\n{items}</ul></div>\n'


def _article_meta(site: Site, art: Article, column_name: str, links: Links) -> dict[str, str]:
    source = art.body.organization if art.body else site.profile.site_name
    return {
        "SiteName": site.profile.site_name, "SiteDomain": links.own_url.split("//")[1],
        "SiteIDCode": site.profile.site_id_code, "ColumnName": column_name, "ColumnType": "政府信息公开",
        "ColumnKeywords": column_name, "ColumnDescription": column_name, "ArticleTitle": art.title,
        "PubDate": art.published.strftime("%Y-%m-%d %H:%M"), "ContentSource": source,
        "Keywords": "政府信息公开,年度报告", "Description": art.title, "Url": links.own_url + art.path,
        "i_columnid": str(art.column_id), "i_articleid": str(art.article_id),
        "Maketime": _time(art.published),
    }


def _xxgk_table(art: Article) -> str:
    year = art.report.year if art.report else art.published.year
    return ('<table class="xxgk_table" width="100%">\n'
            f"<tr><td>索引号：</td><td>{art.body.uscc}/{art.published.year}-{art.index_seq:05d}</td>"
            f"<td>发布单位：</td><td>{escape(art.body.organization)}</td></tr>\n"
            f"<tr><td>内容分类：</td><td>{year}年</td><td>成文日期：</td><td>{_date(art.published)}</td></tr>\n"
            "<tr><td>公开方式：</td><td>主动公开</td><td>公开范围：</td><td>面向全社会</td></tr>\n"
            "<tr><td>有效性/截止日期：</td><td></td><td>文号：</td><td></td></tr>\n</table>\n")


def article(site: Site, art: Article, content: ReplicaContent, links: Links, column_name: str) -> str:
    report = art.report
    if report is None:
        body = (f'<p style="text-indent:2em">{escape(art.title)}全文如下。</p>\n'
                f'<p style="text-indent:2em">各有关单位：现将有关事项通知如下，请认真贯彻执行。</p>\n')
    else:
        body = report_body(report, content, links)
    meta = _article_meta(site, art, column_name, links)
    if report is not None and report.form in ("old_template", "gbk"):
        return _old_article(site, art, body, meta, charset="gb2312" if report.form == "gbk" else "utf-8")
    title = escape(art.title)
    if report is not None and report.two_line_title:
        title = f"{escape(art.body.organization)}<br>{escape(art.title[len(art.body.organization):])}"
    source = escape(meta["ContentSource"])
    return "".join([
        _head(art.title, meta), "<body>\n", _header(site),
        f'<div class="position">当前位置：<a href="/">首页</a> &gt; {escape(column_name)}</div>\n<div class="main">\n',
        _xxgk_table(art),
        f'<div class="art_title">{title}</div>\n',
        f'<div class="art_info">发布日期:{_time(art.published)} 信息来源：<!--<$[信息来源]>begin-->{source}'
        '<!--<$[信息来源]>end--> 浏览次数：<span id="c">1</span></div>\n',
        '<div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">\n',
        body,
        '<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end--></div>\n',
        related_files_list(report),
        '<div class="share">分享到：<a href="#">微信</a><a href="#">微博</a></div>\n</div>\n',
        _footer(site)])


def _old_article(site: Site, art: Article, body: str, meta: dict, charset: str) -> str:
    """The older Wendeng template: a table layout with ``td.bt_content div.art_con``; lower-case metas."""
    meta = {k.lower() if k in ("PubDate", "ContentSource") else k: v for k, v in meta.items()}
    return "".join([
        _head(art.title, meta, charset), "<body>\n", _header(site),
        '<table width="1000" align="center" class="bt"><tr><td class="bt_title">'
        f"{escape(art.title)}</td></tr>\n"
        f'<tr><td class="bt_time">发布日期：{_time(art.published)}&nbsp;&nbsp;来源：{escape(meta["contentsource"])}'
        "</td></tr>\n<tr><td class=\"bt_content\"><div class=\"art_con\">\n",
        "<!--ZJEG_RSS.content.begin-->", body, "<!--ZJEG_RSS.content.end-->",
        "</div></td></tr></table>\n", _footer(site)])


# --- jsearch --------------------------------------------------------------------------------

def jsearch(site: Site, hits: list[Article], query: str, page: int, per_page: int, links: Links) -> str:
    """Hanweb jsearch results (§2.2): ``div.jcse-news-title a`` and ``div.jcse-news-url``."""
    pages = max(1, math.ceil(len(hits) / per_page))
    chunk = hits[(page - 1) * per_page: page * per_page]
    q = escape(query)
    out = [_head("站内搜索", {"SiteName": site.profile.site_name}), "<body>\n<div class=\"jcse-main\">\n",
           f'<div class="jcse-result-box">为您找到相关结果约{len(hits)}个</div>\n<div class="jcse-news-list">\n']
    for art in chunk:
        url = links.own_url + art.path
        shown = escape(art.title).replace(q, f"<em>{q}</em>") if q else escape(art.title)
        out.append(f'<div class="jcse-news"><div class="jcse-news-title"><a href="{url}" target="_blank">{shown}</a>'
                   f'</div>\n<div class="jcse-news-abs">{escape(art.title)}</div>\n'
                   f'<div class="jcse-news-url">{url}</div><div class="jcse-news-date">{_date(art.published)}</div></div>\n')
    out.append(f'</div>\n<div class="jcse-paging">共{pages}页 第{page}页</div>\n</div>\n</body>\n</html>\n')
    return "".join(out)


# --- robots -------------------------------------------------------------------------------

def robots(site: Site) -> str:
    lines = [f"# robots.txt for {site.profile.site_name}", "# 欢迎各搜索引擎收录本站公开信息", "User-agent: *"]
    lines += [f"Disallow: {path}" for path in site.disallowed_paths]
    return "\n".join(lines) + "\n"


# --- FlipBuilder books (§6) ---------------------------------------------------------------------

def book_viewer(book: FlipBook) -> str:
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(book.title)}</title>\n'
            '<script src="mobile/javascript/config.js"></script>\n<script src="mobile/javascript/LoadingJS.js"></script>\n'
            '</head><body>\n<div id="loading"></div>\n'
            f'<noscript><a href="files/basic-html/index.html">{escape(book.title)}</a></noscript>\n</body></html>\n')


def book_config(book: FlipBook, pages: int) -> str:
    return (f'var bookConfig = {{}};\nbookConfig.appName = "flippdf";\nbookConfig.totalPageCount = {pages};\n'
            'bookConfig.largePageWidth = 1240;\nbookConfig.largePageHeight = 1754;\n'
            f'bookConfig.bookTitle = "{book.title}";\nbookConfig.DownloadURL = "";\n'
            'bookConfig.searchTextJS = "javascript/search_config.js";\n')


def book_index(book: FlipBook, pages: int) -> str:
    items = "".join(f'<li><a href="page{n}.html">Page {n}</a></li>\n' for n in range(1, pages + 1))
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f"<title>{escape(book.title)}</title></head><body>\n<h1>{escape(book.title)}</h1>\n<ul>\n{items}</ul>\n"
            "</body></html>\n")


def book_page(book: FlipBook, number: int, pages: int, lines: list[str]) -> str:
    title = escape(book.title)
    text = escape("\n".join(lines))
    window = range(max(1, number - 2), min(pages, number + 2) + 1)
    pager = "".join(f'<a href="page{n}.html">{n}</a> ' if n != number else f"<b>{n}</b> " for n in window)
    prev = f'<a class="prev" href="page{number - 1}.html">&lt;</a> ' if number > 1 else ""
    nxt = f'<a class="next" href="page{number + 1}.html">&gt;</a>' if number < pages else ""
    noscript = "".join(f'<a href="page{n}.html">Page {n}</a><br>\n' for n in range(1, pages + 1))
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f'<title>Page {number} - {title}</title>\n<link rel="stylesheet" href="./style.css"></head>\n<body>\n'
            f'<div id="content-top1">Page {number} - {title}</div>\n<div id="content-top2">P. {number}</div>\n'
            f'<div class="thumb"><a href="../../index.html#p={number}"><img src="../thumb/{number}.jpg" '
            f'alt="Page {number}"></a></div>\n'
            f'<div class="text-container"><pre><code style="white-space:pre-line">{text}</code></pre></div>\n'
            f'<div class="pager">{prev}{pager}{nxt}</div>\n<noscript>\n{noscript}</noscript>\n</body></html>\n')


# --- the clone --------------------------------------------------------------------------------

def clone_home(paths: list[str]) -> str:
    items = "".join(f'<li><a href="{p}">{p}</a></li>\n' for p in paths)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>政務資訊轉載</title></head><body>\n'
            f"<ul>\n{items}</ul>\n</body></html>\n")

"""Reading Hanweb (大汉) JCMS pages: pure functions over HTML/XML text.

Everything the Hanweb spider knows about the family's markup lives here, so it
can be tested on small inline samples without a network (see
``../shared/research-hanweb-portals.md`` (beside the project) for where each shape was seen):

* column pages hold the first group of records in a ``<script type="text/xml">``
  datastore and a ``$('#unitid').jpage({...})`` call naming the data proxy;
* the data proxy answers ``<datastore><totalrecord>…<recordset><record>`` XML;
* xxgk unit pages are shells whose list comes from ``/module/xxgk/search.jsp``;
* ``/module/xxgk/xxgkAnnualReport.jsp?area=USCC&fbtime=YEAR`` is one report;
* bodies are named by xxgk directory links, ``<select>`` option lists and tree
  iframes; years and units are often offered only through JavaScript
  (``onchange="window.open('…fbtime='+this.value)"``, ``showReport('2023')``);
* jsearch (``/jsearchfront/search.do``) lists ``div.jcse-news-title a`` results;
* articles carry attachments (downfile.jsp, /attach/, /picture/) and may link
  to FlipBuilder books whose ``files/basic-html/pageN.html`` pages list all pages.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from .pages import (
    Article,
    Link,
    Record,
    attachment_name,
    first_date,
    flipbook_root,
    is_attachment_url,
    meta_content,
    normalise_space,
    page_headings,
    page_links,
    parse_html,
    parse_record,
)

RECORD_CDATA = re.compile(r"<record>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)


def record_fragments(xml_text: str) -> list[str]:
    """The record fragments of a datastore, CDATA-wrapped or entity-escaped."""
    return [
        cdata if cdata is not None and cdata != "" else html_lib.unescape(escaped or "")
        for cdata, escaped in RECORD_CDATA.findall(xml_text)
    ]


@dataclass
class JpageConfig:
    """What a column page's ``$('#unitid').jpage({...})`` call (and datastore) says."""

    unitid: str
    total_record: int | None = None
    per_page: int | None = None
    group_size: int = 3
    proxy_url: str | None = None
    ajax_params: dict = field(default_factory=dict)
    next_group: str | None = None  # the datastore's <nextgroup> href (a proxy URL template)


@dataclass
class Datastore:
    config: JpageConfig
    records: list[Record]


DATASTORE_DIV = re.compile(
    r"<div[^>]*\bid=[\"']?(?P<unitid>[\w-]+)[\"']?[^>]*>\s*"
    # A datastore cut off (no </script>) runs to the end of the page: its first records still count.
    r"<script[^>]*type=[\"']?text/xml[\"']?[^>]*>(?P<xml>.*?)(?:</script>|$)",
    re.S | re.I,
)
XML_SCRIPT = re.compile(r"<script[^>]*type=[\"']?text/xml[\"']?[^>]*>(?P<xml>.*?)(?:</script>|$)", re.S | re.I)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
JPAGE_CALL = re.compile(r"\$\(\s*['\"]#(?P<unitid>[\w-]+)['\"]\s*\)\s*\.jpage\(\s*\{(?P<opts>.*?)\}\s*\)", re.S)


def parse_datastores(html: str, base_url: str) -> list[Datastore]:
    """All jpage lists of a column page: inline records plus the pager configuration."""
    configs = {c.unitid: c for c in parse_jpage_calls(html)}
    stores = []
    found = list(DATASTORE_DIV.finditer(html))
    if not found:  # datastore script without its wrapping div: take the unit from the call
        found = [m for m in XML_SCRIPT.finditer(html) if "<datastore" in m.group("xml")]
    for m in found:
        xml = m.group("xml")
        if "<datastore" not in xml:
            continue
        unitid = m.groupdict().get("unitid") or (next(iter(configs)) if configs else "")
        config = configs.pop(unitid, None) or JpageConfig(unitid=unitid)
        nextgroup = NEXTGROUP.search(xml)
        if nextgroup:
            href = _first_href(nextgroup.group(1))
            config.next_group = urljoin(base_url, href) if href else None
        records = [r for f in record_fragments(xml) if (r := parse_record(f, base_url))]
        stores.append(Datastore(config, records))
    # A jpage call without inline data (records only through the proxy).
    stores.extend(Datastore(c, []) for c in configs.values())
    return stores


def _first_href(fragment: str) -> str | None:
    m = re.search(r"href=[\"']?([^\"' >]+)", fragment)
    return html_lib.unescape(m.group(1)) if m else None


def parse_jpage_calls(html: str) -> list[JpageConfig]:
    """Read ``$('#764752').jpage({totalRecord:1928, perPage:15, proxyUrl:'…', ajaxParam:{…}})``.

    The options are a JavaScript object literal, not JSON, so keys are read one
    by one; unknown options are ignored.
    """
    configs = []
    for m in JPAGE_CALL.finditer(html):
        opts = m.group("opts")
        ajax = re.search(r"ajaxParam\s*:\s*\{(.*?)\}", opts, re.S)
        configs.append(
            JpageConfig(
                unitid=m.group("unitid"),
                total_record=_js_int(opts, "totalRecord"),
                per_page=_js_int(opts, "perPage"),
                group_size=_js_int(opts, "groupSize") or 3,
                proxy_url=_js_str(opts, "proxyUrl"),
                ajax_params=_js_object(ajax.group(1)) if ajax else {},
            )
        )
    return configs


def _js_int(opts: str, key: str) -> int | None:
    m = re.search(rf"\b{key}\s*:\s*['\"]?(\d{{1,12}})\b", opts)
    return int(m.group(1)) if m else None


def _js_str(opts: str, key: str) -> str | None:
    m = re.search(rf"\b{key}\s*:\s*(['\"])(.*?)\1", opts)
    return m.group(2) if m else None


def _js_object(body: str) -> dict[str, str]:
    return {
        k: v
        for k, _, v in re.findall(r"(\w+)\s*:\s*(['\"]?)([^,'\"}]*)\2", body)
    }


@dataclass
class ProxyPage:
    total_record: int | None
    records: list[Record]


def parse_proxy_response(xml_text: str, base_url: str) -> ProxyPage:
    """A data-proxy answer: ``<datastore><totalrecord>…<recordset><record>…``.

    ``<totalpage>`` is not read: the crawler stops on ``totalrecord`` or an empty recordset."""
    total = re.search(r"<totalrecord>\s*(\d+)\s*</totalrecord>", xml_text, re.I)
    return ProxyPage(
        int(total.group(1)) if total else None,
        [r for f in record_fragments(xml_text) if (r := parse_record(f, base_url))],
    )


@dataclass(frozen=True)
class ProxyCall:
    """One data-proxy request: URL (with query) and, for the POST style, a form."""

    url: str
    form: dict | None
    first: int
    last: int


def proxy_call(config: JpageConfig, column_url: str, group: int) -> ProxyCall | None:
    """The request for record group ``group`` (1-based; group 1 is inline).

    Two styles exist (research §1.2). When the datastore's ``<nextgroup>``
    template pages by ``page=``, the same template is reused with ``page`` set
    (style B, GET; page N of a group-sized page). Otherwise the classic style A is used: ``startrecord`` /
    ``endrecord`` / ``perpage`` on the query string and the ``ajaxParam`` form
    POSTed, as the jpage script does.
    """
    per_group = (config.per_page or 15) * config.group_size
    first, last = (group - 1) * per_group + 1, group * per_group
    if config.next_group and "page=" in config.next_group:
        # ``perpage`` is set to a whole group, so page N is group N whether the
        # server pages by page×perpage or returns groups.
        parts = urlsplit(config.next_group)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("page", "perpage")]
        query[:0] = [("page", str(group)), ("perpage", str(per_group))]
        return ProxyCall(urlunsplit(parts._replace(query=urlencode(query))), None, first, last)
    proxy = config.proxy_url or (config.next_group and urlsplit(config.next_group).path)
    if not proxy:
        return None
    form = dict(config.ajax_params)
    if config.next_group:  # the template carries the same fields when ajaxParam is absent
        for k, v in parse_qsl(urlsplit(config.next_group).query, keep_blank_values=True):
            form.setdefault(k, v)
    form.setdefault("unitid", config.unitid)
    query = urlencode({"startrecord": first, "endrecord": last, "perpage": config.per_page or 15})
    url = urljoin(column_url, urlsplit(proxy).path) + "?" + query
    return ProxyCall(url, form, first, last)


def config_from_proxy_call(url: str, body: str | None) -> JpageConfig | None:
    """The pager configuration behind a data-proxy call a browser made (style A:
    ``?startrecord=1&endrecord=45&perpage=15`` with the ``ajaxParam`` form POSTed).

    A list whose ids are computed by its scripts is seen by the crawler only through
    the browser, which renders the first group; this call is how to ask for the rest."""
    query = dict(parse_qsl(urlsplit(url).query))
    try:
        first, last, per_page = (int(query[k]) for k in ("startrecord", "endrecord", "perpage"))
    except (KeyError, ValueError):
        return None
    if first != 1 or per_page < 1 or last < per_page:
        return None
    form = dict(parse_qsl(body or "", keep_blank_values=True))
    return JpageConfig(unitid=form.get("unitid", ""), per_page=per_page, group_size=last // per_page,
                       proxy_url=urlsplit(url).path, ajax_params=form)


def more_groups(page: ProxyPage, call: ProxyCall, known_total: int | None) -> bool:
    """Whether to ask for the next group: stop on an empty recordset or on totalrecord."""
    if not page.records:
        return False
    total = page.total_record if page.total_record is not None else known_total
    return total is None or call.last < total


# --- JavaScript-built links -------------------------------------------------------------

# The value of a <select> inside its onchange script.
THIS_VALUE = r"this\.(?:value|options\[this\.selectedIndex\]\.value)"
# 'prefix' + VALUE + 'suffix' (either literal optional); VALUE given as a pattern.
TEMPLATE = r"(?:(['\"])(?P<pre>[^'\"]*)\1\s*\+\s*)?{value}(?:\s*\+\s*(['\"])(?P<post>[^'\"]*)\3)?"
OPENS = r"(?:window\.open|(?:window\.|document\.)?location(?:\.href)?\s*=|location\.assign)"
LITERAL_OPEN = re.compile(OPENS + r"\s*\(?\s*(['\"])(?P<url>[^'\"]+)\1\s*\)?\s*(?:[;,)]|$)")
JS_FUNCTION = re.compile(r"function\s+(?P<name>\w+)\s*\(\s*(?P<param>\w+)[^)]*\)\s*\{(?P<body>[^{}]*)\}", re.S)


@dataclass
class ScriptedLinks:
    """Links a page builds in JavaScript, and the ``<select>`` lists that offer none."""

    links: list[Link]
    empty_selects: int = 0


def _template(script: str, value_pattern: str) -> tuple[str, str] | None:
    """(prefix, suffix) of a URL built as ``'prefix' + value + 'suffix'`` in a script
    that opens it; None when the script does not open a URL built from the value."""
    if not re.search(OPENS, script):
        return None
    m = re.search(TEMPLATE.format(value=value_pattern), script)
    return (m.group("pre") or "", m.group("post") or "") if m else None


def scripted_links(html: str, base_url: str, doc=None) -> ScriptedLinks:
    """Links built by scripts whose URL template is visible:

    * ``<select onchange="window.open('…&fbtime='+this.value)">``: one link per
      ``<option value>`` (``window.open(this.value)``: the values are the URLs);
    ``doc``: the page already parsed (lxml), to save parsing it again.
    * ``onclick``/``href="javascript:…"`` opening a literal URL;
    * calls like ``showReport('2023')`` of an inline ``function showReport(y)
      {window.open('…fbtime='+y)}``.
    """
    if not re.search(OPENS, html):  # nothing on the page opens a URL from a script
        return ScriptedLinks([])
    doc = parse_html(html) if doc is None else doc
    if doc is None:
        return ScriptedLinks([])
    functions = {}
    for m in JS_FUNCTION.finditer(html):
        template = _template(m.group("body"), re.escape(m.group("param")))
        if template:
            functions[m.group("name")] = template
    out = ScriptedLinks([])
    for select in doc.iter("select"):
        template = _template(select.get("onchange") or "", THIS_VALUE)
        if template is None:
            continue
        options = [(o.get("value") or "").strip() for o in select.iter("option")]
        values = [(v, normalise_space(o.text_content())) for v, o in zip(options, select.iter("option")) if v]
        if not values:
            out.empty_selects += 1
        for value, text in values:
            out.links.append(Link(urljoin(base_url, template[0] + value + template[1]), text))
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        scripts = [element.get(a) or "" for a in ("onclick", "href")]
        text = normalise_space(element.get("title") or element.text_content())
        for script in scripts:
            if m := LITERAL_OPEN.search(script):
                out.links.append(Link(urljoin(base_url, m.group("url")), text))
            for name, (pre, post) in functions.items():
                for call in re.finditer(rf"\b{name}\(\s*(['\"])([^'\"]*)\1", script):
                    out.links.append(Link(urljoin(base_url, pre + call.group(2) + post), text))
    out.links = list({link.url: link for link in out.links}.values())
    return out


def frame_sources(html, base_url: str) -> list[str]:
    """Absolute URLs of a page's iframes (xxgk trees of units and of a body's infotypes)."""
    doc = parse_html(html) if isinstance(html, str) else html
    if doc is None:
        return []
    return [urljoin(base_url, src.strip()) for f in doc.iter("iframe") if (src := f.get("src"))]


# --- xxgk (信息公开) module -----------------------------------------------------------

AREA = re.compile(r"(?:vc_xxgkarea|[?&'\"]area)=([0-9A-Z]{18})\b")
ANNUAL_REPORT_PATH = "/module/xxgk/xxgkAnnualReport.jsp"
SEARCH_PATH = "/module/xxgk/search.jsp"


def xxgk_areas(text: str) -> list[str]:
    """Body codes (统一社会信用代码) named by ``vc_xxgkarea=`` / ``area=`` in a page or URL."""
    return list(dict.fromkeys(AREA.findall(text)))


def same_list_other_query(url: str, page_url: str) -> bool:
    """Does ``url`` name the page it is linked from with another query (``?date=2024-02``,
    ``?uid=…&pageNum=2``), not a body (``vc_xxgkarea``)? A Hanweb list is paged by its data
    proxy, never by its own URL's query (the server renders the first group whatever
    ``pageNum`` says), so such links are jpage's static pager, filters, or calendars whose
    months link each other without end."""
    link, page = urlsplit(url), urlsplit(page_url)
    return link.path == page.path and link.query != page.query and not xxgk_areas(url)


def is_xxgk_shell(html: str) -> bool:
    """A unit page whose list is loaded by script from search.jsp."""
    return "search.jsp" in html and ("loadDynamic" in html or "tree.jsp" in html)


def search_form(area: str, page: int, shell_html: str = "") -> dict[str, str]:
    """The form search.jsp expects (the fields the xxgk dynamic.js posts)."""
    form = {
        "infotypeId": "",
        "jdid": "",
        "area": area,
        "divid": "div4",
        "vc_title": "",
        "vc_number": "",
        "vc_filenumber": "",
        "vc_all": "",
        "texttype": "",
        "fbtime": "-1",
        "currpage": str(page),
        "sortfield": ",createdatetime:0,orderid:0",
        "standardXxgk": "1",
        "isAllList": "1",
    }
    # Values the shell's loadDynamic(...) call fixes (e.g. standardXxgk, jdid).
    m = re.search(r"search\.jsp\?([^'\"]*)", shell_html)
    if m:
        for k, v in parse_qsl(m.group(1), keep_blank_values=True):
            if k in form and k not in ("area", "currpage") and v:
                form[k] = v
    return form


@dataclass
class SearchPage:
    records: list[Record]
    total_pages: int | None


def parse_search_results(html: str, base_url: str) -> SearchPage:
    """search.jsp's table: rows ``tr.tr_main_value_odd/even``, ``a[title]``, pager ``共N页``."""
    doc = parse_html(html)
    records = []
    if doc is not None:
        for tr in doc.iter("tr"):
            if "tr_main_value" not in (tr.get("class") or ""):
                continue
            record = parse_record(lxml.html.tostring(tr, encoding="unicode"), base_url)
            if record:
                records.append(record)
    pages = re.search(r"共\s*(\d+)\s*页", html)
    return SearchPage(records, int(pages.group(1)) if pages else None)


def annual_report_url(base_url: str, area: str, year: int) -> str:
    return urljoin(base_url, ANNUAL_REPORT_PATH) + "?" + urlencode({"area": area, "fbtime": year})


def annual_report_params(url: str) -> tuple[str, int] | None:
    """(area, year) of an xxgkAnnualReport.jsp URL, whatever the parameter order."""
    parts = urlsplit(url)
    if not parts.path.endswith("xxgkAnnualReport.jsp"):
        return None
    q = parse_qs(parts.query)
    try:
        return q["area"][0], int(q["fbtime"][0])
    except (KeyError, ValueError, IndexError):
        return None


def is_empty_annual_report(html: str) -> bool:
    """xxgkAnnualReport.jsp answers 200 with an empty page for years not filed."""
    doc = parse_html(html)
    return doc is None or not re.search(r"发布时间[:：]\s*(?:19|20)\d\d", doc.text_content())


def unit_name(html: str) -> str:
    """A unit shell's body name: its heading, else its ColumnName or page title."""
    doc = parse_html(html)
    if doc is None:
        return ""
    for tag in ("h2", "h1"):
        for heading in doc.iter(tag):
            if text := normalise_space(heading.text_content()):
                return text
    title = doc.find(".//title")
    return meta_content(html, "ColumnName") or (normalise_space(title.text_content()) if title is not None else "")


def malformed_datastore(html: str) -> bool:
    """A jpage datastore cut off or broken: its records or the store itself unclosed."""
    if "<datastore" not in html:
        return False
    opened = len(re.findall(r"<record>", html, re.I))
    closed = len(re.findall(r"</record>", html, re.I))
    return "</datastore>" not in html or opened != closed


# --- jsearch (站内搜索) ------------------------------------------------------------------

JSEARCH_PATH = "/jsearchfront/search.do"
JSEARCH_QUERIES = ("年度报告", "年报")
JSEARCH_PER_PAGE = 50


def jsearch_form(html: str, base_url: str) -> tuple[str, dict[str, str]] | None:
    """The site's jsearch form (home page): its action URL and hidden fields
    (``websiteid``, ``tpl``, …); None when the page has none."""
    doc = parse_html(html) if "jsearchfront" in html else None
    if doc is None:
        return None
    for form in doc.iter("form"):
        action = (form.get("action") or "").strip()
        if "jsearchfront" not in action:
            continue
        fields = {i.get("name"): i.get("value") or "" for i in form.iter("input")
                  if i.get("name") and (i.get("type") or "").lower() == "hidden"}
        return urljoin(base_url, action), fields
    return None


def jsearch_url(action: str, fields: dict[str, str], query: str, page: int) -> str:
    params = {**fields, "q": query, "p": page, "pg": JSEARCH_PER_PAGE}
    return urljoin(action, urlsplit(action).path) + "?" + urlencode(params)


@dataclass
class JsearchPage:
    records: list[Record]
    total_pages: int | None


def parse_jsearch(html: str, base_url: str) -> JsearchPage:
    """jsearch results: ``div.jcse-news-title a`` (the title's ``<em>`` marks dropped),
    the date from the result's ``div.jcse-news-date``, ``共N页``."""
    doc = parse_html(html)
    records = []
    if doc is not None:
        for div in doc.find_class("jcse-news-title"):
            result = div.getparent() if div.getparent() is not None else div
            dates = result.find_class("jcse-news-date")
            when = first_date((dates[0] if dates else result).text_content())
            for a in div.iter("a"):
                href = (a.get("href") or "").strip()
                if href and not href.startswith(("javascript:", "#")):
                    records.append(Record(urljoin(base_url, href), normalise_space(a.text_content()), when))
                    break
    pages = re.search(r"共\s*(\d+)\s*页", html)
    return JsearchPage(records, int(pages.group(1)) if pages else None)


# --- articles ---------------------------------------------------------------------------


def parse_article(html: str, url: str) -> Article:
    """Title, attachments, inline images and flip-book links of an article page.

    Images are taken from the content area only (``#zoom`` or the
    ContentStart/ContentEnd markers) so template logos are not archived.
    """
    doc = parse_html(html)
    title = meta_content(html, "ArticleTitle") or ""
    if doc is None:
        return Article(title, [], [], [])
    if not title:
        t = doc.find(".//title")
        title = normalise_space(t.text_content()) if t is not None else ""
    content = _content_area(doc, html)
    attachments, flipbooks = [], []
    for link in page_links(doc, url):
        if flipbook_root(link.url):
            flipbooks.append(flipbook_root(link.url))
        elif is_attachment_url(link.url):
            attachments.append(Link(link.url, attachment_name(link.url, link.text) or ""))
    images = []
    if content is not None:
        for img in content.iter("img"):
            src = (img.get("src") or "").strip()
            if src and not src.startswith("data:"):
                images.append(urljoin(url, src))
    attached = {a.url for a in attachments}
    return Article(
        normalise_space(title),
        list({a.url: a for a in attachments}.values()),
        [i for i in dict.fromkeys(images) if i not in attached],
        list(dict.fromkeys(flipbooks)),
        page_headings(doc),
    )


def _content_area(doc, html: str):
    zoom = doc.get_element_by_id("zoom", None)
    if zoom is not None:
        return zoom
    m = re.search(r"<meta name=[\"']?ContentStart[^>]*>(.*?)<meta name=[\"']?ContentEnd", html, re.S | re.I)
    if m:
        return parse_html(f"<div>{m.group(1)}</div>")
    for cls in ("nb_content", "art_con", "bt_content", "main-txt", "article"):
        found = doc.find_class(cls)
        if found:
            return found[0]
    return None


def annual_report_key(site: str, area: str, year: int) -> str:
    return f"{site}:{area}:{year}"


def needs_browser(html: str) -> bool:
    """A list page whose records only a browser sees: a jpage/data-proxy script
    but no inline datastore."""
    return "jpage" in html and "dataproxy" in html and "<datastore" not in html


def rendered_records(html: str, base_url: str) -> list[Record]:
    """Records of a list as jpage renders it in a browser (``div.default_pgContainer``)."""
    doc = parse_html(html)
    if doc is None:
        return []
    records = []
    for container in doc.find_class("default_pgContainer"):
        for row in container.iter("li", "tr"):
            record = parse_record(lxml.html.tostring(row, encoding="unicode"), base_url)
            if record:
                records.append(record)
    return records


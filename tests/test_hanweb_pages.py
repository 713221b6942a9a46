"""crawler/hanweb.py: reading Hanweb JCMS markup, on small inline samples shaped
like the real pages (research-hanweb-portals.md)."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

from crawler import hanweb, pages

BASE = "http://www.wendeng.gov.cn/col/col103585/index.html"

COLUMN_PAGE = """<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body>
<div id="764752"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=73&columnid=103585&unitid=764752"></a>]]></nextgroup>
<recordset>
<record><![CDATA[
<li><a href='/art/2026/1/19/art_182996_6093007.html' title='威海市文登区财政局2025年政府信息公开工作年度报告'>威海市文登区财政局2025年政府...</a><span>2026-01-19</span></li>
]]></record>
<record><![CDATA[
<li style=<br/><a href="/art/2021/1/27/art_75243_2524471.html" title="威海市文登区发展和改革局2020年度政府信息公开工作报告">发改局...</a> <b>2021-01-27</b></li>
]]></record>
<record><![CDATA[
<tr><td><a href="http://clone.example/art/2026/1/19/art_1_2.html" title="镜像">镜像</a></td><td>[2026-01-19]</td></tr>
]]></record>
</recordset></datastore></script></div>
<script>$('#764752').jpage({basePath:'/module/web/jpage',dataStore:dataStore,totalRecord:40,perPage:4,
groupSize:3,proxyUrl:'/module/web/jpage/dataproxy.jsp',ajaxParam:{col:1,appid:1,webid:73,path:'/',
columnid:103585,sourceContentType:1,unitid:'764752',webname:'威海市文登区人民政府',permissiontype:0}});</script>
</body></html>"""


def test_datastore_records_prefer_the_full_title_and_read_any_date_markup():
    (store,) = hanweb.parse_datastores(COLUMN_PAGE, BASE)
    first, second, third = store.records
    assert first == hanweb.Record(
        "http://www.wendeng.gov.cn/art/2026/1/19/art_182996_6093007.html",
        "威海市文登区财政局2025年政府信息公开工作年度报告",
        date(2026, 1, 19),
    )
    # The broken `<li style=<br/>` fragment still yields its link and date.
    assert second.title == "威海市文登区发展和改革局2020年度政府信息公开工作报告"
    assert second.date == date(2021, 1, 27)
    assert third.url == "http://clone.example/art/2026/1/19/art_1_2.html"  # off-host: the spider decides


def test_jpage_call_gives_the_pager_configuration():
    (store,) = hanweb.parse_datastores(COLUMN_PAGE, BASE)
    config = store.config
    assert (config.unitid, config.total_record, config.per_page, config.group_size) == ("764752", 40, 4, 3)
    assert config.proxy_url == "/module/web/jpage/dataproxy.jsp"
    assert config.ajax_params["columnid"] == "103585" and config.ajax_params["webid"] == "73"
    assert config.next_group.startswith("http://www.wendeng.gov.cn/module/web/jpage/dataproxy.jsp?page=1")


def test_page_style_proxy_call_asks_for_whole_groups_by_page():
    (store,) = hanweb.parse_datastores(COLUMN_PAGE, BASE)
    call = hanweb.proxy_call(store.config, BASE, 2)
    query = parse_qs(urlsplit(call.url).query)
    assert call.form is None  # GET
    assert query["page"] == ["2"] and query["perpage"] == ["12"] and query["unitid"] == ["764752"]
    assert (call.first, call.last) == (13, 24)


def test_classic_proxy_call_posts_the_ajax_params_with_start_and_end_records():
    config = hanweb.JpageConfig(unitid="100041", total_record=301, per_page=15,
                                proxy_url="/module/web/jpage/dataproxy.jsp",
                                ajax_params={"col": "1", "appid": "1", "webid": "82", "columnid": "46521"})
    call = hanweb.proxy_call(config, "http://rsj.weihai.gov.cn/col/col46521/index.html", 3)
    assert call.url == ("http://rsj.weihai.gov.cn/module/web/jpage/dataproxy.jsp"
                        "?startrecord=91&endrecord=135&perpage=15")
    assert call.form["columnid"] == "46521" and call.form["unitid"] == "100041"


def test_proxy_paging_stops_on_totalrecord_or_an_empty_recordset():
    xml = """<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>30</totalrecord>
    <totalpage>3</totalpage><recordset><record><![CDATA[<li><a href="/art/2024/1/5/art_1_9.html"
    title="某局2023年政府信息公开工作年度报告">某局...</a><span>2024-01-05</span></li>]]></record>
    </recordset></datastore>"""
    page = hanweb.parse_proxy_response(xml, BASE)
    assert page.total_record == 30 and len(page.records) == 1
    config = hanweb.JpageConfig(unitid="1", per_page=5, proxy_url="/p.jsp")
    assert hanweb.more_groups(page, hanweb.proxy_call(config, BASE, 1), None)  # records 1-15 of 30
    assert not hanweb.more_groups(page, hanweb.proxy_call(config, BASE, 2), None)  # 16-30: done
    empty = hanweb.parse_proxy_response("<datastore><recordset></recordset></datastore>", BASE)
    assert not hanweb.more_groups(empty, hanweb.proxy_call(config, BASE, 2), 1000)


def test_escaped_records_without_cdata_are_read_too():
    xml = "<datastore><recordset><record>&lt;li&gt;&lt;a href='/art/1.html' title='X局2022年政府信息公开工作年度报告'&gt;X&lt;/a&gt;&lt;/li&gt;</record></recordset></datastore>"
    (record,) = hanweb.parse_proxy_response(xml, BASE).records
    assert record.title == "X局2022年政府信息公开工作年度报告"


SHELL = """<iframe id="tree" src="/module/xxgk/tree.jsp?standardXxgk=1&amp;area=11371002565229128G&amp;divid=div4"></iframe>
<div id="div4"></div><script>function search(a){
loadDynamic('/module/xxgk/search.jsp?standardXxgk=1&infotypeId='+a+'&vc_title='+encodeURI(x)+'&area=11371002565229128G', 'div4', 1);}
</script>"""


def test_xxgk_shell_names_its_body_and_search_form_posts_it():
    url = "http://www.huancui.gov.cn/col/col57877/index.html?vc_xxgkarea=11371002565229128G&jh=261"
    assert hanweb.is_xxgk_shell(SHELL)
    assert hanweb.xxgk_areas(url) == ["11371002565229128G"]
    form = hanweb.search_form("11371002565229128G", 3, SHELL)
    assert form["area"] == "11371002565229128G" and form["currpage"] == "3" and form["standardXxgk"] == "1"


def test_search_results_rows_and_page_count():
    html = """<table><tr class="tr_main_title"><td>序号</td></tr>
    <tr class="tr_main_value_odd"><td>1</td><td><a href="/art/2024/1/5/art_5_6.html" title="环翠区信访局2023年政府信息公开工作年度报告">环翠区...</a></td><td>2024-01-05</td></tr>
    <tr class="tr_main_value_even"><td>2</td><td><a href="/art/2023/3/1/art_5_7.html" title="关于公布权责清单的公告">关于...</a></td><td>2023-03-01</td></tr>
    </table><div>共12条 共2页 当前第1页</div>"""
    page = hanweb.parse_search_results(html, "http://www.huancui.gov.cn/module/xxgk/search.jsp")
    assert [r.title for r in page.records] == ["环翠区信访局2023年政府信息公开工作年度报告", "关于公布权责清单的公告"]
    assert page.total_pages == 2 and page.records[0].date == date(2024, 1, 5)


def test_annual_report_urls_are_read_in_either_parameter_order_and_rebuilt_canonically():
    a = "https://www.weihai.gov.cn:8443/module/xxgk/xxgkAnnualReport.jsp?fbtime=2022&area=11371000004359010J"
    assert hanweb.annual_report_params(a) == ("11371000004359010J", 2022)
    assert hanweb.annual_report_url("https://www.weihai.gov.cn/", "11371000004359010J", 2022) == (
        "https://www.weihai.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=11371000004359010J&fbtime=2022")
    assert hanweb.annual_report_params("http://x/art/1.html") is None
    assert hanweb.is_empty_annual_report('<div class="nb_title"></div><div class="nb_time">发布时间:</div>')
    assert not hanweb.is_empty_annual_report('<div class="nb_time">发布时间:2026-01-29 09:54:57</div>')


ARTICLE = """<html><head><meta name="ArticleTitle" content="威海市文登区商务局2022年政府信息公开工作年度报告">
<meta name="ContentSource" content="威海市文登区商务局"></head><body>
<img src="/images/logo.png">
<table class="xxgk_table"><tr><td>索引号：</td><td>11371003004381261X/2023-00012</td></tr></table>
<div id="zoom"><meta name="ContentStart"><p>正文</p>
<p><a href="/module/download/downfile.jsp?classid=0&filename=ab12.pdf&showname=%E5%B9%B4%E6%8A%A5.pdf">年报.pdf</a></p>
<p><a href="/attach/0/cd34.docx">附件2</a></p>
<p><img src="/picture/0/2301161234.jpg"></p>
<p><a href="http://180.76.149.248:88/book/2022dzs/shangwu/index.html">点击阅读</a></p>
<meta name="ContentEnd"></div></body></html>"""


def test_article_attachments_content_images_and_flipbooks():
    url = "http://www.wendeng.gov.cn/art/2023/1/16/art_1_2.html"
    article = hanweb.parse_article(ARTICLE, url)
    assert article.title == "威海市文登区商务局2022年政府信息公开工作年度报告"
    assert [(a.url.rsplit("/", 1)[-1], a.text) for a in article.attachments] == [
        ("downfile.jsp?classid=0&filename=ab12.pdf&showname=%E5%B9%B4%E6%8A%A5.pdf", "年报.pdf"),
        ("cd34.docx", "cd34.docx"),
    ]
    assert article.images == ["http://www.wendeng.gov.cn/picture/0/2301161234.jpg"]  # not the logo
    assert article.flipbooks == ["http://180.76.149.248:88/book/2022dzs/shangwu/"]


def test_flipbook_root_pages_and_images():
    root = "http://180.76.149.248:88/book/2022dzs/bangongshi/"
    assert pages.flipbook_root(root + "files/basic-html/page9.html") == root
    assert pages.flipbook_root(root + "index.html") == root
    assert pages.flipbook_root("http://www.wendeng.gov.cn/art/2023/1/1/art_1_1.html") is None
    page = """<div class="pager"><a href="page1.html">1</a> <b>2</b> <a href="page3.html">3</a></div>
    <noscript><a href="page1.html">Page 1</a><br><a href="page2.html">Page 2</a><br>
    <a href="page3.html">Page 3</a><br><a href="page4.html">Page 4</a><br></noscript>"""
    assert pages.flipbook_page_numbers(page) == [1, 2, 3, 4]
    assert pages.flipbook_page_url(root, 4) == root + "files/basic-html/page4.html"
    assert pages.flipbook_image_url(root, 4) == root + "files/mobile/4.jpg"


def test_js_only_list_is_detected_and_its_rendered_records_read():
    shell = "<div id='9'></div><script>function jpage(el,o){} jpage(x,{proxyUrl:'/module/web/jpage/dataproxy.jsp'})</script>"
    assert hanweb.needs_browser(shell)
    assert not hanweb.needs_browser(COLUMN_PAGE)
    rendered = """<div id="9"><div class="default_pgContainer"><ul><li><a href="/art/2024/1/9/art_7_8.html"
    title="环翠区人民政府2023年政府信息公开工作年度报告">环翠区...</a><span>2024-01-09</span></li></ul></div></div>"""
    (record,) = hanweb.rendered_records(rendered, "http://www.huancui.gov.cn/col/col7/index.html")
    assert record.url == "http://www.huancui.gov.cn/art/2024/1/9/art_7_8.html"


def test_the_browser_s_proxy_call_tells_how_to_ask_for_the_next_groups():
    config = hanweb.config_from_proxy_call(
        "http://www.huancui.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15",
        "col=1&appid=1&webid=3&path=%2F&columnid=4003&unitid=9&permissiontype=0")
    assert (config.per_page, config.group_size, config.unitid) == (15, 3, "9")
    call = hanweb.proxy_call(config, "http://www.huancui.gov.cn/col/col4003/index.html", 2)
    assert call.url == ("http://www.huancui.gov.cn/module/web/jpage/dataproxy.jsp"
                        "?startrecord=46&endrecord=90&perpage=15")
    assert call.form["columnid"] == "4003" and call.form["path"] == "/"
    # Not a first group of the classic style: nothing to go on.
    assert hanweb.config_from_proxy_call("http://h/module/web/jpage/dataproxy.jsp?page=2&perpage=15", None) is None
    assert hanweb.config_from_proxy_call(
        "http://h/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15", None) is None


TREE_WITH_SCRIPTS = """<ul class="xxgk_tree">
<li><select onchange="window.open('/module/xxgk/xxgkAnnualReport.jsp?area=11371083MB0000000X&amp;fbtime='+this.value)">
<option value="">选择年份</option><option value="2023">2023年</option><option value="2022">2022年</option></select></li>
<li><a href="javascript:void(0)" onclick="showReport('2021')">2021年</a></li>
<li><a href="javascript:window.open('/art/2024/2/1/art_5_6.html')">报告</a></li>
<li><select onchange="window.open('/module/xxgk/xxgkAnnualReport.jsp?area=X&amp;fbtime='+this.value)"></select></li>
</ul>
<select onchange="window.open(this.value)"><option value="">请选择镇街</option>
<option value="/col/col1/index.html?vc_xxgkarea=11371083MB0000001X&amp;jh=263">夏村镇人民政府</option></select>
<script>function showReport(year) { window.open('/module/xxgk/xxgkAnnualReport.jsp?area=11371083MB0000000X&fbtime=' + year); }</script>"""


def test_links_built_by_scripts_from_selects_calls_and_literals():
    found = hanweb.scripted_links(TREE_WITH_SCRIPTS, "http://www.rushan.gov.cn/module/xxgk/tree.jsp?area=1")
    urls = {link.url: link.text for link in found.links}
    module = "http://www.rushan.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=11371083MB0000000X&fbtime="
    assert urls == {
        module + "2023": "2023年", module + "2022": "2022年", module + "2021": "2021年",
        "http://www.rushan.gov.cn/art/2024/2/1/art_5_6.html": "报告",
        "http://www.rushan.gov.cn/col/col1/index.html?vc_xxgkarea=11371083MB0000001X&jh=263": "夏村镇人民政府",
    }
    assert found.empty_selects == 1  # the year select that offers no option
    assert hanweb.scripted_links("", "http://x/").links == []


def test_iframes_unit_names_and_malformed_datastores():
    shell = SHELL.replace("<iframe", "<h2>乳山市商务局</h2><iframe")
    assert hanweb.frame_sources(shell, "http://h/col/col1/index.html") == [
        "http://h/module/xxgk/tree.jsp?standardXxgk=1&area=11371002565229128G&divid=div4"]
    assert hanweb.unit_name(shell) == "乳山市商务局"
    assert not hanweb.malformed_datastore(COLUMN_PAGE)
    cut = COLUMN_PAGE[: COLUMN_PAGE.index("</record>", COLUMN_PAGE.index("</record>") + 1)]
    assert hanweb.malformed_datastore(cut)
    assert len(hanweb.parse_datastores(cut, BASE)[0].records) == 1  # the records before the break


JSEARCH = """<form action="/jsearchfront/search.do" method="get"><input type="hidden" name="websiteid"
value="371081000500000"><input type="hidden" name="tpl" value="1361"><input name="q"></form>
<div class="jcse-news"><div class="jcse-news-title"><a href="http://www.wendeng.gov.cn/art/2026/1/19/art_1_2.html"
target="_blank">X局2025<em>年度报告</em></a></div><div class="jcse-news-url">http://www.wendeng.gov.cn/art/2026/1/19/art_1_2.html</div>
<div class="jcse-news-date">2026-01-20</div></div><div class="jcse-paging">共3页 第1页</div>"""


def test_jsearch_form_query_and_results():
    action, fields = hanweb.jsearch_form(JSEARCH, "http://www.wendeng.gov.cn/")
    assert (action, fields) == ("http://www.wendeng.gov.cn/jsearchfront/search.do",
                                {"websiteid": "371081000500000", "tpl": "1361"})
    url = hanweb.jsearch_url(action, fields, "年报", 2)
    assert parse_qs(urlsplit(url).query) == {"websiteid": ["371081000500000"], "tpl": ["1361"], "q": ["年报"],
                                             "p": ["2"], "pg": [str(hanweb.JSEARCH_PER_PAGE)]}
    page = hanweb.parse_jsearch(JSEARCH, url)
    assert page.total_pages == 3
    assert page.records == [pages.Record("http://www.wendeng.gov.cn/art/2026/1/19/art_1_2.html",
                                         "X局2025年度报告", date(2026, 1, 20))]
    assert hanweb.jsearch_form("<form action='/search'></form>", "http://x/") is None


def test_a_lists_own_url_with_another_query_is_not_another_list():
    column = "http://www.rushan.gov.cn/col/col95684/index.html"
    calendar = column + "?date=2024-01"
    assert hanweb.same_list_other_query(column + "?date=2024-02", calendar)          # a calendar's next month
    assert hanweb.same_list_other_query(column + "?uid=1&pageNum=2", column)          # jpage's static pager
    assert not hanweb.same_list_other_query(calendar, "http://www.rushan.gov.cn/")    # the calendar from home
    assert not hanweb.same_list_other_query(column, column)
    assert not hanweb.same_list_other_query(                                          # a body's unit page
        column + "?vc_xxgkarea=11371083004381261X&number=A01", column)
    assert not hanweb.same_list_other_query("http://www.rushan.gov.cn/col/col1/index.html?date=2024-02", calendar)

"""crawler/generic.py: links, pagers, report evidence and family fingerprints."""

from pathlib import Path

from crawler import generic
from crawler.pages import Link

FIXTURES = Path(__file__).parent / "fixtures" / "families"
BASE = "http://www.example.gov.cn/zwgk/index.html"

HANWEB_COLUMN = """<html><body><div id="764752"><script type="text/xml"><datastore>
<recordset><record><![CDATA[<li><a href="/art/2023/1/20/art_1_2.html" title="某局2022年政府信息公开工作年度报告">某局…</a></li>]]></record>
</recordset></datastore></script></div>
<script>$('#764752').jpage({totalRecord:1, perPage:15, proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script>
<iframe src="/module/xxgk/tree.jsp?area=11371003MB0000000X"></iframe></body></html>"""


def test_raw_links_reach_into_scripts_cdata_and_iframes():
    links = generic.raw_links(HANWEB_COLUMN, BASE)
    assert Link("http://www.example.gov.cn/art/2023/1/20/art_1_2.html", "某局2022年政府信息公开工作年度报告") in links
    assert Link("http://www.example.gov.cn/module/xxgk/tree.jsp?area=11371003MB0000000X", "") in links
    trs_links = generic.raw_links((FIXTURES / "trs_article.htm").read_text(encoding="utf-8"),
                                  "http://www.example.gov.cn/a/202301/t20230120_1.htm")
    assert "http://www.example.gov.cn/a/202301/P020230120385712644387.pdf" in {link.url for link in trs_links}


def test_families_are_told_apart_by_their_markup():
    assert generic.family_of(HANWEB_COLUMN) == "hanweb"
    assert generic.family_of((FIXTURES / "trs_channel_index_1.htm").read_text(encoding="utf-8")) == "trs"
    assert generic.family_of((FIXTURES / "ucap_article.shtml").read_text(encoding="utf-8")) == "ucap"
    # A TRS list linking documents of a column named gknb is still TRS.
    assert generic.family_of('<a href="./gknb/202301/t20230120_1.htm">x</a><script>createPageHTML(2,0,"index","htm")'
                             "</script>") == "trs"
    assert generic.family_of("<html><body><a href='/news/1.html'>新闻</a></body></html>") is None


def test_disclosure_links_by_text_or_url_and_navigation_links():
    assert generic.is_disclosure_link(Link("http://x/a/", "政府信息公开"))
    assert generic.is_disclosure_link(Link("http://x/a/", "政务公开"))
    assert generic.is_disclosure_link(Link("http://x/zfxxgk/", "进入"))
    assert generic.is_disclosure_link(Link("http://x/a/", "政府信息公开年报"))
    assert not generic.is_disclosure_link(Link("http://x/news/", "新闻中心"))
    assert not generic.is_disclosure_link(Link("http://x/a/", "关于做好政府信息公开工作年度报告编制发布工作的通知"))
    assert generic.is_navigation(Link("http://x/a/", "财政局"))
    assert not generic.is_navigation(Link("http://x/a/", "2023-01-20"))
    assert not generic.is_navigation(Link("http://x/a/", "某局2022年政府信息公开工作年度报告全文发布"))


def test_pager_links_stay_in_the_list_folder_and_read_createpagehtml():
    url = "http://x/zwgk/gknb/index.shtml"
    html = (FIXTURES / "ucap_static_list.shtml").read_text(encoding="utf-8")
    pages = generic.pager_links(html, url, generic.raw_links(html, url))
    assert pages == ["http://x/zwgk/gknb/index_2.shtml", "http://x/zwgk/gknb/index_3.shtml"]
    trs_url = "http://x/zfxxgk/czj/gknb/index_1.htm"
    trs_html = (FIXTURES / "trs_channel_index_1.htm").read_text(encoding="utf-8")
    trs_pages = generic.pager_links(trs_html, trs_url, generic.raw_links(trs_html, trs_url))
    assert trs_pages == ["http://x/zfxxgk/czj/gknb/index.htm", "http://x/zfxxgk/czj/gknb/index_2.htm",
                         "http://x/zfxxgk/czj/gknb/index_3.htm"]


def test_report_evidence_needs_section_headings_or_for_a_candidate_the_report_as_a_file():
    report = ("<p>一、总体情况</p><p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>"
              "<p>四、政府信息公开行政复议、行政诉讼情况</p>")
    assert generic.section_headings(generic.text_of(report)) == 4
    assert generic.report_evidence(report, [], candidate=False)
    pdf = [Link("http://x/a/P020230120385712644387.pdf", "报告.pdf")]
    assert generic.report_evidence("<p>详见附件</p>", pdf, candidate=True)
    assert not generic.report_evidence("<p>详见附件</p>", pdf, candidate=False)  # a list linking files
    assert not generic.report_evidence("<p>详见附件</p>", [], candidate=True)
    book = [Link("http://y/book/2022dzs/shangwu/files/basic-html/page1.html", "点击阅读")]
    assert generic.report_evidence("<p>点击阅读</p>", book, candidate=True)
    scans = '<img src="/picture/0/ab12.jpg"><img src="/images/logo.png">'
    assert generic.scans(scans, "http://x/") == ["http://x/picture/0/ab12.jpg"]


def test_report_title_refuses_any_page_one_of_whose_titles_names_a_trap():
    title = "某局2022年政府信息公开工作年度报告"
    assert generic.report_title([title, "某局2022年政府信息公开工作年度报告_某区人民政府"]) == title
    assert generic.report_title(["图解：" + title, title]) is None
    assert generic.report_title(["政务动态"]) is None
    html = f'<meta name="ArticleTitle" content="{title}"><title>x</title><h1>{title}</h1>'
    assert generic.page_titles(html) == [title, title, "x"]


def test_select_options_open_their_value_or_the_url_onchange_builds_from_it():
    html = """<select onchange="window.open(this.value)"><option value="">请选择</option>
    <option value="/col/col1/index.html?vc_xxgkarea=11371083834503798N&amp;jh=263">城区街道办事处</option></select>
    <select onchange="window.open('/module/xxgk/xxgkAnnualReport.jsp?area=A1&amp;fbtime='+this.value)">
    <option value=2023>2023年</option><option value='2022'>2022年</option></select>
    <select onchange="window.open(this.value)"></select><select><option value="/x.html">x</option></select>"""
    assert generic.select_links(html, "http://x/a/") == [
        Link("http://x/col/col1/index.html?vc_xxgkarea=11371083834503798N&jh=263", "城区街道办事处"),
        Link("http://x/module/xxgk/xxgkAnnualReport.jsp?area=A1&fbtime=2023", "2023年"),
        Link("http://x/module/xxgk/xxgkAnnualReport.jsp?area=A1&fbtime=2022", "2022年"),
    ]


def test_year_templates_in_scripts_and_attributes():
    html = """<script>function showReport(year) { window.open('/m/report.jsp?area=X&fbtime=' + year); }</script>
    <select onchange="window.open('/m/r.jsp?nd='+this.value)"></select>
    <script>location.href = '/list.jsp?page=' + n;</script>"""
    assert generic.year_templates(html, "http://x/a/b.html") == ["http://x/m/report.jsp?area=X&fbtime=",
                                                                "http://x/m/r.jsp?nd="]


def test_a_report_url_generalises_over_years_and_codes():
    url = "http://x/module/xxgk/xxgkAnnualReport.jsp?area=11371083834503798N&fbtime=2022"
    assert generic.year_siblings(url, 2022, range(2020, 2024)) == [
        url.replace("2022", "2020"), url.replace("2022", "2021"), url.replace("2022", "2023")]
    assert generic.year_siblings("http://x/a.jsp?from=2022&to=2022", 2022, range(2020, 2024)) == []  # ambiguous
    assert generic.year_siblings("http://x/art/2023/1/2/art_1_2.html", 2022, range(2020, 2024)) == []
    assert generic.codes(url) == [("area", "11371083834503798N")]
    assert generic.codes("http://x/col/col1/index.html?vc_xxgkarea=113710836478031384&jh=263") == [
        ("vc_xxgkarea", "113710836478031384")]
    assert generic.with_param(url, "area", "X") == "http://x/module/xxgk/xxgkAnnualReport.jsp?area=X&fbtime=2022"

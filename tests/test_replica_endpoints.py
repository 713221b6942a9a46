"""Every endpoint family of the replica answers like the real Hanweb portals."""

from __future__ import annotations

import io
import re
import time
import zipfile
from urllib.parse import quote

import pytest
from lxml import etree

from nianbao.testbed.replica import ReplicaPortal
from tests.replica_http import fetch, hrefs


@pytest.fixture(scope="module")
def portal():
    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023), office=False) as portal:
        yield portal


@pytest.fixture(scope="module")
def wendeng(portal):
    return portal.sites["wendeng"]


@pytest.fixture(scope="module")
def huancui(portal):
    return portal.sites["huancui"]


def proxy_records(xml_bytes: bytes) -> tuple[int, int, list[str]]:
    root = etree.fromstring(xml_bytes)  # honours the XML declaration's encoding (GBK too)
    records = [r.text for r in root.iter("record")]
    return int(root.findtext("totalrecord")), int(root.findtext("totalpage")), records


def test_hosts_are_distinct_loopback_addresses(portal, wendeng, huancui):
    assert wendeng.base_url.startswith("http://127.0.0.2:")
    assert huancui.base_url.startswith("http://127.0.0.3:")
    assert huancui.alias_url.startswith("http://127.0.0.3:") and huancui.alias_url != huancui.base_url
    assert portal.flipbook_url.startswith("http://127.0.0.4:")
    assert portal.clone_url.startswith("http://127.0.0.5:")


def test_home_links_the_xxgk_area_and_the_annual_report_column(wendeng):
    home = fetch(wendeng.base_url + "/").text
    model = wendeng.model
    assert f"/col/col{model.xxgk_column}/index.html" in hrefs(home)
    annual = model.columns[model.annual_column]
    assert f"/col/col{annual.column_id}/index.html?uid={annual.unit_id}&pageNum=1" in hrefs(home)
    assert 'action="/jsearchfront/search.do"' in home


def test_xxgk_directory_lists_bodies_by_credit_code(wendeng):
    model = wendeng.model
    page = fetch(f"{wendeng.base_url}/col/col{model.xxgk_column}/index.html").text
    links = hrefs(page)
    for body in model.bodies:
        assert f"/col/col{body.unit_column}/index.html?vc_xxgkarea={body.uscc}&jh=261" in links


def test_unit_page_is_a_shell_whose_records_come_from_search_jsp(wendeng):
    body = wendeng.model.bodies[0]
    shell = fetch(f"{wendeng.base_url}/col/col{body.unit_column}/index.html?vc_xxgkarea={body.uscc}&jh=261").text
    assert f"/module/xxgk/tree.jsp?standardXxgk=1&area={body.uscc}&divid=div4" in hrefs(
        shell.replace("src=", "href="))
    assert "loadDynamic('/module/xxgk/search.jsp?standardXxgk=1&infotypeId=" in shell
    assert "/art/" not in shell  # static parsing of a shell yields nothing


def test_search_jsp_pages_all_documents_of_a_body_regardless_of_column(wendeng):
    body = wendeng.model.bodies[0]
    url = wendeng.base_url + "/module/xxgk/search.jsp"
    form = f"infotypeId=N02&jdid=73&area={body.uscc}&divid=div4&vc_title=&fbtime=-1&standardXxgk=1&currpage="
    first, second = fetch(url, method="POST", data=form + "1").text, fetch(url, method="POST", data=form + "2").text
    assert re.search(r"共(\d+)页", first).group(1) == "2"
    rows = re.findall(r'<tr class="(tr_main_value_(?:odd|even))">.*?href="([^"]+)" title="([^"]+)".*?'
                      r"<td>(\d{4}-\d\d-\d\d)</td>", first + second)
    assert [r[0] for r in rows[:2]] == ["tr_main_value_odd", "tr_main_value_even"]
    columns = {re.search(r"art_(\d+)_", r[1]).group(1) for r in rows}
    assert str(body.report_column.column_id) in columns and len(columns) >= 2  # not filtered by column
    assert any("年度报告" in r[2] for r in rows) and any("通知" in r[2] for r in rows)
    other = wendeng.model.bodies[1].uscc
    assert body.uscc not in fetch(url, method="POST", data=f"area={other}&currpage=1").text


def test_tree_links_each_year_of_the_annual_report_module(huancui):
    body = huancui.model.bodies[0]
    tree = fetch(f"{huancui.base_url}/module/xxgk/tree.jsp?standardXxgk=1&area={body.uscc}&divid=div4").text
    for year in (2021, 2022, 2023):
        assert f"/module/xxgk/xxgkAnnualReport.jsp?area={body.uscc}&fbtime={year}" in hrefs(tree)


def test_annual_report_page_in_both_parameter_orders(portal, huancui):
    report = next(r for r in portal.expected_reports if r["form"] == "annual_report")
    area, year = report["area"], report["year"]
    one = fetch(f"{huancui.base_url}/module/xxgk/xxgkAnnualReport.jsp?area={area}&fbtime={year}")
    other = fetch(f"{huancui.base_url}/module/xxgk/xxgkAnnualReport.jsp?fbtime={year}&area={area}")
    assert one.status == other.status == 200 and one.body == other.body
    assert f'<div class="nb_title">{report["title"]}</div>' in one.text
    assert re.search(r"发布时间:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", one.text)
    assert one.text.count("<table") == 3  # sections 二, 三, 四
    received = portal.record(report["report_url"])["applications"]["new_received"]["total"]
    assert f"共收到政府信息公开申请{received}件" in one.text


def test_annual_report_for_a_year_not_filed_is_an_empty_page(portal, huancui):
    filed = {(r["area"], r["year"]) for r in portal.expected_reports}
    area, year = next((b.uscc, y) for b in huancui.model.bodies for y in (2021, 2022, 2023)
                      if (b.uscc, y) not in filed)
    page = fetch(f"{huancui.base_url}/module/xxgk/xxgkAnnualReport.jsp?area={area}&fbtime={year}")
    assert page.status == 200
    assert '<div class="nb_title"></div>' in page.text and "<table" not in page.text
    unknown = fetch(f"{huancui.base_url}/module/xxgk/xxgkAnnualReport.jsp?area=113710020000000000&fbtime=2022")
    assert unknown.status == 404


def test_column_page_holds_group_one_inline_and_the_jpage_init(wendeng):
    column = wendeng.model.columns[wendeng.model.annual_column]
    page = fetch(f"{wendeng.base_url}/col/col{column.column_id}/index.html?uid={column.unit_id}&pageNum=3").text
    assert f'<meta name="ColumnName" content="{column.name}">' in page
    store = re.search(rf'<div id="{column.unit_id}"><script type="text/xml">(.*?)</script></div>', page, re.S).group(1)
    assert len(re.findall(r"<record><!\[CDATA\[", store)) == 3 * column.per_page < len(column.entries)
    assert re.search(r"<nextgroup><!\[CDATA\[<a href=\"/module/web/jpage/dataproxy.jsp\?page=1&appid=1&webid=73"
                     rf"&path=/&columnid={column.column_id}&unitid={column.unit_id}&webname=%25E5", store)
    init = re.search(rf"\$\('#{column.unit_id}'\)\.jpage\(\{{(.*)\}}\);", page).group(1)
    assert f"totalRecord:{len(column.entries)}" in init and f"perPage:{column.per_page}" in init
    assert "proxyUrl:'/module/web/jpage/dataproxy.jsp'" in init
    assert f"ajaxParam:{{col:1,appid:1,webid:73,path:'/',columnid:{column.column_id}" in init
    # pageNum is read by jpage's JavaScript only: the server renders group 1 whatever it says.
    assert page == fetch(f"{wendeng.base_url}/col/col{column.column_id}/index.html").text


def test_proxy_pages_by_page_or_by_start_and_end_record_with_get_or_post(wendeng):
    column = wendeng.model.columns[wendeng.model.annual_column]
    base = wendeng.base_url + "/module/web/jpage/dataproxy.jsp"
    form = f"col=1&appid=1&webid=73&path=/&columnid={column.column_id}&unitid={column.unit_id}&permissiontype=0"
    total = len(column.entries)
    # Style A (classic POST): startrecord/endrecord on the query, the rest as a form.
    posted = fetch(f"{base}?startrecord=13&endrecord=24&perpage=4", method="POST", data=form,
                   headers={"X-Requested-With": "XMLHttpRequest"})
    assert posted.header("Content-Type") == "text/xml;charset=UTF-8"
    count, pages, group2 = proxy_records(posted.body)
    assert (count, pages) == (total, -(-total // 4)) and len(group2) == min(12, total - 12)
    # Style B (GET): page + perpage; the same records come back in the same order.
    got = [proxy_records(fetch(f"{base}?page={n}&perpage=4&{form}").body)[2] for n in (4, 5, 6)]
    assert sum(got, []) == group2
    # page wins over startrecord when both are sent.
    both = proxy_records(fetch(f"{base}?page=1&perpage=4&startrecord=13&endrecord=24&{form}").body)[2]
    assert both == proxy_records(fetch(f"{base}?page=1&perpage=4&{form}").body)[2]
    # Past the end: an empty recordset, totals unchanged.
    assert proxy_records(fetch(f"{base}?page=99&perpage=4&{form}").body)[:3] == (total, -(-total // 4), [])


def test_proxy_caps_perpage_and_the_old_path_answers_in_gbk(wendeng):
    column = wendeng.model.columns[wendeng.model.annual_column]
    query = f"columnid={column.column_id}&unitid={column.unit_id}"
    _, pages, _ = proxy_records(fetch(f"{wendeng.base_url}/module/web/jpage/dataproxy.jsp?page=1&perpage=5000&{query}").body)
    assert pages == 1  # 5000 capped to 300, still one page
    old = fetch(f"{wendeng.base_url}/module/jslib/jquery/jpage/dataproxy.jsp?page=1&perpage=4&{query}")
    assert old.header("Content-Type") == "text/xml;charset=GBK"
    assert old.body.startswith(b'<?xml version="1.0" encoding="GBK"?>')
    assert "年度报告".encode("gbk") in old.body
    assert proxy_records(old.body)[2] == proxy_records(
        fetch(f"{wendeng.base_url}/module/web/jpage/dataproxy.jsp?page=1&perpage=4&{query}").body)[2]
    bad = fetch(f"{wendeng.base_url}/module/web/jpage/dataproxy.jsp?page=x&{query}")
    assert bad.status == 500


def test_list_records_use_every_markup_variant(wendeng, portal):
    styles = {}
    for column in wendeng.model.columns.values():
        page = fetch(f"{wendeng.base_url}/col/col{column.column_id}/index.html").text
        styles[column.record_style] = page
    assert set(styles) == {"span_after", "b_clearfix", "span_before", "sp_time", "table_row"}
    assert re.search(r"<li><span>\d{4}-\d\d-\d\d</span><a href='/art/", styles["span_before"])
    assert re.search(r"</a> <b>\d{4}-\d\d-\d\d</b></li>", styles["b_clearfix"])
    assert '<span class="sp_time">' in styles["sp_time"]
    assert re.search(r"<tr><td class=\"bt\"><a href=\"/art/", styles["table_row"])
    summary = styles["span_after"]
    assert "<li style=<br/><a href=" in summary
    assert re.search(r"title='[^']+年度报告' target='_blank'>[^<]{18}\.\.\.</a>", summary)  # truncated text
    assert f"href='{portal.clone_url}/art/" in summary  # an off-host absolute link


def test_articles_carry_meta_markers_and_the_xxgk_table(portal, wendeng):
    report = next(r for r in portal.expected_reports if r["site"] == "wendeng" and r["form"] == "html")
    page = fetch(report["report_url"])
    text = page.text
    assert re.fullmatch(r".*/art/\d{4}/[1-9]\d?/[1-9]\d?/art_\d+_\d+\.html", report["report_url"])
    for name in ("ArticleTitle", "PubDate", "ContentSource", "ColumnName", "SiteName", "SiteIDCode",
                 "i_columnid", "i_articleid", "Maketime"):
        assert f'<meta name="{name}" content=' in text
    assert '<div id="zoom"><!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">' in text
    assert "<!--<$[信息来源]>begin-->" + report["organization"] in text
    assert re.search(r"发布日期:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
    assert re.search(rf"<td>{report['area']}/{int(report['published'][:4])}-\d{{5}}</td>", text)
    assert f"<td>内容分类：</td><td>{report['year']}年</td>" in text
    assert f"{report['organization']}<br>{report['year']}年政府信息公开工作年度报告" in text  # two-line title
    assert page.header("Last-Modified") and page.header("ETag")


def test_old_template_gbk_page_and_pre_2021_title(portal):
    by_form = {r["form"]: r for r in portal.expected_reports if r["site"] == "wendeng"}
    old = fetch(by_form["old_template"]["report_url"]).text
    assert '<td class="bt_content"><div class="art_con">' in old and '<meta name="pubdate"' in old
    gbk = fetch(by_form["gbk"]["report_url"])
    assert gbk.header("Content-Type") == "text/html"  # the charset is only in <meta>
    assert b"charset=gb2312" in gbk.body and by_form["gbk"]["title"].encode("gbk") in gbk.body
    with pytest.raises(UnicodeDecodeError):
        gbk.body.decode("utf-8")
    old_titles = [r["title"] for r in portal.expected_reports if r["year"] == 2020]
    assert old_titles and all(t.endswith("2020年度政府信息公开工作报告") for t in old_titles)


def test_downfile_redirects_to_attach_with_gbk_and_utf8_filenames(portal):
    report = next(r for r in portal.expected_reports
                  if r["form"] == "attachment" and "/downfile.jsp?" in r["files"][0] and ".docx&" in r["files"][0])
    page = fetch(report["report_url"]).text
    link = report["files"][0]
    assert link.split("/", 3)[3] in [h.lstrip("/") for h in hrefs(page)]
    assert "<table" not in page.split('id="zoom"')[1]  # the tables are only in the attachment
    hop = fetch(link)
    assert hop.status == 302
    assert re.fullmatch(r"/attach/0/[0-9a-f]{32}\.docx", hop.header("Location"))
    base = link.split("/module/")[0]
    original = fetch(base + hop.header("Location"))
    assert original.header("Content-Type").endswith("wordprocessingml.document")
    assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(original.body)).namelist()
    disposition = original.headers.get_all("Content-Disposition")[0]
    name = report["title"] + ".docx"
    raw = name.encode("gbk").decode("latin-1")
    assert f"filename*=UTF-8''{quote(name)}" in disposition or f'filename="{raw}"' in disposition


def test_scanned_report_serves_real_images(portal):
    report = next(r for r in portal.expected_reports if r["form"] == "scan")
    page = fetch(report["report_url"]).text
    jpg, png = report["files"]
    assert re.search(r"/picture/0/[0-9a-f]{32}\.jpg", jpg) and png.endswith(".png")
    assert all(f.split("/", 3)[3] in [s.lstrip("/") for s in re.findall(r'src="([^"]+)"', page)]
               for f in report["files"])
    assert fetch(jpg).body[:3] == b"\xff\xd8\xff" and fetch(png).body[:8] == b"\x89PNG\r\n\x1a\n"


def test_flipbook_pages_config_and_images(portal):
    books = [r for r in portal.expected_reports if r["form"] == "flipbook"]
    assert len(books) == 3
    text_book = books[0]
    article = fetch(text_book["report_url"]).text
    root = text_book["files"][0].split("/files/")[0]
    assert any(h.startswith(root + "/") for h in hrefs(article))
    pages = [f for f in text_book["files"] if f.endswith(".html")]
    config = fetch(root + "/mobile/javascript/config.js").text
    assert f"bookConfig.totalPageCount = {len(pages)};" in config
    first = fetch(pages[0]).text
    assert f"<title>Page 1 - {text_book['title']}</title>" in first
    assert '<div id="content-top2">P. 1</div>' in first
    code = re.search(r"<pre><code[^>]*>(.*?)</code></pre>", first, re.S).group(1)
    assert text_book["title"] in code
    noscript = re.search(r"<noscript>(.*)</noscript>", first, re.S).group(1)
    assert re.findall(r'href="(page\d+\.html)"', noscript) == [f"page{n}.html" for n in range(1, len(pages) + 1)]
    assert 'href="page2.html"' in first.split("<noscript>")[0]  # the pager window
    assert hrefs(fetch(root + "/files/basic-html/index.html").text) == [p.rsplit("/", 1)[1] for p in pages]
    assert fetch(root + "/files/thumb/1.jpg").body[:2] == b"\xff\xd8"
    assert fetch(root + f"/files/basic-html/page{len(pages) + 1}.html").status == 404
    image_only = next(b for b in books if "town" in b["files"][0])
    blank = fetch(image_only["files"][0]).text
    assert re.search(r"<pre><code[^>]*></code></pre>", blank)
    assert fetch(next(f for f in image_only["files"] if f.endswith(".jpg"))).body[:2] == b"\xff\xd8"


def test_jsearch_finds_articles_in_jcse_markup(wendeng):
    page = fetch(f"{wendeng.base_url}/jsearchfront/search.do?websiteid=371081000500000&q=%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A"
                 "&p=1&pg=5&cateid=1082&tpl=1361&checkError=1").text
    titles = re.findall(r'<div class="jcse-news-title"><a href="([^"]+)"', page)
    assert len(titles) == 5 and all(t.startswith(wendeng.base_url + "/art/") for t in titles)
    assert '<div class="jcse-news-url">' in page and "<em>年度报告</em>" in page


def test_robots_is_permissive_with_one_disallowed_report(portal, wendeng, huancui):
    robots = fetch(wendeng.base_url + "/robots.txt").text
    disallowed = [r for r in portal.expected_reports if r["disallowed"]]
    assert len(disallowed) == 1 and robots.startswith("#")
    assert f"Disallow: {disallowed[0]['report_url'].split(wendeng.base_url)[1]}" in robots
    assert "Disallow" not in fetch(huancui.base_url + "/robots.txt").text


def test_trailing_slash_and_unknown_paths_are_404(wendeng, portal):
    report = portal.expected_reports[0]["report_url"]
    assert fetch(report + "/").status == 404
    assert fetch(wendeng.base_url + "/col/").status == 404
    assert fetch(wendeng.base_url + "/module/jpage/dataproxy.jsp").status == 404


def test_conditional_get_answers_304(portal):
    url = portal.expected_reports[0]["report_url"]
    first = fetch(url)
    assert fetch(url, headers={"If-None-Match": first.header("ETag")}).status == 304
    assert fetch(url, headers={"If-Modified-Since": first.header("Last-Modified")}).status == 304
    assert fetch(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status == 200


def test_head_requests_send_headers_only(portal):
    url = portal.expected_reports[0]["report_url"]
    head = fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.header("Content-Length")) > 1000


def test_js_only_column_has_no_inline_records_but_the_proxy_serves_them(portal, huancui):
    column = huancui.model.columns[huancui.model.annual_column]
    page = fetch(f"{huancui.base_url}/col/col{column.column_id}/index.html").text
    assert "<datastore>" not in page and "/art/" not in page
    assert "jpage(" in page and "XMLHttpRequest" in page
    _, _, records = proxy_records(fetch(
        f"{huancui.base_url}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=30&perpage=10",
        method="POST", data=f"col=1&appid=1&webid=72&path=/&columnid={column.column_id}&unitid={column.unit_id}").body)
    needs_js = [r for r in portal.expected_reports if r["needs_js"]]
    assert sorted(re.search(r"href='([^']+)'", rec).group(1) for rec in records) == sorted(
        r["report_url"].split(huancui.base_url)[1] for r in needs_js)


def test_clone_serves_copies_under_the_same_paths(portal, wendeng):
    path = portal.expected_reports[0]["report_url"].split(wendeng.base_url)[1]
    copy = fetch(portal.clone_url + path)
    assert copy.status == 200 and portal.expected_reports[0]["title"] in copy.text


def test_request_log_records_host_method_path_and_headers(portal, wendeng):
    portal.clear_requests()
    fetch(wendeng.base_url + "/robots.txt?x=1", headers={"User-Agent": "nianbao-test"})
    before = time.time()
    (entry,) = portal.requests
    host, method, path, headers, at = entry
    assert host == wendeng.base_url.split("//")[1] and method == "GET" and path == "/robots.txt?x=1"
    assert before - 10 < at <= before  # when it arrived (politeness tests compare these)
    assert headers["User-Agent"] == "nianbao-test"


def test_some_attachments_sit_in_a_related_files_list_below_the_body(portal):
    report = next(r for r in portal.expected_reports if r["form"] == "attachment" and ".pdf&" in r["files"][0])
    page = fetch(report["report_url"]).text
    zoom, below = page.split('<div id="zoom">')[1].split("<!--<$[信息内容]>end--></div>")
    assert "downfile.jsp" not in zoom
    related = re.search(r'<ul class="xgbd">(.*?)</ul>', below, re.S).group(1)
    assert report["files"][0].split("/", 3)[3] in [h.lstrip("/") for h in hrefs(related)]

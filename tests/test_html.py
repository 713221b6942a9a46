"""The HTML reader: encodings, the article body inside a CMS page, tables, images."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import ParseError, read_document
from parsers.document import Image, Paragraph, Table
from parsers.html import read_html
from nianbao.testbed.synthetic import random_record, render_html

REPORT = "<p>一、总体情况</p><p>本机关共收到政府信息公开申请3件。</p>"


def texts(document) -> list[str]:
    return [b.text for b in document.blocks if isinstance(b, Paragraph)]


# --- encodings --------------------------------------------------------------------------


def test_gbk_page_decoded_by_its_meta_charset():
    page = f'<html><head><meta charset="gb2312"><title>年报</title></head><body>{REPORT}</body></html>'
    document = read_html(page.encode("gbk"))
    assert texts(document) == ["一、总体情况", "本机关共收到政府信息公开申请3件。"]
    assert document.page_title == "年报"


def test_http_header_charset_wins_over_a_missing_meta():
    page = f"<html><body>{REPORT}</body></html>".encode("gbk")
    assert texts(read_html(page, content_type="text/html; charset=GBK"))[0] == "一、总体情况"


def test_gbk_page_without_any_declaration_is_sniffed():
    long_report = REPORT + "".join(f"<p>第{i}项：依申请公开工作规范有序，按时办结率百分之百。</p>" for i in range(20))
    document = read_html(f"<html><body>{long_report}</body></html>".encode("gbk"))
    assert texts(document)[1] == "本机关共收到政府信息公开申请3件。"


def test_page_lying_about_its_charset_is_sniffed_with_a_warning():
    page = f'<html><head><meta charset="utf-8"></head><body>{REPORT * 5}</body></html>'.encode("gbk")
    document = read_html(page)
    assert texts(document)[0] == "一、总体情况"
    assert any("declares charset utf-8" in w for w in document.warnings)


def test_stale_gbk_label_on_a_utf8_page_is_overruled():
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>{REPORT}</body></html>'
    document = read_html(page.encode("utf-8"))
    assert texts(document)[0] == "一、总体情况"
    assert document.warnings == ["HTML: page declares charset gb2312 but is UTF-8; read as UTF-8"]


def test_utf8_bom_overrules_a_wrong_declaration():
    page = "\ufeff" + f'<html><head><meta charset="gbk"></head><body>{REPORT}</body></html>'
    assert texts(read_html(page.encode("utf-8")))[0] == "一、总体情况"


def test_gb18030_characters_beyond_gbk_survive():
    page = '<meta charset="gbk"><div id="zoom"><p>㐀䶵 报告</p></div>'
    assert texts(read_html(page.encode("gb18030"))) == ["㐀䶵 报告"]


# --- body -------------------------------------------------------------------------------


def test_article_body_is_found_and_page_chrome_dropped():
    record = random_record(4)
    document = read_html(render_html(record, page="article", meta_table=True))
    body_text = " ".join(texts(document))
    for chrome in ("首页", "分享到", "打印本页", "网站标识码", "当前位置", "浏览次数", "索引号", "_hmt"):
        assert chrome not in body_text
    assert texts(document)[0] == record["title"]
    assert texts(document)[-1] == "2024年1月" + record["published"][-2:].lstrip("0") + "日"
    assert document.page_title == record["title"]
    assert document.page_date == record["published"]
    assert [type(b) for b in document.blocks].count(Table) == 3


def test_old_template_art_con_body_and_publication_date_line():
    page = """<html><head><title>旧版页面</title></head><body>
    <table><tr><td class="nav"><a href="/">首页</a> <a href="/a">政务公开</a></td></tr></table>
    <table><tr><td class="bt_content"><div class="title">某局年报</div>
      <div class="info">发布日期：2021-01-27 14:55:15</div>
      <div class="art_con"><p>一、总体情况</p><p>正文<br>第二行</p></div></td></tr></table>
    <div class="footer">版权所有</div></body></html>"""
    document = read_html(page.encode())
    assert texts(document) == ["一、总体情况", "正文", "第二行"]
    assert document.page_date == "2021-01-27"


def test_xxgk_metadata_table_is_dropped_but_lends_its_date():
    page = """<div id="zoom"><table class="xxgk_table">
    <tr><td>索引号：</td><td>11371000004359010J/2025-00809</td><td>发布单位：</td><td>威海市人民政府</td></tr>
    <tr><td>内容分类：</td><td>2024年</td><td>发布日期：</td><td>2025年3月7日</td></tr></table>
    <p>一、总体情况</p><table><tr><td>规章</td><td>0</td></tr></table></div>"""
    document = read_html(page.encode())
    assert texts(document) == ["一、总体情况"]
    assert [[c.text for c in row] for row in document.tables()[0].rows()] == [["规章", "0"]]
    assert document.page_date == "2025-03-07"


def test_densest_text_block_is_the_body_on_unknown_layouts():
    filler = "".join(f"<p>本年度政府信息公开工作第{i}项情况说明，内容详实。</p>" for i in range(8))
    page = f"""<html><body><div class="top"><a href="/">首页</a><a href="/x">机构概况</a></div>
    <div class="main"><div class="left"><ul><li><a href="/1">通知公告</a></li><li><a href="/2">政策文件</a></li></ul></div>
    <div class="right"><div class="nb_title">某局年报</div><div class="text">{filler}</div></div></div>
    <div class="bottom">主办单位：某某人民政府办公室</div></body></html>"""
    document = read_html(page.encode())
    assert texts(document)[0] == "本年度政府信息公开工作第0项情况说明，内容详实。"
    assert "主办单位：某某人民政府办公室" not in texts(document)
    assert "通知公告" not in texts(document)


def test_annual_report_page_publication_time():
    record = random_record(9)
    document = read_html(render_html(record, page="annual_report"))
    assert document.page_date == record["published"]
    assert document.page_title == record["title"]
    assert len(document.tables()) == 3


def test_zjeg_markers_delimit_the_body_and_keep_tail_text():
    page = """<html><body><div class="share">分享</div><div id="zoom">
    <!--ZJEG_RSS.content.begin--><meta name="ContentStart"><p>甲<script>x()</script>乙</p>
    <div class="bdsharebuttonbox">分享到微信</div>丙<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->
    <p>相关附件</p></div></body></html>"""
    assert texts(read_html(page.encode())) == ["甲乙", "丙"]


def test_text_around_comments_is_kept():
    assert texts(read_html("<div id='zoom'><p>共收到<!-- 数字 -->3件</p></div>".encode())) == ["共收到3件"]


def test_deeply_nested_markup_is_read_and_loss_past_the_parser_limit_is_warned():
    deep = "<div>" * 1500 + "<p>深层正文</p>" + "</div>" * 1500
    assert texts(read_html(deep.encode())) == ["深层正文"]
    deeper = read_html(("<font>" * 3000 + "丢失" + "</font>" * 3000).encode())
    assert deeper.warnings == ["HTML: elements nested past libxml2's depth limit; text inside them is lost"]


# --- tables -----------------------------------------------------------------------------


def test_rowspan_and_colspan_resolved_into_the_grid():
    page = """<div id="zoom"><table>
    <tr><td rowspan="2" colspan="2">（本列数据的勾稽关系为：<br>第一项加第二项之和）</td><td colspan="3">申请人情况</td></tr>
    <tr><td>自然人</td><td>商业企业</td><td>总计</td></tr>
    <tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>1</td><td>0</td><td>1</td></tr>
    <tr><td>（二）部分公开</td><td>2</td><td>0</td><td>2</td></tr>
    </table></div>"""
    (table,) = read_html(page.encode()).tables()
    assert table.n_rows == 4 and table.n_cols == 5
    corner = table.grid[0][0]
    assert corner.text == "（本列数据的勾稽关系为：\n第一项加第二项之和）"
    assert table.grid[1][1] is corner and (corner.rowspan, corner.colspan) == (2, 2)
    assert table.grid[3][0].text == "三、本年度办理结果"
    assert [c.text for c in table.rows()[3]] == ["（二）部分公开", "2", "0", "2"]


def test_word_exported_html_with_office_markup():
    page = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
    <meta http-equiv=Content-Type content="text/html; charset=gb2312">
    <!--[if gte mso 9]><xml><o:DocumentProperties><o:Author>x</o:Author></o:DocumentProperties></xml><![endif]-->
    <style>p.MsoNormal{margin:0}</style></head><body lang=ZH-CN><div class=WordSection1>
    <p class=MsoNormal align=center><b><span>某局2023年政府信息公开工作年度报告<o:p></o:p></span></b></p>
    <table class=MsoNormalTable border=1><tr><td rowspan=2><p class=MsoNormal><span>行政处罚<o:p></o:p></span></p></td>
    <td><p class=MsoNormal><span>&nbsp;<o:p></o:p></span></p></td></tr>
    <tr><td><p class=MsoNormal><span lang=EN-US>2<o:p></o:p></span></p></td></tr></table></div></body></html>"""
    document = read_html(page.encode("gbk"))
    assert texts(document) == ["某局2023年政府信息公开工作年度报告"]
    (table,) = document.tables()
    assert [[c.text for c in row] for row in table.rows()] == [["行政处罚", ""], ["2"]]


def test_nested_and_layout_tables_are_flattened():
    page = """<div id="zoom"><table><tr><td>
      <p>一、总体情况</p>
      <table><tr><td>规章</td><td><table><tr><td>0</td><td>件</td></tr></table></td></tr>
             <tr><td>行政规范性文件</td><td>2</td></tr></table>
    </td></tr></table></div>"""
    document = read_html(page.encode())
    assert texts(document) == ["一、总体情况"]
    (table,) = document.tables()
    assert [[c.text for c in row] for row in table.rows()] == [["规章", "0 件"], ["行政规范性文件", "2"]]


def test_absurd_spans_are_bounded():
    page = '<table><tr><td rowspan="0" colspan="99999">a</td><td colspan="x">b</td></tr></table>'
    (table,) = read_html(page.encode()).tables()
    assert table.grid[0][0].colspan == 1000 and table.grid[0][-1].text == "b"


# --- images -----------------------------------------------------------------------------


def test_images_load_from_base_dir_but_never_outside_it(tmp_path):
    saved = tmp_path / "page_files"
    saved.mkdir()
    (saved / "table1.png").write_bytes(b"\x89PNG fake")
    (tmp_path.parent / "secret.png").write_bytes(b"secret")
    # an archived page's own images, laid out at their URL paths
    (tmp_path / "picture" / "0").mkdir(parents=True)
    (tmp_path / "picture" / "0" / "scan.jpg").write_bytes(b"\xff\xd8 fake")
    page = """<div id="zoom"><p>三、收到和处理政府信息公开申请情况</p>
    <p><img src="page_files/table1.png" alt="附表"></p>
    <img src="../secret.png"><img src="http://example.invalid/a.png">
    <img src="data:image/png;base64,iVBORw0K">
    <img src="http://www.wendeng.gov.cn/picture/0/scan.jpg"><img src="http://example.invalid/../../secret.png">
    <img src="file:///etc/passwd"></div>"""
    document = read_html(page.encode(), base_dir=tmp_path)
    images = document.images()
    assert [(i.src, i.data) for i in images[:3]] == [
        ("page_files/table1.png", b"\x89PNG fake"),
        ("../secret.png", None),
        ("http://example.invalid/a.png", None),
    ]
    assert images[0].alt == "附表"
    assert images[3].data == b"\x89PNG\r\n\x1a\n"[:6]
    assert [i.data for i in images[4:]] == [b"\xff\xd8 fake", None, None]
    assert isinstance(document.blocks[1], Image)


# --- bad input --------------------------------------------------------------------------


def test_a_page_without_text_reads_as_an_empty_document():
    assert read_html(b"<html><head><title>t</title></head><body></body></html>").blocks == []


@pytest.mark.parametrize("data, reason", [(b"   ", "empty HTML page"), (b"<!-- -->", "unparseable HTML")])
def test_blank_or_unparseable_pages_raise_a_one_line_parse_error(data, reason):
    with pytest.raises(ParseError, match=reason):
        read_html(data)


def test_read_document_routes_html_by_content():
    document = read_document(f"<html><body>{REPORT}</body></html>".encode(), filename="report.pdf")
    assert document.source_format == "html"


# --- property: however a page declares (or hides) its encoding -------------------------

# Characters every encoding under test can write: common hanzi and full-width punctuation.
HANZI = "政府信息公开工作年度报告本机关共收到申请件予以部分不掌握相关无法提供行政复议诉讼结果维持纠正其他尚未审结总计年月日，。、（）"


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(st.text(alphabet=HANZI, min_size=12, max_size=40), min_size=2, max_size=6),
    encoding=st.sampled_from(["utf-8", "gbk", "gb18030"]),
    declared_by=st.sampled_from(["header", "meta", "http-equiv", "nothing", "wrong meta"]),
)
def test_any_declaration_of_a_chinese_page_decodes_it(lines, encoding, declared_by):
    head = {
        "meta": f'<meta charset="{encoding}">',
        "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">',
        "wrong meta": '<meta charset="{}">'.format("gbk" if encoding == "utf-8" else "utf-8"),
    }.get(declared_by, "")
    body = "".join(f"<p>{line}</p>" for line in lines)
    data = f"<html><head>{head}</head><body>{body}</body></html>".encode(encoding)
    content_type = f"text/html; charset={encoding}" if declared_by == "header" else None
    assert texts(read_html(data, content_type=content_type)) == lines

"""crawler/pages.py: what every family reads the same way — report titles and the traps
around them, and what a page's own titles say."""

from pathlib import Path

from crawler import hanweb, pages

FAMILIES = Path(__file__).parent / "fixtures" / "families"


def test_report_titles_old_and_new():
    assert pages.is_report_title("威海市文登区财政局2025年政府信息公开工作年度报告")
    assert pages.is_report_title("威海市文登区发展和改革局2020年度政府信息公开工作报告")
    assert pages.is_report_title("2019年政府信息公开年报")
    assert pages.report_year("威海市文登区财政局2025年政府信息公开工作年度报告") == 2025
    assert pages.is_report_column("政府信息公开年报") and pages.is_report_column("年度报告")
    assert not pages.is_report_column("政务服务")
    assert pages.title_kind("政务服务") is None


def test_every_trap_kind_is_told_apart_from_reports():
    org = "乳山市人民政府办公室"
    traps = {
        f"图解：{org}2023年政府信息公开工作年度报告": "companion",
        f"一图读懂{org}2023年政府信息公开工作年度报告": "companion",
        f"{org}2023年政府信息公开工作年度报告解读": "companion",
        f"{org}2023年政府信息公开工作年度报告（H5版）": "companion",
        f"视频：{org}2023年政府信息公开工作年度报告": "companion",
        "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知": "notice",
        "关于做好2023年政府信息公开工作年度报告编制工作的通知": "notice",
        f"{org}2023年法治政府建设年度报告": "other_annual",
        f"{org}2023年部门预算": "other_annual",
        f"{org}2023年部门决算": "other_annual",
        "关于印发《2023年政务公开工作要点》的通知": "notice",
        f"{org}2024年政务公开工作要点": "other_annual",
        f"{org}政府信息公开指南": "guide",
        f"{org}政府信息公开制度": "guide",
    }
    for title, kind in traps.items():
        assert pages.title_kind(title) == kind, title
        assert not pages.is_report_title(title)
        assert not pages.is_report_column(title) or kind == "report"
    assert pages.title_kind(f"{org}2023年政府信息公开工作年度报告") == "report"


def test_page_headings_show_a_companion_whose_list_title_does_not():
    doc = pages.parse_html("<html><head><title>一图读懂｜X局2023年政府信息公开工作年度报告</title></head>"
                           "<body><h1>X局2023年政府信息公开工作年度报告</h1></body></html>")
    headings = pages.page_headings(doc)
    assert headings == ["一图读懂｜X局2023年政府信息公开工作年度报告", "X局2023年政府信息公开工作年度报告"]
    assert [pages.title_kind(h) for h in headings] == ["companion", "report"]


def test_report_key_is_the_same_for_every_copy_of_a_report_whatever_the_family():
    title = "威海市文登区商务局2022年政府信息公开工作年度报告"
    hanweb_table = '<td>索 引 号：</td><td>11371003004381261X/2023-00012</td>'
    one = pages.report_key_for_article("wendeng", hanweb_table, title, "http://a/art/2023/1/16/art_1_2.html")
    two = pages.report_key_for_article("wendeng", hanweb_table, title, "http://a/art/2023/1/16/art_9_3.html")
    assert one == two == "wendeng:11371003004381261X:2022"
    trs = (FAMILIES / "trs_article.htm").read_text(encoding="utf-8")
    ucap = (FAMILIES / "ucap_article.shtml").read_text(encoding="utf-8")
    assert pages.report_key_for_article("t", trs, "某县财政局2022年政府信息公开工作年度报告", "http://t/x.htm") == (
        "t:11370602MB2850152E:2022")
    assert pages.report_key_for_article("u", ucap, "某区民政局2022年政府信息公开工作年度报告", "http://u/y.shtml") == (
        "u:11370202MB1517740M:2022")
    old = '<meta name="contentsource" content="威海市文登区发展和改革局">'
    assert pages.report_key_for_article("wendeng", old, "发改局2020年度政府信息公开工作报告", "http://a/x") == (
        "wendeng:威海市文登区发展和改革局:2020")
    # neither a 索引号 nor a publishing body: the URL path is the key
    assert pages.report_key_for_article("g", "<p>正文</p>", "2021年政府信息公开工作年度报告", "http://g/a/b.html?id=7") == (
        "g:/a/b.html?id=7")
    assert not hasattr(hanweb, "report_key_for_article")  # moved here, no alias left in the Hanweb reader

"""crawler/pages.py: what every family reads the same way — report titles and the traps
around them, and what a page's own titles say."""

from crawler import pages


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

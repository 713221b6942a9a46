"""Title, organization, year, publication date and region."""

import pytest

from parsers.metadata import (
    is_date_line,
    read_organization,
    read_published,
    read_region,
    read_title,
    read_year,
)


def test_title_split_over_two_lines_is_joined():
    lead = ["聊城市统计局2022年政府信息公开工作", "年度报告", "本年度报告根据《中华人民共和国政府信息公开条例》……编制。"]
    assert read_title(lead, None) == "聊城市统计局2022年政府信息公开工作年度报告"


def test_title_with_the_body_on_its_own_line_and_extraction_spaces():
    assert read_title(["威海市环翠区统计局", "2024 年政府信息公开工作年度报告"], None) == (
        "威海市环翠区统计局2024年政府信息公开工作年度报告"
    )


def test_title_falls_back_to_the_page_title_without_the_site_name():
    assert read_title([], "文登区统计局2023年政府信息公开工作年度报告_威海市文登区人民政府") == (
        "文登区统计局2023年政府信息公开工作年度报告"
    )


def test_a_sentence_announcing_the_report_is_not_its_title():
    # a portal article above scanned pages: the only printed line is the announcement
    lead = ["根据《中华人民共和国政府信息公开条例》规定，现将威海市文登区天福街道办事处2021年政府信息公开工作年度报告予以公布。"]
    page_title = "威海市文登区天福街道办事处2021年政府信息公开工作年度报告"
    assert read_title(lead, page_title) == page_title
    assert read_title(lead + ["天福街道办事处2021年政府信息公开工作年度报告"], None) == (
        "天福街道办事处2021年政府信息公开工作年度报告"
    )


@pytest.mark.parametrize(
    "title, organization",
    [
        ("聊城市统计局2022年政府信息公开工作年度报告", "聊城市统计局"),
        ("西宁市湟中区统计局政府信息公开工作年度报告", "西宁市湟中区统计局"),
        ("威海市文登区人民政府2023年政府信息公开工作年度报告", "威海市文登区人民政府"),
        ("2022年聊城市统计局政府信息公开工作年度报告", "聊城市统计局"),
        ("某市某区人民政府信息公开工作年度报告", "某市某区人民政府"),
    ],
)
def test_organization_is_what_precedes_the_year_in_the_title(title, organization):
    assert read_organization(title, []) == organization


def test_organization_from_the_signature_when_the_title_names_none():
    assert read_organization("政府信息公开工作年度报告", ["（七）无。", "聊城市统计局", "2023年1月28日"]) == "聊城市统计局"


def test_year_is_the_year_reported_on_not_the_publication_year():
    assert read_year("某局2022年政府信息公开工作年度报告", [], None) == 2022
    intro = ["本年度报告中所列数据统计期限从2022年1月1日到2022年12月31日。"]
    assert read_year("某局政府信息公开工作年度报告", intro, None) == 2022
    assert read_year("某局政府信息公开工作年度报告", [], "2023 年，湟中区统计局……") == 2023
    assert read_year("某局政府信息公开工作年度报告", [], "我局……") is None


def test_published_is_the_closing_date_else_the_page_date():
    assert read_published(["聊城市统计局", "2023年1月28日"], "2023-02-01") == "2023-01-28"
    assert read_published(["（七）无其他事项。"], "2023-02-01 10:22:31") == "2023-02-01"
    assert read_published(["（七）无其他事项。"], "发布日期：2023年2月1日") == "2023-02-01"
    assert read_published(["（七）无其他事项。"], None) is None
    assert read_published(["2023年2月30日"], None) is None  # not a date: nothing invented
    assert is_date_line(" 2024 年 1 月 22 日 ") and not is_date_line("截至2023年12月31日，我局……")


@pytest.mark.parametrize(
    "organization, region",
    [
        ("聊城市统计局", "山东省聊城市"),
        ("威海市文登区统计局", "山东省威海市文登区"),
        ("北京市朝阳区人民政府", "北京市朝阳区"),
        ("国家统计局", None),
        (None, None),
    ],
)
def test_region_names_the_area_of_the_body(organization, region):
    assert read_region(organization) == region


@pytest.mark.parametrize(
    "line, iso",
    [
        ("二〇二三年一月二十八日", "2023-01-28"),
        ("二○二四年十二月三十一日", "2024-12-31"),
        ("二〇二三年十月十日", "2023-10-10"),
        ("二〇二三年二月三十日", None),  # no such day
        ("二〇二三年十十月一日", None),
    ],
)
def test_closing_dates_in_chinese_numerals(line, iso):
    assert read_published(["某局", line], None) == iso


def test_a_year_line_under_the_title_belongs_to_it():
    title = read_title(["某县教育局", "政府信息公开工作年度报告", "（2023年度）", "根据《条例》……"], None)
    assert title == "某县教育局政府信息公开工作年度报告（2023年度）"
    assert read_year(title, [], None) == 2023
    assert read_organization(title, []) == "某县教育局"

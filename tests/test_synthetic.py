"""The synthetic report generator: records add up, renderers print them faithfully."""

import io

import docx
import pytest
from lxml import html as lxml_html

from parsers import model
from nianbao.testbed.synthetic import (
    APPLICANTS,
    application_rows,
    random_record,
    render_docx,
    render_html,
    render_text,
    report_html,
    with_blanks,
)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("other_rows", [1, 3])
def test_random_record_adds_up_like_the_spec_checks(seed, other_rows):
    record = random_record(seed, other_rows=other_rows)
    apps = record["applications"]
    assert list(apps) == list(application_rows(other_rows))
    for cells in apps.values():
        assert cells["total"] == sum(cells[c] for c in APPLICANTS)
    for column in model.APPLICANT_COLUMNS:
        outcomes = sum(apps[row][column] for row in apps if row in model.OUTCOME_ROWS)
        assert apps["results_total"][column] == outcomes
        assert (
            apps["new_received"][column] + apps["carried_over"][column]
            == apps["results_total"][column] + apps["carried_forward"][column]
        )
    for group in record["reviews_litigation"].values():
        assert group["total"] == group["upheld"] + group["corrected"] + group["other"] + group["pending"]
    received = apps["new_received"]["total"]
    assert f"共收到政府信息公开申请{received}件" in record["sections"][0]["text"]
    assert all(check["ok"] for check in record["checks"])
    assert record["warnings"] == []


def test_random_record_is_deterministic_and_varies_with_seed():
    assert random_record(11) == random_record(11)
    assert any(random_record(11)["applications"] != random_record(s)["applications"] for s in range(12, 20))


def test_one_row_other_handling_replaces_the_three_rows():
    record = random_record(2, other_rows=1)
    assert "other" in record["applications"]
    assert not set(model.OTHER_HANDLING_ROWS) & set(record["applications"])


def test_active_disclosure_follows_the_template_layout():
    for template in ("2021", "2019"):
        record = random_record(4, template=template)
        expected = [
            (item, row, metric)
            for item, (rows, metrics) in model.ACTIVE_DISCLOSURE_LAYOUT[template].items()
            for row in rows
            for metric in metrics
        ]
        assert [(c["item"], c["row"], c["metric"]) for c in record["active_disclosure"]] == expected


def test_docx_keeps_the_official_templates_merged_cells():
    from importlib import resources

    blank = docx.Document(resources.files("nianbao.testbed.templates").joinpath("template-2021-blank.docx").open("rb"))
    filled = docx.Document(io.BytesIO(render_docx(random_record(5))))

    def merges(table):
        return [[(tc.grid_span, tc.vMerge) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]

    assert [merges(t) for t in filled.tables] == [merges(t) for t in blank.tables]
    assert filled.paragraphs[1].text == "威海市文登区统计局2023年政府信息公开工作年度报告"


def test_docx_one_row_other_and_2019_layout_adapt_the_tables():
    record = random_record(5, other_rows=1, template="2019")
    filled = docx.Document(io.BytesIO(render_docx(record)))
    active, applications, _ = filled.tables
    texts = [tc.xpath("string(.)") for tr in active._tbl.tr_lst for tc in tr.tc_lst]
    assert "第二十条第（九）项" in texts and "本年新制作数量" in texts
    # 3 header rows + 2 + 20 result rows + 1 carried forward
    assert len(applications.rows) == 26
    other_row = next(tr for tr in applications._tbl.tr_lst if "（六）其他处理" in tr.xpath("string(.)"))
    assert [tc.grid_span for tc in other_row.tc_lst] == [1, 2] + [1] * 7


def _cell_texts(page: bytes) -> list[str]:
    tree = lxml_html.fromstring(page)
    return [td.text_content() for td in tree.iter("td")]


def test_html_gbk_declares_its_charset_and_blank_cells_print_empty():
    record = random_record(8)
    page = render_html(record, encoding="gbk", blank_cells=("carried_over",))
    assert b"charset=gbk" in page
    text = page.decode("gbk")
    assert record["title"] in text
    rows = lxml_html.fromstring(text).xpath("//div[@id='zoom']//table[2]//tr")
    carried = next(r for r in rows if "二、上年结转" in r.text_content())
    assert [td.text_content() for td in carried.xpath("td")][1:] == [""] * 7
    assert with_blanks(record, ("carried_over",))["applications"]["carried_over"]["total"] is None


def test_html_variants_print_typos_split_and_spaced_labels():
    page = render_html(random_record(8), page="bare", typos=True, split_labels=True, spaced_labels=True)
    cells = _cell_texts(page)
    assert "四、结转下半年度继续办理" in [c.replace("\n", "") for c in cells]
    assert any("以获取信息" in c for c in cells)
    assert "三、 本 年 度 办 理 结 果" in cells
    assert "行政投诉" in cells
    assert b"2.\xe6\xb2\xa1\xe6\x9c\x89\xe7\x8e\xb0<br/>" in page  # "2.没有现<br/>"


def test_html_table_spans_match_the_template():
    page = render_html(random_record(1), page="annual_report")
    tree = lxml_html.fromstring(page.decode("utf-8"))
    assert "发布时间:" in tree.text_content()
    group = tree.xpath("//td[contains(., '三、本年度办理结果')]")[0]
    assert group.get("rowspan") == "22"
    denied = tree.xpath("//td[normalize-space(.)='（三）不予公开']")[0]
    assert denied.get("rowspan") == "8"


def test_text_layouts_follow_the_seeds(seed_text):
    record = random_record(3)
    tabs = render_text(record, "tabs")
    assert "\t（三）不予公开\t1.属于国家秘密\t" in tabs
    cells = render_text(record, "cells")
    assert "\t（三）不予公开\n\t1.属于国家秘密\n" in cells
    # the same cell-per-line shape as seed 002
    assert "\t（三）不予公开\n\t1.属于国家秘密\n" in seed_text("002")


def test_report_html_is_the_body_every_page_kind_wraps():
    record = random_record(12)
    fragment = report_html(record, typos=True)
    assert fragment.startswith("<p") and "<html" not in fragment
    for page in ("article", "annual_report", "bare"):
        assert fragment in render_html(record, page=page, typos=True).decode("utf-8")


def test_two_line_title_puts_the_body_above_the_report_name():
    record = random_record(2)
    document = docx.Document(io.BytesIO(render_docx(record, title_lines=2)))
    assert [p.text for p in document.paragraphs[1:3]] == ["威海市文登区统计局", "2023年政府信息公开工作年度报告"]
    assert render_text(record, title_lines=2).startswith("威海市文登区统计局\n\n2023年政府信息公开工作年度报告\n")

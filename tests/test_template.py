"""The template reader on Documents as the HTML/DOCX readers build them (cell grids
with merged cells), and on every synthetic rendering of a known record."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import read_document
from parsers.document import Document, Image, Paragraph, Table
from parsers.labels import read_value
from parsers.model import APPLICATION_ROWS
from nianbao.testbed.synthetic import random_record, render_docx, render_html, render_text, with_blanks
from parsers.template import read_record
from parsers.text import read_text

HEADINGS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]


def report(tables: dict, *, prose="2023年，本局共收到政府信息公开申请5件。", **doc) -> Document:
    """A report with the six headings; ``tables`` maps a section number to its blocks."""
    blocks = [Paragraph("某市统计局2023年政府信息公开工作年度报告")]
    for no, heading in enumerate(HEADINGS, start=1):
        blocks.append(Paragraph(heading))
        if no == 1:
            blocks.append(Paragraph(prose))
        blocks.extend(tables.get(no, []))
    return Document(blocks=blocks, **doc)


def applications_grid(rows: list[tuple[str, str, list[str]]]) -> Table:
    """Section 三 as an HTML page declares it: the group cell spans its rows."""
    header = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]
    body = []
    for group, label, values in rows:
        cells = [(group, 1, 1)] if group else []
        body.append(cells + [(label, 1, 3 - len(cells))] + [(v, 1, 1) for v in values])
    return Table.from_spans(header + body)


def test_grid_with_merged_cells_and_every_kind_of_value():
    table = applications_grid(
        [
            ("", "一、本年新收政府信息公开申请数量", ["3", "１", "", "0", "0", "0件", "4"]),
            ("", "二、上年结转政府信息公开申请数量", ["—", "0", "0", "0", "0", "0", "0"]),
            ("三、本年度办理结果", "（一）予以公开", ["2", "1", "0", "0", "0", "0", "3"]),
            ("", "（七）总计", ["3", "0", "0", "0", "0", "0"]),  # one value short
        ]
    )
    record = read_record(report({3: [table]}))
    assert record["applications"] == {
        "new_received": {
            "natural_person": 3, "commercial": 1, "research": None,  # printed blank → null
            "social_org": 0, "legal_services": 0, "other_org": 0, "total": 4,
        },
        "carried_over": {
            "natural_person": 0, "commercial": 0, "research": 0,  # printed "—" → 0, with a warning
            "social_org": 0, "legal_services": 0, "other_org": 0, "total": 0,
        },
        "granted": {
            "natural_person": 2, "commercial": 1, "research": 0,
            "social_org": 0, "legal_services": 0, "other_org": 0, "total": 3,
        },
    }  # fmt: skip
    assert "section 三 carried_over.natural_person: printed '—', read as 0" in record["warnings"]
    assert (
        "section 三: row （七）总计 (results_total) prints 6 values [3 0 0 0 0 0] for 7 columns; left out"
        in record["warnings"]
    )


def test_active_disclosure_reads_printed_headers_and_flags_dashes():
    table = Table.from_rows(
        [
            ["第二十条第（一）项"],
            ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
            ["规章", "1", "/", "7"],
            ["行政规范性文件", "2", "0", "15"],
            ["第二十条第（八）项"],
            ["信息内容", "本年收费金额（单位：万元）"],
            ["行政事业性收费", "0.35"],
        ]
    )
    record = read_record(report({2: [table]}))
    assert record["template"] == "2021"
    assert [(c["row"], c["metric"], c["value"]) for c in record["active_disclosure"]] == [
        ("regulations", "issued", 1),
        ("regulations", "repealed", 0),
        ("regulations", "in_force", 7),
        ("normative_documents", "issued", 2),
        ("normative_documents", "repealed", 0),
        ("normative_documents", "in_force", 15),
        ("fees", "fee_amount", 0.35),
    ]
    assert "section 二 regulations.repealed: printed '/', read as 0" in record["warnings"]


def test_tables_that_are_pictures_give_a_warning_never_zeros():
    doc = report({2: [Image(src="table1.png")], 3: [Image(src="table2.png")], 4: [Image(src="table3.png")]})
    doc.warnings.append("html: an image could not be fetched")
    record = read_record(doc)
    assert record["active_disclosure"] == [] and record["applications"] == {} and record["reviews_litigation"] == {}
    assert record["warnings"][0] == "html: an image could not be fetched"  # the reader's warnings come first
    assert "section 三 (收到和处理政府信息公开申请情况): the table is an image; no values read" in record["warnings"]


def test_reviews_need_all_fifteen_values():
    fourteen = Table.from_rows([["行政复议", "行政诉讼"], ["0"] * 14])
    record = read_record(report({4: [fourteen]}))
    assert record["reviews_litigation"] == {}
    assert any(w.startswith("section 四: 14 values printed for the 15 cells") for w in record["warnings"])
    assert not any(w.startswith("section 四 (") for w in record["warnings"])  # the table is there, not absent


def test_a_report_whose_numbers_do_not_add_up_fails_its_checks():
    lines = [
        ("", "一、本年新收政府信息公开申请数量", ["5", "0", "0", "0", "0", "0", "5"]),
        ("", "二、上年结转政府信息公开申请数量", ["1", "0", "0", "0", "0", "0", "2"]),  # total ≠ sum
        ("", "（七）总计", ["5", "0", "0", "0", "0", "0", "5"]),
        ("", "四、结转下年度继续办理", ["0", "0", "0", "0", "0", "0", "0"]),
    ]
    reviews = Table.from_rows([["行政复议", "行政诉讼"], ["1", "0", "0", "0", "2"] + ["0"] * 10])
    record = read_record(report({3: [applications_grid(lines)], 4: [reviews]}, prose="共收到政府信息公开申请6件。"))
    checks = {c["code"]: c for c in record["checks"]}
    assert checks["apps_balance"] == {
        "code": "apps_balance",
        "ok": False,
        "detail": "natural_person: 一 5 + 二 1 ≠ 三(七) 5 + 四 0; total: 一 5 + 二 2 ≠ 三(七) 5 + 四 0",
    }
    assert checks["apps_row_totals"]["ok"] is False
    assert checks["apps_row_totals"]["detail"] == "carried_over: total 2 ≠ sum of applicants 1"
    assert "apps_results_sum" not in checks  # the outcome rows are not printed: nothing to add up
    assert checks["review_totals"] == {
        "code": "review_totals",
        "ok": False,
        "detail": "review: total 2 ≠ upheld+corrected+other+pending 1",
    }
    assert checks["text_vs_table"] == {
        "code": "text_vs_table",
        "ok": False,
        "detail": "prose: 共收到政府信息公开申请6件; table new_received.total = 5",
    }


def test_page_metadata_fills_in_what_the_body_does_not_print():
    doc = report({}, page_title="某市统计局2023年政府信息公开工作年度报告_某市人民政府", page_date="2024-01-26 09:30")
    doc.blocks[0] = Paragraph("")  # no title line in the body
    record = read_record(doc)
    assert record["title"] == "某市统计局2023年政府信息公开工作年度报告"
    assert record["published"] == "2024-01-26"
    assert record["year"] == 2023


# --- synthetic renderings of a known record ---------------------------------------


VARIANTS = [
    {},
    {"split_labels": True},
    {"spaced_labels": True},
    {"typos": True},
    {"blank_cells": ["granted", ("new_received", "research"), ("review", "upheld")]},
]
COMPARED = ["title", "organization", "region", "year", "published", "template",
            "active_disclosure", "applications", "reviews_litigation"]  # fmt: skip


def renderings(record, variant):
    yield "text tabs", read_text(render_text(record, "tabs", **variant).encode("utf-8"))
    yield "text cells", read_text(render_text(record, "cells", **variant).encode("gb18030"))
    yield "html", read_document(render_html(record, encoding="gbk", **variant))
    yield "docx", read_document(render_docx(record, **variant))


@pytest.mark.parametrize("template, other_rows", [("2021", 3), ("2019", 1), ("2021", 1)])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(v) or "plain")
def test_every_rendering_reads_back_to_the_record(template, other_rows, variant):
    record = random_record(5, template=template, other_rows=other_rows)
    expected = with_blanks(record, variant.get("blank_cells", ()))
    for name, doc in renderings(record, variant):
        got = read_record(doc)
        assert {k: got[k] for k in COMPARED} == {k: expected[k] for k in COMPARED}, name
        assert [s["no"] for s in got["sections"]] == [1, 2, 3, 4, 5, 6], name
        if not variant:
            assert got["checks"] == record["checks"], name
            assert got["warnings"] == [], name


def test_unruled_text_reads_like_a_table():
    """Text extracted from a PDF without its ruling: rows are lines, cells runs of spaces."""
    record = random_record(8, template="2019", other_rows=1)
    doc = read_text(render_text(record, "tabs", split_labels=True).replace("\t", "  ").encode("utf-8"))
    assert doc.tables() == []
    got = read_record(doc)
    for key in ("template", "active_disclosure", "applications", "reviews_litigation", "checks"):
        assert got[key] == record[key], key


def test_merged_header_cells_line_up_with_the_values_under_them():
    """2019 item 20(9): 采购项目数量 spans two columns, its value too (a blank follows it)."""
    table = Table.from_rows(
        [
            ["第二十条第（九）项", "", "", ""],
            ["信息内容", "采购项目数量", "", "采购总金额"],
            ["政府集中采购", "3", "", "35.2"],
        ]
    )
    record = read_record(report({2: [table]}))
    assert record["template"] == "2019"
    assert [(c["item"], c["row"], c["metric"], c["value"]) for c in record["active_disclosure"]] == [
        ("20(9)", "procurement", "procurement_count", 3),
        ("20(9)", "procurement", "procurement_amount", 35.2),
    ]


def test_a_report_laid_out_as_one_big_table_has_its_headings_in_cells():
    rows = [[heading] for heading in HEADINGS]
    rows[2:3] = [["三、收到和处理政府信息公开申请情况"], ["一、本年新收政府信息公开申请数量", "", "1", "0", "0", "0", "0", "0", "1"]]
    record = read_record(Document(blocks=[Paragraph("某局2023年政府信息公开工作年度报告"), Table.from_rows(rows)]))
    assert [s["no"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
    assert record["applications"]["new_received"]["total"] == 1


# --- never a number that is not printed ---------------------------------------------

LABELS = [label for _, label in APPLICATION_ROWS.values()] + [
    "规章", "行政许可", "信息内容", "本年制发件数", "第二十条第（一）项", "（四）无法提供", "(四)", "1.本机关", "行政复议", "",
]  # fmt: skip
CELL = st.one_of(st.sampled_from(LABELS), st.sampled_from(["0", "7", "０", "3件", "—", "/", "", "12.5"]), st.text(max_size=6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CELL, min_size=1, max_size=10), min_size=1, max_size=30), st.sampled_from([2, 3, 4]))
def test_every_value_in_the_record_is_printed_in_the_document(rows, section):
    doc = report({section: [Table.from_rows(rows)]})
    record = read_record(doc)
    printed = {read_value(text)[1] for row in rows for text in row} - {None}
    values = [c["value"] for c in record["active_disclosure"]]
    values += [v for table in ("applications", "reviews_litigation") for cells in record[table].values() for v in cells.values()]
    assert {v for v in values if v is not None} <= printed


def test_tables_appended_after_section_six_are_read():
    """"…以及相关指标统计附表": the sections say nothing, the tables follow at the end."""
    record = random_record(9)
    appended = read_text(render_text(record, "tabs").encode("utf-8"))
    tables = appended.tables()
    doc = report({6: [Paragraph("附件：统计附表"), *tables]})
    got = read_record(doc)
    assert got["applications"] == record["applications"]
    assert got["reviews_litigation"] == record["reviews_litigation"]
    assert got["active_disclosure"] == record["active_disclosure"]
    assert (
        "section 三 (收到和处理政府信息公开申请情况): its table is printed elsewhere (an appended table); read from there"
        in got["warnings"]
    )

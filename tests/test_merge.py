"""parsers.merge: one record from a report's candidates, merged where the report is split
into a text document and a tables document."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from nianbao.testbed.synthetic import as_printed, random_record, render_html
from parsers.merge import MIN_PROSE, choose, merge, table_values

from .archives import text_only_page, zip_of
from .workbooks import workbook_xlsx


@pytest.fixture(scope="module")
def record():
    return random_record(31)


def _tables_only(record):
    result = parsers.parse_bytes(workbook_xlsx(record), filename="t.xlsx")
    assert sum(len(s["text"]) for s in result["sections"]) < MIN_PROSE
    return result


def test_merge_needs_a_tables_only_candidate(record):
    whole = parsers.parse_bytes(render_html(record))
    choice = choose([("page", whole), ("tables", _tables_only(record))])
    assert (choice.tables_from, choice.text_from, choice.record is whole) == (0, None, True)


def test_merge_refuses_candidates_of_different_years(record):
    text = parsers.parse_bytes(text_only_page(record))
    other_year = dict(_tables_only(record), year=record["year"] - 1)
    choice = choose([("page", text), ("统计表.xlsx", other_year)])
    assert choice.text_from is None and choice.record is other_year
    assert choice.notes == [f"统计表.xlsx prints the tables and page the text, but they name different years "
                            f"({record['year'] - 1}, {record['year']}); not merged"]  # fmt: skip


def test_merge_without_a_text_keeps_the_tables(record):
    tables = _tables_only(record)
    choice = choose([("a", tables), ("b", parsers.parse_bytes(b"<html><body><p>short</p></body></html>"))])
    assert (choice.tables_from, choice.text_from) == (0, None)


def test_merge_takes_text_from_one_and_tables_from_the_other():
    record = random_record(33)
    text = parsers.parse_bytes(text_only_page(record))
    tables = _tables_only(record)
    merged = merge(text, tables, text_label="page", tables_label="统计表.xlsx")
    assert merged["sections"] == text["sections"] and merged["title"] == text["title"]
    assert merged["applications"] == tables["applications"] and table_values(merged) == table_values(tables)
    assert merged["warnings"][0] == "report split over two documents: text and metadata from page, tables from 统计表.xlsx"
    # the page alone has no table to compare its prose with; merged, its prose meets the spreadsheet's table
    assert not any(c["code"] == "text_vs_table" for c in text["checks"])
    assert next(c for c in merged["checks"] if c["code"] == "text_vs_table")["ok"] is True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), template=st.sampled_from(["2021", "2019"]), other_rows=st.sampled_from([1, 3]),
       tables_first=st.booleans())  # fmt: skip
def test_any_report_split_into_page_and_spreadsheet_merges_to_the_whole(seed, template, other_rows, tables_first):
    record = random_record(seed, template=template, other_rows=other_rows)
    members = {"报告.html": text_only_page(record), "统计表.xlsx": workbook_xlsx(record)}
    if tables_first:
        members = dict(reversed(members.items()))
    result = parsers.parse_bytes(zip_of(members), filename="年报.zip")
    expected = as_printed(record)
    for key in ("title", "organization", "region", "year", "published", "template",
                "active_disclosure", "applications", "reviews_litigation"):  # fmt: skip
        assert result[key] == expected[key], key
    assert {c["code"]: c["ok"] for c in result["checks"]} == {c["code"]: True for c in expected["checks"]}

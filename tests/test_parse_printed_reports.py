"""Reports printed the way portals and Word print them, read back through ``parsers.parse_bytes``.

Each fixture is rendered from a known record (the spec's Liaocheng example,
records shaped like seeds 001 and 003, seeded random records), so the
expected result is that record: every printed number, read back as printed.
"""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import parse_bytes
from nianbao.testbed.synthetic import as_printed, random_record, render_docx, render_html, render_text, with_blanks
from tests.conftest import SPEC

LIAOCHENG = json.loads((SPEC / "example-liaocheng-2022.json").read_text(encoding="utf-8"))


def printed(record: dict) -> dict:
    """What a reader must get back: metadata, sections and every table value."""
    return {
        "title": record["title"],
        "organization": record["organization"],
        "year": record["year"],
        "published": record["published"],
        "template": record["template"],
        "sections": [(s["no"], s["title"], s["text"]) for s in record["sections"]],
        "active_disclosure": [(c["item"], c["row"], c["metric"], c["value"]) for c in record["active_disclosure"]],
        "applications": record["applications"],
        "reviews_litigation": record["reviews_litigation"],
    }


def checks(record: dict) -> dict[str, bool]:
    return {check["code"]: check["ok"] for check in record["checks"]}


def render(fmt: str, record: dict, *, encoding="utf-8", page="article", layout="tabs", **variants) -> bytes:
    """One rendering; options a format does not have (a DOCX has no page kind) are ignored."""
    if fmt == "html":
        return render_html(record, encoding=encoding, page=page, **variants)
    if fmt == "docx":
        return render_docx(record, **variants)
    return render_text(record, layout, **variants).encode(encoding)


def seed_001_like() -> dict:
    """西宁市湟中区统计局 2023: 2019 section 二, one-row （六）, the seed's typos."""
    return random_record(1, organization="西宁市湟中区统计局", region="青海省西宁市湟中区", template="2019", other_rows=1)


def seed_003_like() -> dict:
    """威海市环翠区统计局 2024: 2021 template, spaced labels, 本年度止件数."""
    return random_record(3, year=2024, organization="威海市环翠区统计局", region="山东省威海市环翠区")


# --- the spec's example -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, variants",
    [
        ("html", {"page": "article"}),
        ("html", {"page": "annual_report", "encoding": "gbk"}),
        ("docx", {}),
        ("text", {"layout": "cells"}),
    ],
)
def test_liaocheng_example_reads_back_exactly(fmt, variants):
    record = parse_bytes(render(fmt, LIAOCHENG, **variants))
    assert printed(record) == printed(LIAOCHENG)
    assert record["region"] == LIAOCHENG["region"]
    assert all(checks(record).values())
    assert record["warnings"] == []


# --- seed-shaped records with their layouts ----------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "docx", "text"])
def test_seed_001_layout_2019_template_one_row_other_with_typos_and_split_labels(fmt):
    source = seed_001_like()
    record = parse_bytes(render(fmt, source, encoding="gbk", typos=True, split_labels=True, layout="tabs"))
    assert record["template"] == "2019"
    assert "other" in record["applications"] and "other_misc" not in record["applications"]
    assert record["sections"][3]["title"] == "政府信息公开行政复议、行政投诉情况"  # as printed
    assert printed(record) == printed(as_printed(source, typos=True))
    assert all(checks(record).values())


@pytest.mark.parametrize("fmt", ["html", "docx", "text"])
def test_seed_003_layout_spaced_labels_and_misprinted_headers(fmt):
    source = seed_003_like()
    record = parse_bytes(render(fmt, source, page="bare", spaced_labels=True, typos=True))
    assert printed(record) == printed(as_printed(source, typos=True))
    assert all(checks(record).values())


@pytest.mark.parametrize("fmt", ["html", "docx", "text"])
def test_title_printed_on_two_lines_reads_as_one(fmt):
    expected = random_record(23, organization="威海市文登区财政局", year=2025)
    record = parse_bytes(render(fmt, expected, page="bare", title_lines=2))
    assert record["title"] == "威海市文登区财政局2025年政府信息公开工作年度报告"
    assert printed(record) == printed(expected)


@pytest.mark.parametrize("fmt", ["html", "docx", "text"])
def test_a_row_printed_twice_keeps_both_cells_and_warns(fmt):
    source = seed_001_like()
    record = parse_bytes(render(fmt, source, penalty_twice=True))
    assert printed(record) == printed(as_printed(source, penalty_twice=True))
    assert any("printed twice" in warning for warning in record["warnings"])


@pytest.mark.parametrize("page", ["article", "annual_report", "bare"])
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_every_page_kind_and_encoding(page, encoding):
    expected = random_record(17)
    assert printed(parse_bytes(render_html(expected, page=page, encoding=encoding))) == printed(expected)


# --- blank cells and inconsistent reports -----------------------------------------------

BLANKS = ("carried_over", ("granted", "commercial"), ("regulations", "issued"), ("review", "pending"))


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_blank_cells_read_as_null(fmt):
    record = random_record(6)
    got = parse_bytes(render(fmt, record, blank_cells=BLANKS))
    expected = with_blanks(record, BLANKS)
    assert got["applications"] == expected["applications"]
    assert got["applications"]["carried_over"]["total"] is None
    assert got["reviews_litigation"] == expected["reviews_litigation"]
    assert printed(got)["active_disclosure"] == printed(expected)["active_disclosure"]


@pytest.mark.parametrize("fmt", ["html", "docx", "text"])
def test_inconsistent_report_keeps_printed_numbers_and_fails_its_checks(fmt):
    record = random_record(8)
    wrong = copy.deepcopy(record)
    # One application too many in （七）总计, and a prose count that disagrees with the table.
    wrong["applications"]["results_total"]["natural_person"] += 1
    wrong["applications"]["results_total"]["total"] += 1
    wrong["reviews_litigation"]["review"]["total"] += 2
    received = record["applications"]["new_received"]["total"]
    wrong["sections"][0]["text"] = wrong["sections"][0]["text"].replace(
        f"共收到政府信息公开申请{received}件", f"共收到政府信息公开申请{received + 5}件"
    )
    got = parse_bytes(render(fmt, wrong))
    assert got["applications"] == wrong["applications"]
    assert got["reviews_litigation"] == wrong["reviews_litigation"]
    assert checks(got) == {
        "apps_balance": False,
        "apps_results_sum": False,
        "apps_row_totals": True,
        "review_totals": False,
        "text_vs_table": False,
    }


# --- property: any consistent record survives rendering ----------------------------------

variants = st.fixed_dictionaries(
    {
        "split_labels": st.booleans(),
        "spaced_labels": st.booleans(),
        "typos": st.booleans(),
        "title_lines": st.sampled_from([1, 2]),
    }
)


# Cells a report may leave blank, a few at a time (any row code or (row, column) pair).
BLANKABLE = st.sampled_from(
    [("new_received", "commercial"), ("granted", "natural_person"), ("results_total", "total"), "carried_forward",
     ("review", "upheld"), ("litigation_after_review", "total"), ("regulations", "issued"), ("penalty", "decisions")]
)  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    template=st.sampled_from(["2021", "2019"]),
    other_rows=st.sampled_from([1, 3]),
    page=st.sampled_from(["article", "annual_report", "bare"]),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    variant=variants,
    blank_cells=st.lists(BLANKABLE, max_size=3, unique=True),
)
def test_random_consistent_records_read_back_from_html_and_docx(
    seed, template, other_rows, page, encoding, variant, blank_cells
):
    source = random_record(seed, template=template, other_rows=other_rows)
    expected = as_printed(source, typos=variant["typos"], blank_cells=blank_cells)
    from_html = parse_bytes(render_html(source, page=page, encoding=encoding, blank_cells=blank_cells, **variant))
    from_docx = parse_bytes(render_docx(source, blank_cells=blank_cells, **variant))
    for record in (from_html, from_docx):
        assert printed(record) == printed(expected)
        if not blank_cells:
            assert all(checks(record).values())
            assert record["warnings"] == []

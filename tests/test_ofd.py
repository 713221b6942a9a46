"""OFD (GB/T 33190): reports written by tests/ofd_writer.py (text objects with DeltaX,
cell borders as path objects) read through the PDF reader's page model."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from parsers.document import Table
from parsers.errors import ParseError
from parsers.ofd import _deltas
from nianbao.testbed.synthetic import as_printed, random_record

from .ofd_writer import render_ofd

COMPARED = ("title", "organization", "region", "year", "published", "template",
            "active_disclosure", "applications", "reviews_litigation")  # fmt: skip


@pytest.mark.parametrize("seed, template, other_rows, variants", [
    (1, "2021", 3, {}),
    (2, "2021", 1, {"split_labels": True}),
    (3, "2019", 3, {"blank_cells": ("carried_over", ("review", "pending"))}),
    (4, "2019", 1, {"typos": True}),
])  # fmt: skip
def test_an_ofd_report_reads_to_the_record_it_was_written_from(seed, template, other_rows, variants):
    record = random_record(seed, template=template, other_rows=other_rows)
    data = render_ofd(record, **variants)
    assert parsers.detect_format(data, "report.ofd") == "ofd"
    result = parsers.parse_bytes(data, filename="report.ofd")
    expected = as_printed(record, **{k: v for k, v in variants.items() if k != "split_labels"})
    for key in COMPARED:
        assert result[key] == expected[key], key
    assert [s["no"] for s in result["sections"]] == [1, 2, 3, 4, 5, 6]
    assert result["sections"][0]["text"].startswith(record["sections"][0]["text"][:30])


def test_merged_cells_come_from_the_missing_rules():
    document = parsers.read_document(render_ofd(random_record(5)), filename="a.ofd")
    applications = next(b for b in document.tables() if "申请人情况" in "".join(c.text for c in b.grid[0]))
    group = next(cell for row in applications.rows() for cell in row if cell.text.startswith("三、本年度"))
    assert group.rowspan > 10
    assert document.source_format == "ofd"
    assert document.page_title == random_record(5)["title"]


def _package(parts: dict[str, bytes | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def test_a_missing_page_is_a_warning_and_the_other_pages_are_read():
    record = random_record(6)
    document = parsers.read_document(render_ofd(record, drop_page_content=True), filename="a.ofd")
    (warning,) = [w for w in document.warnings if "is missing; skipped" in w]
    assert warning.startswith("OFD page ") and warning.endswith("Content.xml is missing; skipped")
    assert any(isinstance(b, Table) for b in document.blocks)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("OFD.xml"), "corrupt OFD: OFD.xml is missing"),
    (lambda p: p.pop("Doc_0/Document.xml"), "corrupt OFD: its document Doc_0/Document.xml is missing"),
    (lambda p: p.update({"OFD.xml": p["OFD.xml"].replace(b"Doc_0/Document.xml", b"../../etc/Document.xml")}),
     "corrupt OFD: part location '../../etc/Document.xml' leaves the package"),
    (lambda p: p.update({"Doc_0/Document.xml": b"<ofd:Document"}), "corrupt OFD part Doc_0/Document.xml"),
])  # fmt: skip
def test_broken_packages_fail_with_one_line(change, message):
    parts = _parts(render_ofd(random_record(7)))
    change(parts)
    with pytest.raises(ParseError) as error:
        parsers.read_document(_package(parts), filename="a.ofd")
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.slow
def test_tables_printed_as_pictures_are_read_by_ocr():
    record = random_record(9)
    result = parsers.parse_bytes(render_ofd(record, tables_as_images=True), filename="scan.ofd")
    expected = as_printed(record)
    for key in COMPARED:
        assert result[key] == expected[key], key
    assert sum("text read by OCR" in w for w in result["warnings"]) == 3


def test_a_missing_picture_resource_is_a_warning_not_a_zero():
    record = random_record(9)
    result = parsers.parse_bytes(render_ofd(record, tables_as_images=True, drop_images=True), filename="a.ofd")
    missing = [w for w in result["warnings"] if w.endswith(".png is missing; not read")]
    assert len(missing) == 3 and missing[0].startswith("OFD page 2 image ")
    assert result["applications"] == {} and result["active_disclosure"] == []
    assert result["title"] == record["title"]


def test_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    parts = _parts(render_ofd(random_record(8)))
    page = "Doc_0/Pages/Page_0/Content.xml"
    body = parts[page].decode()
    parts[page] = (
        f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>'
        + body.split("?>", 1)[1].replace("<ofd:TextCode X=\"0\"", "<ofd:TextCode X=\"0\"", 1)
    ).replace("</ofd:TextCode>", "&leak;</ofd:TextCode>", 1).encode()
    document = parsers.read_document(_package(parts), filename="a.ofd")
    assert "TOP-SECRET" not in "".join(b.text for b in document.paragraphs())


def test_delta_x_abbreviations():
    assert _deltas("g 3 2.5 1 g 2 0.5") == [2.5, 2.5, 2.5, 1.0, 0.5, 0.5]
    assert _deltas("") == []


VARIANTS = st.fixed_dictionaries({"split_labels": st.booleans(), "spaced_labels": st.booleans(), "typos": st.booleans()})
BLANKABLE = st.sampled_from(
    [("new_received", "commercial"), ("granted", "natural_person"), ("results_total", "total"), "carried_forward",
     ("review", "upheld"), ("litigation_after_review", "total"), ("regulations", "issued"), ("penalty", "decisions")]
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), template=st.sampled_from(["2021", "2019"]), other_rows=st.sampled_from([1, 3]),
       variant=VARIANTS, blank_cells=st.lists(BLANKABLE, max_size=3, unique=True))  # fmt: skip
def test_random_records_read_back_from_ofd(seed, template, other_rows, variant, blank_cells):
    record = random_record(seed, template=template, other_rows=other_rows)
    result = parsers.parse_bytes(render_ofd(record, blank_cells=blank_cells, **variant), filename="a.ofd")
    expected = as_printed(record, typos=variant["typos"], blank_cells=blank_cells)
    for key in COMPARED:
        assert result[key] == expected[key], key

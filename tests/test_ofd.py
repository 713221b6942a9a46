"""OFD (GB/T 33190): reports written by tests/ofd_writer.py (text objects with DeltaX,
cell borders as path objects) read through the PDF reader's page model, in every
way of writing them real producers use (``ofd_writer.VARIANTS``, ``PRODUCERS``),
and the reading rules of the standard each variant depends on, on small pages."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from parsers.document import Table
from parsers.errors import ParseError
from parsers.layout import cell_text
from parsers.ofd import _deltas, _Resources, page_geometry
from nianbao.testbed.synthetic import as_printed, random_record

from . import corpus
from .ofd_writer import PRODUCERS, VARIANTS, render_ofd

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
    assert _deltas("3,3.5") == [3.0, 3.5]  # comma-separated, as some writers put arrays
    # a list shorter than the text: its last value repeats (ofdrw's DeltaTool)
    assert _deltas("g 2 3 1.5", count=5) == [3.0, 3.0, 1.5, 1.5, 1.5]


# --- every way of writing an OFD that producers use: the report reads exactly -------------


@pytest.mark.parametrize("style", [*PRODUCERS, *VARIANTS])
def test_each_producer_style_reads_every_table_cell_exactly(style):
    record = random_record(61, template="2021", other_rows=3)
    result = parsers.parse_bytes(render_ofd(record, style=style), filename="report.ofd")
    correct, total, misses = corpus.score(as_printed(record), result)
    assert (correct, misses) == (total, [])
    for key in ("title", "organization", "year"):
        assert result[key] == record[key], key


def test_a_slanted_watermark_over_a_table_is_left_out_with_a_warning():
    record = random_record(62)
    result = parsers.parse_bytes(render_ofd(record, style="watermark=True"), filename="a.ofd")
    assert result["applications"] == as_printed(record)["applications"]
    slanted = [w for w in result["warnings"] if "drawn at a slant (a watermark?) not read" in w]
    assert slanted and all(w.startswith("OFD page ") for w in slanted)


def test_several_documents_are_read_in_order_and_said_so():
    record = random_record(63)
    result = parsers.parse_bytes(render_ofd(record, style="documents=2"), filename="a.ofd")
    assert "OFD holds 2 documents; all are read, in order" in result["warnings"]
    assert [s["no"] for s in result["sections"]] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("style, lines", [
    ("vertical=rotate", 1), ("vertical=ctm", 1),  # turned glyphs: one line, read in their direction
    ("vertical=stack", 9), ("vertical=codes", 9),  # upright glyphs one under the other: one per line
])  # fmt: skip
def test_text_running_down_a_merged_cell_is_read_in_its_direction(style, lines):
    document = parsers.read_document(render_ofd(random_record(64), style=style), filename="a.ofd")
    applications = next(b for b in document.tables() if "申请人情况" in "".join(c.text for c in b.grid[0]))
    group = next(cell for row in applications.rows() for cell in row if cell.text.startswith("三"))
    assert group.text.replace("\n", "") == "三、本年度办理结果" and group.text.count("\n") == lines - 1
    assert group.rowspan > 10


# --- the reading rules, each on a small page ------------------------------------------


def _page(objects: str, ns: str = 'xmlns:ofd="http://www.ofdspec.org/2016"', **resources):
    """One page's geometry from its layer's objects (``ofd:`` prefixed)."""
    from lxml import etree

    layer = f'<ofd:Layer ID="1">{objects}</ofd:Layer>'
    page = etree.fromstring(f"<ofd:Page {ns}><ofd:Content>{layer}</ofd:Content></ofd:Page>")
    return page_geometry(page, (210.0, 297.0), _Resources(**resources))


def _text(boundary: str, code: str, text: str, attributes: str = 'Size="4"') -> str:
    """A TextObject of one TextCode."""
    return (f'<ofd:TextObject ID="1" Boundary="{boundary}" {attributes}>'
            f"<ofd:TextCode {code}>{text}</ofd:TextCode></ofd:TextObject>")  # fmt: skip


def _path(boundary: str, data: str, attributes: str = "") -> str:
    return (f'<ofd:PathObject ID="2" Boundary="{boundary}" {attributes}>'
            f"<ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>")  # fmt: skip


MM = 72 / 25.4


def test_an_absent_x_or_y_is_the_previous_text_codes():
    geometry, _, _ = _page('<ofd:TextObject ID="1" Boundary="10 10 20 40" Size="4">'
                           '<ofd:TextCode X="1" Y="4">本</ofd:TextCode><ofd:TextCode Y="9">年</ofd:TextCode>'
                           '<ofd:TextCode X="6">度</ofd:TextCode></ofd:TextObject>')  # fmt: skip
    (a, b, c) = geometry.chars
    assert a.x0 == b.x0 == pytest.approx(11 * MM)  # 年 under 本: X taken from the code before
    assert c.x0 == pytest.approx(16 * MM) and c.bottom == b.bottom  # 度 beside 年: Y taken from it


@pytest.mark.parametrize("code, step", [
    ('DeltaY="g 2 5"', 5),  # ofdrw's vertical text: DeltaY only, no offset across
    ("", 4),  # no advances at all: one font size after the other in the reading direction
])  # fmt: skip
def test_vertical_text_stacks_characters_without_moving_across(code, step):
    geometry, _, _ = _page(_text("10 10 5 20", f'X="0" Y="4" {code}', "不予公", 'Size="4" ReadDirection="90"'))
    assert [round(c.x0 / MM, 3) for c in geometry.chars] == [10, 10, 10]
    assert [round(c.bottom / MM - 0.48, 3) for c in geometry.chars] == [14, 14 + step, 14 + 2 * step]
    assert cell_text(geometry.chars) == "不\n予\n公"


@pytest.mark.parametrize("attributes", ['CharDirection="90" ReadDirection="90"', 'CTM="0 1 -1 0 0 0"'])
def test_turned_glyphs_read_as_one_line_in_their_direction(attributes):
    code = 'DeltaY="g 3 4"' if "CharDirection" in attributes else 'DeltaX="g 3 4"'
    geometry, _, _ = _page(_text("20 10 5 20", f'X="0" Y="0" {code}', "不予处理", f'Size="4" {attributes}'))
    assert {c.rotation for c in geometry.chars} == {90}
    assert [c.top < d.top for c, d in zip(geometry.chars, geometry.chars[1:])] == [True] * 3  # running down
    assert cell_text(geometry.chars) == "不予处理"


def test_a_scaling_ctm_carries_size_and_advances_to_the_page():
    # PDF converted: Size 1 under CTM 9, X/Y and DeltaX in the unscaled space (ofdrw-tool's resource)
    scaled = 'CTM="9 0 0 9 0 0" Size="1"'
    geometry, _, _ = _page(_text("30 100 40 10", 'X="0" Y="0.9" DeltaX="1 0.5"', "公开2", scaled))
    first, second, third = geometry.chars
    assert (first.x0 / MM, second.x0 / MM, third.x0 / MM) == pytest.approx((30, 39, 43.5))
    assert first.bottom - first.top == pytest.approx(9 * MM)  # the em box of a 9 mm glyph


def test_points_under_a_millimetre_ctm_whose_translation_cancels_the_boundary():
    # libofd's sample TextObject (a TextObject per character, X/Y in points)
    geometry, _, _ = _page('<ofd:TextObject ID="121" CTM="0.3527 0 0 0.3527 -114.807533 111.352325" '
                           'Boundary="114.807533 185.229584 4.083549 4.733795" Font="16" Size="14.749">'
                           '<ofd:TextCode X="324.419" Y="-303.723">局</ofd:TextCode></ofd:TextObject>')  # fmt: skip
    (char,) = geometry.chars
    assert char.x0 / MM == pytest.approx(0.3527 * 324.419, abs=0.01)  # 114.4 mm, inside its Boundary
    # baseline at 0.3527 × 303.723 below the CTM's 111.35 + the Boundary's 185.23: 189.46 mm,
    # so the 5.2 mm glyph sits in its 4.73 mm tall Boundary, give or take the font's ascent
    assert char.bottom / MM == pytest.approx(189.46 + 0.12 * 14.749 * 0.3527, abs=0.01)
    assert 185.23 - 0.5 < char.top / MM < char.bottom / MM < 185.23 + 4.74 + 0.5


def test_a_short_delta_x_repeats_its_last_advance():
    geometry, _, _ = _page(_text("10 10 40 5", 'X="0" Y="4" DeltaX="4 2"', "合计123"))
    assert [round(c.x0 / MM - 10, 3) for c in geometry.chars] == [0, 4, 6, 8, 10]
    assert [w.text for w in geometry.words] == ["合计123"]


def test_indentation_of_pretty_printed_text_is_not_text():
    # as ofdrw-pkg's test resource Content.xml has it
    indented = "\n                    本年度\n                "
    geometry, _, _ = _page(_text("10 10 40 5", 'X="0" Y="3" DeltaX="g 2 3"', indented))
    assert [w.text for w in geometry.words] == ["本年度"] and geometry.chars[0].x0 == pytest.approx(10 * MM)


@pytest.mark.parametrize("ns", ['xmlns:ofd="http://www.ofdspec.org/2016"', 'xmlns:ofd="http://www.ofdspec.org"'])
def test_objects_in_page_blocks_and_any_namespace_are_read(ns):
    text = _text("10 10 9 5", 'X="0" Y="3" DeltaX="3 3"', "总计")
    geometry, _, _ = _page(f'<ofd:PageBlock ID="1"><ofd:PageBlock ID="2">{text}</ofd:PageBlock></ofd:PageBlock>', ns)
    assert [w.text for w in geometry.words] == ["总计"]


def test_a_composite_object_draws_its_unit_where_its_boundary_and_ctm_put_it():
    from lxml import etree

    content = (_text("1 1 10 5", 'X="0" Y="3" DeltaX="3"', "合计", 'Size="3"')
               + _path("0 0 50 20", "M 0 0 L 50 0 L 50 20 L 0 20 C")
               + '<ofd:CompositeObject ID="10" ResourceID="7" Boundary="0 0 50 20"/>')  # itself: a loop, cut short
    unit = etree.fromstring('<ofd:CompositeGraphicUnit xmlns:ofd="http://www.ofdspec.org/2016" ID="7" Width="50" '
                            f'Height="20"><ofd:Content>{content}</ofd:Content></ofd:CompositeGraphicUnit>')  # fmt: skip
    placed = '<ofd:CompositeObject ID="11" ResourceID="7" Boundary="100 200 100 40" CTM="2 0 0 2 0 0"/>'
    geometry, _, notes = _page(placed, composites={"7": unit})
    first = geometry.chars[0]
    assert (first.x0 / MM, first.bottom / MM) == pytest.approx((102, 200 + 2 * (1 + 3 + 0.36)))
    # the unit's 50 × 20 frame, twice as large, at the object's Boundary (100, 200)
    assert {tuple(round(v / MM, 3) for v in (s.at, s.start, s.end)) for s in geometry.horizontal} == {
        (200, 100, 200), (240, 100, 200)}
    assert notes == ["composite objects nested too deep; the inner ones not read"]


def test_rules_drawn_as_thin_filled_rectangles_or_repeated_coordinates_are_rules():
    filled = 'Stroke="false" Fill="true"'
    geometry, _, _ = _page(_path("20 50 100 0.2", "M 0 0 L 100 0 L 100 0.2 L 0 0.2 C", filled)  # a rule
                           + _path("20 50 100 40", "M 0 0 0 40 M 100 0 L 100 20 100 40")  # numbers repeat the command
                           + _path("20 60 100 30", "M 0 0 L 100 0 L 100 30 L 0 30 C", filled))  # shading: no rule
    assert [round(s.at / MM, 2) for s in geometry.horizontal] == [50.1]
    assert sorted((round(s.at / MM), round(s.start / MM), round(s.end / MM)) for s in geometry.vertical) == [
        (20, 50, 90), (120, 50, 70), (120, 70, 90)]


def test_a_page_of_drawings_without_text_says_so():
    outline = "M 0 0 B 1 1 2 2 3 3 Q 1 2 0 4 C"
    glyphs = "".join(_path(f"{10 + n % 50 * 3} {20 + n // 50 * 5} 3 4", outline) for n in range(250))
    geometry, _, notes = _page(glyphs)
    assert geometry.chars == []
    assert notes == ["no text, only 250 drawings (text drawn as outlines?); nothing read from it"]
    _, _, notes = _page(_path("20 280 170 0", "M 0 0 L 170 0"))  # a page with one rule and nothing else
    assert notes == []


def test_template_pages_are_read_with_the_page_and_an_undeclared_one_is_named():
    parts = _parts(render_ofd(random_record(65), style="template=background"))
    document = parsers.read_document(_package(parts), filename="a.ofd")
    assert any(random_record(65)["organization"] in b.text for b in document.paragraphs())  # the running header
    parts["Doc_0/Document.xml"] = parts["Doc_0/Document.xml"].replace(b'ID="9000001"', b'ID="42"')
    document = parsers.read_document(_package(parts), filename="a.ofd")
    assert "OFD page 1: template '9000001' is not declared; not read" in document.warnings


LABELS = st.fixed_dictionaries({"split_labels": st.booleans(), "spaced_labels": st.booleans(), "typos": st.booleans()})
BLANKABLE = st.sampled_from(
    [("new_received", "commercial"), ("granted", "natural_person"), ("results_total", "total"), "carried_forward",
     ("review", "upheld"), ("litigation_after_review", "total"), ("regulations", "issued"), ("penalty", "decisions")]
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), template=st.sampled_from(["2021", "2019"]), other_rows=st.sampled_from([1, 3]),
       variant=LABELS, blank_cells=st.lists(BLANKABLE, max_size=3, unique=True))  # fmt: skip
def test_random_records_read_back_from_ofd(seed, template, other_rows, variant, blank_cells):
    record = random_record(seed, template=template, other_rows=other_rows)
    result = parsers.parse_bytes(render_ofd(record, blank_cells=blank_cells, **variant), filename="a.ofd")
    expected = as_printed(record, typos=variant["typos"], blank_cells=blank_cells)
    for key in COMPARED:
        assert result[key] == expected[key], key


def test_a_scan_under_its_text_layer_is_read_from_the_text_and_a_bare_one_by_ocr():
    words = "".join(_text(f"20 {30 + 6 * n} 160 5", 'X="0" Y="3" DeltaX="g 9 3"', f"二、上年结转申请数{n}",
                          'Size="3" Fill="false"') for n in range(4))  # fmt: skip
    scan = '<ofd:ImageObject ID="90" Boundary="10 20 190 250" CTM="190 0 0 250 0 0" ResourceID="{}"/>'
    header = _text("20 22 60 5", 'X="0" Y="3" DeltaX="g 6 3"', "某某县人民政府", 'Size="3"')
    _, images, notes = _page(scan.format(5) + words)
    assert images == [] and notes == ["picture 5 lies under 40 characters of text: read from them, not by OCR"]
    _, images, notes = _page(scan.format(6) + header)  # only a running header over it: the scan is OCR'd
    assert images == ["6"] and notes == []


def test_a_row_of_values_written_as_one_text_code_lands_in_its_cells():
    # a converter that keeps a PDF's text run whole: one TextCode, the gaps in DeltaX
    from parsers.pdf import blocks_from_pages

    grid = "".join(_path(f"{x} 50 30 8", "M 0 0 L 30 0 L 30 8 L 0 8 C") for x in (20, 50, 80))
    values = _text("21 50 70 8", 'X="0" Y="6" DeltaX="g 2 30"', "125")
    geometry, _, _ = _page(grid + values)
    (table,) = blocks_from_pages([geometry])
    assert [[cell.text for cell in row] for row in table.rows()] == [["1", "2", "5"]]

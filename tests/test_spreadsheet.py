"""Spreadsheets (XLSX, XLS, ET, ODS) through python-calamine: the tables of a synthetic
record written with openpyxl, converted by LibreOffice, read back cell for cell."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers
from parsers import limits
from parsers.document import Table
from parsers.errors import ParseError
from nianbao.testbed.synthetic import as_printed, random_record

from .workbooks import convert, workbook_xlsx

TABLES = ("active_disclosure", "applications", "reviews_litigation")
BLANKS = ("carried_over", ("review", "pending"), ("granted", "research"))


@pytest.fixture(scope="module")
def workbooks():
    """One record's tables in every spreadsheet format (LibreOffice runs twice)."""
    record = random_record(21, template="2021", other_rows=3)
    xlsx = workbook_xlsx(record, blank_cells=BLANKS)
    xls = convert(xlsx, "xls")
    return record, {"统计表.xlsx": xlsx, "统计表.xls": xls, "统计表.et": xls, "统计表.ods": convert(xlsx, "ods")}


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", [
    ("统计表.xlsx", "xlsx"), ("统计表.xls", "xls"), ("统计表.et", "et"), ("统计表.ods", "ods"),
])  # fmt: skip
def test_every_spreadsheet_format_reads_the_tables_cell_for_cell(workbooks, name, kind):
    record, files = workbooks
    assert parsers.detect_format(files[name], name) == kind
    result = parsers.parse_bytes(files[name], filename=name)
    expected = as_printed(record, blank_cells=BLANKS)
    for table in TABLES:
        assert result[table] == expected[table], table
    assert result["applications"]["carried_over"]["total"] is None  # printed blank, read as blank
    assert result["title"] == f"{record['title']}统计表"
    assert result["year"] == record["year"]
    # blanks are read as 0 by the checks, never a reason to leave one out
    assert [c["code"] for c in result["checks"]] == ["apps_balance", "apps_results_sum", "apps_row_totals", "review_totals"]
    assert "blank cells read as 0" in next(c for c in result["checks"] if c["code"] == "apps_balance")["detail"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["统计表.xlsx", "统计表.xls", "统计表.ods"])
def test_merged_cells_are_spans_like_a_table_of_html(workbooks, name):
    _, files = workbooks
    document = parsers.read_document(files[name], filename=name)
    applications = next(b for b in document.blocks if isinstance(b, Table) and "申请人情况" in b.grid[0][3].text)
    corner = applications.grid[0][0]
    assert (corner.rowspan, corner.colspan) == (3, 3)  # the 勾稽关系 note over three rows and columns
    assert applications.grid[2][1] is corner
    group = next(cell for row in applications.rows() for cell in row if cell.text == "三、本年度办理结果")
    assert group.rowspan > 10 and group.colspan == 1
    assert len({id(applications.grid[r][0]) for r in range(group.row, group.row + group.rowspan)}) == 1


@pytest.mark.slow
def test_formula_cells_read_their_cached_values():
    record = random_record(5)
    written = workbook_xlsx(record, formulas=True)  # openpyxl saves formulas without results
    computed = convert(written, "xlsx")  # LibreOffice computes and saves each formula's result
    result = parsers.parse_bytes(computed, filename="统计表.xlsx")
    assert result["applications"] == as_printed(record)["applications"]
    assert not any("formula" in w for w in result["warnings"])
    uncomputed = parsers.parse_bytes(written, filename="统计表.xlsx")
    # no cached value: the total is printed blank, never computed by the reader, and said
    assert {row["total"] for row in uncomputed["applications"].values()} == {None}
    rows = len(uncomputed["applications"])
    assert f"{rows} formula cells without a saved result (the program that wrote the file does not compute " \
           "formulas): read as blank" in uncomputed["warnings"]


def test_a_hidden_sheet_is_read_with_a_warning():
    document = parsers.read_document(workbook_xlsx(random_record(6), hidden_sheet=True), filename="a.xlsx")
    assert "sheet '填表说明' is hidden in the workbook; read all the same" in document.warnings
    assert document.blocks[-1].text == "本表由办公室填报"


def test_tables_on_several_sheets_read_as_one_report():
    record = random_record(7)
    result = parsers.parse_bytes(workbook_xlsx(record, sheet_per_table=True), filename="a.xlsx")
    for table in TABLES:
        assert result[table] == as_printed(record)[table]


def _with_sheet_rows(xlsx: bytes, rows: int) -> bytes:
    """The workbook with its first sheet replaced by ``rows`` rows of two cells."""
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}"><v>0</v></c></row>' for i in range(1, rows + 1))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>')
    source, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else source.read(name))
    return out.getvalue()


def test_a_sheet_of_a_million_rows_is_refused_before_it_is_loaded():
    huge = _with_sheet_rows(workbook_xlsx(random_record(8)), 1_000_000)
    with pytest.raises(ParseError, match=r"^XLSX decompresses to more than 40 MB \(cap\)"):
        parsers.read_document(huge, filename="big.xlsx")


def test_rows_past_the_cap_are_left_out_with_a_warning():
    long = _with_sheet_rows(workbook_xlsx(random_record(8)), limits.MAX_SHEET_ROWS + 10)
    document = parsers.read_document(long, filename="long.xlsx")
    assert f"sheet '统计表' has {limits.MAX_SHEET_ROWS + 10} rows; read the first {limits.MAX_SHEET_ROWS} only" in (
        document.warnings
    )
    assert sum(len(b.grid) for b in document.blocks if isinstance(b, Table)) <= limits.MAX_SHEET_ROWS


@pytest.mark.parametrize("name, data, message", [
    ("a.xlsx", b"PK\x03\x04" + b"\0" * 200, "corrupt XLSX"),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ""),
])  # fmt: skip
def test_corrupt_spreadsheets_fail_with_one_line(name, data, message):
    with pytest.raises(ParseError) as error:
        parsers.read_document(data, filename=name)
    assert message in str(error.value) and "\n" not in str(error.value)


VARIANTS = st.fixed_dictionaries({"split_labels": st.booleans(), "spaced_labels": st.booleans(), "typos": st.booleans()})
BLANKABLE = st.sampled_from(
    [("new_received", "commercial"), ("granted", "natural_person"), ("results_total", "total"), "carried_forward",
     ("review", "upheld"), ("litigation_after_review", "total"), ("regulations", "issued"), ("penalty", "decisions")]
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), template=st.sampled_from(["2021", "2019"]), other_rows=st.sampled_from([1, 3]),
       variant=VARIANTS, blank_cells=st.lists(BLANKABLE, max_size=3, unique=True),
       sheet_per_table=st.booleans())  # fmt: skip
def test_random_records_read_back_from_xlsx(seed, template, other_rows, variant, blank_cells, sheet_per_table):
    record = random_record(seed, template=template, other_rows=other_rows)
    data = workbook_xlsx(record, sheet_per_table=sheet_per_table, blank_cells=blank_cells, **variant)
    result = parsers.parse_bytes(data, filename="统计表.xlsx")
    expected = as_printed(record, typos=variant["typos"], blank_cells=blank_cells)
    for table in TABLES:
        assert result[table] == expected[table], table


def test_ods_merges_and_formulas_without_results_come_from_content_xml():
    """calamine gives no merged regions for ODS: they are read from content.xml, repeated
    rows and columns counted; a formula cell saved without a value type has no result."""
    from parsers.spreadsheet import _ods_layout

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="表"><table:table-row table:number-rows-repeated="2">'
        '<table:table-cell table:number-columns-repeated="3"/></table:table-row><table:table-row>'
        '<table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell table:number-rows-spanned="4" table:number-columns-spanned="2"><text:p>合并</text:p>'
        '</table:table-cell><table:covered-table-cell/><table:table-cell table:formula="of:=[.A1]+1"/>'
        '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    assert _ods_layout(out.getvalue()) == ({"表": [(2, 2, 5, 3)]}, 1)

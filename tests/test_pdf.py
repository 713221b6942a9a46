"""Text PDFs: tables with spans, tables crossing page breaks, running headers
and footers, wrapped CJK paragraphs, unruled tables, and broken input.

Fixtures in tests/fixtures/formats/ were printed by LibreOffice from Word
files built in ``tests.corpus`` (regenerate: ``python3 -m tests.corpus``).
"""

import io

import pytest

import parsers
from parsers import limits
from parsers.document import Paragraph, Table
from parsers.errors import ParseError
from parsers.pdf import read_pdf
from nianbao.testbed.synthetic import random_record
from tests import corpus

FEATURES = (corpus.FIXTURES / "features.pdf").read_bytes()
REPORT = (corpus.FIXTURES / "report-7.pdf").read_bytes()


@pytest.fixture(scope="module")
def features():
    return read_pdf(FEATURES)


def texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows()]


def test_a_table_crossing_two_page_breaks_is_one_table_without_repeated_headers(features):
    long_table = features.tables()[0]
    rows = texts(long_table)
    # 1 header + 70 rows, although the PDF prints the header row on each of its 3 pages.
    assert len(rows) == 1 + corpus.LONG_TABLE_ROWS
    assert rows[0] == ["项目名称", "本年数量", "上年数量"]
    assert sum(row == rows[0] for row in rows) == 1
    assert rows[2] == ["第2项", "6", "1270"]
    assert rows[-1] == ["第70项", "210", "1746"]
    assert [row[0] for row in rows[1:]] == [f"第{n}项" for n in range(1, 71)]


def test_a_two_row_header_repeated_on_the_next_page_is_dropped_once(features):
    table = features.tables()[2]
    rows = texts(table)
    assert rows[:2] == [["项目", "数量"], ["本年", "上年"]]
    assert table.grid[0][0].rowspan == 2 and table.grid[0][1].colspan == 2
    assert len(rows) == 2 + corpus.TWO_ROW_HEADER_ROWS
    assert [row[0] for row in rows[2:]] == [f"事项{n}" for n in range(1, corpus.TWO_ROW_HEADER_ROWS + 1)]
    assert rows[-1] == [f"事项{corpus.TWO_ROW_HEADER_ROWS}", str(corpus.TWO_ROW_HEADER_ROWS), str(2 * corpus.TWO_ROW_HEADER_ROWS)]


def test_a_merged_cell_is_one_cell_covering_both_grid_positions(features):
    long_table = features.tables()[0]
    merged = long_table.grid[1][1]
    assert merged.text == "合并" and merged.colspan == 2
    assert long_table.grid[1][2] is merged
    assert texts(long_table)[1] == ["第1项", "合并"]


def test_running_header_footer_and_page_numbers_are_dropped(features):
    text = "\n".join(p.text for p in features.paragraphs())
    assert "政务公开专栏" not in text
    assert "- 1 -" not in text and "- 3 -" not in text
    assert features.paragraphs()[0].text == "威海市文登区统计局2023年政府信息公开工作年度报告"


def test_a_wrapped_chinese_paragraph_is_joined_without_spaces(features):
    body = next(p.text for p in features.paragraphs() if p.text.startswith("本机关"))
    assert body == "本机关坚持以人民为中心的发展思想，扎实推进政府信息公开工作，" * 6 + "全年共收到政府信息公开申请36件。"


def test_a_table_without_ruling_lines_is_read_from_word_positions(features):
    plain = features.tables()[1]
    assert texts(plain) == [
        ["行政许可", "12", "0", "305"],
        ["行政处罚", "3", "1", "44"],
        ["行政强制", "0", "0", "7"],
    ]


def test_blocks_keep_reading_order(features):
    kinds = [
        b.text if isinstance(b, Paragraph) else "TABLE" for b in features.blocks
    ]
    assert kinds == [
        "威海市文登区统计局2023年政府信息公开工作年度报告",
        "一、总体情况",
        kinds[2],
        "二、长表格",
        "TABLE",
        "三、无线表格",
        "TABLE",
        "四、两行表头",
        "TABLE",
        "五、结语",
        "以上为本年度报告全文。",
    ]


def test_a_report_pdf_reads_to_the_record_it_was_printed_from():
    record = parsers.parse_bytes(REPORT, filename="report.pdf")
    expected = random_record(7)
    correct, total, misses = corpus.score(expected, record)
    assert misses == [] and total == correct > 150
    assert record["title"] == expected["title"]
    assert record["year"] == 2023 and record["published"] == expected["published"]
    assert all(check["ok"] for check in record["checks"])


def test_an_encrypted_pdf_is_a_one_line_parse_error():
    with pytest.raises(ParseError, match="encrypted PDF") as error:
        read_pdf((corpus.FIXTURES / "encrypted.pdf").read_bytes())
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.01])
def test_a_truncated_pdf_is_a_one_line_parse_error(keep):
    with pytest.raises(ParseError, match="PDF") as error:
        read_pdf(REPORT[: int(len(REPORT) * keep)])
    assert "\n" not in str(error.value)


def test_pages_past_the_cap_are_not_read_and_the_record_says_so(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PDF_PAGES", 2)
    doc = read_pdf(REPORT)
    assert doc.warnings == ["PDF has 4 pages; read the first 2 only"]
    assert not any("六、其他需要报告的事项" in p.text for p in doc.paragraphs())


def test_a_500_page_pdf_is_read_up_to_the_cap_in_bounded_time():
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(FEATURES)
    big = pdfium.PdfDocument.new()
    big.import_pages(source, [0] * 500)
    buffer = io.BytesIO()
    big.save(buffer)
    doc = read_pdf(buffer.getvalue())
    assert doc.warnings[0] == f"PDF has 500 pages; read the first {limits.MAX_PDF_PAGES} only"
    assert len(doc.tables()) >= 1


def test_scanned_pages_past_the_ocr_cap_are_named_not_read(monkeypatch):
    from PIL import Image as PILImage

    monkeypatch.setattr(limits, "MAX_OCR_PAGES", 0)
    monkeypatch.setattr("parsers.ocr.layout", lambda *a, **k: pytest.fail("OCR must not run past the cap"))
    buffer = io.BytesIO()
    PILImage.new("RGB", (850, 1100), "white").save(buffer, "PDF", resolution=100)
    doc = read_pdf(buffer.getvalue())
    assert doc.blocks == []
    assert doc.warnings == ["OCR stopped after 0 pages (cap); later pages not read"]


def simple_pdf(content: str) -> bytes:
    """A one-page PDF (A4) with Helvetica and the given content stream, xref and all."""
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _cell_borders(x, y, w, h, style):
    if style == "cell_rectangles":
        return f"{x} {y} {w} {h} re S"
    if style == "one_path":
        return f"{x} {y} {w} {h} re"
    # thin filled rectangles, one per side
    return " ".join(
        f"{rx} {ry} {rw} {rh} re"
        for rx, ry, rw, rh in ((x, y, w, 0.8), (x, y + h, w, 0.8), (x, y, 0.8, h), (x + w, y, 0.8, h))
    )


@pytest.mark.parametrize("style", ["cell_rectangles", "one_path", "filled_bars"])
def test_tables_drawn_the_ways_pdf_writers_draw_them(style):
    # Writers draw borders as lines, as one rectangle per cell ("re S"), as
    # one path for the whole table, or as thin filled bars.
    rows = [[("Merged header", 3)], [("A", 1), ("12", 1), ("305", 1)], [("B", 1), ("3", 1), ("44", 1)]]
    borders, words = [], []
    for r, row in enumerate(rows):
        c = 0
        for label, span in row:
            x, y = 100 + 100 * c, 700 - 30 * r
            borders.append(_cell_borders(x, y - 30, 100 * span, 30, style))
            words.append(f"BT /F1 11 Tf {x + 8} {y - 20} Td ({label}) Tj ET")
            c += span
    paint = {"cell_rectangles": "", "one_path": "S", "filled_bars": "f"}[style]
    content = "0.8 w\n" + "\n".join(borders) + f"\n{paint}\n" + "\n".join(words)
    (table,) = read_pdf(simple_pdf(content)).tables()
    # Spaces between Latin words survive; the merged header spans the 3 columns.
    assert texts(table) == [["Merged header"], ["A", "12", "305"], ["B", "3", "44"]]
    assert table.grid[0][2].colspan == 3


def test_a_text_layer_without_unicode_mapping_is_sent_to_ocr(monkeypatch):
    from parsers import ocr
    from parsers.layout import Box
    from parsers.pdf import unreadable_text

    garbled = [Box(0, 0, 100, 10, "\ue001\ue002\ue003\ue004\ue005本\ue006\ue007\ue008\ue009\ue00a\ue00b\ue00c\ue00d\ue00e\ue00f\ue010\ue011\ue012\ue013")]
    assert unreadable_text(garbled)
    assert not unreadable_text([Box(0, 0, 100, 10, "本机关全年共收到政府信息公开申请36件，均按时答复")])
    # A page whose words are all private-use characters is rendered and read by OCR instead.
    monkeypatch.setattr("parsers.pdfium_page._chars", lambda page, height: (garbled, set()))
    monkeypatch.setattr(ocr, "layout", lambda image, name: ocr.Layout([], [Box(200, 800, 700, 840, "二、主动公开政府信息情况")], 0.0))
    doc = read_pdf(FEATURES)
    assert doc.warnings[0] == "page 1: text layer has no Unicode mapping; read by OCR"
    assert doc.source_format == "ocr"
    assert doc.paragraphs()[0].text == "二、主动公开政府信息情况"


def test_a_blank_page_is_not_sent_to_ocr(monkeypatch):
    from parsers import ocr

    monkeypatch.setattr(ocr, "layout", lambda *a, **k: pytest.fail("a blank page needs no OCR"))
    doc = read_pdf(simple_pdf("0.8 w 100 100 200 0.8 re f"))
    assert doc.blocks == [] and doc.warnings == [] and doc.source_format == "pdf"


def test_words_of_a_page_with_a_rotate_entry_are_placed_on_the_page():
    import pypdfium2 as pdfium

    from parsers.pdfium_page import page_geometry

    body = ["BT /F1 11 Tf 100 700 Td (Body text) Tj ET", "BT /F1 9 Tf 280 30 Td (- 1 -) Tj ET"]
    pdf = simple_pdf("\n".join(body)).replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [0 0 595 842] /Rotate 90")
    geometry = page_geometry(pdfium.PdfDocument(pdf)[0])
    tops = {w.text: round(w.top) for w in geometry.words}
    # Measured from the top of the unrotated page (842 pt high), where the content was drawn.
    assert geometry.height == 842
    assert 120 <= tops["Body"] <= 145 and tops["-"] > 0.91 * 842

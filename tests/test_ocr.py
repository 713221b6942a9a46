"""Offline OCR: table pictures, scans, image files, pictures inside documents."""

import io
import random
import socket
import unicodedata

import pytest

import parsers
from parsers import ocr
from nianbao.testbed import synthetic
from parsers.document import Cell, Document, Image, Paragraph, Table
from nianbao.testbed.synthetic import random_record
from tests import corpus


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def same_print(text: str) -> str:
    """Text as a reader compares it: OCR cannot tell full-width （ from (, nor
    see where a cell's line breaks were; the template reader ignores both."""
    return unicodedata.normalize("NFKC", text).replace("\n", "").replace(" ", "")


def printed_texts(rows):
    """What a table prints, row by row, with spans resolved like a reader does."""
    table = Table.from_spans([[(p.text, p.rowspan, p.colspan) for p in row] for row in rows])
    return [[same_print(cell.text) for cell in row] for row in table.rows()]


def read_texts(table: Table):
    return [[same_print(cell.text) for cell in row] for row in table.rows()]


def test_low_confidence_numbers_are_named_in_warnings_and_kept_as_read():
    table = Table.from_rows([["一、本年新收政府信息公开申请数量", "12", "3"]])
    table.grid[0][1].confidence = 0.55
    table.grid[0][2].confidence = 0.99
    warnings = ocr.review_cells([table], "scan")
    assert warnings == ["scan: low OCR confidence 0.55 for '12' (table 1, row 1 '一、本年新收政府信息公开申请数量', column 2)"]
    assert table.grid[0][1].text == "12"


def test_letters_read_in_a_number_cell_are_taken_as_digits_and_named():
    table = Table.from_rows([["4.保护第三方合法权益", "O", "1O", "行政"]])
    for cell in table.grid[0]:
        cell.confidence = 0.95
    warnings = ocr.review_cells([table], "scan")
    assert [cell.text for cell in table.grid[0]] == ["4.保护第三方合法权益", "0", "10", "行政"]
    assert warnings == [
        "scan: OCR read 'O' in a number cell, taken as '0' (table 1, row 1 '4.保护第三方合法权益', column 2)",
        "scan: OCR read '1O' in a number cell, taken as '10' (table 1, row 1 '4.保护第三方合法权益', column 3)",
    ]


def ruled_column(texts: list[str], labels: list[str]):
    """A two-column ruled table picture (labels, numbers) in grey, its cell
    rectangles, and a Box per drawn text as if recognition had read it."""
    import numpy as np
    from PIL import Image as PILImage, ImageDraw, ImageFont

    font = ImageFont.truetype(corpus.FONT, 28)
    height = 50 * len(texts)
    picture = PILImage.new("L", (420, height + 20), 255)
    draw = ImageDraw.Draw(picture)
    rects, boxes = [], []
    for k, (label, text) in enumerate(zip(labels, texts)):
        top = 10 + 50 * k
        for x0, x1, drawn in ((10, 300, label), (300, 410, text)):
            rects.append((x0, top, x1, top + 50))
            draw.rectangle((x0, top, x1, top + 50), outline=0, width=2)
            draw.text((x0 + 12, top + 8), drawn, font=font, fill=0)
            left, upper, right, lower = draw.textbbox((x0 + 12, top + 8), drawn, font=font)
            boxes.append(ocr.Box(left, upper, right, lower, drawn, 0.95))
    return np.asarray(picture), rects, boxes


def test_a_shadowed_edge_is_evened_out_before_thresholding_and_an_even_page_left_alone():
    import cv2
    import numpy as np

    page = np.full((800, 600), 245, np.float32)
    for top in range(100, 700, 40):
        page[top : top + 4, 50:550] = 60  # lines of print
    shade = np.ones(600, np.float32)
    shade[:120] = np.linspace(0.4, 1.0, 120)  # a gutter's shadow fading in from the left
    dark = (page * shade).astype(np.uint8)
    _, before = cv2.threshold(dark, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, after = cv2.threshold(ocr.flatten(dark), 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    paper = page > 100
    assert before[paper].mean() > 0.05  # the shadow was taken for ink
    assert after[paper].sum() == 0 and after[~paper].all()  # now only the print is
    even = page.astype(np.uint8)
    assert ocr.flatten(even) is even


def test_a_number_cell_read_as_a_letter_is_read_again_tight_and_named():
    labels = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及安全稳定", "4.保护第三方合法权益"]
    gray, rects, boxes = ruled_column(["12", "3", "0", "0"], labels)
    numbers = [b for b in boxes if b.x0 > 300]
    numbers[2].text = "5"  # a number read first stands, even where the picture says otherwise
    numbers[3].text, numbers[3].confidence = "p", 0.66  # what a 0 touching its border read as
    speck = ocr.Box(numbers[1].x0, numbers[1].bottom + 2, numbers[1].x0 + 4, numbers[1].bottom + 6, "’", 0.3)
    boxes.append(speck)
    notes = ocr._recheck_numbers(gray, [rects], [boxes], "scan")
    assert [b.text for b in numbers] == ["12", "3", "5", "0"]
    assert numbers[3].confidence < ocr.LOW_CONFIDENCE  # named again among the unsure values
    assert speck not in boxes
    assert [b.text for b in boxes if b.x0 < 300] == labels  # a column of labels is not a number column
    assert notes[0] == "scan: OCR read '’' beside the number '3'; left out as a speck"
    assert notes[1].startswith("scan: OCR read 'p' (0.66) in a number cell and '0' (")
    assert notes[1].endswith("on a tighter crop; took '0'") and len(notes) == 2


@pytest.mark.slow
def test_every_cell_of_a_table_picture_is_read_with_its_spans():
    record = random_record(5)
    rows = synthetic.applications_table(record, synthetic.Variants())
    doc_blocks = ocr.read_image(corpus.table_image(rows), [], "table")
    (table,) = [b for b in doc_blocks if isinstance(b, Table)]
    assert read_texts(table) == printed_texts(rows)
    assert all(cell.confidence is not None for row in table.rows() for cell in row if cell.text)
    group = next(cell for row in table.rows() for cell in row if cell.text.startswith("三、本"))
    assert group.rowspan > 20


@pytest.mark.slow
def test_a_degraded_rotated_table_picture_is_read_and_straightened():
    record = random_record(6)
    rows = synthetic.reviews_table(record, synthetic.Variants())
    picture = corpus.degrade(corpus.table_image(rows), random.Random(1), max_angle=1.5)
    warnings = []
    (table,) = [b for b in ocr.read_image(picture, warnings, "table") if isinstance(b, Table)]
    assert read_texts(table) == printed_texts(rows)
    assert warnings[0].startswith("table: text read by OCR")


@pytest.mark.slow
def test_ocr_uses_only_bundled_models_and_runs_with_the_network_unreachable(monkeypatch):
    from rapidocr.utils.download_file import DownloadFile

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    def no_download(*args, **kwargs):
        raise AssertionError(f"rapidocr tried to download {args[1:2]}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    # rapidocr calls this only when a model file is missing from its package dir.
    monkeypatch.setattr(DownloadFile, "_make_http_request", classmethod(no_download))
    ocr.engine.cache_clear()
    try:
        rows = synthetic.active_disclosure_table(random_record(8), synthetic.Variants())
        (table,) = [b for b in ocr.read_image(corpus.table_image(rows), [], "t") if isinstance(b, Table)]
        assert read_texts(table) == printed_texts(rows)
    finally:
        ocr.engine.cache_clear()


@pytest.mark.slow
def test_a_png_image_file_is_read_through_the_public_api():
    record = random_record(9)
    rows = synthetic.applications_table(record, synthetic.Variants())
    doc = parsers.read_document(png(corpus.table_image(rows)), filename="附表.png")
    assert doc.source_format == "ocr"
    (table,) = doc.tables()
    assert read_texts(table) == printed_texts(rows)


@pytest.mark.slow
def test_pictures_in_a_document_become_tables_and_small_icons_stay_images():
    from PIL import Image as PILImage

    record = random_record(10)
    rows = synthetic.reviews_table(record, synthetic.Variants())
    icon = png(PILImage.new("RGB", (32, 32), "red"))
    doc = Document(
        blocks=[Paragraph("四、政府信息公开行政复议、行政诉讼情况"), Image("media/image1.png", "", png(corpus.table_image(rows))), Image("logo.png", "", icon)],
        source_format="docx",
    )
    ocr.resolve_images(doc)
    assert [type(b).__name__ for b in doc.blocks] == ["Paragraph", "Table", "Image"]
    assert read_texts(doc.blocks[1]) == printed_texts(rows)
    assert doc.source_format == "ocr"
    assert doc.warnings[0] == "image media/image1.png: text read by OCR"


@pytest.mark.slow
def test_table_pictures_pasted_in_a_text_pdf_are_read_in_place():
    from parsers.office import convert

    record = random_record(12, other_rows=1)
    pdf = convert(corpus.docx_with_image_tables(record), ".docx", target="pdf")
    doc = parsers.read_document(pdf, filename="report.pdf")
    assert doc.source_format == "ocr"
    assert any(w.startswith("picture on page") for w in doc.warnings)
    result = parsers.parse_document(doc)
    correct, total, misses = corpus.score(record, result)
    assert correct / total >= 0.98, misses


@pytest.mark.slow
def test_a_table_printed_without_ruling_lines_is_rebuilt_from_text_positions():
    from PIL import Image as PILImage, ImageDraw, ImageFont

    rows = [("行政许可", "12", "0", "305"), ("行政处罚", "3", "1", "44"), ("行政强制", "0", "0", "7")]
    font = ImageFont.truetype(corpus.FONT, 28)
    picture = PILImage.new("RGB", (900, 60 + 60 * len(rows)), "white")
    draw = ImageDraw.Draw(picture)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            draw.text((40 + (0 if c == 0 else 250 + 180 * c), 40 + 60 * r), text, font=font, fill="black")
    (table,) = [b for b in ocr.read_image(picture, [], "t") if isinstance(b, Table)]
    assert read_texts(table) == [list(row) for row in rows]


@pytest.mark.slow
def test_a_boxed_unruled_table_keeps_a_value_that_text_detection_leaves_out():
    """A box round an unruled table is no one-cell table; a value printed flush
    against a wrapped label, between its two lines (text detection drops it),
    is read on its own in the column the rows around it fill, and named."""
    from PIL import Image as PILImage, ImageDraw, ImageFont

    rows = [("1.属于国家秘密", "3", "0", "3"), ("2.其他法律行政", "7", "1", "8"), ("3.危及安全", "0", "0", "0"), ("4.保护第三方", "2", "0", "2")]
    font = ImageFont.truetype(corpus.FONT, 28)
    picture = PILImage.new("RGB", (900, 60 + 90 * len(rows)), "white")
    draw = ImageDraw.Draw(picture)
    for r, (label, *values) in enumerate(rows):
        y = 40 + 90 * r
        # labels end flush against the first value column (x 310)
        draw.text((310 - draw.textlength(label, font=font), y), label, font=font, fill="black")
        lower = 17 if r == 1 else 0  # the wrapped label's values sit between its lines
        if r == 1:
            draw.text((310 - draw.textlength("法规禁止公开", font=font), y + 34), "法规禁止公开", font=font, fill="black")
        for c, value in enumerate(values):
            draw.text((311 if (r, c) == (1, 0) else 320 + 160 * c, y + lower), value, font=font, fill="black")
    draw.rectangle((20, 20, 880, 40 + 90 * len(rows)), outline="black", width=2)
    warnings: list[str] = []
    (table,) = [b for b in ocr.read_image(picture, warnings, "t") if isinstance(b, Table)]
    assert [row[1:] for row in read_texts(table)] == [list(values) for _, *values in rows]
    assert [same_print(row[0].text) for row in table.rows()] == ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及安全", "4.保护第三方"]
    assert any("text detection left out '7'" in w and "took '7'" in w for w in warnings), warnings


@pytest.mark.slow
def test_a_multi_page_tiff_is_read_page_by_page():
    record = random_record(13)
    printed = synthetic.printed_tables(record)
    frames = [corpus.table_image(printed[2]), corpus.table_image(printed[4])]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    doc = parsers.read_document(buffer.getvalue(), filename="附表.tif")
    assert [read_texts(t) for t in doc.tables()] == [printed_texts(printed[2]), printed_texts(printed[4])]
    assert doc.warnings[:2] == ["附表.tif frame 1: text read by OCR", "附表.tif frame 2: text read by OCR"]


def test_a_photo_is_turned_upright_from_its_exif_orientation():
    from PIL import Image as PILImage

    from parsers.ocr import open_image

    picture = PILImage.new("RGB", (300, 100), "white")
    exif = PILImage.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif.tobytes())
    assert open_image(buffer.getvalue()).size == (100, 300)


def test_only_pictures_holding_a_table_or_prose_replace_the_picture():
    from parsers.ocr import _holds_text

    assert _holds_text([Table.from_rows([["1"]])])
    assert _holds_text([Paragraph("本机关坚持以人民为中心的发展思想扎实推进政府信息公开工作")])
    assert not _holds_text([Paragraph("文登"), Paragraph("2023")])

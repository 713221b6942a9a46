"""The DOCX reader: body order, merged cells, line breaks, images, nested tables, bad input."""

import io
import struct
import zipfile
import zlib

import docx
import pytest

from parsers import ParseError, limits, read_document
from parsers.docx import R, W, read_docx
from parsers.document import Image, Paragraph, Table


MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
DOCUMENT_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def applications_docx() -> bytes:
    """A small section 三 table merged the way the official template merges it."""
    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=4, cols=5)
    table.cell(0, 0).merge(table.cell(1, 1)).text = "（本列数据的勾稽关系为）"
    table.cell(0, 2).merge(table.cell(0, 4)).text = "申请人情况"
    for c, label in enumerate(("自然人", "商业企业", "总计"), start=2):
        table.cell(1, c).text = label
    table.cell(2, 0).merge(table.cell(3, 0)).text = "三、本年度办理结果"
    for r, (label, values) in enumerate((("（一）予以公开", "101"), ("（二）部分公开", "202")), start=2):
        table.cell(r, 1).text = label
        for c, value in enumerate(values, start=2):
            table.cell(r, c).text = value
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    return saved(document)


def test_paragraphs_and_tables_come_in_body_order():
    document = read_docx(applications_docx())
    assert [type(b) for b in document.blocks] == [Paragraph, Table, Paragraph]
    assert document.blocks[0].text == "三、收到和处理政府信息公开申请情况"
    assert document.source_format == "docx"


def test_grid_span_and_vertical_merge_become_spans():
    (table,) = read_docx(applications_docx()).tables()
    assert table.n_rows == 4 and table.n_cols == 5
    corner = table.grid[0][0]
    assert (corner.text, corner.rowspan, corner.colspan) == ("（本列数据的勾稽关系为）", 2, 2)
    assert table.grid[1][1] is corner
    assert table.grid[0][4].text == "申请人情况" and table.grid[0][4].colspan == 3
    group = table.grid[3][0]
    assert (group.text, group.rowspan) == ("三、本年度办理结果", 2)
    assert [c.text for c in table.rows()[3]] == ["（二）部分公开", "2", "0", "2"]


def test_line_breaks_split_paragraphs_and_stay_inside_cells():
    document = docx.Document()
    run = document.add_paragraph().add_run("聊城市统计局2022年政府信息公开工作")
    run.add_break()
    run.add_text("年度报告")
    cell = document.add_table(rows=1, cols=2).cell(0, 0)
    cell.text = "5.要求行政机关确认或重新"
    cell.paragraphs[0].runs[0].add_break()
    cell.paragraphs[0].add_run("出具已获取信息")
    cell.add_paragraph("（第二段）")
    result = read_docx(saved(document))
    assert [p.text for p in result.paragraphs()] == ["聊城市统计局2022年政府信息公开工作", "年度报告"]
    assert result.tables()[0].grid[0][0].text == "5.要求行政机关确认或重新\n出具已获取信息\n（第二段）"


def test_inline_images_carry_their_bytes_and_part_name():
    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    document.add_picture(io.BytesIO(tiny_png()))
    cell = document.add_table(rows=1, cols=2).cell(0, 1)
    cell.paragraphs[0].add_run().add_picture(io.BytesIO(tiny_png()))
    result = read_docx(saved(document))
    assert isinstance(result.blocks[1], Image)
    assert result.blocks[1].src.startswith("/word/media/") and result.blocks[1].data == tiny_png()
    assert len(result.images()) == 2


def test_nested_table_in_a_cell_becomes_lines():
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "行政处罚"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for r, row in enumerate((("本年", "2"), ("上年", "1"))):
        for c, text in enumerate(row):
            inner.cell(r, c).text = text
    (table,) = read_docx(saved(document)).tables()
    assert [c.text for c in table.rows()[0]] == ["行政处罚", "本年 2\n上年 1"]


def test_embedded_html_alt_chunk_is_read_in_place():
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("一、总体情况")
    chunk = "<html><body><table><tr><td>规章</td><td>3</td></tr></table></body></html>".encode()
    part = Part(PackURI("/word/afchunk1.html"), "text/html", chunk, document.part.package)
    rel_id = document.part.relate_to(part, RELATIONSHIP_TYPE.A_F_CHUNK)
    alt_chunk = parse_xml(
        f'<w:altChunk xmlns:w="{W[1:-1]}" xmlns:r="{R[1:-1]}" r:id="{rel_id}"/>'
    )
    document.element.body.insert(1, alt_chunk)
    document.add_paragraph("二、主动公开政府信息情况")
    result = read_docx(saved(document))
    assert [type(b) for b in result.blocks] == [Paragraph, Table, Paragraph]
    assert [c.text for c in result.blocks[1].rows()[0]] == ["规章", "3"]


def test_text_box_with_a_vml_fallback_is_read_once():
    from docx.oxml import parse_xml

    document = docx.Document()
    box = parse_xml(
        f'<w:p xmlns:w="{W[1:-1]}" xmlns:mc="{MC}"><w:r><mc:AlternateContent>'
        "<mc:Choice Requires=\"wps\"><w:t>单位名称：某局</w:t></mc:Choice>"
        "<mc:Fallback><w:t>单位名称：某局</w:t></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    document.element.body.insert(0, box)
    assert [p.text for p in read_docx(saved(document)).paragraphs()] == ["单位名称：某局"]


@pytest.mark.parametrize(
    "main_type",
    [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    ],
)
def test_word_templates_and_macro_enabled_files_are_read_as_documents(main_type):
    original = zipfile.ZipFile(io.BytesIO(applications_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as renamed:
        for member in original.infolist():
            content = original.read(member)
            if member.filename == "[Content_Types].xml":
                content = content.replace(DOCUMENT_MAIN_TYPE, main_type.encode())
            renamed.writestr(member, content)
    assert read_docx(out.getvalue()).tables()[0].grid[2][0].text == "三、本年度办理结果"


def test_filled_official_template_reads_back_its_printed_values():
    from nianbao.testbed.synthetic import random_record, render_docx

    record = random_record(21)
    tables = read_docx(render_docx(record)).tables()
    applications = tables[1]
    new_received = [c.text for c in applications.rows()[3]]
    assert new_received[0] == "一、本年新收政府信息公开申请数量"
    assert new_received[1:] == [str(v) for v in record["applications"]["new_received"].values()]
    assert applications.grid[26][0].text == "三、本年度办理结果"  # vMerge restart spans to （七）总计


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"PK\x03\x04 truncated", "corrupt ZIP container"),
        (b"not a zip at all", "corrupt ZIP container"),
    ],
)
def test_corrupt_input_raises_parse_error(data, reason):
    with pytest.raises(ParseError, match=reason):
        read_docx(data)


def test_zip_without_a_word_document_is_corrupt_docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ParseError, match="corrupt DOCX"):
        read_docx(out.getvalue())


def test_zip_bomb_refused_before_inflating(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (2 * 1024 * 1024))
    with pytest.raises(ParseError, match="decompressed size .* exceeds"):
        read_docx(out.getvalue())


def rewritten(data: bytes, **members: bytes | None) -> bytes:
    """The package with members replaced (None: left out)."""
    original = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.infolist():
            content = members.get(member.filename, original.read(member))
            if content is not None:
                copy.writestr(member, content)
    return out.getvalue()


def test_a_picture_the_package_lacks_is_a_warning_and_the_text_is_still_read():
    document = docx.Document()
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    document.add_picture(io.BytesIO(tiny_png()))
    data = saved(document)
    (picture,) = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]

    result = read_docx(rewritten(data, **{picture: None}))

    assert [p.text for p in result.paragraphs()] == ["三、收到和处理政府信息公开申请情况"]
    assert result.images() == []
    assert result.warnings == [f"DOCX: part /{picture} cannot be read (KeyError); skipped"]


def test_a_spreadsheet_is_not_read_as_a_word_document():
    data = rewritten(applications_docx(), **{"[Content_Types].xml": zipfile.ZipFile(
        io.BytesIO(applications_docx())).read("[Content_Types].xml").replace(
        DOCUMENT_MAIN_TYPE, b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")})
    with pytest.raises(ParseError, match="corrupt DOCX: its main part is not a Word document"):
        read_docx(data)


def test_entities_in_the_document_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密", encoding="utf-8")
    body = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            f'<w:document xmlns:w="{W[1:-1]}"><w:body><w:p><w:r><w:t>a&x;</w:t></w:r></w:p></w:body></w:document>')
    result = read_docx(rewritten(applications_docx(), **{"word/document.xml": body.encode()}))
    assert "机密" not in "".join(p.text for p in result.paragraphs())


def test_truncated_docx_through_read_document_names_the_damage():
    with pytest.raises(ParseError, match="corrupt"):
        read_document(applications_docx()[:-300], filename="年报.docx")

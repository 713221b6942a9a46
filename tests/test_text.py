"""parsers.text: extracted text in the seeds' two table layouts → Document."""

import pytest

from parsers import ParseError
from parsers.document import Image, Paragraph, Table
from parsers.text import read_text


def cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows()]


def test_tab_separated_lines_become_one_table_row_each():
    doc = read_text("二、主动公开政府信息情况\n\n第二十条第（一）项\t\t\t\n规章\t0\t0\t0\n\n规范性文件\t1\t\t2\n正文\n".encode())
    paragraph, table, after = doc.blocks
    assert paragraph == Paragraph("二、主动公开政府信息情况")
    # a single blank line inside a tab table is layout noise, not the table's end
    assert cells(table) == [["第二十条第（一）项", "", "", ""], ["规章", "0", "0", "0"], ["规范性文件", "1", "", "2"]]
    assert after == Paragraph("正文")
    assert doc.source_format == "text"


def test_one_cell_per_line_with_continuations_and_the_two_blank_line_end():
    text = (
        "四、政府信息公开行政复议、行政诉讼情况\n"
        "\t行政复议\n\t行政诉讼\n\n"
        "\t结果\n\n维持\n"  # a line without tab continues the cell, across one blank line
        "\t结果纠正\n\n"
        "\t0\n\t\n\t3\n\n\n"  # "\t" alone is a blank cell; two blank lines end the table
        "五、存在的主要问题及改进情况\n"
    )
    heading, table, next_heading = read_text(text.encode()).blocks
    assert heading.text.startswith("四、")
    assert cells(table) == [["行政复议", "行政诉讼"], ["结果\n维持", "结果纠正"], ["0", "", "3"]]
    assert next_heading == Paragraph("五、存在的主要问题及改进情况")


def test_a_heading_right_after_a_cell_is_not_swallowed_by_it():
    heading_after = read_text("\t规章\n\t0\n\n三、收到和处理政府信息公开申请情况\n".encode()).blocks[-1]
    assert heading_after == Paragraph("三、收到和处理政府信息公开申请情况")


def test_image_lines_become_images_and_converter_residue_is_dropped():
    doc = read_text("3、 收到和处理政府信息公开申请情况\n[image: 文字文稿2_01(2)]\n[bookmark: _GoBack]（三）政府信息管理。\n".encode())
    assert doc.blocks == [
        Paragraph("3、 收到和处理政府信息公开申请情况"),
        Image(src="文字文稿2_01(2)"),
        Paragraph("（三）政府信息管理。"),
    ]


@pytest.mark.parametrize("encoded", ["一、总体情况\n规章\t0".encode("utf-8-sig"), "一、总体情况\n规章\t0".encode("gb18030")])
def test_utf8_with_bom_and_gb18030_decode_alike(encoded):
    doc = read_text(encoded)
    assert doc.blocks[0] == Paragraph("一、总体情况")
    assert cells(doc.blocks[1]) == [["规章", "0"]]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x00\x01\x02binary", "binary data, not text"),
        (b"  \n\n \t\n", "empty text"),
        (b"\xff\xfe\xfa\x80\x81", "text is neither UTF-8 nor GB18030"),
    ],
)
def test_unreadable_text_raises_a_one_line_reason(data, reason):
    with pytest.raises(ParseError, match=reason):
        read_text(data)


def test_seed_002_tables_come_out_as_grids(seed_text):
    tables = read_text(seed_text("002").encode()).tables()
    assert len(tables) == 3
    assert cells(tables[0])[:3] == [
        ["第二十条第（一）项"],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "0"],
    ]
    assert cells(tables[1])[3] == ["一、本年新收政府信息公开申请数量", "21", "0", "0", "0", "0", "0", "21"]
    assert cells(tables[2])[-1] == ["0"] * 15


def test_pipe_rows_of_a_web_page_text_export():
    text = (
        "二、主动公开政府信息情况\n"
        "第二十条第(一)项 | |||\n"
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
        "|---|---|---|---|\n"
        "规章 | 4 |  | 9 |\n"
        "三、收到和处理政府信息公开申请情况\n"
    )
    heading, table, after = read_text(text.encode()).blocks
    # padding of merged cells dropped, a Markdown rule line dropped, a blank cell kept
    assert cells(table) == [["第二十条第(一)项"], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
                            ["规章", "4", "", "9"]]  # fmt: skip
    assert after == Paragraph("三、收到和处理政府信息公开申请情况")


def test_pipe_cells_one_per_line_blank_cells_and_padding_row_ends():
    text = "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 |\n6 |\n|\n6 |\n||\n第二十条 | |||\n行政许可 |\n2 |\n"
    table = read_text(text.encode()).blocks[1]
    assert cells(table) == [["一、本年新收政府信息公开申请数量", "6", "", "6"], ["第二十条"], ["行政许可", "2"]]


def test_a_closing_pipe_on_the_line_below_its_cell():
    table = read_text("规章\n|\n0\n|\n|\n5\n|\n||\n行政许可\n|\n1\n|\n".encode()).blocks[0]
    assert cells(table) == [["规章", "0", "", "5"], ["行政许可", "1"]]


def test_pipe_rows_whose_cells_open_on_a_new_indented_line():
    # '| ' then ' 规章  | ' …: each cell printed on its own line, indented
    text = "| \n 第二十条第(一)项  | |||\n| \n 规章  | \n 0  | \n 3  | \n 0  | \n"
    rows = cells(read_text(text.encode()).blocks[0])
    assert [[c for c in row if c] for row in rows if any(row)] == [["第二十条第(一)项"], ["规章", "0", "3", "0"]]

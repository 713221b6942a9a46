"""Tables printed without ruling lines (issue 11), read from the text's own
structure by ``parsers.layout.unruled_tables``: each quirk of real reports on
a page of positioned characters, the way a text PDF gives them (one box per
character) or OCR gives them (one box per line of text), then read through
the template reader.

The grid of these pages: two narrow merged columns at x 20 and 35, the label
column 50-150 (labels flush right at 150), value columns every 40 points
from 150 (values flush left), rows 14 points a line.
"""

from __future__ import annotations

from parsers import parse_document
from parsers.document import Document, Paragraph, Table
from parsers.layout import Box, unruled_tables

H = 10.0  # character height
STEP = 10.0  # a CJK character's advance
LINE = 14.0  # line pitch
VALUES_AT = 150.0


def text(s: str, x: float, top: float, *, right: bool = False, rotation: int = 0) -> list[Box]:
    """One box per character; with ``right`` the text ends at ``x`` (flush right)."""
    widths = [STEP if ord(ch) > 0x2E7F else 5.5 for ch in s]
    x = x - sum(widths) if right else x
    out = []
    for ch, w in zip(s, widths):
        out.append(Box(x, top, x + w, top + H, ch, rotation=rotation))
        x += w
    return out


def stacked(s: str, x: float, top: float, *, rotation: int = 0) -> list[Box]:
    """Characters one per line, down a narrow column (or rotated text, running down)."""
    return [Box(x, top + k * LINE, x + H, top + k * LINE + H, ch, rotation=rotation) for k, ch in enumerate(s)]


def values(numbers: list[int], top: float, *, first_at: float = VALUES_AT) -> list[Box]:
    return [b for k, n in enumerate(numbers) for b in text(str(n), first_at + 40 * k, top)]


def row(label_lines: list[str], numbers: list[int], top: float) -> tuple[list[Box], float]:
    """A row whose label wraps over lines, flush right, values centred on it."""
    boxes = []
    for k, line in enumerate(label_lines):
        boxes += text(line, VALUES_AT, top + k * LINE, right=True)
    middle = top + (len(label_lines) - 1) * LINE / 2
    return boxes + values(numbers, middle), top + len(label_lines) * LINE


def words(chars: list[Box]) -> list[Box]:
    """The page's words as a PDF reader makes them: touching characters joined."""
    from parsers.pdfium_page import words_from_chars

    return words_from_chars(chars, set())


def tables(chars: list[Box], *, as_ocr: bool = False) -> list[Table]:
    found = unruled_tables(lines_of(chars)) if as_ocr else unruled_tables(words(chars), chars)
    return [block for _, block in found.items if isinstance(block, Table)]


def lines_of(chars: list[Box]) -> list[Box]:
    """What OCR gives: one box per run of touching characters."""
    return words(chars)


def rows_of(table: Table) -> list[list[str]]:
    return [[c.text.replace("\n", "") for c in r] for r in table.rows()]


def section_three(table: Table) -> dict:
    doc = Document(
        blocks=[
            Paragraph("三、收到和处理政府信息公开申请情况"),
            table,
            Paragraph("四、政府信息公开行政复议、行政诉讼情况"),
        ]
    )
    return parse_document(doc)["applications"]


def test_a_label_wrapped_below_its_values_is_one_label():
    # '二、上年结转政府信息公开申请数' | 0 0 0 0 0 0 0 | '量'
    first, top = row(["一、本年新收政府信息公", "开申请数量"], [3, 0, 0, 0, 0, 0, 3], 100)
    second, _ = row(["二、上年结转政府信息公开申请数", "量"], [0, 0, 0, 0, 0, 1, 1], top)
    [table] = tables(first + second)
    assert rows_of(table) == [
        ["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"],
        ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "1", "1"],
    ]
    applications = section_three(table)
    assert applications["new_received"]["total"] == 3 and applications["carried_over"]["other_org"] == 1


def test_a_three_line_label_keeps_its_head_above_the_values():
    first, top = row(["4.无正当理由大", "量反复申请"], [0, 0, 0, 0, 0, 0, 0], 100)
    second, top = row(["5.要求行政机关", "确认或重新出具", "已获取信息"], [1, 0, 0, 0, 0, 0, 1], top)
    third, _ = row(["（七）总计"], [9, 0, 0, 0, 0, 0, 9], top)
    [table] = tables(first + second + third)
    assert [r[0] for r in rows_of(table)] == ["4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息", "（七）总计"]
    assert rows_of(table)[1][1:] == ["1", "0", "0", "0", "0", "0", "1"]


def test_a_value_flush_against_its_label_is_its_own_cell():
    # in text order: '2.没有现成信息需要另行制作3'
    page = []
    for k, (label, first) in enumerate((("1.本机关不掌握相关政府信息", 0), ("2.没有现成信息需要另行制作", 3))):
        page += text(label, VALUES_AT, 100 + k * LINE, right=True) + values([first, 0, 0, 0, 0, 0, first], 100 + k * LINE)
    assert "".join(b.text for b in words(page) if b.top == 100 + LINE).startswith("2.没有现成信息需要另行制作3")
    [table] = tables(page)
    assert rows_of(table)[1] == ["2.没有现成信息需要另行制作", "3", "0", "0", "0", "0", "0", "3"]
    # OCR reads label and value as one line of text: it is cut by character widths
    [table] = tables(page, as_ocr=True)
    assert rows_of(table)[1] == ["2.没有现成信息需要另行制作", "3", "0", "0", "0", "0", "0", "3"]


def _group_page(column) -> list[Box]:
    """Section 三's 不予公开 rows beside a merged column drawn by ``column(text, x, top)``."""
    page, top = [], 100.0
    labels = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益"]
    for k, label in enumerate(labels):
        boxes, top = row([label[:7], label[7:]] if len(label) > 7 else [label], [k, 0, 0, 0, 0, 0, k], top)
        page += boxes
    page += column("（三）不予公开", 35, 108)
    page += column("三、本年度办理结果", 20, 100)
    return page


def _merged_reading(page):
    [table] = tables(page)
    first = table.rows()[0]
    # the merged cells come first in the first row they span, the label after them
    assert [c.text.replace("\n", "") for c in first[:3]] == ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"]
    assert first[0].rowspan >= 3 and first[1].rowspan >= 3
    assert [r[-8] for r in rows_of(table)[1:]] == ["2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益"]
    applications = section_three(table)
    assert applications["denied_third_party"]["natural_person"] == 3
    assert applications["denied_state_secret"]["total"] == 0


def test_a_column_of_stacked_characters_is_one_merged_cell():
    _merged_reading(_group_page(stacked))


def test_a_column_of_rotated_text_is_one_merged_cell():
    # Word's btLr / writing-mode: sideways-lr: the first character is printed lowest
    def rotated(s, x, top):
        return stacked(s[::-1], x, top, rotation=270)

    _merged_reading(_group_page(rotated))


def test_only_horizontal_rules_read_as_unruled():
    from parsers.pdf import _read_page
    from parsers.pdfium_page import PageGeometry, Segment

    first, top = row(["一、本年新收政府信息公", "开申请数量"], [3, 0, 0, 0, 0, 0, 3], 100)
    second, bottom = row(["二、上年结转政府信息公开申请数", "量"], [0, 0, 0, 0, 0, 1, 1], top)
    chars = first + second
    rules = [Segment(y, 20, 430) for y in (98, top - 1, bottom)]  # a rule between rows, none down the columns
    page = PageGeometry(595, 842, words(chars), rules, [], [], len(rules), chars)
    items, needs_ocr = _read_page(page, 0)
    [table] = [item.block for item in items if isinstance(item.block, Table)]
    assert rows_of(table)[1][0] == "二、上年结转政府信息公开申请数量" and not needs_ocr
    # only an outer box: one cell is no grid; its text is read as unruled
    box = [Segment(98, 20, 430), Segment(bottom, 20, 430)], [Segment(20, 98, bottom), Segment(430, 98, bottom)]
    page = PageGeometry(595, 842, words(chars), box[0], box[1], [], 4, chars)
    [table] = [item.block for item in _read_page(page, 0)[0] if isinstance(item.block, Table)]
    assert rows_of(table)[0] == ["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"]


def test_a_number_on_no_row_is_never_put_in_a_column():
    first, top = row(["（一）予以公开"], [3, 0, 0, 0, 0, 0, 3], 100)
    second, _ = row(["（七）总计"], [3, 0, 0, 0, 0, 0, 3], top + LINE)
    stray = text("7", VALUES_AT + 80, top + 2)  # in a value column, but on no row's line
    found = unruled_tables(words(first + second + stray), first + second + stray)
    cells = [c.text for _, block in found.items if isinstance(block, Table) for r in block.rows() for c in r]
    lines = ["".join(b.text for b in block) for _, block in found.items if isinstance(block, list)]
    assert "7" not in cells and "7" in lines


def test_prose_and_a_lone_line_of_numbers_stay_lines():
    prose = text("本机关全年共收到政府信息公开申请3件，均已按时答复。", 20, 60)
    found = unruled_tables(words(prose), prose)
    assert [block for _, block in found.items if isinstance(block, Table)] == []

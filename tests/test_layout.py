"""Geometry shared by the PDF reader and OCR: cell rectangles and text boxes
to a Table with spans, lines to paragraphs."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from parsers.document import Table
from parsers.layout import Box, cells_from_grid, paragraphs_from_lines, table_from_cells


@st.composite
def merged_grids(draw):
    """A grid of rows x cols with some rectangles merged, as (r0, c0, rowspan, colspan) cells."""
    rows, cols = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    free = [[True] * cols for _ in range(rows)]
    cells = []
    for r in range(rows):
        for c in range(cols):
            if not free[r][c]:
                continue
            max_w = next((w for w in range(1, cols - c + 1) if not free[r][c + w - 1]), cols - c + 1) - 1 or 1
            colspan = draw(st.integers(1, max(1, min(3, max_w))))
            rowspan = draw(st.integers(1, max(1, min(3, rows - r))))
            if any(not free[r + dr][c + dc] for dr in range(rowspan) for dc in range(colspan)):
                rowspan = colspan = 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    free[r + dr][c + dc] = False
            cells.append((r, c, rowspan, colspan))
    widths = draw(st.lists(st.integers(20, 120), min_size=cols, max_size=cols))
    heights = draw(st.lists(st.integers(15, 60), min_size=rows, max_size=rows))
    return cells, widths, heights


@settings(max_examples=150, deadline=None)
@given(merged_grids())
def test_rectangles_and_boxes_give_the_grid_a_reader_of_spans_gives(grid):
    cells, widths, heights = grid
    # A grid line no cell border touches is not printed: geometry cannot see it.
    assume(all(any(r == k or r + rs == k for r, _, rs, _ in cells) for k in range(1, len(heights))))
    assume(all(any(c == k or c + cs == k for _, c, _, cs in cells) for k in range(1, len(widths))))
    xs = [sum(widths[:k]) + 50.0 for k in range(len(widths) + 1)]
    ys = [sum(heights[:k]) + 80.0 for k in range(len(heights) + 1)]
    rects, boxes = [], []
    for r, c, rowspan, colspan in cells:
        rect = (xs[c], ys[r], xs[c + colspan], ys[r + rowspan])
        rects.append(rect)
        cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
        boxes.append(Box(cx - 5, cy - 5, cx + 5, cy + 5, f"{r}-{c}"))
    table = table_from_cells(rects, boxes)
    by_row = [[(f"{r}-{c}", rs, cs) for r, c, rs, cs in cells if r == row] for row in range(len(heights))]
    expected = Table.from_spans(by_row)
    assert [[(cell.text, cell.rowspan, cell.colspan) for cell in row] for row in table.rows()] == [
        [(cell.text, cell.rowspan, cell.colspan) for cell in row] for row in expected.rows()
    ]


def test_missing_inner_lines_merge_grid_cells():
    xs, ys = [0, 10, 20, 30], [0, 10, 20]
    # The line between columns 1 and 2 is missing in row 0; the line under (1, 0) is missing.
    def has_vertical(x, top, bottom):
        return not (x == 20 and top == 0)

    def has_horizontal(y, left, right):
        return not (y == 10 and left == 0)

    rects = sorted(cells_from_grid(xs, ys, has_vertical, has_horizontal))
    assert rects == [(0, 0, 10, 20), (10, 0, 30, 10), (10, 10, 20, 20), (20, 10, 30, 20)]


def test_a_number_wrapped_in_a_narrow_cell_is_one_number():
    boxes = [Box(0, 0, 18, 10, "125"), Box(0, 12, 6, 22, "6"), Box(0, 30, 30, 40, "合计")]
    (table,) = [table_from_cells([(0, 0, 40, 50)], boxes)]
    assert table.grid[0][0].text == "1256\n合计"


def test_lines_join_into_paragraphs_at_indents_headings_and_short_lines():
    def line(x0, x1, top, text):
        return [Box(x0, top, x1, top + 10, text)]

    lines = [
        line(20, 100, 0, "一、总体情况"),
        line(20, 200, 20, "本年度共收到申请"),
        line(0, 200, 40, "36件，均按时答复"),
        line(0, 120, 60, "。"),
        line(20, 200, 80, "（一）主动公开情况"),
    ]
    assert [p.text for p in paragraphs_from_lines(lines, 0, 200)] == [
        "一、总体情况",
        "本年度共收到申请36件，均按时答复。",
        "（一）主动公开情况",
    ]

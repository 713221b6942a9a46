"""Property: any tiling of a table into merged cells reads back cell for cell,
from HTML (rowspan/colspan) and from DOCX (gridSpan/vMerge made by Word's own merge)."""

import io

import docx
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.docx import read_docx
from parsers.html import read_html


@st.composite
def tilings(draw):
    """A grid of rows x cols covered by rectangles: (top, left, height, width) each."""
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    owner = [[None] * cols for _ in range(rows)]
    rectangles = []
    for top in range(rows):
        for left in range(cols):
            if owner[top][left] is not None:
                continue
            width = 1
            limit = draw(st.integers(1, cols - left))
            while width < limit and owner[top][left + width] is None:
                width += 1
            height = draw(st.integers(1, rows - top))
            for r in range(top, top + height):
                for c in range(left, left + width):
                    owner[r][c] = len(rectangles)
            rectangles.append((top, left, height, width))
    return rows, cols, rectangles, owner


def as_html(rows: int, rectangles) -> bytes:
    lines = []
    for r in range(rows):
        cells = [
            f'<td rowspan="{h}" colspan="{w}">格{n}</td>'
            for n, (top, left, h, w) in sorted(enumerate(rectangles), key=lambda x: x[1][1])
            if top == r
        ]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return ("<div id='zoom'><table>" + "".join(lines) + "</table></div>").encode()


def as_docx(rows: int, cols: int, rectangles) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=rows, cols=cols)
    for n, (top, left, h, w) in enumerate(rectangles):
        merged = table.cell(top, left).merge(table.cell(top + h - 1, left + w - 1))
        merged.text = f"格{n}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def printed_grid(table) -> list[list[str]]:
    return [[cell.text for cell in line] for line in table.grid]


@settings(max_examples=60, deadline=None)
@given(tilings())
def test_html_spans_read_back_cell_for_cell(tiling):
    rows, cols, rectangles, owner = tiling
    # A one-column table is page layout, not data: the tiling always has two columns.
    (table,) = read_html(as_html(rows, rectangles)).tables()
    assert printed_grid(table) == [[f"格{n}" for n in line] for line in owner]
    for n, (top, left, h, w) in enumerate(rectangles):
        cell = table.grid[top][left]
        assert (cell.rowspan, cell.colspan) == (h, w)


@settings(max_examples=30, deadline=None)
@given(tilings())
def test_docx_merges_read_back_cell_for_cell(tiling):
    rows, cols, rectangles, owner = tiling
    (table,) = read_docx(as_docx(rows, cols, rectangles)).tables()
    assert printed_grid(table) == [[f"格{n}" for n in line] for line in owner]
    for n, (top, left, h, w) in enumerate(rectangles):
        cell = table.grid[top][left]
        assert (cell.rowspan, cell.colspan) == (h, w)

"""The intermediate document: what every format reader produces.

Every original (HTML page, DOCX, text, PDF, DOC/WPS via LibreOffice, scans
through OCR, flip-book pages) becomes one ``Document``: ordered blocks of
paragraphs, tables and images, plus what the container says about itself
(page title, 发布日期). The template reader (``parsers.template``) maps a
Document to the canonical record; it never sees the original format.

Tables are cell grids with row and column spans resolved: a merged cell is
one ``Cell`` object placed at every grid position it covers, so ``grid[r][c]``
always answers "which cell is printed here" and ``Table.rows()`` gives each
printed cell once, in reading order.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Cell:
    """One printed cell. ``text`` keeps line breaks inside the cell as ``\\n``."""

    text: str
    row: int = 0
    col: int = 0
    rowspan: int = 1
    colspan: int = 1
    # OCR confidence in [0, 1] where the text was recognised from an image.
    confidence: float | None = None


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    grid: list[list[Cell]] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: list[list[str]]) -> "Table":
        """A table without merged cells, from plain rows of text (ragged rows allowed)."""
        return cls([[Cell(text, r, c) for c, text in enumerate(row)] for r, row in enumerate(rows)])

    @classmethod
    def from_spans(cls, rows: list[list[tuple[str, int, int]]]) -> "Table":
        """Build the grid from rows of ``(text, rowspan, colspan)`` as HTML and DOCX declare them.

        Each row lists only the cells that start in it; positions covered by a
        rowspan from above are skipped, as an HTML renderer does.
        """
        grid: list[list[Cell | None]] = []
        for r, row in enumerate(rows):
            while len(grid) <= r:
                grid.append([])
            c = 0
            for text, rowspan, colspan in row:
                line = grid[r]
                while c < len(line) and line[c] is not None:
                    c += 1
                cell = Cell(text, r, c, max(1, rowspan), max(1, colspan))
                for dr in range(cell.rowspan):
                    while len(grid) <= r + dr:
                        grid.append([])
                    target = grid[r + dr]
                    while len(target) < c + cell.colspan:
                        target.append(None)
                    for dc in range(cell.colspan):
                        target[c + dc] = cell
                c += cell.colspan
        # A rowspan reaching past the last row is cut there, as browsers do; holes
        # (ragged rows) stay out of the grid rather than becoming fake cells.
        return cls([[cell for cell in line if cell is not None] for line in grid[: len(rows)]])

    def rows(self) -> list[list[Cell]]:
        """Each grid row with every printed cell once: horizontal repeats of a
        merged cell collapse, and a vertically merged cell belongs to its first row."""
        out = []
        for r, line in enumerate(self.grid):
            seen: set[int] = set()
            cells = []
            for cell in line:
                if id(cell) in seen or cell.row != r:
                    continue
                seen.add(id(cell))
                cells.append(cell)
            out.append(cells)
        return out

    @property
    def n_rows(self) -> int:
        return len(self.grid)

    @property
    def n_cols(self) -> int:
        return max((len(line) for line in self.grid), default=0)


@dataclass
class Image:
    """A picture in the document (often a table pasted as an image).

    ``src`` names it as the container does (``<img src>``, a DOCX part name,
    a page number); ``data`` holds its bytes when the reader had them.
    """

    src: str = ""
    alt: str = ""
    data: bytes | None = None


Block = Paragraph | Table | Image


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    # What the container says, as printed: <title>/ArticleTitle, 发布日期 / PubDate.
    page_title: str | None = None
    page_date: str | None = None
    # Which reader built it ("html", "docx", "text", "pdf", "ocr", ...).
    source_format: str = ""
    # Anything a reader was unsure about; the template reader carries these into the record.
    warnings: list[str] = field(default_factory=list)

    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def images(self) -> list[Image]:
        return [b for b in self.blocks if isinstance(b, Image)]

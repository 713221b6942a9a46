"""A small OFD writer (GB/T 33190) for the tests: a synthetic report laid out on A4
pages as an office suite's OFD export lays it out.

Structure as the standard has it: ``OFD.xml`` → ``Doc_0/Document.xml`` →
``Doc_0/Pages/Page_N/Content.xml``; text as ``TextObject``s (``Boundary``,
``Size``, ``TextCode`` with ``X``/``Y`` of the baseline and ``DeltaX``, in the
``g N d`` abbreviation where the advances repeat); each table cell's border as
a stroked ``PathObject`` whose ``AbbreviatedData`` is ``M … L … C``, so a
merged cell is one rectangle. Units are millimetres.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from nianbao.testbed.synthetic import Variants, printed_tables

NS = "http://www.ofdspec.org/2016"
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 20.0
SIZE = 3.5  # mm, about 10 pt
TABLE_SIZE = 2.8
LINE = SIZE * 1.6


class _Page:
    def __init__(self):
        self.objects: list[str] = []
        self.y = MARGIN

    def text(self, x: float, baseline: float, text: str, size: float, ids) -> None:
        width = len(text) * size
        advances = f"g {len(text) - 1} {size:g}" if len(text) > 1 else ""
        self.objects.append(
            f'<ofd:TextObject ID="{next(ids)}" Boundary="{x:.2f} {baseline - size:.2f} {width:.2f} {size * 1.2:.2f}" '
            f'Font="1" Size="{size:g}"><ofd:TextCode X="0" Y="{size:g}"'
            + (f' DeltaX="{advances}"' if advances else "")
            + f">{escape(text)}</ofd:TextCode></ofd:TextObject>"
        )

    def box(self, x: float, y: float, w: float, h: float, ids) -> None:
        self.objects.append(
            f'<ofd:PathObject ID="{next(ids)}" Boundary="{x:.2f} {y:.2f} {w:.2f} {h:.2f}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>M 0 0 L {w:.2f} 0 L {w:.2f} {h:.2f} L 0 {h:.2f} C</ofd:AbbreviatedData>"
            "</ofd:PathObject>"
        )

    def image(self, x: float, y: float, w: float, h: float, resource: int, ids) -> None:
        self.objects.append(
            f'<ofd:ImageObject ID="{next(ids)}" Boundary="{x:.2f} {y:.2f} {w:.2f} {h:.2f}" '
            f'CTM="{w:.2f} 0 0 {h:.2f} 0 0" ResourceID="{resource}"/>'
        )

    def xml(self) -> str:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
            f'<ofd:Layer ID="1">{"".join(self.objects)}</ofd:Layer></ofd:Content></ofd:Page>'
        )


def _wrap(text: str, width: float, size: float) -> list[str]:
    per_line = max(1, int(width / size))
    lines = []
    for part in text.split("\n"):
        lines += [part[i : i + per_line] for i in range(0, len(part), per_line)] or [""]
    return lines


def _column_widths(rows, columns: int) -> list[float]:
    """Widths (mm) from the longest single-column text of each column, labels widest."""
    longest = [2] * columns
    taken: set[tuple[int, int]] = set()
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            if cell.colspan == 1 and c < columns:
                longest[c] = max(longest[c], min(len(cell.text), 14))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    total = sum(longest)
    return [(PAGE_W - 2 * MARGIN) * n / total for n in longest]


def _table(pages: list[_Page], rows, ids) -> None:
    columns = max(sum(cell.colspan for cell in cells) for cells in rows[:1])
    widths = _column_widths(rows, columns)
    lefts = [MARGIN + sum(widths[:c]) for c in range(columns + 1)]
    # Place cells on the grid first (positions covered from above are skipped, as in HTML).
    placed, taken = [], set()
    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    # Each row is as tall as the wrapped text of its single-row cells needs.
    heights = [TABLE_SIZE * 1.6 + 2] * len(rows)
    for r, c, cell in placed:
        if cell.rowspan == 1:
            lines = _wrap(cell.text, lefts[c + cell.colspan] - lefts[c] - 1, TABLE_SIZE)
            heights[r] = max(heights[r], len(lines) * TABLE_SIZE * 1.3 + 2)
    page = pages[-1]
    if page.y + sum(heights) > PAGE_H - MARGIN:
        pages.append(_Page())
        page = pages[-1]
    tops = [page.y + sum(heights[:r]) for r in range(len(rows) + 1)]
    for r, c, cell in placed:
        x, y = lefts[c], tops[r]
        w, h = lefts[c + cell.colspan] - x, tops[min(r + cell.rowspan, len(rows))] - y
        page.box(x, y, w, h, ids)
        for k, line in enumerate(_wrap(cell.text, w - 1, TABLE_SIZE)):
            if line:
                page.text(x + 0.5, y + 1 + TABLE_SIZE * (1.3 * k + 1), line, TABLE_SIZE, ids)
    page.y = tops[-1] + LINE


def _paragraph(pages: list[_Page], text: str, ids, indent: bool = True, right: bool = False) -> None:
    width = PAGE_W - 2 * MARGIN
    lines = _wrap(("　　" if indent else "") + text, width, SIZE)
    for line in lines:
        if pages[-1].y + LINE > PAGE_H - MARGIN:
            pages.append(_Page())
        page = pages[-1]
        stripped = line.lstrip("　")
        x = PAGE_W - MARGIN - len(stripped) * SIZE if right else MARGIN + (len(line) - len(stripped)) * SIZE
        page.text(x, page.y + SIZE, stripped, SIZE, ids)
        page.y += LINE


def render_ofd(
    record: dict,
    *,
    drop_page_content: bool = False,
    tables_as_images: bool = False,
    drop_images: bool = False,
    **variants,
) -> bytes:
    """The report as an OFD package. ``drop_page_content`` leaves the last page's
    Content.xml out (an OFD with a missing resource). ``tables_as_images``: each
    table is a PNG picture (a ``MultiMedia`` resource) alone on its page, as a
    scanned table is; ``drop_images`` leaves those pictures' files out."""
    ids = iter(range(1, 10**6))
    pages = [_Page()]
    tables = printed_tables(record, Variants(**variants))
    pictures: dict[int, bytes] = {}
    _paragraph(pages, record["title"], ids, indent=False)
    for section in record["sections"]:
        _paragraph(pages, f"{'一二三四五六'[section['no'] - 1]}、{section['title']}", ids, indent=False)
        for paragraph in section["text"].split("\n"):
            if paragraph.strip():
                _paragraph(pages, paragraph, ids)
        if section["no"] in tables and tables_as_images:
            _picture(pages, tables[section["no"]], pictures, ids)
        elif section["no"] in tables:
            _table(pages, tables[section["no"]], ids)
    year, month, day = (int(part) for part in record["published"].split("-"))
    for line in (record["organization"], f"{year}年{month}月{day}日"):  # the closing signature, right-aligned
        _paragraph(pages, line, ids, indent=False, right=True)
    package = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
            f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID><ofd:Title>{escape(record['title'])}</ofd:Title>"
            "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ),
        "Doc_0/Document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
            f"<ofd:MaxUnitID>{next(ids)}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}"
            "</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>"
            + "".join(f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
            + "</ofd:Pages></ofd:Document>"
        ),
        "Doc_0/PublicRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
            '<ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        ),
        "Doc_0/DocumentRes.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:MultiMedias>'
            + "".join(f'<ofd:MultiMedia ID="{rid}" Type="Image" Format="PNG"><ofd:MediaFile>table_{rid}.png'
                      "</ofd:MediaFile></ofd:MultiMedia>" for rid in pictures)
            + "</ofd:MultiMedias></ofd:Res>"
        ),
    }
    package["Doc_0/Document.xml"] = package["Doc_0/Document.xml"].replace(
        "</ofd:PublicRes>", "</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>")
    if not drop_images:
        for rid, png in pictures.items():
            package[f"Doc_0/Res/table_{rid}.png"] = png
    for n, page in enumerate(pages):
        if not (drop_page_content and n == len(pages) - 1):
            package[f"Doc_0/Pages/Page_{n}/Content.xml"] = page.xml()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in package.items():
            archive.writestr(name, content.encode("utf-8") if isinstance(content, str) else content)
    return out.getvalue()


def _picture(pages: list[_Page], rows, pictures: dict[int, bytes], ids) -> None:
    """The table drawn as a PNG (``tests.corpus.table_image``), alone on a new page."""
    from tests.corpus import table_image

    image = table_image(rows)
    png = io.BytesIO()
    image.save(png, "PNG")
    resource = next(ids)
    pictures[resource] = png.getvalue()
    width = PAGE_W - 2 * MARGIN
    height = min(width * image.height / image.width, PAGE_H - 2 * MARGIN)
    page = _Page()
    page.image(MARGIN, MARGIN, width, height, resource, ids)
    pages += [page, _Page()]

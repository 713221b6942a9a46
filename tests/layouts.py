"""The real-world-layouts corpus (issue 11): report tables laid out the way
WPS and hand-edited Word files print them, exported by two producers.

What makes these layouts hard for a reader that follows text order:

* section 三's first column is one vertically merged cell (三、本年度办理结果),
  and the groups （三）不予公开 … （六）其他处理 are merged cells too, their text
  printed one character per line (``stacked``) or rotated (``rotated``:
  ``w:textDirection`` btLr in DOCX, ``writing-mode: sideways-lr`` in HTML;
  ``rotated_tb`` is the top-to-bottom direction, tbRl / ``vertical-rl``);
* the label columns are narrow, so long labels wrap over two or three lines
  and the values sit between a label's first and last lines;
* labels are right-aligned and values left-aligned with no cell padding, so
  in text order a value runs into its label (``2.没有现成信息需要另行制作3``);
* section 二 prints the header variant 「本年增/减量」.

Producers: LibreOffice (a DOCX written here, converted to PDF) and Chromium
(the same tables as HTML, printed to PDF through Playwright). Scans are
those PDFs rendered to images at 100–150 dpi, skewed by up to ±2°, JPEG
compressed, one page turned by 90°, 180° or 270° without a ``/Rotate`` entry,
and (``two_up``) two pages side by side on one sheet.

``samples(producer, count, seed=…, scan=…)`` gives ``tests.corpus.Sample``s
whose ``record`` is what a faithful reader returns.
"""

from __future__ import annotations

import html
import io
import random
from dataclasses import dataclass

from nianbao.testbed import synthetic
from parsers.document import Table

from .corpus import Sample, records

PRODUCERS = ("libreoffice", "chromium")
DIRECTIONS = ("stacked", "rotated", "rotated_tb")
# Which borders the tables print: every cell's ("all"), none (a WPS table with
# its borders removed, an HTML table printed without borders), only the rules
# between rows ("horizontal"), or only the table's outer box ("outer").
RULES = ("all", "none", "horizontal", "outer")
HEADER_VARIANTS = {"本年增/减": "本年增/减量"}
# Section 三's grid: two narrow merged-label columns, the row-label column,
# seven value columns (centimetres).
APPLICATION_WIDTHS = (0.9, 0.9, 2.6) + (1.45,) * 7
FONT_FAMILY = "Noto Sans CJK SC"


@dataclass
class Layout:
    """How one report of the corpus is laid out."""

    direction: str = "stacked"  # how the merged group cells print their text
    header_variants: bool = True
    rules: str = "all"  # which borders are drawn (RULES)


def layout_for(k: int, rules: str = "all") -> Layout:
    return Layout(direction=DIRECTIONS[k % len(DIRECTIONS)], rules=rules)


# DOCX table borders (w:tblBorders) per RULES: which edges are drawn.
_DOCX_BORDERS = {
    "all": ("top", "left", "bottom", "right", "insideH", "insideV"),
    "none": (),
    "horizontal": ("top", "bottom", "insideH"),
    "outer": ("top", "left", "bottom", "right"),
}


def _vertical(text: str) -> str:
    """A merged group cell's text one character per line, as WPS users type it."""
    return "\n".join(ch for ch in text if not ch.isspace())


def tables(record: dict, layout: Layout) -> dict[int, list[list[synthetic.Printed]]]:
    """Sections 二–四 as printed cells; section 三's group cells marked vertical."""
    printed = synthetic.printed_tables(record)
    if layout.header_variants:
        for row in printed[2]:
            for cell in row:
                cell.text = HEADER_VARIANTS.get(cell.text, cell.text)
    for row in printed[3]:
        for cell in row:
            if cell.rowspan > 1 and cell.colspan == 1 and _is_group(cell.text):
                cell.vertical = True
                if layout.direction == "stacked":
                    cell.text = _vertical(cell.text)
    return printed


def _is_group(text: str) -> bool:
    return text.startswith(("三、", "（三）", "（四）", "（五）", "（六）"))


def _grid(rows: list[list[synthetic.Printed]]):
    """Each printed cell with its grid position: (Printed, row, col)."""
    table = Table.from_spans([[(p.text, p.rowspan, p.colspan) for p in row] for row in rows])
    cells = [cell for row in table.rows() for cell in row]
    printed = [p for row in rows for p in row]
    return list(zip(printed, cells)), table.n_cols


def _widths(section: int, n_cols: int) -> list[float]:
    if section == 3:
        return list(APPLICATION_WIDTHS)
    return [16.0 / n_cols] * n_cols if section == 4 else [4.6, 3.8, 3.8, 3.8]


def _prose(record: dict) -> list[tuple[str, str | None]]:
    """(paragraph, table section or None) in document order."""
    out = [(record["title"], None), (synthetic._intro(record), None)]
    for section in record["sections"]:
        out.append((synthetic._section_heading(section, synthetic.Variants()), None))
        out += [(line, None) for line in section["text"].split("\n") if line]
        if section["no"] in (2, 3, 4):
            out.append(("", section["no"]))
    out += [(record["organization"], None), (synthetic._chinese_date(record["published"]), None)]
    return out


# --- LibreOffice: a DOCX converted to PDF ---------------------------------------------


def render_docx(record: dict, layout: Layout) -> bytes:
    import docx
    from docx.enum.table import WD_ALIGN_VERTICAL
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_FAMILY)
    style.paragraph_format.space_after = Pt(0)
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2.0)
    printed = tables(record, layout)
    for text, table_no in _prose(record):
        if table_no is None:
            document.add_paragraph(text)
            continue
        rows = printed[table_no]
        cells, n_cols = _grid(rows)
        widths = _widths(table_no, n_cols)
        table = document.add_table(rows=len(rows), cols=n_cols)
        table.style = "Table Grid"
        table.autofit = False
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            margins.append(OxmlElement(f"w:{side}", {qn("w:w"): "0", qn("w:type"): "dxa"}))
        table._tbl.tblPr.append(margins)
        borders = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            drawn = edge in _DOCX_BORDERS[layout.rules]
            attributes = {qn("w:val"): "single", qn("w:sz"): "4", qn("w:color"): "000000"} if drawn else {qn("w:val"): "nil"}
            borders.append(OxmlElement(f"w:{edge}", attributes))
        table._tbl.tblPr.append(borders)
        for c, width in enumerate(widths):
            table.columns[c].width = Cm(width)
            for row in table.rows:
                row.cells[c].width = Cm(width)
        for p, cell in cells:
            target = table.cell(cell.row, cell.col)
            if cell.rowspan > 1 or cell.colspan > 1:
                target = target.merge(table.cell(cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1))
            target.text = p.text
            target.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            paragraph = target.paragraphs[0]
            if table_no == 3 and not getattr(p, "vertical", False) and cell.row >= 3:
                # labels flush right, values flush left: no gap between them in text order
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if cell.col < 3 else WD_ALIGN_PARAGRAPH.LEFT
            else:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if getattr(p, "vertical", False) and layout.direction != "stacked":
                flow = "btLr" if layout.direction == "rotated" else "tbRl"
                direction = OxmlElement("w:textDirection", {qn("w:val"): flow})
                properties = target._tc.get_or_add_tcPr()
                anchor = properties.find(qn("w:vAlign"))
                if anchor is not None:
                    anchor.addprevious(direction)
                else:
                    properties.append(direction)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def libreoffice_pdf(record: dict, layout: Layout) -> bytes:
    from parsers.office import convert

    return convert(render_docx(record, layout), ".docx", target="pdf")


# --- Chromium: an HTML page printed to PDF ---------------------------------------------

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title><style>
@page {{ size: A4; margin: 2cm; }}
body {{ font-family: "{font}"; font-size: 10.5pt; line-height: 1.5; }}
p {{ margin: 0; }}
table {{ border-collapse: collapse; table-layout: fixed; margin: 4pt 0; }}
td {{ border: 0.75pt solid #000; padding: 0; vertical-align: middle; text-align: center;
      word-break: break-all; }}
td.label {{ text-align: right; }}
td.value {{ text-align: left; }}
td.rotated {{ writing-mode: sideways-lr; }}
td.rotated_tb {{ writing-mode: vertical-rl; }}
table.rules-none td, table.rules-outer td {{ border: none; }}
table.rules-horizontal td {{ border-left: none; border-right: none; }}
table.rules-outer {{ border: 0.75pt solid #000; }}
</style></head><body>
{body}
</body></html>"""


def render_html(record: dict, layout: Layout) -> str:
    printed = tables(record, layout)
    body = []
    for text, table_no in _prose(record):
        if table_no is None:
            body.append(f"<p>{html.escape(text)}</p>")
            continue
        rows = printed[table_no]
        cells, n_cols = _grid(rows)
        widths = _widths(table_no, n_cols)
        by_row: dict[int, list] = {}
        for p, cell in cells:
            by_row.setdefault(cell.row, []).append((p, cell))
        out = [f'<table class="rules-{layout.rules}" style="width:{sum(widths):.2f}cm"><colgroup>']
        out += [f'<col style="width:{w:.2f}cm">' for w in widths]
        out.append("</colgroup>")
        for r in range(len(rows)):
            out.append("<tr>")
            for p, cell in by_row.get(r, []):
                classes = []
                if getattr(p, "vertical", False) and layout.direction != "stacked":
                    classes.append(layout.direction)
                elif table_no == 3 and cell.row >= 3 and not getattr(p, "vertical", False):
                    classes.append("label" if cell.col < 3 else "value")
                attrs = f' class="{" ".join(classes)}"' if classes else ""
                attrs += f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
                attrs += f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
                text = "<br>".join(html.escape(line) for line in p.text.split("\n"))
                out.append(f"<td{attrs}>{text}</td>")
            out.append("</tr>")
        out.append("</table>")
        body.append("".join(out))
    return _PAGE.format(title=html.escape(record["title"]), font=FONT_FAMILY, body="\n".join(body))


class Chromium:
    """One headless Chromium (Debian's, through Playwright) printing pages to PDF."""

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        return self

    def pdf(self, page_html: str) -> bytes:
        page = self._browser.new_page()
        try:
            page.set_content(page_html, wait_until="load")
            return page.pdf(format="A4", prefer_css_page_size=True)
        finally:
            page.close()

    def __exit__(self, *exc):
        self._browser.close()
        self._playwright.stop()


# --- scans --------------------------------------------------------------------------


# Harsher than the corpus: what worn scanners and fax machines give. Used for
# the held-out line of benchmarks.formats, never for tuning.
HARSH = ("fax", "salt_pepper", "shadow", "faint")


def harsh(page, rng: random.Random, kind: str):
    """One harsh degradation of a greyscale page image (before ``degrade``,
    except fax, which replaces it): ``fax`` 96 dpi thresholded to black and
    white, ``salt_pepper`` 0.4 % of pixels flipped black or white, ``shadow``
    a dark band fading in from one edge (a book's gutter, a lid left open),
    ``faint`` grey text (toner running out)."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(page.convert("L")).astype(np.float32)
    noise = np.random.default_rng(rng.randrange(2**32))
    if kind == "fax":
        pixels = np.where(pixels + noise.normal(0, 25, pixels.shape) < 150, 0, 255)
    elif kind == "salt_pepper":
        flips = noise.random(pixels.shape)
        pixels[flips < 0.002] = 0
        pixels[flips > 0.998] = 255
    elif kind == "shadow":
        width = pixels.shape[1]
        band = int(rng.uniform(0.08, 0.15) * width)
        ramp = np.ones(width, np.float32)
        ramp[:band] = np.linspace(rng.uniform(0.35, 0.55), 1.0, band)
        pixels = pixels * (ramp if rng.random() < 0.5 else ramp[::-1])
    elif kind == "faint":
        pixels = 255 - (255 - pixels) * rng.uniform(0.35, 0.5)
    else:
        raise ValueError(f"unknown degradation {kind!r}")
    return Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))


def scan_pages(
    pdf: bytes,
    rng: random.Random,
    *,
    turned_page: int | None = 0,
    two_up: bool = False,
    harshness: str | None = None,
):
    """The PDF's pages as a real scanner gives them: 100–150 dpi, skewed up
    to ±2°, JPEG artefacts; page ``turned_page`` turned by 90/180/270° (the
    image itself, no /Rotate); with ``two_up`` pairs of pages side by side;
    with ``harshness`` (one of HARSH) worse still."""
    import pypdfium2 as pdfium
    from PIL import Image

    from .corpus import degrade

    document = pdfium.PdfDocument(pdf)
    dpi = 96 if harshness == "fax" else rng.choice((100, 120, 150))
    pages = [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
    document.close()
    if two_up:
        sheets = []
        for k in range(0, len(pages), 2):
            pair = pages[k : k + 2]
            width = sum(p.width for p in pair) + 20 * len(pair)
            sheet = Image.new("L", (width, max(p.height for p in pair)), 255)
            x = 0
            for p in pair:
                sheet.paste(p, (x, 0))
                x += p.width + 40
            sheets.append(sheet)
        pages = sheets
    out = []
    for k, page in enumerate(pages):
        if harshness == "fax":
            page = harsh(page.rotate(rng.uniform(-2.0, 2.0), fillcolor=255), rng, harshness).convert("RGB")
        else:
            page = degrade(harsh(page, rng, harshness) if harshness else page, rng, max_angle=2.0)
        if turned_page is not None and k == turned_page % len(pages):
            page = page.rotate(rng.choice((90, 180, 270)), expand=True)
        out.append(page)
    return out, dpi


def scan_pdf(pdf: bytes, rng: random.Random, **options) -> bytes:
    pages, dpi = scan_pages(pdf, rng, **options)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


# --- the corpus ---------------------------------------------------------------------


def samples(producer: str, count: int, *, seed: int = 0, scan: bool = False, rules: str = "all") -> list[Sample]:
    """``count`` reports laid out by ``layout_for(k, rules)`` and printed by
    ``producer``; as scans (``scanned``) when ``scan``. With ``rules`` other
    than "all" the k-th report cycles through the unruled kinds from ``rules``
    on (none, horizontal, outer), so a handful of reports covers each."""
    if producer not in PRODUCERS:
        raise ValueError(f"unknown producer {producer!r}")
    chosen = records(count, seed)
    out = []

    def layout_of(k):
        if rules == "all":
            return layout_for(k)
        unruled = RULES[1:]
        # k // 3 shifts the cycle so that directions and rules pair differently
        return layout_for(k, unruled[(unruled.index(rules) + k + k // len(DIRECTIONS)) % len(unruled)])

    def add(k, record, pdf):
        layout = layout_of(k)
        rules_name = "" if layout.rules == "all" else f"-{layout.rules}"
        name = f"{producer}-{layout.direction}{rules_name}-{k}"
        out.append(Sample(name, f"layouts_{producer}", pdf, record, filename=f"{name}.pdf", extra={"layout": layout}))

    if producer == "libreoffice":
        for k, record in enumerate(chosen):
            add(k, record, libreoffice_pdf(record, layout_of(k)))
    else:
        with Chromium() as browser:
            for k, record in enumerate(chosen):
                add(k, record, browser.pdf(render_html(record, layout_of(k))))
    if scan:
        rng = random.Random(seed)
        out = [scanned(sample, k, rng) for k, sample in enumerate(out)]
    return out


def scanned(sample: Sample, k: int, rng: random.Random, harshness: str | None = None) -> Sample:
    """The k-th sample scanned: page k (of its pages, cyclically) turned, and
    every other document two pages to a sheet; ``harshness`` as in ``harsh``."""
    data = scan_pdf(sample.data, rng, turned_page=k, two_up=k % 2 == 1, harshness=harshness)
    name = f"{sample.name}-scan" + (f"-{harshness}" if harshness else "")
    return Sample(name, f"{sample.format}_scan", data, sample.record, filename=f"{name}.pdf", extra=sample.extra)

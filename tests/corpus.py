"""The accuracy corpus for the hard formats.

Consistent random reports (``nianbao.testbed.synthetic``: both templates, one- and
three-row （六）) are rendered the way they reach us: the filled official
DOCX template converted by LibreOffice to PDF and to legacy .doc; the PDF
printed to page images with scan noise and a slight rotation, bound back
into an image-only PDF (a scan); and an HTML page whose tables are pictures
in its ``page_files/`` folder, drawn here with PIL from the printed table
structure (spans included), clean or degraded. Each sample keeps the record
it came from, so accuracy is "cells read exactly" over every table cell.

Used by ``tests/test_accuracy_corpus.py`` (a few documents per format) and
``benchmarks/formats.py`` (more).
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.testbed import synthetic
from parsers.document import Table

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FORMATS = ("pdf", "doc", "scan", "docx_images", "html_images", "html_images_degraded")


@dataclass
class Sample:
    name: str
    format: str
    data: bytes
    record: dict
    # For HTML with image tables: the folder holding the page and its page_files/.
    folder: Path | None = None
    filename: str = ""
    extra: dict = field(default_factory=dict)


def records(count: int, seed: int = 0) -> list[dict]:
    """``count`` records cycling through template 2021/2019 and three-/one-row （六）."""
    variants = [("2021", 3), ("2019", 1), ("2021", 1), ("2019", 3)]
    out = []
    for k in range(count):
        template, other_rows = variants[k % len(variants)]
        out.append(synthetic.random_record(seed * 1000 + k, template=template, other_rows=other_rows))
    return out


# --- renderings ----------------------------------------------------------------------


def pdf_bytes(record: dict) -> bytes:
    from parsers.office import convert

    return convert(synthetic.render_docx(record), ".docx", target="pdf")


def doc_bytes(record: dict) -> bytes:
    from parsers.office import convert

    return convert(synthetic.render_docx(record), ".docx", target="doc")


def degrade(image, rng: random.Random, max_angle: float = 1.2):
    """Scan-like: slight rotation, blur, sensor noise, specks, JPEG artefacts."""
    import numpy as np
    from PIL import Image, ImageFilter

    image = image.convert("L").rotate(rng.uniform(-max_angle, max_angle), resample=Image.BICUBIC, expand=False, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(radius=0.6))
    pixels = np.asarray(image).astype(np.float32)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 12, pixels.shape)
    pixels = np.clip(pixels * 0.92 + 10 + noise, 0, 255)
    specks = np.random.default_rng(rng.randrange(2**32)).random(pixels.shape) < 0.0008
    pixels[specks] = 0
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buffer, "JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def scan_bytes(pdf: bytes, rng: random.Random, dpi: int = 200) -> bytes:
    """Print a PDF to degraded page images and bind them into an image-only PDF."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages = [degrade(document[i].render(scale=dpi / 72).to_pil(), rng) for i in range(len(document))]
    document.close()
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def table_image(rows: list[list[synthetic.Printed]], font_size: int = 24):
    """Draw a printed table (spans resolved) as a ruled picture, as Word pastes one."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, font_size)
    table = Table.from_spans([[(p.text, p.rowspan, p.colspan) for p in row] for row in rows])
    n_cols, pad, line_h = table.n_cols, 10, int(font_size * 1.35)

    def lines(text: str, chars: int) -> list[str]:
        out = []
        for part in text.split("\n"):
            out += [part[i : i + chars] for i in range(0, len(part), chars)] or [""]
        return out

    chars_per_col = [4] * n_cols
    for row in table.rows():
        for cell in row:
            if cell.colspan == 1:
                longest = max(len(part) for part in cell.text.split("\n"))
                chars_per_col[cell.col] = max(chars_per_col[cell.col], min(longest, 14))
    widths = [c * font_size + 2 * pad for c in chars_per_col]
    heights = [line_h + 2 * pad] * table.n_rows
    for row in table.rows():
        for cell in row:
            width = sum(widths[cell.col : cell.col + cell.colspan]) - 2 * pad
            need = len(lines(cell.text, max(1, width // font_size))) * line_h + 2 * pad
            have = sum(heights[cell.row : cell.row + cell.rowspan])
            if need > have:
                heights[cell.row + cell.rowspan - 1] += need - have
    xs = [20]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [20]
    for h in heights:
        ys.append(ys[-1] + h)
    image = Image.new("RGB", (xs[-1] + 20, ys[-1] + 20), "white")
    draw = ImageDraw.Draw(image)
    for row in table.rows():
        for cell in row:
            x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
            y0, y1 = ys[cell.row], ys[cell.row + cell.rowspan]
            draw.rectangle((x0, y0, x1, y1), outline="black", width=2)
            text_lines = lines(cell.text, max(1, (x1 - x0 - 2 * pad) // font_size))
            top = (y0 + y1) / 2 - len(text_lines) * line_h / 2
            for k, text in enumerate(text_lines):
                width = draw.textlength(text, font=font)
                draw.text(((x0 + x1 - width) / 2, top + k * line_h), text, font=font, fill="black")
    return image


def html_with_image_tables(record: dict, folder: Path, rng: random.Random | None = None) -> Path:
    """A saved article page whose three tables are pictures in ``report_files/``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report_files").mkdir(exist_ok=True)
    page = synthetic.render_html(record, page="bare").decode("utf-8")
    printed = synthetic.printed_tables(record)
    tables = iter(sorted(printed))
    counter = iter(range(1, 10))

    def to_image(match):
        number = next(counter)
        image = table_image(printed[next(tables)])
        if rng is not None:
            image = degrade(image, rng)
        name = f"report_files/table{number}.png"
        image.save(folder / name)
        return f'<p><img src="{name}" alt="表{number}"></p>'

    page = re.sub(r"<table.*?</table>", to_image, page, flags=re.DOTALL)
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def docx_with_image_tables(record: dict) -> bytes:
    """A Word report whose three tables were pasted as pictures (as in seed 004)."""
    import docx
    from docx.shared import Cm

    printed = synthetic.printed_tables(record)
    document = docx.Document()
    document.add_paragraph(record["title"])
    for section in record["sections"]:
        document.add_paragraph(f"{'一二三四五六'[section['no'] - 1]}、{section['title']}")
        for line in filter(None, section["text"].split("\n")):
            document.add_paragraph(line)
        if section["no"] in printed:
            picture = io.BytesIO()
            table_image(printed[section["no"]]).save(picture, "PNG")
            picture.seek(0)
            document.add_picture(picture, width=Cm(16))
    document.add_paragraph(record["organization"])
    y, m, d = (int(part) for part in record["published"].split("-"))
    document.add_paragraph(f"{y}年{m}月{d}日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def samples(fmt: str, count: int, workdir: Path, seed: int = 0) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for k, record in enumerate(records(count, seed)):
        name = f"{fmt}-{k}"
        if fmt == "pdf":
            out.append(Sample(name, fmt, pdf_bytes(record), record, filename=f"{name}.pdf"))
        elif fmt == "doc":
            out.append(Sample(name, fmt, doc_bytes(record), record, filename=f"{name}.doc"))
        elif fmt == "scan":
            out.append(Sample(name, fmt, scan_bytes(pdf_bytes(record), rng), record, filename=f"{name}.pdf"))
        elif fmt == "docx_images":
            out.append(Sample(name, fmt, docx_with_image_tables(record), record, filename=f"{name}.docx"))
        elif fmt in ("html_images", "html_images_degraded"):
            degraded = rng if fmt.endswith("degraded") else None
            path = html_with_image_tables(record, workdir / name, degraded)
            out.append(Sample(name, fmt, path.read_bytes(), record, folder=path.parent, filename=path.name))
        else:
            raise ValueError(f"unknown corpus format {fmt!r}")
    return out


# --- scoring -------------------------------------------------------------------------


def table_cells(record: dict) -> dict[tuple, object]:
    """Every table value of a record, keyed by where it is printed."""
    out: dict[tuple, object] = {}
    for row, columns in (record.get("applications") or {}).items():
        for column, value in columns.items():
            out[("applications", row, column)] = value
    for group, columns in (record.get("reviews_litigation") or {}).items():
        for column, value in columns.items():
            out[("reviews_litigation", group, column)] = value
    for cell in record.get("active_disclosure") or []:
        out[("active_disclosure", cell["item"], cell["row"], cell["metric"])] = cell["value"]
    return out


def score(expected: dict, got: dict) -> tuple[int, int, list[str]]:
    """(cells read exactly, cells expected, a description of each miss)."""
    want, have = table_cells(expected), table_cells(got)
    misses = [f"{'/'.join(key)}: expected {value!r}, read {have.get(key, 'nothing')!r}" for key, value in want.items() if have.get(key, object()) != value]
    return len(want) - len(misses), len(want), misses


def read(sample: Sample) -> dict:
    """The record nianbao reads from a sample, through the public API."""
    import parsers

    return parsers.parse_bytes(sample.data, filename=sample.filename, base_dir=sample.folder)


# --- flip-books ----------------------------------------------------------------------

FLIPBOOK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Page {n} - {title}</title></head>
<body><div id="content-top1">Page {n} - {title}</div><div id="content-top2">P. {n}</div>
<div class="text-container"><pre style="white-space:pre-line"><code>{text}</code></pre></div>
<a href="../../index.html#p={n}"><img src="../thumb/{n}.jpg"></a>
<noscript>{listing}</noscript></body></html>"""


def flipbook_pages(record: dict, width: int = 30, per_page: int = 45, blank_pages=()) -> list[bytes]:
    """The report as FlipBuilder's ``basic-html/pageN.html`` pages: prose
    wrapped at ``width`` characters with a two-space first-line indent, table
    cells one per line (blank cells print nothing), ``per_page`` lines a page.
    Pages listed in ``blank_pages`` (1-based) have no text layer."""
    import html

    lines: list[str] = []
    for line in synthetic.render_text(record, layout="cells").split("\n"):
        cell = line.startswith("\t")
        line = line.strip()
        if not line:
            if not cell:
                lines.append("")
            continue
        if cell or len(line) <= width - 2:
            lines.append(line)
        else:
            lines.append("  " + line[: width - 2])
            lines += [line[i : i + width] for i in range(width - 2, len(line), width)]
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    listing = " ".join(f'<a href="page{k}.html">Page {k}</a>' for k in range(1, len(pages) + 1))
    title = html.escape(record["title"])
    return [
        FLIPBOOK_PAGE.format(
            n=k, title=title, listing=listing, text="" if k in blank_pages else html.escape("\n".join(page))
        ).encode("utf-8")
        for k, page in enumerate(pages, 1)
    ]


def write_flipbook(record: dict, root: Path, blank_pages=(), page_images=False) -> Path:
    """A book folder as published (``files/basic-html/pageN.html``, ``files/mobile/N.jpg``).
    With ``page_images`` the blank pages get a page image of their text."""
    pages = flipbook_pages(record, blank_pages=())
    text_pages = flipbook_pages(record, blank_pages=blank_pages)
    folder = root / "files" / "basic-html"
    folder.mkdir(parents=True, exist_ok=True)
    for k, page in enumerate(text_pages, 1):
        (folder / f"page{k}.html").write_bytes(page)
    if page_images:
        (root / "files" / "mobile").mkdir(parents=True, exist_ok=True)
        for k in blank_pages:
            text = re.search(r"<code>(.*)</code>", pages[k - 1].decode("utf-8"), re.DOTALL).group(1)
            import html

            page_image(html.unescape(text).split("\n")).save(root / "files" / "mobile" / f"{k}.jpg", quality=85)
    return root


def page_image(lines: list[str], font_size: int = 26):
    """A page of plain text lines as FlipBuilder's page JPEG shows it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, font_size)
    line_h = int(font_size * 1.8)
    image = Image.new("RGB", (font_size * 34, line_h * (len(lines) + 4)), "white")
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(lines):
        draw.text((font_size * 2, line_h * (k + 2)), line, font=font, fill="black")
    return image


# --- feature fixtures (tests/fixtures/formats/, regenerate with `python3 -m tests.corpus`) --

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
LONG_TABLE_ROWS = 70
TWO_ROW_HEADER_ROWS = 45


def feature_docx() -> bytes:
    """A Word file with what PDF readers trip on: a running header, page-number
    footer, a ruled table breaking over pages with its header row repeated, a
    merged cell, an unruled (borderless) table, and long wrapped paragraphs."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
    section = document.sections[0]
    section.header.paragraphs[0].text = "威海市文登区统计局政务公开专栏"
    footer = section.footer.paragraphs[0]
    footer.add_run("- ")
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        run = footer.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.text = text
        run._r.append(element)
    footer.add_run(" -")
    document.add_paragraph("威海市文登区统计局2023年政府信息公开工作年度报告")
    document.add_paragraph("一、总体情况")
    document.add_paragraph("　　" + "本机关坚持以人民为中心的发展思想，扎实推进政府信息公开工作，" * 6 + "全年共收到政府信息公开申请36件。")
    document.add_paragraph("二、长表格")
    table = document.add_table(rows=LONG_TABLE_ROWS + 1, cols=3)
    table.style = "Table Grid"
    for col, text in enumerate(("项目名称", "本年数量", "上年数量")):
        table.cell(0, col).text = text
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for row in range(1, LONG_TABLE_ROWS + 1):
        table.cell(row, 0).text = f"第{row}项"
        table.cell(row, 1).text = str(row * 3)
        table.cell(row, 2).text = str(row * 7 + 1256)
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    merged.text = "合并"
    document.add_paragraph("三、无线表格")
    plain = document.add_table(rows=3, cols=4)
    for row, values in enumerate((("行政许可", "12", "0", "305"), ("行政处罚", "3", "1", "44"), ("行政强制", "0", "0", "7"))):
        for col, text in enumerate(values):
            plain.cell(row, col).text = text
    document.add_paragraph("四、两行表头")
    second = document.add_table(rows=TWO_ROW_HEADER_ROWS + 2, cols=3)
    second.style = "Table Grid"
    second.cell(0, 0).merge(second.cell(1, 0)).text = "项目"
    second.cell(0, 1).merge(second.cell(0, 2)).text = "数量"
    second.cell(1, 1).text, second.cell(1, 2).text = "本年", "上年"
    for header_row in second.rows[:2]:
        mark = OxmlElement("w:tblHeader")
        mark.set(qn("w:val"), "true")
        header_row._tr.get_or_add_trPr().append(mark)
    for row in range(2, TWO_ROW_HEADER_ROWS + 2):
        second.cell(row, 0).text = f"事项{row - 1}"
        second.cell(row, 1).text = str(row - 1)
        second.cell(row, 2).text = str(2 * (row - 1))
    document.add_paragraph("五、结语")
    document.add_paragraph("以上为本年度报告全文。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def encrypted_pdf(pdf_docx: bytes) -> bytes:
    """The same document exported by LibreOffice with an open password."""
    from parsers.office import convert

    options = '{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"secret"}}'
    return convert(pdf_docx, ".docx", target=f"pdf:writer_pdf_Export:{options}")


def write_fixtures() -> None:
    from parsers.office import convert

    FIXTURES.mkdir(parents=True, exist_ok=True)
    source = feature_docx()
    (FIXTURES / "features.pdf").write_bytes(convert(source, ".docx", target="pdf"))
    (FIXTURES / "encrypted.pdf").write_bytes(encrypted_pdf(source))
    record = synthetic.random_record(7)
    (FIXTURES / "report-7.pdf").write_bytes(pdf_bytes(record))


if __name__ == "__main__":
    write_fixtures()
    print(f"wrote {sorted(p.name for p in FIXTURES.iterdir())}")

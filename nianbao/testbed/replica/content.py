"""Report bodies and files, rendered lazily and cached.

The text and tables of every report come from ``nianbao.testbed.synthetic`` (a seeded,
self-consistent canonical record), so a crawl of the replica can be checked
end to end against ``ReplicaContent.record(report)``. Binary originals:

* docx: ``synthetic.render_docx`` (the official blank template, filled);
* pdf / doc / wps: LibreOffice converts that docx once per content and the
  result is cached on disk (``NIANBAO_REPLICA_CACHE``, default
  ``~/.cache/nianbao/replica``); a .wps is the Word 97 binary under Kingsoft's
  extension, as WPS Office itself writes by default;
* scans (jpg / png) and the pages of the image-only flip-book: that PDF's pages
  rendered at 150 dpi with pypdfium2, ruled tables and all, as a scanner or
  FlipBuilder would produce them; with ``office=False`` (or no LibreOffice) the
  report's text lines drawn with Pillow in Noto Sans CJK instead;
* the other flip-books: text pages of wrapped lines, page images drawn from them.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
from functools import lru_cache
from pathlib import Path

from nianbao.testbed import synthetic

from .sites import PROFILES, Report

# Flip-book pages hold about as many lines as an A4 PDF page at the book's size.
LINES_PER_PAGE = 30
WRAP = 36  # CJK characters per printed line

# pdfium is not thread-safe and the servers answer in threads: one rendering at a time.
_PDFIUM_LOCK = threading.Lock()

_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


def cache_dir() -> Path:
    root = os.environ.get("NIANBAO_REPLICA_CACHE") or Path.home() / ".cache" / "nianbao" / "replica"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


class ReplicaContent:
    """Everything a report prints, keyed by (report key, revision)."""

    def __init__(self, office: bool = True) -> None:
        self.office = office and shutil.which("soffice") is not None
        self._lock = threading.Lock()
        self._convert_lock = threading.Lock()  # one LibreOffice at a time: 2 shared cores
        self._cache: dict[tuple, object] = {}
        self._making: dict[tuple, threading.Lock] = {}

    def _cached(self, kind: str, report: Report, make):
        """Compute once per (kind, report, revision), also when requests race for it."""
        key = (kind, report.key, report.revision)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            key_lock = self._making.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = make()
            with self._lock:
                self._cache[key] = value
                self._making.pop(key, None)
        return value

    # --- the record and its renderings ------------------------------------------------

    def record(self, report: Report) -> dict:
        """The canonical record the report prints (a revision prints other numbers)."""

        def make():
            record = synthetic.random_record(
                report.seed + 7919 * report.revision,
                year=report.year,
                organization=report.body.organization,
                region="山东省" + PROFILES[report.site].county,
                template=report.template,
                other_rows=1 if report.template == "2019" else 3,
                published=report.published.date().isoformat(),
            )
            # Pre-2021 reports carry the older title wording; the record says what is printed.
            record["title"] = report.title
            if report.year_typo:
                first = record["sections"][0]
                first["text"] = first["text"].replace(f"{report.year}年", f"{report.year - 1}年", 1)
            return record

        return self._cached("record", report, make)

    def variants(self, report: Report) -> dict:
        """Real pages break and misprint labels now and then; vary it per report."""
        return {"split_labels": report.seed % 3 == 1, "typos": report.seed % 5 == 2}

    def fragment(self, report: Report) -> str:
        """The report as the HTML an editor pastes into ``div#zoom``: paragraphs and tables."""

        return self._cached("fragment", report, lambda: synthetic.report_html(
            self.record(report), **self.variants(report)))

    def text(self, report: Report) -> str:
        return self._cached("text", report, lambda: synthetic.render_text(
            self.record(report), "tabs", **self.variants(report)))

    def docx(self, report: Report) -> bytes:
        return self._cached("docx", report, lambda: synthetic.render_docx(
            self.record(report), **self.variants(report)))

    def converted(self, report: Report, target: str) -> bytes:
        """``pdf`` or ``doc`` through LibreOffice, cached on disk by content."""
        digest = hashlib.sha256(f"{target}\n{report.key}\n{self.text(report)}".encode()).hexdigest()
        path = cache_dir() / f"{digest}.{target}"
        if path.exists():
            return path.read_bytes()
        docx = self.docx(report)
        from parsers.office import convert  # LibreOffice only when such a file is asked for

        with self._convert_lock:
            if not path.exists():
                data = convert(docx, ".docx", target)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)
        return path.read_bytes()

    def file(self, report: Report, ext: str, part: int = 0) -> bytes:
        if ext == "docx":
            return self.docx(report)
        if ext in ("pdf", "doc"):
            return self.converted(report, ext)
        if ext == "wps":
            return self.converted(report, "doc")
        if ext in ("jpg", "png"):
            return self.scan(report, part, ext)
        raise ValueError(f"no renderer for .{ext}")

    # --- pages of printed lines: scans and flip-books ----------------------------------

    def pages(self, report: Report) -> list[list[str]]:
        """The report's text as printed pages of wrapped lines."""

        def make():
            lines: list[str] = []
            for line in self.text(report).split("\n"):
                line = line.replace("\t", "  ")
                while len(line) > WRAP:
                    lines.append(line[:WRAP])
                    line = line[WRAP:]
                lines.append(line)
            return [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]

        return self._cached("pages", report, make)

    def rendered(self, report: Report) -> list:
        """The PDF's pages as grayscale images at 150 dpi."""

        def make():
            import pypdfium2

            images = []
            data = self.converted(report, "pdf")
            with _PDFIUM_LOCK:
                pdf = pypdfium2.PdfDocument(data)
                try:
                    # Close every bitmap and page before the document: pdfium frees them in that order.
                    for index in range(len(pdf)):
                        page = pdf[index]
                        bitmap = page.render(scale=150 / 72, grayscale=True)
                        images.append(bitmap.to_pil().copy())  # to_pil() shares the bitmap's buffer
                        bitmap.close()
                        page.close()
                finally:
                    pdf.close()
            return images

        return self._cached("rendered", report, make)

    def scan(self, report: Report, part: int, ext: str) -> bytes:
        """Scan ``part`` (0 or 1) of a scanned report: half of its pages stacked in one tall image."""

        def make():
            if self.office:
                images = self.rendered(report)
                half = (len(images) + 1) // 2
                return stack(images[:half] if part == 0 else images[half:], ext)
            pages = self.pages(report)
            half = (len(pages) + 1) // 2
            return draw_lines([ln for page in (pages[:half] if part == 0 else pages[half:]) for ln in page], ext)

        return self._cached(f"scan{part}{ext}", report, make)

    # --- flip-books --------------------------------------------------------------------

    def _rendered_book(self, report: Report) -> bool:
        return report.flipbook is not None and report.flipbook.image_only and self.office

    def book_page_count(self, report: Report) -> int:
        return len(self.rendered(report)) if self._rendered_book(report) else len(self.pages(report))

    def book_lines(self, report: Report, number: int) -> list[str]:
        """The text layer of page ``number``: none for the image-only book."""
        return [] if report.flipbook.image_only else self.pages(report)[number - 1]

    def book_image(self, report: Report, number: int, *, thumb: bool = False) -> bytes:
        def make():
            if self._rendered_book(report):
                image = self.rendered(report)[number - 1]
                return stack([image.resize((image.width // 5, image.height // 5))] if thumb else [image], "jpg")
            return draw_lines(self.pages(report)[number - 1], "jpg", scale=0.2 if thumb else 1.0)

        return self._cached(f"book{number}{thumb}", report, make)


def stack(images: list, ext: str) -> bytes:
    from PIL import Image

    canvas = Image.new("L", (max(i.width for i in images), sum(i.height for i in images)), 255)
    top = 0
    for image in images:
        canvas.paste(image, (0, top))
        top += image.height
    out = io.BytesIO()
    canvas.save(out, format="JPEG" if ext == "jpg" else "PNG", quality=85)
    return out.getvalue()


@lru_cache(maxsize=4)
def _font(size: int):
    from PIL import ImageFont

    for path in _FONT_PATHS:
        if Path(path).exists():
            # The collection's faces differ only in preferred glyph shapes; pick Simplified Chinese.
            for index in range(10):
                try:
                    font = ImageFont.truetype(path, size, index=index)
                except OSError:
                    break
                if "SC" in " ".join(font.getname()):
                    return font
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def draw_lines(lines: list[str], ext: str, *, scale: float = 1.0) -> bytes:
    """Black text on white at about 150 dpi A4 width: what a scanner produces, minus the noise."""
    from PIL import Image, ImageDraw

    size, step, margin = 26, 40, 70
    image = Image.new("L", (1240, max(1754, 2 * margin + step * len(lines))), 255)
    draw = ImageDraw.Draw(image)
    font = _font(size)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, fill=0, font=font)
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, format="JPEG" if ext == "jpg" else "PNG", quality=80)
    return out.getvalue()

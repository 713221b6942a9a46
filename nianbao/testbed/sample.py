"""A small archive built without a crawl, from synthetic reports and a real
seed, stored as originals and loaded through the archive's own code. The
tests, the browser tests and the Datasette benchmark use it; it covers every
page the publication has (coverage gaps, a failed check, an unplaced body, a
report without tables, a DOCX original).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLE_HOST = "http://127.0.0.2"
WENDENG_STATISTICS_USCC = "11371081004264512X"  # the body's 统一社会信用代码 (made up, well-formed)


@dataclass(frozen=True)
class SampleReport:
    """One sample report as published: where, what bytes, and what the record says."""

    url: str
    organization: str
    year: int
    filename: str
    content_type: str
    role: str


def _sample_originals() -> list[tuple[SampleReport, bytes]]:
    from .synthetic import random_record, render_docx, render_html, render_text

    def article(seed, year, organization, region, **kwargs):
        record = random_record(seed, year=year, organization=organization, region=region, **kwargs)
        return record

    samples = []
    bodies = [
        (1, 2021, "威海市文登区统计局", "山东省威海市文登区"),
        (2, 2022, "威海市文登区统计局", "山东省威海市文登区"),
        (3, 2023, "威海市文登区统计局", "山东省威海市文登区"),
        (4, 2022, "威海市环翠区统计局", "山东省威海市环翠区"),
        (5, 2023, "威海市环翠区统计局", "山东省威海市环翠区"),
        (6, 2023, "上庄镇人民政府", None),
        (7, 2023, "西宁市湟中区统计局", "青海省西宁市湟中区"),
    ]
    for seed, year, organization, region in bodies:
        record = article(seed, year, organization, region)
        url = f"{SAMPLE_HOST}/art/{year + 1}/1/{seed}/art_1229_{seed}.html"
        samples.append((SampleReport(url, organization, year, f"art_1229_{seed}.html", "text/html; charset=utf-8",
                                     "report_page"), render_html(record)))

    # A table that does not add up: 一 + 二 printed 5 more than 三(七) + 四.
    broken = article(8, 2022, "荣成市东山街道", "山东省威海市荣成市")
    for column in ("natural_person", "total"):
        broken["applications"]["new_received"][column] += 5
    samples.append((SampleReport(f"{SAMPLE_HOST}/art/2023/1/8/art_1229_8.html", "荣成市东山街道", 2022,
                                 "art_1229_8.html", "text/html; charset=utf-8", "report_page"), render_html(broken)))

    # Published as a Word attachment (the portal's page carries only a link).
    docx_record = article(9, 2023, "威海市环翠区财政局", "山东省威海市环翠区")
    samples.append((SampleReport(f"{SAMPLE_HOST}/attach/0/9e3f2a.docx", "威海市环翠区财政局", 2023,
                                 "2023年政府信息公开工作年度报告.docx",
                                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                 "attachment"), render_docx(docx_record)))

    # Prose only: the tables were never published as text.
    text_only = article(10, 2022, "威海市文登区信访局", "山东省威海市文登区")
    prose = "\n".join(f"<p>{s['no']}、{s['title']}</p><p>{s['text']}</p>" for s in text_only["sections"])
    page = (f"<html><head><meta charset='utf-8'><title>{text_only['title']}</title></head>"
            f"<body><h1>{text_only['title']}</h1>{prose}</body></html>").encode()
    samples.append((SampleReport(f"{SAMPLE_HOST}/art/2023/1/10/art_1229_10.html", "威海市文登区信访局", 2022,
                                 "art_1229_10.html", "text/html; charset=utf-8", "report_page"), page))
    return samples


def _seed_originals() -> list[tuple[SampleReport, bytes]]:
    """The real Liaocheng 2022 report (seed 002) as an imported text file, when shared/ is beside the tree."""
    seed = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "002_ad1dcde78e54ac78.txt"
    if not seed.is_file():
        return []
    from archive.db import imported_url

    return [(SampleReport(imported_url(str(seed)), "聊城市统计局", 2022, seed.name, "text/plain; charset=utf-8", "file"),
             seed.read_bytes())]


def load_sample_reports(data_dir: str | Path) -> dict[str, int]:
    """Build a small archive in ``data_dir``; returns {report url: report id}.

    Each original goes into the store through ``Archive.record_fetch``, as a
    crawl would record it; ``archive.reparse.parse_reports`` parses and loads them.
    """
    from archive import Archive
    from archive.reparse import parse_reports

    with Archive(data_dir) as archive:
        run_id = archive.start_run(sites=["sample"])
        originals = _sample_originals() + _seed_originals()
        for sample, body in originals:
            archive.record_fetch(
                url=sample.url, status=200, headers={"Content-Type": sample.content_type}, body=body,
                crawl_run=run_id, role=sample.role, report_key=sample.url, filename=sample.filename,
            )
        # One body the crawler probed year by year: a report found, a year answered empty, the rest never asked.
        archive.note_body("sample", WENDENG_STATISTICS_USCC, "威海市文登区统计局", f"{SAMPLE_HOST}/col/col1229/")
        for year, outcome in ((2021, "filed"), (2020, "not_filed")):
            archive.note_probe("sample", WENDENG_STATISTICS_USCC, year, outcome,
                               f"{SAMPLE_HOST}/module/xxgk/xxgkAnnualReport.jsp?year={year}", run_id)
        summary = parse_reports(archive, [sample.url for sample, _ in originals], only_pending=False)
        archive.finish_run(run_id, counts={"reports": len(originals), "failed": len(summary.failed)},
                           status="ok" if not summary.failed else "partial")
        if summary.failed:
            raise RuntimeError(f"sample reports failed to load: {summary.failed}")
        return archive.latest_report_ids()

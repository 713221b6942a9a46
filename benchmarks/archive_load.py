"""Load throughput of the archive: synthetic canonical records into SQLite.

    python3 -m benchmarks.archive_load [--reports 10000]

Records come from ``parsers.synthetic.random_record`` with varied bodies,
years and both templates; each is loaded as the parse step loads it
(``archive.load``: one transaction per report, regions located, sections
segmented for search): one commit per report (``load_record`` alone), then
as ``nianbao parse`` writes them (``archive.reparse.REPORTS_PER_COMMIT`` a
commit, each report in its own savepoint), then as a bulk load does
(``load_records``: 100 reports a commit, rows prepared by worker processes).
Prints reports/s (target >= 500), reports per CPU second, and the rate of
``Archive.record_fetch``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from archive import Archive
from archive.load import _place, _segment_piece, load_records, segment
from archive.reparse import REPORTS_PER_COMMIT
from parsers.synthetic import random_record

ORGANIZATIONS = [
    ("威海市文登区统计局", "山东省威海市文登区"),
    ("威海市环翠区统计局", "山东省威海市环翠区"),
    ("聊城市统计局", "山东省聊城市"),
    ("西宁市湟中区统计局", "青海省西宁市湟中区"),
    ("威海市文登区人民政府", "山东省威海市文登区"),
    ("荣成市东山街道办事处", None),
]


def records(count: int) -> list[dict]:
    out = []
    for n in range(count):
        organization, region = ORGANIZATIONS[n % len(ORGANIZATIONS)]
        out.append(
            random_record(
                n,
                year=2019 + n % 6,
                organization=f"{organization}" if n < len(ORGANIZATIONS) else f"{organization}{n}",
                region=region,
                template="2021" if n % 4 else "2019",
                other_rows=3 if n % 4 else 1,
            )
        )
    return out


def _load(data_dir: Path, batch: list[dict], workers: int, per_commit: int = 1) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process, derived rows written."""
    jobs = [(record, {"report_key": f"bench:{n}", "sources": [], "parser_version": "bench"})
            for n, record in enumerate(batch)]
    # Every run loads the same records: each starts with the loader's caches cold, as a real
    # load of new reports would, or the later runs would skip the segmentation the first paid.
    _segment_piece.cache_clear()
    _place.cache_clear()
    with Archive(data_dir) as archive:
        started, cpu_started = time.perf_counter(), time.process_time()
        load_records(archive.db, jobs, workers=workers, reports_per_commit=per_commit)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = sum(archive.db[t].count for t in ("applications", "reviews_litigation", "active_disclosure",
                                                  "sections", "checks"))
    return seconds, cpu, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--fetches", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2, help="processes preparing rows in the second run")
    args = parser.parse_args()

    batch = records(args.reports)
    segment("预热")  # the dictionary loads once per process; not part of the rate
    with tempfile.TemporaryDirectory() as tmp:
        seconds, cpu, rows = _load(Path(tmp) / "serial", batch, workers=0)
        print(f"reports loaded, 1 a commit:    {args.reports} in {seconds:.1f} s = {args.reports / seconds:.0f} "
              f"reports/s (target >= 500); {rows} derived rows")
        # The machine is shared: CPU time says what one free core would do.
        print(f"  per CPU second:              {args.reports / cpu:.0f} reports/s ({cpu:.1f} s of CPU)")
        seconds, cpu, _ = _load(Path(tmp) / "grouped", batch, workers=0, per_commit=REPORTS_PER_COMMIT)
        print(f"reports loaded, {REPORTS_PER_COMMIT} a commit:   {args.reports} in {seconds:.1f} s = "
              f"{args.reports / seconds:.0f} reports/s; {args.reports / cpu:.0f} reports per CPU second "
              f"(as nianbao parse writes)")
        if args.workers:
            seconds, cpu, _ = _load(Path(tmp) / "parallel", batch, workers=args.workers, per_commit=100)
            print(f"  100 a commit, {args.workers} processes preparing: {args.reports} in {seconds:.1f} s = "
                  f"{args.reports / seconds:.0f} reports/s; the writer alone {args.reports / cpu:.0f} "
                  f"reports per CPU second")

        with Archive(Path(tmp) / "fetches") as archive:
            started = time.perf_counter()
            for n in range(args.fetches):
                archive.record_fetch(url=f"http://127.0.0.1/{n}.html", status=200,
                                     body=f"page {n}".encode() * 200, role="report_page", report_key=f"bench:{n}")
            fetch_seconds = time.perf_counter() - started
        print(f"fetches recorded (fsync each): {args.fetches} in {fetch_seconds:.1f} s = "
              f"{args.fetches / fetch_seconds:.0f} fetches/s")
        print(f"database size:                 {(Path(tmp) / 'serial' / 'nianbao.db').stat().st_size / 1e6:.1f} MB "
              f"for {args.reports} reports")


if __name__ == "__main__":
    main()

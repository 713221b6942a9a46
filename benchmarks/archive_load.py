"""Load throughput of the archive: synthetic canonical records into SQLite.

    python3 -m benchmarks.archive_load [--reports 10000]

Records come from ``parsers.synthetic.random_record`` with varied bodies,
years and both templates. Each run starts from an empty archive holding one
original per report (a ``documents`` row, written before the clock starts)
and loads every report as ``nianbao parse`` does once its files are parsed:
the winning candidate's rows prepared (regions located, sections segmented
for search, ``archive.reparse.choose``), then written through
``archive.reparse.write_readings`` (each report in its own savepoint,
``REPORTS_PER_COMMIT`` reports a commit, the batch's sections indexed once).

Two ways, each with the loader's caches cold as for new reports: one commit
per report (``load_record``), and as ``nianbao parse`` in one process (the
writer prepares the rows too). With ``--workers`` the rows are prepared in the
parse workers instead and the writer only writes; on this 2-core machine the
workers would share the writer's cores, so that figure says nothing of the
writer and is not taken. Prints reports/s (target >= 500), reports per CPU
second, and the rate of ``Archive.record_fetch``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from archive import Archive
from archive.db import utc_now
from archive.load import Source, _place, _segment_piece, load_record, segment
from archive.reparse import (
    REPORTS_PER_COMMIT, Candidate, Original, ParseSummary, Reading, choose, write_readings,
)
from parsers.synthetic import random_record

ORGANIZATIONS = [
    ("威海市文登区统计局", "山东省威海市文登区"),
    ("威海市环翠区统计局", "山东省威海市环翠区"),
    ("聊城市统计局", "山东省聊城市"),
    ("西宁市湟中区统计局", "青海省西宁市湟中区"),
    ("威海市文登区人民政府", "山东省威海市文登区"),
    ("荣成市东山街道办事处", None),
]


def record(n: int) -> dict:
    organization, region = ORGANIZATIONS[n % len(ORGANIZATIONS)]
    return random_record(
        n,
        year=2019 + n % 6,
        organization=f"{organization}" if n < len(ORGANIZATIONS) else f"{organization}{n}",
        region=region,
        template="2021" if n % 4 else "2019",
        other_rows=3 if n % 4 else 1,
    )


def _original(n: int) -> Original:
    return Original(f"{n:064x}", f"http://127.0.0.2/art/2024/{n}.html", "report_page", None, f"{n}.html", "text/html")


def _reading(n: int, parsed: dict) -> tuple[str, Reading]:
    """What parsing hands the writer for report ``n``: the failed candidates (none) and the best one's rows."""
    original = _original(n)
    return f"bench:{n}", choose(f"bench:{n}", [original], [Candidate("report_page", [original], record=parsed)])


def _archive_with_originals(data_dir: Path, count: int) -> Archive:
    archive = Archive(data_dir)
    now = utc_now()
    with archive.db.conn:
        archive.db.conn.executemany(
            "INSERT INTO documents (sha256, format, size, first_seen, last_seen, filename) VALUES (?, ?, ?, ?, ?, ?)",
            [(_original(n).sha256, "html", 40_000, now, now, f"{n}.html") for n in range(count)],
        )
    return archive


def _timed(data_dir: Path, batch: list[dict], load) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process, derived rows written."""
    # Every run loads the same records: each starts with the loader's caches cold, as a real
    # load of new reports would, or the later runs would skip the segmentation the first paid.
    _segment_piece.cache_clear()
    _place.cache_clear()
    with _archive_with_originals(data_dir, len(batch)) as archive:
        started, cpu_started = time.perf_counter(), time.process_time()
        load(archive)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = sum(archive.db[t].count for t in ("applications", "reviews_litigation", "active_disclosure",
                                                  "sections", "checks"))
        if archive.db["reports"].count != len(batch):
            raise SystemExit(f"only {archive.db['reports'].count} of {len(batch)} reports loaded")
    return seconds, cpu, rows


def one_commit_each(batch: list[dict]):
    def load(archive: Archive) -> None:
        for n, parsed in enumerate(batch):
            load_record(archive.db, parsed, report_key=f"bench:{n}", parser_version="bench",
                        sources=[Source(_original(n).sha256, "report_page")], source_url=_original(n).url)
    return load


def as_parse_writes(batch: list[dict]):
    def load(archive: Archive) -> None:
        summary = ParseSummary()
        write_readings(archive, (_reading(n, parsed) for n, parsed in enumerate(batch)), summary)
        if summary.failed:
            raise SystemExit(f"reports refused: {summary.failed}")
    return load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--fetches", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="loads as nianbao parse does, each into a new archive (the machine's speed varies)")
    args = parser.parse_args()

    batch = [record(n) for n in range(args.reports)]
    segment("预热")  # the dictionary loads once per process; not part of the rate
    with tempfile.TemporaryDirectory() as tmp:
        seconds, cpu, rows = _timed(Path(tmp) / "serial", batch, one_commit_each(batch))
        print(f"one commit per report:          {args.reports} in {seconds:.1f} s = {args.reports / seconds:.0f} "
              f"reports/s; {args.reports / cpu:.0f} per CPU second; {rows} derived rows")
        rates, cpu_rates = [], []
        for round_no in range(args.rounds):
            shutil.rmtree(Path(tmp) / "parse", ignore_errors=True)
            seconds, cpu, _ = _timed(Path(tmp) / "parse", batch, as_parse_writes(batch))
            rates.append(args.reports / seconds)
            cpu_rates.append(args.reports / cpu)
            print(f"nianbao parse, one process:     {args.reports} in {seconds:.1f} s = {rates[-1]:.0f} reports/s; "
                  f"{cpu_rates[-1]:.0f} per CPU second (round {round_no + 1}: {REPORTS_PER_COMMIT} reports a "
                  f"commit, rows prepared by the writer)")
        print(f"  median of {args.rounds}:                {statistics.median(rates):.0f} reports/s (target >= 500), "
              f"range {min(rates):.0f}-{max(rates):.0f}; {statistics.median(cpu_rates):.0f} per CPU second")

        with Archive(Path(tmp) / "fetches") as archive:
            started = time.perf_counter()
            for n in range(args.fetches):
                archive.record_fetch(url=f"http://127.0.0.1/{n}.html", status=200,
                                     body=f"page {n}".encode() * 200, role="report_page", report_key=f"bench:{n}")
            fetch_seconds = time.perf_counter() - started
        print(f"fetches recorded (fsync each):  {args.fetches} in {fetch_seconds:.1f} s = "
              f"{args.fetches / fetch_seconds:.0f} fetches/s")
        print(f"database size:                  {(Path(tmp) / 'parse' / 'nianbao.db').stat().st_size / 1e6:.1f} MB "
              f"for {args.reports} reports")


if __name__ == "__main__":
    main()

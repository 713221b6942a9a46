"""Load throughput of the archive: synthetic canonical records into SQLite.

    python3 -m benchmarks.archive_load [--reports 10000] [--rounds 3]

Records come from ``nianbao.testbed.synthetic.random_record`` with varied bodies,
years and both templates. Each load starts from an empty archive holding one
original per report (a ``documents`` row, written before the clock starts)
and goes as ``nianbao parse`` goes once a report's files are parsed: the
winning candidate's rows are prepared (regions located, sections segmented
for search: ``archive.reparse.choose``), then written by
``archive.reparse.write_readings`` (each report in its own savepoint,
``REPORTS_PER_COMMIT`` reports a commit, the batch's sections indexed once).

- ``nianbao parse --workers N``: the workers parse and prepare, the one
  writing process unpickles each reading and writes it. Readings are made and
  pickled before the clock starts, as the workers would have made them: the
  rate is the writer's, the rate at which reports go into SQLite (target >= 500).
- ``nianbao parse`` in one process: the writer also prepares the rows.
- One commit per report (``load_record``).

Rows are prepared with the loader's caches cold, as for new reports. The
machine is shared and its speed drifts by a fifth from minute to minute, so
the parse loads run ``--rounds`` times, alternating, and the median is printed.
Also prints reports per CPU second and the rate of ``Archive.record_fetch``.
"""

from __future__ import annotations

import argparse
import pickle
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
from nianbao.testbed.synthetic import random_record

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


def _cold_caches() -> None:
    """Every load prepares the same records: each starts with the loader's caches cold, as a
    real load of new reports would, or the later loads would skip the segmentation the first paid."""
    _segment_piece.cache_clear()
    _place.cache_clear()


def _timed(data_dir: Path, batch: list[dict], load) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process, derived rows written."""
    _cold_caches()
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
    """``nianbao parse`` in one process: rows prepared, then written, report after report."""
    def load(archive: Archive) -> None:
        _write(archive, (_reading(n, parsed) for n, parsed in enumerate(batch)))
    return load


def as_parse_workers_hand_over(pickled: list[bytes]):
    """``nianbao parse --workers N``: readings arrive pickled from the workers; this process writes."""
    def load(archive: Archive) -> None:
        _write(archive, map(pickle.loads, pickled))
    return load


def _write(archive: Archive, readings) -> None:
    summary = ParseSummary()
    write_readings(archive, readings, summary)
    if summary.failed:
        raise SystemExit(f"reports refused: {summary.failed}")


def _prepared_by_workers(batch: list[dict]) -> list[bytes]:
    _cold_caches()
    return [pickle.dumps(_reading(n, parsed)) for n, parsed in enumerate(batch)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--fetches", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3, help="loads of each parse way, alternating")
    args = parser.parse_args()

    batch = [record(n) for n in range(args.reports)]
    segment("预热")  # the dictionary loads once per process; not part of the rate
    pickled = _prepared_by_workers(batch)
    ways = {
        "nianbao parse --workers N": (as_parse_workers_hand_over(pickled), "the writer"),
        "nianbao parse, one process": (as_parse_writes(batch), "rows prepared by the writer"),
    }
    rates: dict[str, list[float]] = {way: [] for way in ways}
    cpu_rates: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(1, args.rounds + 1):
            for way, (load, _) in ways.items():
                shutil.rmtree(Path(tmp) / "parse", ignore_errors=True)
                seconds, cpu, rows = _timed(Path(tmp) / "parse", batch, load)
                rates[way].append(args.reports / seconds)
                cpu_rates[way].append(args.reports / cpu)
                print(f"  round {round_no}, {way}: {args.reports} in {seconds:.1f} s = {rates[way][-1]:.0f} reports/s")
        for way, (_, note) in ways.items():
            print(f"{way + ':':28s}{statistics.median(rates[way]):4.0f} reports/s, median of {args.rounds} "
                  f"(range {min(rates[way]):.0f}-{max(rates[way]):.0f}); "
                  f"{statistics.median(cpu_rates[way]):.0f} per CPU second ({note})")
        print(f"{'':28s}target >= 500 reports/s; {rows} derived rows, "
              f"{(Path(tmp) / 'parse' / 'nianbao.db').stat().st_size / 1e6:.1f} MB for {args.reports} reports")

        seconds, cpu, _ = _timed(Path(tmp) / "serial", batch, one_commit_each(batch))
        print(f"{'one commit per report:':28s}{args.reports / seconds:4.0f} reports/s; "
              f"{args.reports / cpu:.0f} per CPU second")

        with Archive(Path(tmp) / "fetches") as archive:
            started = time.perf_counter()
            for n in range(args.fetches):
                archive.record_fetch(url=f"http://127.0.0.1/{n}.html", status=200,
                                     body=f"page {n}".encode() * 200, role="report_page", report_key=f"bench:{n}")
            fetch_seconds = time.perf_counter() - started
        print(f"{'fetches recorded (fsync each):':28s}{args.fetches / fetch_seconds:4.0f} fetches/s")


if __name__ == "__main__":
    main()

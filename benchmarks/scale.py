"""A synthetic archive of 1,000,000 reports: load rate, bytes per report, Datasette page times.

    python3 -m benchmarks.scale [--reports 1000000] [--dir DIR] [--requests 5] [--no-pages] [--writer 2000]
                                [--no-download]

Builds (or reuses) the archive exactly as ``benchmarks.datasette`` builds its
100,000 reports (``benchmarks.datasette.build``: the real schema, bulk inserts
of synthetic records over the gazetteer's bodies, cached under
``~/.cache/nianbao/bench/`` by size, schema and build version), so both measure
the same thing at two sizes. Prints:

- the load rate of that bulk build (reports/s), and of ``nianbao parse``'s
  writer adding ``--writer`` more reports to the big archive (in a transaction
  rolled back at the end, so the cache stays as built);
- the archive database's bytes per report, and those of the two download files
  (``archive.download``, as ``nianbao serve`` offers them: a tables database with
  the long forms on integer codes, and a full-text database), each with ``dbstat``'s
  pages per table and index;
- the median and 90th-percentile time of every page ``benchmarks.datasette``
  measures (its ``PAGES``: whatever pages the publication has), through
  Datasette's in-process client, against the 300 ms target.

Check ``df -h`` first: at 1,000,000 reports the database is about 15 GB, the download
about 10 GB more, and the build takes about half an hour on this machine (measured
figures: top README).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import time
from pathlib import Path

from benchmarks import datasette as bench

TARGET_MS = 300
TARGET_BYTES_PER_REPORT = 10_000


def bytes_by_object(db_path: Path) -> dict[str, int]:
    """Bytes of the pages of every table and index (SQLite's dbstat), largest first."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    finally:
        conn.close()
    return dict(rows)


def report_size(label: str, db_path: Path, reports: int, top: int = 14) -> int:
    """Print the file's bytes per report and where they go (dbstat); returns its size."""
    size = db_path.stat().st_size
    print(f"{label} {db_path.name}: {size / 2**30:,.2f} GiB, {size / reports:,.0f} bytes per report", flush=True)
    started = time.perf_counter()
    objects = bytes_by_object(db_path)
    print(f"  where the bytes go (dbstat, {time.perf_counter() - started:.0f} s), bytes per report:")
    for name, pages in list(objects.items())[:top]:
        print(f"    {name:42} {pages / reports:10,.0f}")
    return size


def report_download(db_path: Path, workdir: Path, reports: int) -> None:
    """Write the download as ``nianbao serve`` offers it (``archive.download``) and measure both files."""
    from archive.download import write_download

    started = time.perf_counter()
    tables, text = write_download(db_path, workdir / "download")
    print(f"download written in {time.perf_counter() - started:,.0f} s (archive.download.write_download)")
    tables_size = report_size("download, tables database", tables, reports)
    text_size = report_size("download, full-text database", text, reports, top=8)
    met = "met" if tables_size / reports <= TARGET_BYTES_PER_REPORT else "NOT met"
    print(f"download: tables {tables_size / reports:,.0f} + text {text_size / reports:,.0f} = "
          f"{(tables_size + text_size) / reports:,.0f} B/report; the tables database against the "
          f"{TARGET_BYTES_PER_REPORT:,} B/report target: {met}")


def writer_rate(workdir: Path, count: int) -> tuple[float, float]:
    """Reports/s of ``nianbao parse``'s writer (readings as the workers hand them over, pickled)
    into the big archive, in batches of ``REPORTS_PER_COMMIT`` savepoints inside one outer
    transaction rolled back at the end, so the cached archive is left as built. The commits'
    fsyncs are therefore not counted: the figure is the writing itself at this size. Also
    returns the seconds of ``Archive.refresh_statistics`` after that load (report_totals, the
    counts the publication reads, the planner's statistics), which every load adds once."""
    import pickle

    from archive import Archive
    from archive.db import utc_now
    from archive.load import segment
    from archive.reparse import Candidate, ParseSummary, choose, write_readings
    from benchmarks.archive_load import _original, record

    segment("预热")  # jieba's dictionary loads once per process
    first = 10**9  # past every id and key of the build
    readings = []
    for n in range(first, first + count):
        original = _original(n)
        readings.append(pickle.dumps((f"scale-writer:{n}", choose(
            f"scale-writer:{n}", [original], [Candidate("report_page", [original], record=record(n))]))))
    with Archive(workdir) as archive:
        conn = archive.db.conn
        conn.execute("BEGIN")
        try:
            now = utc_now()
            conn.executemany("INSERT INTO documents (sha256, format, size, first_seen, last_seen, filename) "
                             "VALUES (?, 'html', 40000, ?, ?, ?)",
                             [(_original(n).sha256, now, now, f"{n}.html") for n in range(first, first + count)])
            summary = ParseSummary()
            started = time.perf_counter()
            write_readings(archive, map(pickle.loads, readings), summary)
            seconds = time.perf_counter() - started
            # What every load then adds once: report_totals, the kept counts, statistics.
            started = time.perf_counter()
            archive.refresh_statistics()
            refresh = time.perf_counter() - started
        finally:
            conn.execute("ROLLBACK")
    if summary.failed or len(summary.loaded) != count:
        raise SystemExit(f"the writer refused reports: {list(summary.failed.items())[:3]}")
    return count / seconds, refresh


def report_pages(db_path: Path, workdir: Path, requests: int) -> None:
    from nianbao.serve import build_datasette

    started = time.perf_counter()
    ds = build_datasette(db_path, workdir / "originals")
    print(f"Datasette ready in {time.perf_counter() - started:.1f} s (checkpoint + inspect, cached after the first)")
    organization = asyncio.run(ds.get_database("nianbao").execute(
        "select organization from reports where id = 1")).first()[0]
    print(f"{'page':58} {'median ms':>10} {'p90 ms':>8}  status")
    over = []
    for name, path in bench.PAGES.items():
        median, p90, status = asyncio.run(bench.measure(ds, path.format(organization=organization), requests))
        flag = "" if median <= TARGET_MS else f"  (over the {TARGET_MS} ms target)"
        if median > TARGET_MS or status != 200:
            over.append(name)
        print(f"{name:58} {median:10.1f} {p90:8.1f}  {status}{flag}", flush=True)
    print(f"{len(bench.PAGES) - len(over)} of {len(bench.PAGES)} pages within {TARGET_MS} ms"
          + (f"; over: {', '.join(over)}" if over else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path,
                        help="keep the archive here and reuse it when it exists (default: a cache keyed by --reports)")
    parser.add_argument("--requests", type=int, default=5, help="requests per page (after one to warm up)")
    parser.add_argument("--no-pages", action="store_true", help="build and measure sizes only")
    parser.add_argument("--writer", type=int, default=2000, metavar="N",
                        help="also time the production writer adding N reports (rolled back); 0: skip")
    parser.add_argument("--no-download", action="store_true",
                        help="do not write and measure the two download files (minutes at a million reports)")
    args = parser.parse_args()

    workdir = args.dir or bench.cache_dir(args.reports)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "nianbao.db"
    if db_path.exists():
        print(f"reusing {db_path}")
    else:
        free = shutil.disk_usage(workdir).free
        print(f"building {args.reports:,} reports in {workdir} ({free / 2**30:,.0f} GiB free)", flush=True)
        seconds = bench.build(db_path, args.reports)
        print(f"load rate (bulk build): {args.reports:,} reports in {seconds:,.1f} s, "
              f"{args.reports / seconds:,.0f} reports/s", flush=True)
    report_size("archive (the working store)", db_path, args.reports)
    if not args.no_download:
        report_download(db_path, workdir, args.reports)
    if not args.no_pages:
        report_pages(db_path, workdir, args.requests)
    if args.writer:
        rate, refresh = writer_rate(workdir, args.writer)
        print(f"load rate (nianbao parse's writer, {args.writer:,} more reports into this archive, "
              f"commits' fsyncs not counted): {rate:,.0f} reports/s; then Archive.refresh_statistics "
              f"(report_totals, kept counts, statistics), once per load: {refresh:,.1f} s")


if __name__ == "__main__":
    main()

"""A synthetic archive of 1,000,000 reports: load rate, bytes per report, Datasette page times.

    python3 -m benchmarks.scale [--reports 1000000] [--dir DIR] [--requests 5] [--no-pages] [--writer 2000] [--split]

Builds (or reuses) the archive exactly as ``benchmarks.datasette`` builds its
100,000 reports (``benchmarks.datasette.build``: the real schema, bulk inserts
of synthetic records over the gazetteer's bodies, cached under
``~/.cache/nianbao/bench/`` by size, schema and build version), so both measure
the same thing at two sizes. Prints:

- the load rate of that bulk build (reports/s), and of ``nianbao parse``'s
  writer adding ``--writer`` more reports to the big archive (in a transaction
  rolled back at the end, so the cache stays as built);
- the database file's bytes per report, and the download's (``nianbao serve``
  offers the database file itself);
- where the bytes go: ``dbstat`` pages per table and index, and the two halves
  a split download would have: a tables database (everything but the sections'
  text) and a full-text database (``sections`` and its search indexes);
- the median and 90th-percentile time of every page ``benchmarks.datasette``
  measures (its ``PAGES``: whatever pages the publication has), through
  Datasette's in-process client, against the 300 ms target.

Check ``df -h`` first: at 1,000,000 reports the database is about 15 GB and its
build takes about 10 minutes on this machine (measured figures: top README).
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
# What a split download would move to its full-text database: the sections and their indexes.
TEXT_OBJECTS = ("sections", "idx_sections_report_id")
TEXT_PREFIXES = ("sections_fts", "sections_trigram")


def bytes_by_object(db_path: Path) -> dict[str, int]:
    """Bytes of the pages of every table and index (SQLite's dbstat), largest first."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    finally:
        conn.close()
    return dict(rows)


def is_text(name: str) -> bool:
    return name in TEXT_OBJECTS or name.startswith(TEXT_PREFIXES)


def report_sizes(db_path: Path, reports: int) -> None:
    size = db_path.stat().st_size
    print(f"database file {size / 2**30:,.2f} GiB: {size / reports:,.0f} bytes per report; "
          f"the download is that file ({size / reports:,.0f} B/report, target <= {TARGET_BYTES_PER_REPORT:,})")
    started = time.perf_counter()
    objects = bytes_by_object(db_path)
    print(f"where the bytes go (dbstat, {time.perf_counter() - started:.0f} s), bytes per report:")
    for name, pages in list(objects.items())[:14]:
        print(f"  {name:42} {pages / reports:10,.0f}  {'(full text)' if is_text(name) else ''}")
    text = sum(v for k, v in objects.items() if is_text(k))
    tables = sum(objects.values()) - text
    print(f"split download: tables database {tables / reports:,.0f} B/report "
          f"({tables / 2**30:,.2f} GiB), full-text database {text / reports:,.0f} B/report ({text / 2**30:,.2f} GiB)")


# The long forms a split's tables database keeps with small-integer codes (a view gives the names back).
LONG_FORMS = {"applications": "row_code", "reviews_litigation": "group_code"}


def write_split_tables(db_path: Path, out: Path) -> int:
    """Write the tables half of a split download and return its size in bytes.

    Everything but the sections' text and search indexes, with the long forms
    (``applications``: 175 rows a report, each repeating two code strings) stored
    as ``(report_id, row_no, column_no, value)`` over one ``cell_codes`` table and
    read back by name through a view of the table's own name. A prototype to
    measure the split, not the publication itself."""
    out.unlink(missing_ok=True)
    conn = sqlite3.connect(out)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("ATTACH ? AS src", [f"file:{db_path}?mode=ro"])
    schema = conn.execute("SELECT type, name, tbl_name, sql FROM src.sqlite_master WHERE sql IS NOT NULL").fetchall()
    virtual = {name for kind, name, _, sql in schema if sql.upper().startswith("CREATE VIRTUAL")}
    kept = [name for kind, name, _, sql in schema
            if kind == "table" and name not in virtual and not is_text(name) and name not in LONG_FORMS
            and not any(name.startswith(v + "_") for v in virtual) and not name.startswith("sqlite_")]
    with conn:
        for kind, name, table, sql in schema:
            if kind == "table" and name in kept:
                conn.execute(sql)
                conn.execute(f"INSERT INTO main.[{name}] SELECT * FROM src.[{name}]")
        for kind, name, table, sql in schema:
            if kind == "index" and table in kept:
                conn.execute(sql)
        codes = sorted({code for table, column in LONG_FORMS.items() for code, in conn.execute(
            f"SELECT DISTINCT [{column}] FROM src.[{table}] UNION SELECT DISTINCT column_code FROM src.[{table}]")})
        conn.execute("CREATE TABLE cell_codes (no INTEGER PRIMARY KEY, code TEXT UNIQUE)")
        conn.executemany("INSERT INTO cell_codes (no, code) VALUES (?, ?)", enumerate(codes, 1))
        for table, column in LONG_FORMS.items():
            conn.execute(f"CREATE TABLE [{table}_cells] (report_id INTEGER, row_no INTEGER, column_no INTEGER, "
                         "value, PRIMARY KEY (report_id, row_no, column_no)) WITHOUT ROWID")
            conn.execute(f"INSERT INTO [{table}_cells] SELECT t.report_id, r.no, c.no, t.value FROM src.[{table}] t "
                         f"JOIN cell_codes r ON r.code = t.[{column}] JOIN cell_codes c ON c.code = t.column_code "
                         "ORDER BY 1, 2, 3")
            conn.execute(f"CREATE VIEW [{table}] AS SELECT t.report_id, r.code AS [{column}], c.code AS column_code, "
                         f"t.value FROM [{table}_cells] t JOIN cell_codes r ON r.no = t.row_no "
                         "JOIN cell_codes c ON c.no = t.column_no")
    conn.execute("DETACH src")
    conn.execute("VACUUM")
    conn.close()
    return out.stat().st_size


def writer_rate(workdir: Path, count: int) -> float:
    """Reports/s of ``nianbao parse``'s writer (readings as the workers hand them over, pickled)
    into the big archive, in batches of ``REPORTS_PER_COMMIT`` savepoints inside one outer
    transaction rolled back at the end, so the cached archive is left as built. The commits'
    fsyncs are therefore not counted: the figure is the writing itself at this size."""
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
        finally:
            conn.execute("ROLLBACK")
    if summary.failed or len(summary.loaded) != count:
        raise SystemExit(f"the writer refused reports: {list(summary.failed.items())[:3]}")
    return count / seconds


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
    parser.add_argument("--split", action="store_true",
                        help="also write the tables half of a split download (long forms with integer codes)")
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
    report_sizes(db_path, args.reports)
    if args.split:
        started = time.perf_counter()
        size = write_split_tables(db_path, workdir / "split-tables.db")
        print(f"split prototype, tables database written: {size / args.reports:,.0f} B/report "
              f"({size / 2**30:,.2f} GiB, {time.perf_counter() - started:.0f} s; long forms with integer codes)")
    if not args.no_pages:
        report_pages(db_path, workdir, args.requests)
    if args.writer:
        rate = writer_rate(workdir, args.writer)
        print(f"load rate (nianbao parse's writer, {args.writer:,} more reports into this archive, "
              f"commits' fsyncs not counted): {rate:,.0f} reports/s")


if __name__ == "__main__":
    main()

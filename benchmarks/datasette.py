"""Datasette response times on a synthetic archive of 100,000 reports.

    python3 -m benchmarks.datasette [--reports 100000] [--dir DIR] [--requests 15]

Builds (or reuses: cached under ``~/.cache/nianbao/bench/``, keyed by the
number of reports, the schema version and the build's own version) an archive with the real schema
(``archive.db.migrate``) filled by bulk inserts: a few dozen distinct
synthetic records (``nianbao.testbed.synthetic.random_record``, turned into rows by
``archive.load.derived_rows``) repeated over bodies named after every county
of cpca's gazetteer and placed by ``parsers.regions.locate``, years
2019-2023. Then serves it as ``nianbao serve`` does (immutable, inspect data)
and prints the median and 90th-percentile time of each page through
Datasette's in-process ASGI client (no network; target: median <= 300 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

DISTINCT_RECORDS = 40
# Bump when build() changes what it writes: a cached database of another build is not reused.
BUILD_VERSION = 4
CACHE = Path.home() / ".cache" / "nianbao" / "bench"
YEARS = (2019, 2020, 2021, 2022, 2023)
BODY_SUFFIXES = ("人民政府", "统计局", "财政局", "信访局", "商务局")


def _organizations(count: int) -> list[tuple[str, dict]]:
    """Distinct body names: every county of the gazetteer with a few department suffixes."""
    import cpca

    from parsers.regions import locate

    counties = [p for p in cpca.ad_2_addr_dict.values() if p.rank == 2 and p.name not in ("市辖区", "县")]
    names = []
    for suffix in BODY_SUFFIXES:
        for place in counties:
            city = cpca.adcode_name(place.adcode[:4]) or ""
            names.append(f"{city if city not in ('市辖区', '县') else ''}{place.name}{suffix}")
            if len(names) == count:
                return [(name, locate(name, None)) for name in names]
    return [(name, locate(name, None)) for name in names]


def cache_dir(reports: int) -> Path:
    """Where the database for these parameters is kept between runs."""
    from archive.db import MIGRATIONS

    return CACHE / f"datasette-{reports}-schema{MIGRATIONS[-1][0]}-build{BUILD_VERSION}"


def build(db_path: Path, reports: int) -> float:
    """Fill a fresh archive database with ``reports`` reports; returns seconds taken.

    Written under a temporary name and renamed when complete, so an interrupted
    build is never taken for a cached one."""
    partial = db_path.with_name(db_path.name + ".partial")
    partial.unlink(missing_ok=True)
    seconds = _fill(partial, reports)
    partial.rename(db_path)
    return seconds


def _fill(db_path: Path, reports: int) -> float:
    from archive.db import connect, migrate, refresh_counts, refresh_report_totals
    from archive.load import DERIVED_COLUMNS, derived_rows
    from nianbao.testbed.synthetic import random_record

    started = time.perf_counter()
    db = connect(db_path)
    migrate(db)
    # One bulk transaction: a rollback journal of an empty database stays tiny, where the
    # WAL would grow as large as the database and then be copied into it.
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA synchronous = OFF")
    templates = [derived_rows(random_record(seed, year=2023)) for seed in range(DISTINCT_RECORDS)]
    bodies = _organizations(max(1, reports // len(YEARS)))
    conn = db.conn
    # The FTS triggers would index row by row; one rebuild at the end is much faster.
    for trigger in [r[0] for r in conn.execute("select name from sqlite_master where type='trigger'")]:
        conn.execute(f"DROP TRIGGER [{trigger}]")
    columns = {t: ["report_id", *DERIVED_COLUMNS[t]] for t, rows in templates[0].items() if rows}
    with conn:
        report_rows, derived = [], {t: [] for t in columns}
        for report_id in range(1, reports + 1):
            organization, place = bodies[(report_id - 1) // len(YEARS) % len(bodies)]
            year = YEARS[(report_id - 1) % len(YEARS)]
            template = templates[report_id % DISTINCT_RECORDS]
            report_rows.append((report_id, f"bench:{report_id}", 1, 1, f"http://127.0.0.2/art/{year}/{report_id}.html",
                                f"{organization}{year}年政府信息公开工作年度报告", organization, place["province"],
                                place["city"], place["county"], place["region_code"], place["body_type"],
                                place["region_note"], year, "2021", "read", "bench", "[]", "bench"))
            for table, rows in template.items():
                derived[table].extend((report_id, *row) for row in rows)
            if report_id % 5000 == 0 or report_id == reports:
                conn.executemany(
                    "INSERT INTO reports (id, report_key, version, is_latest, source_url, title, organization, "
                    "province, city, county, region_code, body_type, region_note, year, template, tables_status, "
                    "parser_version, warnings, sources_digest) VALUES (" + ", ".join("?" * 19) + ")", report_rows)
                for table, rows in derived.items():
                    names = ", ".join(f"[{c}]" for c in columns[table])
                    conn.executemany(f"INSERT INTO [{table}] ({names}) VALUES ({', '.join('?' * len(columns[table]))})",
                                     rows)
                report_rows, derived = [], {t: [] for t in columns}
    db["sections"].rebuild_fts()
    conn.execute("INSERT INTO sections_trigram (sections_trigram) VALUES ('rebuild')")
    with conn:  # as Archive.refresh_statistics does after a load
        refresh_report_totals(db)
        refresh_counts(db)
    conn.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


PAGES = {
    "home page": "/",
    "reports table, 7 default facets": "/nianbao/reports",
    "reports table, 7 default facets, one year": "/nianbao/reports?year=2022",
    "checks table, facets code and ok": "/nianbao/checks",
    "canned query: one body across years": "/nianbao/body_across_years?organization={organization}",
    "canned query: refusals by reason, one province and year": "/nianbao/refusals_by_reason?province=山东省&year=2022",
    "canned query: refusals by reason, all": "/nianbao/refusals_by_reason?province=&year=",
    "full-text search 复议": "/nianbao/sections?_search=复议",
    "full-text search, phrase 依申请公开": "/nianbao/sections?_search=依申请公开",
    "search page per report, 复议 (every report)": "/-/search?q=复议",
    "search page per report, two phrases": "/-/search?q=保密审查 依申请公开",
    "search page per report, one province and year": "/-/search?q=复议&province=山东省&year=2022",
    "comparison view report_totals, 5 facets": "/nianbao/report_totals",
    "comparison view, one province and year": "/nianbao/report_totals?省_province=山东省&年度_year=2022",
    "comparison view sorted by 不予公开合计": "/nianbao/report_totals?_sort_desc=不予公开合计_denied",
    "canned query: refusals by body": "/nianbao/refusals_by_body?province=&body_type=&year=2022",
    "canned query: reviews corrected by region": "/nianbao/reviews_corrected_by_region?province=&year=",
    "report page": "/nianbao/reports/1",
    "about page": "/-/about",
}
# Costly queries a visitor may send while others browse (the site must not stall).
SLOW_QUERY = ("/nianbao.json?sql=with+recursive+n(i)+as+(select+1+union+all+select+i%2B1+from+n)"
              "+select+count(*)+from+n")
SLOW_QUERIES_AT_ONCE = 3


async def while_slow_queries(ds, path: str, requests: int) -> tuple[float, float, float]:
    """Median and p90 ms of ``path`` while SLOW_QUERIES_AT_ONCE queries run until the time limit stops
    them, and how long those took (each thread they hold is one fewer for the other pages)."""
    started = time.perf_counter()
    slow = [asyncio.ensure_future(ds.client.get(SLOW_QUERY)) for _ in range(SLOW_QUERIES_AT_ONCE)]
    await asyncio.sleep(0.2)  # let them start
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        await ds.client.get(path)
        times.append((time.perf_counter() - t) * 1000)
    await asyncio.gather(*slow)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], time.perf_counter() - started


async def measure(ds, path: str, requests: int) -> tuple[float, float, int]:
    await ds.client.get(path)  # warm: caches, prepared statements
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await ds.client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--dir", type=Path,
                        help="keep the archive here and reuse it when it exists (default: a cache keyed by --reports)")
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()

    from nianbao.serve import build_datasette

    workdir = args.dir or cache_dir(args.reports)
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "nianbao.db"
    if db_path.exists():
        print(f"reusing {db_path}")
    else:
        seconds = build(db_path, args.reports)
        print(f"built {args.reports:,} reports in {seconds:.1f} s ({args.reports / seconds:,.0f} reports/s), "
              f"{db_path.stat().st_size / 2**20:,.0f} MiB")
    started = time.perf_counter()
    ds = build_datasette(db_path, workdir / "originals")
    print(f"Datasette ready in {time.perf_counter() - started:.1f} s (checkpoint + inspect, cached after the first)")
    organization = asyncio.run(ds.get_database("nianbao").execute(
        "select organization from reports where id = 1")).first()[0]
    print(f"{'page':58} {'median ms':>10} {'p90 ms':>8}  status")
    for name, path in PAGES.items():
        median, p90, status = asyncio.run(measure(ds, path.format(organization=organization), args.requests))
        flag = "" if median <= 300 else "  (over the 300 ms target)"
        print(f"{name:58} {median:10.1f} {p90:8.1f}  {status}{flag}")
    median, p90, slow_seconds = asyncio.run(while_slow_queries(ds, "/", args.requests))
    print(f"{'home page while ' + str(SLOW_QUERIES_AT_ONCE) + ' slow queries run':58} {median:10.1f} {p90:8.1f}"
          f"  (the slow ones ended after {slow_seconds:.1f} s: the time limit)")


if __name__ == "__main__":
    main()

"""Load throughput of the archive: synthetic canonical records into SQLite.

    python3 -m benchmarks.archive_load [--reports 10000]

Records come from ``parsers.synthetic.random_record`` with varied bodies,
years and both templates; each is loaded as the parse step loads it
(``archive.load.load_record``: one transaction per report, regions located,
sections segmented for search). Prints reports/s (target >= 500) and, for
scale, the fetch-recording rate of ``Archive.record_fetch``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from archive import Archive
from archive.load import load_record, segment
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--fetches", type=int, default=2_000)
    args = parser.parse_args()

    batch = records(args.reports)
    segment("预热")  # the dictionary loads once per process; not part of the rate
    with tempfile.TemporaryDirectory() as tmp, Archive(Path(tmp) / "data") as archive:
        started, cpu_started = time.perf_counter(), time.process_time()
        for n, record in enumerate(batch):
            load_record(archive.db, record, report_key=f"bench:{n}", sources=[], parser_version="bench")
        load_seconds = time.perf_counter() - started
        load_cpu = time.process_time() - cpu_started
        rows = sum(archive.db[t].count for t in ("applications", "reviews_litigation", "active_disclosure",
                                                  "sections", "checks"))

        started = time.perf_counter()
        for n in range(args.fetches):
            archive.record_fetch(url=f"http://127.0.0.1/{n}.html", status=200, body=f"page {n}".encode() * 200,
                                 role="report_page", report_key=f"bench:{n}")
        fetch_seconds = time.perf_counter() - started
        db_size = (Path(tmp) / "data" / "nianbao.db").stat().st_size

    print(f"reports loaded:      {args.reports} in {load_seconds:.1f} s = {args.reports / load_seconds:.0f} reports/s"
          f" (target >= 500), {rows} derived rows")
    # The machine is shared: CPU time says what one free core would do.
    print(f"  per CPU second:    {args.reports / load_cpu:.0f} reports/s ({load_cpu:.1f} s of CPU)")
    print(f"fetches recorded:    {args.fetches} in {fetch_seconds:.1f} s = {args.fetches / fetch_seconds:.0f} fetches/s")
    print(f"database size:       {db_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

"""Reports per second through ``parsers.parse_bytes``, per format, on one core.

    python3 -m benchmarks.parsers [--reports 200]

Inputs are synthetic reports (``nianbao.testbed.synthetic``): varied seeds, both
templates, one- and three-row （六）, the seeds' label variants; HTML as
Hanweb article pages (half of them GBK), DOCX as the filled official
template, text in the seeds' two layouts. Rendering happens before the
clock starts; each input is parsed once, in one process, so the rate is
per core: the rate is counted on the process's CPU time (on a shared
machine wall time also counts other people's work; both are printed), best
of a few rounds. Also
reported: the reader alone (bytes → Document), to show how
the time splits between format reader and template reader, and whether
every report read back to its record (a benchmark of wrong answers is
worthless). Target: >= 50 reports/s/core for HTML and DOCX.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from parsers import parse_bytes, read_document
from nianbao.testbed.synthetic import random_record, render_docx, render_html, render_text

TARGET_PER_SECOND = 50


def inputs(count: int) -> dict[str, list[tuple[dict, bytes]]]:
    by_format: dict[str, list[tuple[dict, bytes]]] = {"html": [], "docx": [], "text": []}
    for n in range(count):
        record = random_record(n, template="2021" if n % 3 else "2019", other_rows=3 if n % 4 else 1)
        variant = {"split_labels": n % 2 == 1, "spaced_labels": n % 5 == 1, "typos": n % 7 == 3}
        page = ("article", "annual_report", "bare")[n % 3]
        encoding = "gbk" if n % 2 else "utf-8"
        by_format["html"].append((record, render_html(record, page=page, encoding=encoding, **variant)))
        by_format["docx"].append((record, render_docx(record, **variant)))
        layout = "tabs" if n % 2 else "cells"
        by_format["text"].append((record, render_text(record, layout, **variant).encode("utf-8")))
    return by_format


def timed(function, items) -> tuple[float, float, list[float]]:
    """Wall seconds, CPU seconds of this process, and each item's wall seconds."""
    each = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for item in items:
        start = time.perf_counter()
        function(item)
        each.append(time.perf_counter() - start)
    return time.perf_counter() - started, time.process_time() - cpu_started, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200, help="reports per format (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per format; the best counts (default 3)")
    args = parser.parse_args()

    # On a shared machine the load says how pessimistic the figures are.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}; rendering {args.reports} synthetic reports per format ...")
    by_format = inputs(args.reports)
    # Imports, cpca's gazetteer and lxml's parser warm up once per process: not part of the rate.
    for items in by_format.values():
        parse_bytes(items[0][1])

    print(f"best of {args.rounds} rounds (other processes only ever slow a round down)")
    print(
        f"{'format':<7}{'reports/s cpu':>14}{'wall':>7}{'median ms':>11}{'p95 ms':>9}"
        f"{'reader only/s cpu':>19}{'read back':>11}  target {TARGET_PER_SECOND}/s"
    )
    for fmt, items in by_format.items():
        records: list[dict] = []
        timed(lambda item: records.append(parse_bytes(item[1])), items)
        right = sum(
            got["applications"] == record["applications"]
            and got["reviews_litigation"] == record["reviews_litigation"]
            for (record, _), got in zip(items, records)
        )
        rounds = [timed(lambda item: parse_bytes(item[1]), items) for _ in range(args.rounds)]
        elapsed = min(r[0] for r in rounds)
        cpu = min(r[1] for r in rounds)
        each = [min(times) for times in zip(*(r[2] for r in rounds))]
        reader_cpu = min(timed(lambda item: read_document(item[1]), items)[1] for _ in range(args.rounds))
        rate = len(items) / cpu
        p95 = sorted(each)[int(0.95 * (len(each) - 1))]
        print(
            f"{fmt:<7}{rate:>14.0f}{len(items) / elapsed:>7.0f}{1000 * statistics.median(each):>11.1f}"
            f"{1000 * p95:>9.1f}{len(items) / reader_cpu:>19.0f}{f'{right}/{len(items)}':>11}"
            f"  {'ok' if rate >= TARGET_PER_SECOND else 'BELOW'}"
        )


if __name__ == "__main__":
    main()

"""Formats bodies attach: spreadsheets (XLSX, XLS, ET, ODS), OFD, ZIP and 7z.

    python3 -m benchmarks.attachments [--docs 8] [--repeats 5]

For each format, ``--docs`` synthetic reports (templates 2021/2019, one- and
three-row （六）; ``tests.corpus.records``) are written as that format (the
spreadsheets with openpyxl, then LibreOffice for XLS/ODS; OFD with
``tests/ofd_writer.py``; the archives hold the text page and 统计表.xlsx
apart, so each is read as a split report and merged) and read ``--repeats``
times through ``parsers.parse_bytes`` in one process. Printed: reports per
second on CPU time (wall beside it: a shared machine's wall includes other
work), and the table cells read exactly over all documents.

Then the same reports as OFD written the ways real producers write it: each
producer style of ``tests/ofd_writer.PRODUCERS`` (rate and cells), and every
single variant of ``ofd_writer.VARIANTS`` (cells, summed; any variant below
100 % named).
"""

from __future__ import annotations

import argparse
import os
import time

from parsers import parse_bytes
from nianbao.testbed.synthetic import as_printed
from tests import corpus
from tests.archives import seven_zip_of, text_only_page, zip_of
from tests.ofd_writer import PRODUCERS, VARIANTS, render_ofd
from tests.workbooks import convert, workbook_xlsx


def files(records: list[dict]) -> dict[str, list[bytes]]:
    xlsx = [workbook_xlsx(r) for r in records]
    xls = [convert(data, "xls") for data in xlsx]
    return {
        "xlsx": xlsx,
        "xls": xls,
        "et": xls,  # WPS's name for the same BIFF8 workbook
        "ods": [convert(data, "ods") for data in xlsx],
        "ofd": [render_ofd(r) for r in records],
        "zip": [zip_of({"报告.html": text_only_page(r), "统计表.xlsx": x}) for r, x in zip(records, xlsx)],
        "7z": [seven_zip_of({"报告.html": text_only_page(r), "统计表.xlsx": x}) for r, x in zip(records, xlsx)],
    }


def measure(kind: str, records: list[dict], data: list[bytes], repeats: int) -> tuple[float, float, int, int]:
    name = f"report.{kind}"
    parse_bytes(data[0], filename=name)  # imports, first-call costs
    correct = total = 0
    for record, one in zip(records, data):
        ok, count, _ = corpus.score(as_printed(record), parse_bytes(one, filename=name))
        correct, total = correct + ok, total + count
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeats):
        for one in data:
            parse_bytes(one, filename=name)
    count = repeats * len(data)
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall), correct, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    records = corpus.records(args.docs, seed=70)
    for kind, data in files(records).items():
        per_cpu, per_wall, correct, total = measure(kind, records, data, args.repeats)
        print(f"{kind:5s} {per_cpu:6.1f} reports/s/core on CPU time, {per_wall:6.1f}/s wall; "
              f"cells exact {correct}/{total} = {correct / total:.2%}  ({len(data)} reports, "
              f"{sum(map(len, data)) // len(data) // 1024} KB each)")
    for style in PRODUCERS:
        data = [render_ofd(r, style=style) for r in records]
        per_cpu, per_wall, correct, total = measure("ofd", records, data, args.repeats)
        print(f"ofd as {style:13s} {per_cpu:6.1f} reports/s/core on CPU time, {per_wall:6.1f}/s wall; "
              f"cells exact {correct}/{total} = {correct / total:.2%}")
    correct = total = 0
    short = []
    for style in VARIANTS:
        ok = count = 0
        for record in records:
            got = parse_bytes(render_ofd(record, style=style), filename="report.ofd")
            ok, count = (a + b for a, b in zip((ok, count), corpus.score(as_printed(record), got)[:2]))
        correct, total = correct + ok, total + count
        short += [f"{style} {ok}/{count}"] if ok < count else []
    print(f"ofd, {len(VARIANTS)} single variants: cells exact {correct}/{total} = {correct / total:.2%}; "
          f"below 100 %: {', '.join(short) or 'none'}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

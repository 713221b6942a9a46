"""Scans parsed per second by ``nianbao parse --cluster`` with 1, 2 and 4 worker processes.

    python3 -m benchmarks.parse_cluster [--scans 8] [--workers 1,2,4]

The scans come from the accuracy corpus (``tests/corpus.py``: the filled
template printed by LibreOffice, rendered to page images with noise and a
slight rotation, bound into an image-only PDF). Each is archived as one report;
for each worker count a Dask ``LocalCluster`` of that many single-threaded
worker processes is started and warmed (the OCR engine loaded in every worker),
then ``archive.reparse.parse_reports(..., cluster=...)`` parses every report
(this process writes) and the wall time from the first task to the last write
is what counts, with the CPU seconds the workers spent per page (what the
figure would be on idle cores: a shared machine's wall time includes other
people's work, so the load average is printed too). Every report must load
and its cells are scored against the record it was printed from. The machine
has 2 cores: past 2 workers the figure shows what oversubscription costs, not
what more machines would give.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NIANBAO_OCR_THREADS", "1")  # one OCR thread per worker process: workers are the parallelism


def _warm() -> None:
    from parsers import ocr

    ocr.engine()


def _cpu_seconds() -> float:
    return time.process_time()


def make_scans(count: int) -> list:
    from tests import corpus

    with tempfile.TemporaryDirectory() as folder:
        return corpus.samples("scan", count, Path(folder), seed=15)


def run(samples: list, workers: int, folder: Path) -> tuple[float, float, int, int, int]:
    """Wall seconds, CPU seconds of the workers, pages, cells read exactly, cells printed."""
    import logging

    import pypdfium2 as pdfium
    from distributed import Client, LocalCluster

    from archive import Archive
    from archive.reparse import parse_reports
    from tests import corpus

    with Archive(folder / f"data-{workers}") as archive:
        for sample in samples:
            archive.record_fetch(url=f"http://127.0.0.1/{sample.filename}", status=200, body=sample.data,
                                 role="attachment", report_key=sample.name, filename=sample.filename)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            client.run(_warm)
            cpu = client.run(_cpu_seconds)
            started = time.perf_counter()
            summary = parse_reports(archive, cluster=cluster.scheduler_address)
            seconds = time.perf_counter() - started
            cpu = sum(client.run(_cpu_seconds).values()) - sum(cpu.values())
        if summary.failed or len(summary.loaded) != len(samples):
            raise SystemExit(f"{workers} workers: not every scan loaded: {summary.failed}")
        exact = total = 0
        for sample in samples:
            report_id = archive.db.execute("SELECT id FROM reports WHERE report_key = ?", [sample.name]).fetchone()[0]
            got = {(row, col): value for row, col, value in archive.db.execute(
                "SELECT row_code, column_code, value FROM applications WHERE report_id = ?", [report_id])}
            expected = {k[1:]: v for k, v in corpus.table_cells(sample.record).items() if k[0] == "applications"}
            exact += sum(got.get(k) == v for k, v in expected.items())
            total += len(expected)
    pages = sum(len(pdfium.PdfDocument(sample.data)) for sample in samples)
    return seconds, cpu, pages, exact, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, comma-separated")
    args = parser.parse_args()

    started = time.perf_counter()
    samples = make_scans(args.scans)
    print(f"{len(samples)} scans made in {time.perf_counter() - started:.0f} s; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'workers':>7} {'seconds':>8} {'scans/s':>8} {'pages/s':>8} {'worker CPU s/page':>18}  "
          "cells exact (applications)")
    with tempfile.TemporaryDirectory() as folder:
        for workers in (int(w) for w in args.workers.split(",")):
            seconds, cpu, pages, exact, total = run(samples, workers, Path(folder))
            print(f"{workers:7} {seconds:8.1f} {len(samples) / seconds:8.3f} {pages / seconds:8.3f} "
                  f"{cpu / pages:18.2f}  {exact}/{total}  (load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()

"""Crawl speed: ``python3 -m benchmarks.crawl [--bodies 110] [--years 2019,...,2023]``.

Serves a replica with about 1,000 reports (crawler/replica), crawls it with
``nianbao crawl`` in a subprocess with politeness off (no delay, no
AutoThrottle, 16 requests per host; robots.txt still obeyed), and prints wall
time and CPU seconds, per crawl and per report. The replica serves from this
process; its CPU time is printed separately. JavaScript rendering is off (the
replica's five browser-only reports are left out of the count).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from nianbao.testbed.replica import ReplicaPortal

ROOT = Path(__file__).resolve().parent.parent
POLITENESS_OFF = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32",
                  "CONCURRENT_REQUESTS_PER_DOMAIN=16", "LOG_LEVEL=WARNING"]


def registry(portal: ReplicaPortal, path: Path) -> Path:
    w, h = portal.sites["wendeng"], portal.sites["huancui"]
    path.write_text(
        f'[sites.wendeng]\nfamily = "hanweb"\nbase_urls = ["{w.base_url}/"]\nrender_js = false\n'
        f'extra_hosts = ["{urlsplit(portal.flipbook_url).hostname}"]\n'
        f'[sites.huancui]\nfamily = "hanweb"\nbase_urls = ["{h.base_url}/", "{h.alias_url}/"]\nrender_js = false\n',
        encoding="utf-8")
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=110, help="bodies per site (110 → ~1,000 reports)")
    parser.add_argument("--years", default="2019,2020,2021,2022,2023")
    args = parser.parse_args(argv)
    years = tuple(int(y) for y in args.years.split(","))
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp, \
            ReplicaPortal(seed=0, bodies_per_site=args.bodies, years=years) as portal:
        tmp = Path(tmp)
        expected = [e for e in portal.expected_reports if not e["disallowed"] and not e["needs_js"]]
        command = [sys.executable, "-c", "from nianbao.cli import cli; cli(prog_name='nianbao')", "crawl",
                   "--sites-file", str(registry(portal, tmp / "sites.toml")), "--data-dir", str(tmp / "data")]
        for setting in POLITENESS_OFF:
            command += ["-s", setting]
        cpu0, server0, t0 = children_cpu(), time.process_time(), time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
        server_cpu = time.process_time() - server0
        db = sqlite3.connect(tmp / "data" / "nianbao.db")
        fetched, size = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM fetches").fetchone()
        found = db.execute("SELECT COUNT(DISTINCT report_key) FROM fetches WHERE role = 'report_page'").fetchone()[0]
        errors = db.execute("SELECT COUNT(*) FROM fetches WHERE error IS NOT NULL").fetchone()[0]
        db.close()
    print(f"replica: {len(expected)} reports ({args.bodies} bodies/site, years {args.years})")
    print(f"found:   {found} reports, {fetched} fetches ({errors} errors), {size / 1e6:.1f} MB archived")
    print(f"wall:    {wall:.1f} s total, {wall / max(found, 1) * 1000:.1f} ms/report, {fetched / wall:.0f} fetches/s")
    print(f"cpu:     {cpu:.1f} s crawler (incl. start-up), {cpu / max(found, 1) * 1000:.1f} ms/report;"
          f" replica server {server_cpu:.1f} s")


if __name__ == "__main__":
    main()

"""A crawl shared through Redis: ``python3 -m benchmarks.crawl_shared [--bodies 12] [--delay 0.2]``.

Serves a replica (nianbao/testbed/replica), starts a redis-server on loopback
(nianbao/testbed/redis_server.py) and crawls the replica three ways, each with
the same politeness delay per host:

* one ``nianbao crawl`` into the archive, Scrapy's own politeness (no Redis);
* one ``nianbao crawl --redis … --warc-dir …``;
* three of them at once, sharing the frontier.

For each it prints wall time, fetches, and from the replica's own log of
arrivals the shortest and the median gap between two requests to one host
(the politeness actually seen by the server, across processes).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from nianbao.testbed.redis_server import RedisServer
from nianbao.testbed.replica import ReplicaPortal

from .crawl import registry

ROOT = Path(__file__).resolve().parent.parent
CLI = "from nianbao.cli import cli; cli(prog_name='nianbao')"


def gaps(requests) -> tuple[float, float]:
    """(shortest, median) time between two consecutive requests to one host, in seconds."""
    times = defaultdict(list)
    for request in requests:
        times[request.host].append(request.at)
    between = [b - a for ts in times.values() for a, b in zip(sorted(ts), sorted(ts)[1:])]
    return min(between), statistics.median(between)


def run(portal: ReplicaPortal, commands: list[list[str]]) -> tuple[float, int, float, float]:
    portal.clear_requests()
    started = time.perf_counter()
    processes = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for c in commands]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"a crawl failed: {' '.join(commands[0])}")
    wall = time.perf_counter() - started
    served = portal.requests
    return (wall, len(served), *gaps(served))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.crawl_shared", description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=12, help="bodies per site")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds between requests to one host")
    args = parser.parse_args(argv)
    if RedisServer.missing():
        raise SystemExit(RedisServer.missing())
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp, \
            ReplicaPortal(seed=0, bodies_per_site=args.bodies, years=(2021, 2022, 2023), office=False) as portal:
        tmp = Path(tmp)
        sites = registry(portal, tmp / "sites.toml")
        settings = ["-s", f"DOWNLOAD_DELAY={args.delay}", "-s", "AUTOTHROTTLE_ENABLED=False",
                    "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "LOG_LEVEL=WARNING"]
        base = [sys.executable, "-c", CLI, "crawl", "--sites-file", str(sites), *settings]
        rows = [("1 process, no Redis", run(portal, [[*base, "--data-dir", str(tmp / "direct")]]))]
        for processes in (1, 3):
            redis = RedisServer().start()
            try:
                shared = [*base, "--data-dir", str(tmp / "unused"), "--redis", redis.url,
                          "--warc-dir", str(tmp / f"warc{processes}")]
                rows.append((f"{processes} process{'es' if processes > 1 else ''}, Redis",
                             run(portal, [shared] * processes)))
            finally:
                redis.stop()
    print(f"replica: {args.bodies} bodies/site, 3 years, 3 hosts; delay {args.delay:.2f} s per host")
    for name, (wall, served, shortest, median) in rows:
        print(f"{name:22} {wall:6.1f} s wall, {served} requests served, gap per host: "
              f"shortest {shortest * 1000:.0f} ms, median {median * 1000:.0f} ms")


if __name__ == "__main__":
    main()

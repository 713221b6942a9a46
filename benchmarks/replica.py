"""How fast the replica builds and serves a ~1,000-report portal.

    python3 -m benchmarks.replica [--bodies 185] [--years 2021,2022,2023]

Prints the model build time, then the time to serve every report page once
cold (the report is rendered from its synthetic record on first request) and
once warm (cached), and the proxy answering a full walk of the 年报汇总 column.
Client and servers share this process, so CPU seconds cover both. LibreOffice
conversions (pdf/doc/wps) are left out: 3-5 s each, once per content, cached on disk.
"""

from __future__ import annotations

import argparse
import http.client
import time
from urllib.parse import urlsplit

from nianbao.testbed.replica import ReplicaPortal


def _get_all(urls: list[str]) -> int:
    """GET every URL over one keep-alive connection per host; returns bytes received."""
    connections: dict[str, http.client.HTTPConnection] = {}
    received = 0
    try:
        for url in urls:
            parts = urlsplit(url)
            conn = connections.get(parts.netloc)
            if conn is None:
                conn = connections[parts.netloc] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{url}: HTTP {response.status}")
            received += len(body)
    finally:
        for conn in connections.values():
            conn.close()
    return received


def _timed(label: str, count: int, action) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    extra = f", {result / 1e6:.1f} MB" if isinstance(result, int) else ""
    print(f"{label:38} {count:6d} in {wall:6.2f} s wall, {cpu:6.2f} s CPU  "
          f"({1000 * wall / max(count, 1):6.2f} ms each{extra})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m benchmarks.replica", description=__doc__)
    parser.add_argument("--bodies", type=int, default=185, help="bodies per site (185 x 3 years ~ 1,000 reports)")
    parser.add_argument("--years", default="2021,2022,2023")
    args = parser.parse_args(argv)
    years = tuple(int(y) for y in args.years.split(","))

    builds = []
    for _ in range(3):
        started = time.perf_counter()
        portal = ReplicaPortal(seed=0, bodies_per_site=args.bodies, years=years)
        builds.append(time.perf_counter() - started)
    print(f"model build (best of 3)                {1000 * min(builds):.0f} ms")

    with portal:
        reports = portal.expected_reports
        pages = [r["report_url"] for r in reports]
        print(f"reports: {len(reports)} ({sum(len(r['files']) for r in reports)} files)")
        _timed("report pages, cold (render + serve)", len(pages), lambda: _get_all(pages))
        _timed("report pages, warm (cached)", len(pages), lambda: _get_all(pages))
        wendeng = portal.sites["wendeng"]
        column = wendeng.model.columns[wendeng.model.annual_column]
        per = column.per_page
        groups = range(1, len(column.entries) // (3 * per) + 2)
        proxy = [f"{wendeng.base_url}/module/web/jpage/dataproxy.jsp?startrecord={(g - 1) * 3 * per + 1}"
                 f"&endrecord={g * 3 * per}&perpage={per}&columnid={column.column_id}" for g in groups]
        _timed(f"proxy walk of 年报汇总 ({len(column.entries)} records)", len(proxy), lambda: _get_all(proxy))
        books = [f for r in reports if r["form"] == "flipbook" for f in r["files"]]
        _timed("flip-book pages and page images, cold", len(books), lambda: _get_all(books))


if __name__ == "__main__":
    main()

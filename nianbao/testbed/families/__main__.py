"""Serve a TRS or Ucap replica in the foreground: ``python3 -m nianbao.testbed.families trs --port 8000``."""

from __future__ import annotations

import argparse
import signal
import threading

from nianbao.testbed.replica.__main__ import _years
from nianbao.testbed.replica.server import FAULTS

from .portal import FAMILIES, FamilyPortal


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m nianbao.testbed.families", description=__doc__)
    parser.add_argument("family", choices=sorted(FAMILIES))
    parser.add_argument("--port", type=int, default=8000, help="port on the site's and the mirror's address (0 = ephemeral)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bodies", type=int, default=4)
    parser.add_argument("--years", type=_years, default=(2021, 2022, 2023), help="comma-separated report years")
    parser.add_argument("--fault", action="append", default=[], choices=FAULTS, help="switch a fault on (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.bodies < 1:
        parser.error("--bodies must be at least 1")
    portal = FamilyPortal(args.family, seed=args.seed, bodies=args.bodies, years=args.years, faults=args.fault,
                          port=args.port, verbose=args.verbose)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        portal.start()
    except OSError as exc:
        raise SystemExit(f"cannot listen on port {args.port} of {portal.address}, {portal.mirror_address}: "
                         f"{exc.strerror}")
    with portal:
        print(f"{portal.family:5} {portal.base_url}/   mirror (never crawl) {portal.mirror_url}/")
        print(f"{len(portal.expected_reports)} reports; Ctrl-C to stop", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

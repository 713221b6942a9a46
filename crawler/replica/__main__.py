"""Serve the replica in the foreground: ``python3 -m crawler.replica --port 8000``."""

from __future__ import annotations

import argparse
import signal
import threading

from .portal import ReplicaPortal
from .server import FAULTS


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m crawler.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8000,
                        help="port on every host address (0 = ephemeral); the alias listens on port+443")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bodies", type=int, default=4, help="bodies per site")
    parser.add_argument("--years", default="2021,2022,2023", help="comma-separated report years")
    parser.add_argument("--fault", action="append", default=[], choices=FAULTS, help="switch a fault on (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    years = tuple(int(y) for y in args.years.split(","))
    portal = ReplicaPortal(seed=args.seed, bodies_per_site=args.bodies, years=years, faults=args.fault,
                           port=args.port, verbose=args.verbose)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with portal:
        for name, handle in portal.sites.items():
            print(f"{name:9} {handle.base_url}/" + (f"   alias {handle.alias_url}/" if handle.alias_url else ""))
        print(f"flipbook  {portal.flipbook_url}/book/…   clone (never crawl) {portal.clone_url}/")
        print(f"{len(portal.expected_reports)} reports; Ctrl-C to stop", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

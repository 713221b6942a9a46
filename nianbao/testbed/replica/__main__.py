"""Serve the replica in the foreground: ``python3 -m nianbao.testbed.replica --port 8000``."""

from __future__ import annotations

import argparse
import signal
import threading

from .portal import ReplicaPortal
from .server import FAULTS


def _years(text: str) -> tuple[int, ...]:
    try:
        years = tuple(int(y) for y in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of years: {text!r}") from None
    if not all(1990 <= y <= 2100 for y in years):
        raise argparse.ArgumentTypeError(f"years out of range: {text!r}")
    return years


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m nianbao.testbed.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8000,
                        help="port on every host address (0 = ephemeral); the alias listens on port+443")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bodies", type=int, default=4, help="bodies per site")
    parser.add_argument("--years", type=_years, default=(2021, 2022, 2023), help="comma-separated report years")
    parser.add_argument("--fault", action="append", default=[], choices=FAULTS, help="switch a fault on (repeatable)")
    parser.add_argument("--weihai", action="store_true", help="also serve the weihai-like city site on 127.0.0.6")
    parser.add_argument("--rushan", action="store_true",
                        help="also serve the rushan-like county portal with every crawl obstacle on 127.0.0.7")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.bodies < 1:
        parser.error("--bodies must be at least 1")
    portal = ReplicaPortal(seed=args.seed, bodies_per_site=args.bodies, years=args.years, faults=args.fault,
                           port=args.port, verbose=args.verbose,
                           sites=("wendeng", "huancui", *(["weihai"] if args.weihai else []),
                                  *(["rushan"] if args.rushan else [])))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        portal.start()
    except OSError as exc:
        addresses = sorted(portal.hosts[name] for name in (*portal.sites, "flipbook", "clone"))
        raise SystemExit(f"cannot listen on port {args.port} of {', '.join(addresses)}: {exc.strerror}")
    with portal:
        for name, handle in portal.sites.items():
            print(f"{name:9} {handle.base_url}/" + (f"   alias {handle.alias_url}/" if handle.alias_url else ""))
        print(f"flipbook  {portal.flipbook_url}/book/…   clone (never crawl) {portal.clone_url}/")
        count = sum(len(handle.model.reports) for handle in portal.sites.values())
        print(f"{count} reports; Ctrl-C to stop", flush=True)
        try:
            done.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

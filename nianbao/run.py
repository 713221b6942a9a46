"""``nianbao run``: the whole job — crawl the registry's sites into the archive,
parse what is new or changed, load it — ready for cron.

* Non-interactive; progress bars only when stderr is a terminal.
* One run per data dir at a time: ``nianbao.lock`` is held with ``flock`` (the
  kernel drops it when the process dies, so a crash leaves no stale lock);
  a second run exits at once with ``EXIT_LOCKED`` (75, EX_TEMPFAIL: "try again later").
* Everything is logged to ``logs/run-<UTC time>.log`` under the data dir.
* Exit status: 0 when the run completed, 1 when it failed (the crawl did not
  finish, or nothing could be loaded); ``strict`` also fails on any report
  that could not be parsed.
* Ends with a one-line summary: new, changed, unchanged and failed reports, time.

The crawl runs in this process through ``crawler.run`` (Scrapy's reactor
starts once per process: one crawl per ``nianbao run``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL (sysexits.h)
LOCK_NAME = "nianbao.lock"

log = logging.getLogger("nianbao.run")


class RunLocked(RuntimeError):
    """Another run holds the data dir's lock."""


@contextmanager
def run_lock(data_dir: Path) -> Iterator[Path]:
    """Hold ``<data_dir>/nianbao.lock`` for the duration, or raise ``RunLocked`` at once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            raise RunLocked(f"another nianbao run holds {path} ({holder}); not starting a second one") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing drops the flock


@dataclass
class RunSummary:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Unchanged originals read again because the parser changed (same version row, new values).
    reparsed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    crawl_error: str | None = None
    seconds: float = 0.0
    log_file: Path | None = None

    @property
    def ok(self) -> bool:
        return self.crawl_error is None and not (self.failed and not (self.new or self.changed or self.unchanged))

    def line(self) -> str:
        status = "ok" if self.ok else "FAILED"
        text = (f"nianbao run {status}: {len(self.new)} new, {len(self.changed)} changed, "
                f"{len(self.unchanged)} unchanged, {len(self.failed)} failed reports")
        if self.reparsed:
            text += f" ({len(self.reparsed)} unchanged re-read by a new parser version)"
        text += f" in {self.seconds:.1f} s"
        if self.crawl_error:
            text += f"; crawl: {self.crawl_error}"
        return text


def _failed_crawl_runs(archive, after_id: int) -> list[str]:
    """Crawl runs since ``after_id`` that got nothing: failed by the crawler's verdict, or every fetch an error
    (site down, blocked, wrong URL). A run with some errors among good fetches is partial, not failed."""
    failed = []
    for run_id, status, counts in archive.runs_since(after_id):
        fetches, errors = counts.get("fetches", 0), counts.get("errors", 0)
        if status == "failed" or (fetches and errors >= fetches):
            failed.append(f"crawl run {run_id} failed ({errors} of {fetches} fetches were errors)")
    return failed


@contextmanager
def _log_to_file(data_dir: Path) -> Iterator[Path]:
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"run-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


def crawl(data_dir: Path, sites: tuple[str, ...], sites_file: Path | None, overrides: tuple[str, ...],
          full: bool = False) -> None:
    """Crawl the sites (all of the registry when none are named); raises when the crawl did not finish."""
    from crawler.run import crawl_settings, plan, run

    # Scrapy's own console output: warnings only, unless the caller asks otherwise (-s LOG_LEVEL=INFO).
    settings = crawl_settings(data_dir=data_dir, sites_file=sites_file, overrides=("LOG_LEVEL=WARNING", *overrides))
    stats = run(settings, plan(list(sites), None, None, sites_file), full=full)
    unfinished = {family: s.get("finish_reason") for family, s in stats.items() if s.get("finish_reason") != "finished"}
    if unfinished:
        raise RuntimeError(f"crawl did not finish: {unfinished}")


def run_job(
    data_dir: Path,
    sites: tuple[str, ...] = (),
    *,
    sites_file: Path | None = None,
    overrides: tuple[str, ...] = (),
    show_progress: bool = False,
    full: bool = False,
) -> RunSummary:
    """Crawl, then parse and load what changed. Raises ``RunLocked`` if a run is in progress."""
    from archive import Archive, workspace

    data_dir = Path(data_dir)
    started = time.monotonic()
    summary = RunSummary()
    with run_lock(data_dir), _log_to_file(data_dir) as log_file:
        summary.log_file = log_file
        log.info("run started: sites %s, data dir %s", list(sites) or "all", data_dir)
        workspace.use(data_dir)
        with Archive(data_dir) as archive:
            before = archive.latest_report_ids()
            last_run = archive.last_run_id()
            if removed := archive.store.remove_temp_files():
                log.info("removed %d temporary files left by interrupted writes", removed)
        try:
            crawl(data_dir, sites, sites_file, overrides, full=full)
        except Exception as exc:  # the parse step still loads whatever was archived
            log.exception("crawl failed")
            summary.crawl_error = " ".join(str(exc).split()) or type(exc).__name__
        with Archive(data_dir) as archive:
            failed_runs = _failed_crawl_runs(archive, last_run)
        if failed_runs and summary.crawl_error is None:
            summary.crawl_error = "; ".join(failed_runs)
        with Archive(data_dir) as archive:
            keys = archive.report_keys()
            parsed = _parse(archive, keys, show_progress)
            after = archive.latest_report_ids()
        summary.failed = dict(parsed.failed)
        loaded = set(parsed.loaded)
        for key in keys:
            if key in summary.failed:
                continue
            if key not in after:  # skipped: every original already failed under this parser version
                summary.failed[key] = "no readable original (reasons in parse_errors)"
                continue
            if key not in before:
                summary.new.append(key)
            elif before[key] != after[key]:
                summary.changed.append(key)
            else:
                summary.unchanged.append(key)
                if key in loaded:
                    summary.reparsed.append(key)
        for key, reason in summary.failed.items():
            log.warning("report %s failed: %s", key, reason)
        summary.seconds = time.monotonic() - started
        log.info(summary.line())
    return summary


def _parse(archive, keys: list[str], show_progress: bool):
    """Parse and load the pending reports, with a progress bar on a terminal only."""
    from archive.reparse import parse_reports

    if not (show_progress and keys):
        return parse_reports(archive, keys, only_pending=True)
    import click

    with click.progressbar(length=len(keys), label="parsing", file=sys.stderr) as bar:
        return parse_reports(archive, keys, only_pending=True, progress=lambda key, report_id: bar.update(1))


def main(data_dir: Path, sites: tuple[str, ...], *, sites_file: Path | None, overrides: tuple[str, ...],
         strict: bool, full: bool = False) -> int:
    """What ``nianbao run`` does, as an exit status; messages go to stderr, the summary to stdout."""
    try:
        summary = run_job(data_dir, sites, sites_file=sites_file, overrides=overrides,
                          show_progress=sys.stderr.isatty(), full=full)
    except RunLocked as exc:
        print(f"nianbao run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    from archive.paths import printable

    for key, reason in summary.failed.items():
        print(f"nianbao run: {printable(key)}: {printable(reason)}", file=sys.stderr)
    print(summary.line())
    print(f"log: {summary.log_file}")
    if not summary.ok or (strict and summary.failed):
        return EXIT_FAILED
    return EXIT_OK

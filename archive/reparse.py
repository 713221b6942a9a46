"""Parse archived originals, report by report, and load the best record.

For each ``report_key`` the sources are the latest successful fetch of each
of its URLs. Candidates: the report page alone, each attachment (or imported
file) alone, and the flip-book pages joined in page order. Every candidate
is parsed (a ZIP/7z attachment through its members); the record with the
most table values wins, merged with another candidate's text where the
report is split over two documents (``parsers.merge``), and ``warnings``
says which won and what else was tried. A file that cannot be parsed gets a
``parse_errors`` row with the reason, and the run goes on.

Readers resolve ``<img src>`` and a flip-book's page images against files on
disk, so each report's originals are first laid out in a temporary folder at
their URL paths: what the readers see is the archive, never the live site.

``pending`` report keys are those whose sources changed since the latest
version, or whose latest version was parsed by another ``PARSER_VERSION`` —
except keys whose every source already failed under this parser version.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

import parsers
from parsers import merge
from parsers.sandbox import Limits, die_with_parent, run_limited
from parsers.sandbox import close_all as close_sandboxes

from .archive import Archive
from .load import Reading, Source, prepare, sources_digest, table_values
from .paths import safe_filename, safe_join
from .store import Store

log = logging.getLogger(__name__)

# Roles parsed on their own; "image" files are kept as sources but read through their page.
# In this order: on a tie the report's text page wins over its files (the text version of a
# report published twice is preferred for reading).
SINGLE_ROLES = ("report_page", "attachment", "file")
PAGE_ROLE = "flipbook_page"


@dataclass
class Original:
    sha256: str
    url: str
    role: str | None
    page_no: int | None
    filename: str | None
    content_type: str | None


@dataclass
class Candidate:
    label: str
    originals: list[Original]
    record: dict | None = None
    has_images: bool = False
    error: str | None = None

    @cached_property  # asked once per comparison and once per note: a record is read once
    def values(self) -> int:
        return table_values(self.record) if self.record else -1


@dataclass
class ParseSummary:
    loaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def sources(archive: Archive, report_key: str) -> list[Original]:
    """The latest successful fetch of every URL recorded under ``report_key``, in fetch order."""
    return [Original(*row) for row in archive.report_sources(report_key)]


def is_pending(archive: Archive, report_key: str, originals: list[Original] | None = None, *,
               retry_failed: bool = False) -> bool:
    originals = sources(archive, report_key) if originals is None else originals
    if not originals:
        return False
    if archive.latest_reading(report_key) == (sources_digest(o.sha256 for o in originals), parsers.PARSER_VERSION):
        return False
    if retry_failed:
        return True
    failed = archive.parse_failures(report_key, parsers.PARSER_VERSION)
    return not {o.sha256 for o in originals} <= failed.keys()


def candidates(originals: list[Original]) -> list[Candidate]:
    singles = [
        Candidate(f"{o.role} {o.filename or o.url} ({o.sha256[:12]})", [o])
        for role in SINGLE_ROLES
        for o in originals
        if o.role == role
    ]
    pages = sorted(
        (o for o in originals if o.role == PAGE_ROLE),
        key=lambda o: (o.page_no is None, o.page_no or 0),  # fetch order where no page number was given
    )
    if not pages:
        # A report known only by its pictures (scans fetched as images) is read from them.
        return singles or [
            Candidate(f"image {o.filename or o.url} ({o.sha256[:12]})", [o]) for o in originals if o.role == "image"
        ]
    return singles + [Candidate(f"flip-book of {len(pages)} pages", pages)]


def _url_path(url: str) -> list[str]:
    """A URL's path as safe folder and file names (never ``..``, never absolute)."""
    segments = unquote(urlsplit(url).path).split("/")
    return [safe_filename(seg) for seg in segments if seg not in ("", ".", "..")]


def _materialize(store: Store, originals: list[Original], root: Path) -> dict[str, Path]:
    """Lay a report's originals out under ``root`` at their URL paths (host dropped).

    Returns sha256 -> path of each original laid out. An original whose path is
    taken (two URLs differing only in their query) or unusable is left out.
    """
    placed: dict[str, Path] = {}
    for original in originals:
        path = _url_path(original.url)
        if urlsplit(original.url).scheme not in ("http", "https", "file") or not path:
            continue
        try:
            target = safe_join(root, *path)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store.path_for(original.sha256), target)
        except (OSError, ValueError):  # e.g. /a is a file and /a/b wants it as a folder
            continue
        placed.setdefault(original.sha256, target)
    return placed


def _relative_images(originals: list[Original], page: Original, root: Path, placed: dict[str, Path]) -> None:
    """Also place a page's images where a relative ``src`` names them: the HTML reader
    resolves every ``src`` against one folder, ``root``."""
    page_dir = _url_path(page.url)[:-1]
    for image in originals:
        path = _url_path(image.url)
        if image.role != "image" or image.sha256 not in placed or path[: len(page_dir)] != page_dir:
            continue
        try:
            target = safe_join(root, *path[len(page_dir):])
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(placed[image.sha256], target)
        except (OSError, ValueError):  # the name is taken by a folder: that reference stays unread
            continue


def _base_dir(originals: list[Original], original: Original, root: Path, placed: dict[str, Path]) -> Path | None:
    """Where the reader resolves ``<img src>``: a saved local page's own folder (its
    ``page_files/``), or for a web page the site root with relative images copied in."""
    if original.sha256 not in placed:
        return None
    if urlsplit(original.url).scheme == "file":
        return placed[original.sha256].parent
    _relative_images(originals, original, root, placed)
    return root


def _parse(store: Store, candidate: Candidate, originals: list[Original], root: Path,
           placed: dict[str, Path], limits: Limits | None = None) -> None:
    """Fill ``candidate.record`` or ``candidate.error`` (one line: the reason), reading under
    ``limits`` in a child process (``parsers.sandbox``)."""
    try:
        candidate.record, candidate.has_images = run_limited(
            limits, _read_candidate, store, candidate.originals, originals, root, placed)
    except parsers.ParseError as exc:
        candidate.error = _one_line(exc)
    except Exception as exc:  # a reader's bug must not stop the run; the reason is kept
        candidate.error = f"{type(exc).__name__}: {_one_line(exc)}"


def _read_candidate(store: Store, chosen: list[Original], originals: list[Original], root: Path,
                    placed: dict[str, Path]) -> tuple[dict, bool]:
    """The record read from a candidate's originals, and whether its document had pictures."""
    single = len(chosen) == 1
    first = chosen[0]
    # a ZIP/7z attachment is read through its members (parsers.parse_archive)
    return parsers.parse_originals(
        [store.read_bytes(first.sha256)] if single
        else [placed.get(o.sha256) or store.read_bytes(o.sha256) for o in chosen],
        filename=first.filename if single else None,
        content_type=first.content_type if single else None,
        base_dir=_base_dir(originals, first, root, placed) if single else None,
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def read_candidates(store: Store, originals: list[Original], limits: Limits | None = None) -> list[Candidate]:
    """Parse every candidate of one report (reads the store only: safe in a worker process)."""
    tried = candidates(originals)
    with tempfile.TemporaryDirectory(prefix="nianbao-parse-") as folder:
        root = Path(folder)
        placed = _materialize(store, originals, root)
        for candidate in tried:
            _parse(store, candidate, originals, root, placed, limits)
    return tried


def read_report(store: Store, report_key: str, originals: list[Original], limits: Limits | None = None) -> Reading:
    """Parse every candidate of a report and prepare the rows of the one with most table values."""
    return choose(report_key, originals, read_candidates(store, originals, limits))


def choose(report_key: str, originals: list[Original], tried: list[Candidate]) -> Reading:
    """The candidates that failed, and the rows of the one with most table values."""
    reading = Reading([(o.sha256, c.error) for c in tried if c.record is None for o in c.originals])
    parsed = [c for c in tried if c.record is not None]
    if not parsed:
        return reading
    # Most table values wins; on a tie the earlier candidate (page before attachment) does.
    # A report split over two documents (text on the page, tables attached) is merged.
    choice = merge.choose([(c.label, c.record) for c in parsed])
    best = parsed[choice.tables_from]
    merged_text = parsed[choice.text_from] if choice.text_from is not None else None
    notes = list(choice.notes)
    if len(tried) > 1:
        others = "; ".join(
            f"{c.label}: {c.values} values" if c.record else f"{c.label}: failed ({c.error})"
            for c in tried
            if c is not best
        )
        notes.append(f"record read from {best.label} with {best.values} table values; also tried {others}")
    used = {o.sha256 for c in (best, merged_text) if c is not None for o in c.originals}
    try:
        reading.best = prepare(
            choice.record,
            report_key=report_key,
            sources=[Source(o.sha256, o.role, o.page_no, o.sha256 in used) for o in originals],
            parser_version=parsers.PARSER_VERSION,
            source_url=_source_url(originals, best),
            has_images=best.has_images,
            extra_warnings=notes,
        )
    except Exception as exc:  # e.g. a value no column can hold; the report fails alone
        reading.error = f"{type(exc).__name__}: {_one_line(exc)}"
    return reading


def _read_in_worker(job: tuple[Path, str, list[Original], Limits | None]) -> Reading:
    store_root, report_key, originals, limits = job
    return read_report(Store(store_root), report_key, originals, limits)


def _source_url(originals: list[Original], best: Candidate) -> str:
    """The report's page where there is one (people read reports there), else the file that was read."""
    pages = [o.url for o in originals if o.role == "report_page"]
    return pages[0] if pages else best.originals[0].url


def parse_reports(
    archive: Archive,
    keys: Iterable[str] | None = None,
    *,
    only_pending: bool = True,
    progress: Callable[[str, int | None], None] | None = None,
    workers: int = 0,
    cluster: str | None = None,
    store=None,
    limits: Limits | None = Limits(),
    retry_failed: bool = False,
) -> ParseSummary:
    """Parse and load reports (each in its own transaction); failures are recorded, never raised.

    With ``workers`` > 0, that many processes parse (they read the store only)
    while this process writes every report, in order. With ``cluster`` (a Dask
    scheduler's address) its workers parse, reading the originals from ``store``
    (``archive.store.open_store``; default: the data dir's), see ``archive.cluster``.
    Each file is read under
    ``limits`` (None: unbounded, in the reading process itself). Pending reports
    whose every original failed under this parser version are retried only
    with ``retry_failed``.
    """
    summary = ParseSummary()
    todo: list[tuple[str, list[Original]]] = []
    for key in archive.report_keys() if keys is None else keys:
        originals = sources(archive, key)
        if not originals or (only_pending and not is_pending(archive, key, originals, retry_failed=retry_failed)):
            summary.skipped.append(key)
        else:
            todo.append((key, originals))
    try:
        if cluster and todo:
            from .cluster import read_on_cluster

            readings = read_on_cluster(archive, cluster, todo, summary.failed, store, limits)
            write_readings(archive, readings, summary, progress)
        elif workers > 0 and len(todo) > 1:
            with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent) as pool:
                jobs = [(archive.store.root, key, originals, limits) for key, originals in todo]
                keys = [key for key, _ in todo]
                write_readings(archive, zip(keys, pool.map(_read_in_worker, jobs)), summary, progress)
        else:
            readings = ((key, read_report(archive.store, key, originals, limits)) for key, originals in todo)
            write_readings(archive, readings, summary, progress)
    finally:
        close_sandboxes()  # the readers' child processes end with the parse
    if summary.loaded:
        archive.refresh_statistics()
    return summary


def write_readings(archive: Archive, readings: Iterable[tuple[str, Reading]], summary: ParseSummary,
                   progress: Callable[[str, int | None], None] | None = None) -> None:
    """Write ``(report_key, reading)`` pairs as they come, up to ``REPORTS_PER_COMMIT`` reports per commit.

    Reports are parsed before their batch's transaction opens (parsing can take
    minutes; the write lock is held only to write), and each is written in its own
    savepoint: one that fails rolls back alone. A batch is written once it is full or
    its oldest reading has waited ``COMMIT_EVERY_SECONDS``, so slow parses still commit
    report by report. A crash loses at most the uncommitted batch, never part of a
    report, and those reports stay pending for the next run."""
    batch: list[tuple[str, Reading]] = []
    oldest = 0.0
    for key, reading in readings:
        if not batch:
            oldest = time.monotonic()
        batch.append((key, reading))
        if len(batch) >= REPORTS_PER_COMMIT or time.monotonic() - oldest >= COMMIT_EVERY_SECONDS:
            _write_batch(archive, batch, summary, progress)
            batch = []
    if batch:
        _write_batch(archive, batch, summary, progress)


# Grouping reports per commit saves a WAL commit and an FTS segment flush per report.
REPORTS_PER_COMMIT = 50
COMMIT_EVERY_SECONDS = 2.0


def _write_batch(archive: Archive, batch: list[tuple[str, Reading]], summary: ParseSummary, progress) -> None:
    outcomes = archive.write_readings(batch, parsers.PARSER_VERSION)
    for key, _ in batch:
        report_id, error = outcomes[key]
        if error:
            log.warning("loading %s failed: %s", key, error)
            summary.failed[key] = error
        elif report_id is None:
            reasons = dict.fromkeys(archive.parse_failures(key, parsers.PARSER_VERSION).values())
            summary.failed[key] = "; ".join(reasons) or "no readable original"
        else:
            summary.loaded.append(key)
        if progress:
            progress(key, report_id)

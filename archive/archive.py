"""The ``Archive`` façade: the crawler's contract with the store and the database.

    archive = Archive("data")
    run_id = archive.start_run(sites=["wendeng"])
    result = archive.record_fetch(url=url, status=200, headers=headers, body=body,
                                  crawl_run=run_id, role="report_page", report_key=key)
    archive.finish_run(run_id, counts={"fetched": 1}, status="ok")

Every fetch becomes a ``fetches`` row, failures included; a body becomes a
file in the store and a ``documents`` row (once per distinct sha256). All
database access goes through one connection guarded by a lock, so the
Scrapy pipeline may call from its own thread. The lock and the connection are
the archive's own: callers use the methods below, never SQL of their own.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Mapping

from parsers.limits import MAX_INPUT_BYTES

from . import db as schema
from . import workspace
from .load import Reading, index_sections, write
from .paths import filename_from_content_disposition, filename_from_url, safe_filename
from .store import BodyTooLarge, Store, Stored

FETCH_ROLES = ("list", "report_page", "attachment", "image", "flipbook_page", "file")
# "interrupted": the process running it died (kill -9, power cut); set by the next one to open the archive.
RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted")


@dataclass(frozen=True)
class FetchResult:
    fetch_id: int
    sha256: str | None
    new_document: bool


def normalize_headers(headers: Mapping | Iterable | None) -> dict[str, str | list[str]]:
    """Header mapping as JSON-able text, byte for byte (latin-1) so nothing is lost.

    Accepts a dict, Scrapy's ``Headers`` (bytes keys, lists of bytes values) or
    ``(name, value)`` pairs. A header sent several times keeps every value, as a list.
    """
    if headers is None:
        return {}
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str | list[str]] = {}
    for key, value in items:
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        texts = [_text(v) for v in values if v is not None]
        name = _text(key)
        previous = out.get(name)
        if previous is not None:
            texts = (previous if isinstance(previous, list) else [previous]) + texts
        out[name] = texts[0] if len(texts) == 1 else texts
    return out


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def header_value(headers: Mapping[str, str | list[str]], name: str) -> str | None:
    """Last value of a header, case-insensitively (as HTTP clients read it)."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value[-1] if isinstance(value, list) else value
    return None


class Archive:
    def __init__(self, data_dir: str | Path, *, max_body_size: int = MAX_INPUT_BYTES):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        self.store = Store(self.data_dir / "originals")
        self.max_body_size = max_body_size
        self.db_path = self.data_dir / schema.DB_NAME
        self.db = schema.connect(self.db_path)
        schema.migrate(self.db)
        self.lock = threading.RLock()
        self.mark_interrupted_runs()

    # --- lifecycle -------------------------------------------------------------

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- crawl runs ------------------------------------------------------------

    def start_run(self, sites: Iterable[str] = ()) -> int:
        """A new run, "running"; while it runs its counts name the process (``workspace.owner``)."""
        with self.lock, self.db.atomic():
            table = self.db["crawl_runs"]
            table.insert({"started": schema.utc_now(), "sites": json.dumps(list(sites)), "status": "running",
                          "counts": json.dumps({"owner": workspace.owner()})})
            return table.last_pk

    def mark_interrupted_runs(self) -> list[int]:
        """Mark "interrupted" the runs still "running" whose process is gone; returns their ids."""
        with self.lock:
            rows = self.db.execute("SELECT id, counts FROM crawl_runs WHERE status = 'running'").fetchall()
            gone = [run_id for run_id, counts in rows if workspace.owner_gone(_json_object(counts).get("owner") or {})]
            if gone:
                with self.db.atomic():
                    for run_id in gone:
                        # the owner (pid, host name) is no one's business once it is gone
                        self.db["crawl_runs"].update(run_id, {"status": "interrupted", "finished": schema.utc_now(),
                                                              "counts": "{}"})
        return gone

    def finish_run(self, run_id: int, counts: Mapping | None = None, status: str = "ok") -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {RUN_STATUSES}, not {status!r}")
        with self.lock, self.db.atomic():
            self.db["crawl_runs"].update(
                run_id,
                {"finished": schema.utc_now(), "counts": json.dumps(dict(counts or {}), ensure_ascii=False),
                 "status": status},
            )

    # --- fetches ---------------------------------------------------------------

    def record_fetch(
        self,
        *,
        url: str,
        final_url: str | None = None,
        method: str = "GET",
        status: int | None = None,
        headers: Mapping | Iterable | None = None,
        body: bytes | BinaryIO | None = None,
        crawl_run: int | None = None,
        error: str | None = None,
        referer: str | None = None,
        role: str | None = None,
        report_key: str | None = None,
        filename: str | None = None,
        not_modified: bool = False,
        page_no: int | None = None,
        fetched_at: str | None = None,
        stored_sha256: str | None = None,
        warc_record: tuple[str, str | None] | None = None,
    ) -> FetchResult:
        """Record one fetch; store its body. Never raises for a bad body: the row says why.

        ``body`` is bytes, or a binary file object streamed into the store; or
        ``stored_sha256`` names a body already in the store (a WARC import
        stores and checks payloads first). ``warc_record`` = (WARC-Record-ID,
        payload digest) of the record the fetch comes from, noted in the same
        transaction so that importing the record again finds it.
        A 304 (``not_modified=True``, no body) points at the sha256 the URL last had.
        """
        if role is not None and role not in FETCH_ROLES:
            raise ValueError(f"fetch role must be one of {FETCH_ROLES}, not {role!r}")
        header_map = normalize_headers(headers)
        fetched_at = fetched_at or schema.utc_now()
        stored = None
        if body is not None:
            try:
                stored = self._store_body(body)
            except BodyTooLarge as exc:
                error = _join_errors(error, str(exc))
        elif stored_sha256 is not None:
            stored = Stored(stored_sha256, self.store.path_for(stored_sha256).stat().st_size, new=False)
        sha256 = stored.sha256 if stored else None
        if sha256 is None and not_modified:
            previous = self.previous_fetch(url)
            sha256 = previous["sha256"] if previous else None
        name = filename and safe_filename(filename)
        name = name or filename_from_content_disposition(header_value(header_map, "Content-Disposition"))
        name = name or filename_from_url(final_url or url)
        row = {
            "url": url,
            "final_url": final_url,
            "method": method,
            "status": status,
            "headers": json.dumps(header_map, ensure_ascii=False),
            "fetched_at": fetched_at,
            "sha256": sha256,
            "size": stored.size if stored else None,
            "content_type": header_value(header_map, "Content-Type"),
            "crawl_run": crawl_run,
            "error": error,
            "referer": referer,
            "role": role,
            "report_key": report_key,
            "page_no": page_no,
            "filename": name,
            "not_modified": int(bool(not_modified)),
        }
        # Detected before taking the lock (it may open a zip); only bytes new to the store need it.
        detected = self._detect_format(sha256, name, body) if stored and stored.new else None
        with self.lock, self.db.atomic():
            new_document = False
            if sha256 is not None:
                new_document = self._note_document(sha256, fetched_at, name, detected)
            table = self.db["fetches"]
            table.insert(row)
            fetch_id = table.last_pk
            if warc_record is not None:
                self.db["warc_records"].insert({"record_id": warc_record[0], "payload_digest": warc_record[1],
                                                "fetch_id": fetch_id, "imported_at": schema.utc_now()})
            return FetchResult(fetch_id, sha256, new_document)

    def _store_body(self, body: bytes | BinaryIO):
        if isinstance(body, (bytes, bytearray, memoryview)):
            if len(body) > self.max_body_size:
                raise BodyTooLarge(f"body of {len(body)} bytes exceeds the {self.max_body_size}-byte cap")
            return self.store.put_bytes(bytes(body))
        return self.store.put_stream(body, max_size=self.max_body_size)

    def _note_document(self, sha256: str, seen_at: str, filename: str | None, detected: str | None) -> bool:
        """Insert the documents row for a digest, or widen its seen range. True if new."""
        existing = self.db.execute(
            "SELECT first_seen, last_seen, filename FROM documents WHERE sha256 = ?", [sha256]
        ).fetchone()
        if existing is None:
            self.db["documents"].insert(
                {
                    "sha256": sha256,
                    "format": detected or self._detect_format(sha256, filename),
                    "size": self.store.path_for(sha256).stat().st_size,
                    "first_seen": seen_at,
                    "last_seen": seen_at,
                    "filename": filename,
                }
            )
            return True
        first_seen, last_seen, known_name = existing
        self.db["documents"].update(
            sha256,
            {
                "first_seen": min(first_seen, seen_at),
                "last_seen": max(last_seen, seen_at),
                "filename": known_name or filename,
            },
        )
        return False

    def _detect_format(self, sha256: str, filename: str | None, body=None) -> str | None:
        try:
            from parsers import detect_format

            data = bytes(body) if isinstance(body, (bytes, bytearray, memoryview)) else self.store.read_bytes(sha256)
            return detect_format(data, filename)
        except Exception:  # detection is a label; parsing decides later and records its own error
            return None

    def previous_fetch(self, url: str) -> dict | None:
        """The latest successful fetch of ``url`` (for conditional requests), or None."""
        with self.lock:
            row = self.db.execute(
                """SELECT sha256, headers, status, fetched_at FROM fetches
                   WHERE url = ? AND sha256 IS NOT NULL AND error IS NULL AND (status IS NULL OR status < 400)
                   ORDER BY id DESC LIMIT 1""",
                [url],
            ).fetchone()
        if row is None:
            return None
        sha256, headers_json, status, fetched_at = row
        headers = json.loads(headers_json or "{}")
        return {
            "sha256": sha256,
            "etag": header_value(headers, "ETag"),
            "last_modified": header_value(headers, "Last-Modified"),
            "status": status,
            "fetched_at": fetched_at,
        }

    def fetch_error(self, fetch_id: int) -> str | None:
        """Why a recorded fetch failed (None when it did not)."""
        with self.lock:
            row = self.db.execute("SELECT error FROM fetches WHERE id = ?", [fetch_id]).fetchone()
        return row[0] if row else None

    def recorded_urls(self, run_id: int) -> set[str]:
        """URLs already recorded in a crawl run (a resumed job skips their documents)."""
        with self.lock:
            return {url for (url,) in self.db.execute("SELECT url FROM fetches WHERE crawl_run = ?", [run_id])}

    def run_fetch_counts(self, run_id: int) -> list[tuple[str | None, int, int, int]]:
        """(role, fetches, errors, 304s) of one crawl run, per role."""
        with self.lock:
            return self.db.execute(
                "SELECT role, COUNT(*), COALESCE(SUM(error IS NOT NULL), 0), COALESCE(SUM(not_modified), 0) "
                "FROM fetches WHERE crawl_run = ? GROUP BY role",
                [run_id],
            ).fetchall()

    def last_run_id(self) -> int:
        """The newest crawl or import run's id (0 before the first)."""
        with self.lock:
            return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM crawl_runs").fetchone()[0]

    def runs_since(self, run_id: int) -> list[tuple[int, str, dict]]:
        """(id, status, counts) of the runs after ``run_id``, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT id, status, counts FROM crawl_runs WHERE id > ? ORDER BY id", [run_id]).fetchall()
        return [(rid, status, json.loads(counts or "{}")) for rid, status, counts in rows]

    def archived_fetches(self) -> list[tuple]:
        """Every successful fetch with a body, oldest first (the WARC export's records)."""
        with self.lock:
            return self.db.execute(
                """SELECT id, url, final_url, method, status, headers, fetched_at, sha256, size, referer,
                          not_modified, filename, content_type, role, report_key, page_no, crawl_run
                   FROM fetches WHERE sha256 IS NOT NULL AND error IS NULL ORDER BY id"""
            ).fetchall()

    def body_and_probe_rows(self) -> tuple[list[dict], list[dict]]:
        """Every body a portal named and every report year probed (the WARC export's notes)."""
        with self.lock:
            bodies = [dict(zip(("site", "area", "name", "unit_url"), row)) for row in self.db.execute(
                "SELECT site, area, name, unit_url FROM bodies ORDER BY site, area")]
            probes = [dict(zip(("site", "area", "year", "outcome", "url", "crawl_run"), row)) for row in self.db.execute(
                "SELECT site, area, year, outcome, url, crawl_run FROM year_probes ORDER BY site, area, year")]
        return bodies, probes

    def crawl_run_rows(self) -> list[tuple]:
        """(id, started, finished, sites JSON, status, counts JSON) of every crawl and import run."""
        with self.lock:
            return self.db.execute(
                "SELECT id, started, finished, sites, status, counts FROM crawl_runs ORDER BY id").fetchall()

    # --- WARC import -----------------------------------------------------------

    def imported_warc_record(self, record_id: str) -> tuple[str | None, int] | None:
        """(payload digest, fetch id) of a WARC record imported before, else None."""
        with self.lock:
            return self.db.execute("SELECT payload_digest, fetch_id FROM warc_records WHERE record_id = ?",
                                   [record_id]).fetchone()

    def note_warc_record(self, record_id: str, payload_digest: str | None) -> None:
        """A WARC record imported that is no fetch (a body or probe a crawl noted)."""
        with self.lock, self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO warc_records (record_id, payload_digest, imported_at) "
                            "VALUES (?, ?, ?)", [record_id, payload_digest, schema.utc_now()])

    def warc_crawl_run(self, crawl_id: str, sites: Iterable[str], started: str | None) -> int:
        """The crawl run of a crawl recorded in WARCs (one per crawl id, however many files and imports)."""
        with self.lock, self.db.atomic():
            row = self.db.execute("SELECT crawl_run FROM warc_crawls WHERE crawl_id = ?", [crawl_id]).fetchone()
            if row:
                return row[0]
            runs = self.db["crawl_runs"]
            runs.insert({"started": started or schema.utc_now(), "sites": json.dumps(list(sites)),
                         "status": "running"})
            self.db["warc_crawls"].insert({"crawl_id": crawl_id, "crawl_run": runs.last_pk})
            return runs.last_pk

    def snapshot(self, target: str | Path) -> None:
        """A consistent copy of the database (``VACUUM INTO``), taken while loads may run."""
        with self.lock:
            self.db.execute("VACUUM INTO ?", [str(target)])

    # --- bodies and year coverage ----------------------------------------------------

    def note_body(self, site: str, area: str, name: str | None = None, unit_url: str | None = None) -> None:
        """A body the portal names (``area`` = its USCC): first seen once, last seen now;
        a name or unit page given replaces the one recorded."""
        now = schema.utc_now()
        with self.lock, self.db.atomic():
            self.db.execute(
                """INSERT INTO bodies (site, area, name, unit_url, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (site, area) DO UPDATE SET last_seen = excluded.last_seen,
                       name = COALESCE(excluded.name, name), unit_url = COALESCE(excluded.unit_url, unit_url)""",
                [site, area, name or None, unit_url, now, now],
            )

    def bodies(self, site: str | None = None) -> list[dict]:
        """Recorded bodies (of one site), by site and area."""
        with self.lock:
            cursor = self.db.execute(
                "SELECT site, area, name, unit_url, first_seen, last_seen FROM bodies "
                "WHERE ? IS NULL OR site = ? ORDER BY site, area", [site, site])
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def note_probe(self, site: str, area: str, year: int, outcome: str, url: str,
                   crawl_run: int | None = None) -> None:
        """What probing a body's report year found: ``filed`` or ``not_filed`` (the latest probe counts)."""
        if outcome not in schema.PROBE_OUTCOMES:
            raise ValueError(f"probe outcome must be one of {schema.PROBE_OUTCOMES}, not {outcome!r}")
        with self.lock, self.db.atomic():
            self.db["year_probes"].upsert(
                {"site": site, "area": area, "year": year, "outcome": outcome, "url": url,
                 "probed_at": schema.utc_now(), "crawl_run": crawl_run},
                pk=("site", "area", "year"),
            )

    def probed_areas(self, site: str) -> set[str]:
        """Bodies of a site with at least one year probed (later runs probe only recent years)."""
        with self.lock:
            return {a for (a,) in self.db.execute("SELECT DISTINCT area FROM year_probes WHERE site = ?", [site])}

    def coverage(self, site: str | None = None) -> list[dict]:
        """``body_year_coverage`` rows (of one site): site, area, name, year, status, probed_at, probe_url."""
        with self.lock:
            cursor = self.db.execute(
                "SELECT * FROM body_year_coverage WHERE ? IS NULL OR site = ? ORDER BY site, area, year",
                [site, site])
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]

    # --- reports ---------------------------------------------------------------

    def report_keys(self) -> list[str]:
        """Every report key that has an archived original."""
        with self.lock:
            rows = self.db.execute(
                "SELECT DISTINCT report_key FROM fetches WHERE report_key IS NOT NULL AND sha256 IS NOT NULL "
                "ORDER BY 1"
            ).fetchall()
        return [row[0] for row in rows]

    def report_sources(self, report_key: str) -> list[tuple]:
        """(sha256, url, role, page_no, filename, content_type) of the latest successful fetch of every
        URL recorded under ``report_key`` (list pages left out), in fetch order."""
        with self.lock:
            return self.db.execute(
                """
                SELECT f.sha256, f.url, f.role, f.page_no, COALESCE(f.filename, d.filename), f.content_type
                FROM fetches f JOIN documents d ON d.sha256 = f.sha256
                WHERE f.id IN (
                    SELECT MAX(id) FROM fetches
                    WHERE report_key = ? AND sha256 IS NOT NULL AND error IS NULL
                          AND (status IS NULL OR status < 400) AND COALESCE(role, '') != 'list'
                    GROUP BY url)
                ORDER BY f.id
                """,
                [report_key],
            ).fetchall()

    def latest_reading(self, report_key: str) -> tuple[str, str] | None:
        """(sources_digest, parser_version) of the report's latest version, None if it has none."""
        with self.lock:
            return self.db.execute(
                "SELECT sources_digest, parser_version FROM reports WHERE report_key = ? AND is_latest = 1",
                [report_key],
            ).fetchone()

    def latest_report_ids(self) -> dict[str, int]:
        """report_key -> id of its latest version."""
        with self.lock:
            return dict(self.db.execute("SELECT report_key, id FROM reports WHERE is_latest = 1").fetchall())

    def parse_failures(self, report_key: str, parser_version: str) -> dict[str, str]:
        """sha256 -> why it could not be parsed, of a report's originals under one parser version."""
        with self.lock:
            return dict(self.db.execute(
                "SELECT sha256, error FROM parse_errors WHERE report_key = ? AND parser_version = ?",
                [report_key, parser_version],
            ).fetchall())

    def write_readings(self, batch: list[tuple[str, Reading]], parser_version: str) -> dict[str, tuple]:
        """Write a batch of read reports in ONE commit; returns key -> (report id or None, error or None).

        Each report goes in its own savepoint, so one that fails rolls back alone;
        the failures of its candidates become ``parse_errors`` rows. The batch's
        sections enter the search index once, after the savepoints (FTS5 flushes
        a segment at every savepoint). Should SQLite end the whole transaction
        (e.g. a full disk), each report is written again on its own.
        """
        outcomes: dict[str, tuple] = {}
        with self.lock:
            try:
                with self.db.atomic():
                    for key, reading in batch:
                        outcomes[key] = self._write_reading(key, reading, parser_version, index=False)
                        if not self.db.conn.in_transaction:
                            raise _TransactionLost
                    index_sections(self.db, [rid for rid, _ in outcomes.values() if rid is not None])
            except _TransactionLost:
                # The reports written before the error went with it: each is written again, alone.
                for key, reading in batch:
                    if outcomes.get(key, (None, None))[1] is None:
                        outcomes[key] = self._write_reading(key, reading, parser_version, index=True)
        return outcomes

    def _write_reading(self, key: str, reading: Reading, parser_version: str, *, index: bool) -> tuple:
        try:
            with self.db.atomic():
                for sha256, error in reading.failures:
                    self.db["parse_errors"].upsert(
                        {"report_key": key, "sha256": sha256, "parser_version": parser_version,
                         "error": error, "failed_at": schema.utc_now()},
                        pk=("report_key", "sha256", "parser_version"),
                    )
                if reading.error:
                    raise _Unloadable(reading.error)
                if reading.best is None:
                    return None, None
                return write(self.db, reading.best, index=index), None
        except _Unloadable as exc:
            return None, str(exc)
        except Exception as exc:  # e.g. a record the database refuses; the next report still loads
            return None, f"{type(exc).__name__}: {_one_line(exc)}"

    def refresh_statistics(self) -> None:
        """After loads: the comparison table brought up to date (``db.refresh_report_totals``), the
        publication's counts and totals rebuilt from it and the reports (``db.refresh_counts``), then
        the query planner's statistics (``db.refresh_statistics``)."""
        with self.lock, self.db.atomic():
            schema.refresh_report_totals(self.db)
            schema.refresh_counts(self.db)
            schema.refresh_statistics(self.db)


class _Unloadable(Exception):
    """The best record could not be turned into rows; the message says why."""


class _TransactionLost(Exception):
    """A report's error ended the batch's whole transaction (SQLite does so for e.g. a full disk)."""


def _json_object(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _join_errors(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second

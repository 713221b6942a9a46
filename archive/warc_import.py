"""WARC in: load WARC files (nianbao's own, wget's, Browsertrix's, the Wayback
Machine's) into the archive as fetch rows, originals and crawl runs.

Streaming, record by record (warcio): a payload goes through a spool (memory up
to 8 MB, then a temporary file) while its declared ``WARC-Payload-Digest`` is
checked, and reaches the store only when it is whole and matches. A record
that is truncated, has a bad digest, declares more than the size cap, or is not
an HTTP exchange is one error line; the rest of the file is imported.

Three passes:

1. read: payloads into the store; exchanges (response, revisit, resource)
   with their request and nianbao metadata records joined by
   ``WARC-Concurrent-To``; redirects (a 3xx whose target was captured too)
   joined into one fetch, as Scrapy records them;
2. classify: exchanges without nianbao metadata get role, report key, file
   name and page number from ``classify`` (the crawler's classification,
   passed in by the application: the archive does not import the crawler);
3. record: one fetch row per exchange, with its WARC-Record-ID and payload
   digest in the same transaction, so importing a record again changes nothing.

A crawl recorded by nianbao's crawl processes (a crawl id in its metadata)
becomes one crawl run however many files and imports it took; other WARCs
become one run per import.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

from parsers.limits import MAX_INPUT_BYTES

from .archive import Archive
from .warc import CRAWL_URI_PREFIX, FETCH_METADATA_TYPE, NOTE_URI_PREFIX

CHUNK = 1 << 20
SPOOL_IN_MEMORY = 8 << 20
EXCHANGE_TYPES = ("response", "revisit", "resource")


@dataclass
class Exchange:
    """One fetch as the WARC holds it (a redirect chain already joined)."""
    record_id: str
    uri: str
    fetched_at: str
    digest: str | None
    url: str | None = None            # first URL of a redirect chain (None: uri)
    method: str = "GET"
    status: int | None = None
    headers: list = field(default_factory=list)
    referer: str | None = None
    sha256: str | None = None
    error: str | None = None
    not_modified: bool = False
    meta: dict | None = None          # nianbao's metadata record, when the WARC has one
    location: str | None = None       # a 3xx's target
    concurrent: str | None = None     # WARC-Concurrent-To (wget: the request record)
    resource: bool = False            # a resource record: its "headers" are the record's Content-Type

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "") or ""


@dataclass
class Classified:
    role: str | None = None
    report_key: str | None = None
    filename: str | None = None
    page_no: int | None = None


@dataclass
class ImportResult:
    records: int = 0                      # fetch rows written
    skipped: int = 0                      # records imported before
    errors: list[str] = field(default_factory=list)
    report_keys: list[str] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)


# classify(exchanges, read_body) -> {record_id: Classified}
Classifier = Callable[[list[Exchange], Callable[[str], bytes]], dict[str, Classified]]


def is_warc(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in (".warc", ".warc.gz", ".warc.open", ".warc.gz.open"))


class RecordError(Exception):
    """This record cannot be imported; the message says why."""


def _digest_check(declared: str | None):
    """(hash object, expected value) for a ``algo:value`` digest in base32 or hex; None when absent."""
    if not declared or ":" not in declared:
        return None
    algo, _, value = declared.partition(":")
    try:
        return hashlib.new(algo.lower().replace("-", "")), value.strip()
    except ValueError:
        return None  # an algorithm hashlib does not know: not checked


def _matches(hasher, expected: str) -> bool:
    digest = hasher.digest()
    return expected.upper() in (base64.b32encode(digest).decode(), digest.hex().upper())


def _spool_payload(record, max_size: int):
    """The record's payload (raw, as recorded) in a spool, checked against its length and digest."""
    declared = record.length - (record.http_headers.total_len if record.http_headers else 0)
    if declared > max_size:
        raise RecordError(f"payload of {declared} bytes exceeds the {max_size}-byte cap; not imported")
    check = _digest_check(record.rec_headers.get_header("WARC-Payload-Digest"))
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    size = 0
    try:
        while chunk := record.raw_stream.read(CHUNK):
            size += len(chunk)
            if check:
                check[0].update(chunk)
            spool.write(chunk)
    except (EOFError, zlib.error, OSError) as exc:
        spool.close()
        raise RecordError(f"truncated record ({type(exc).__name__}: {exc})") from None
    if size < declared:
        spool.close()
        raise RecordError(f"truncated record: {size} of {declared} payload bytes")
    if check and not _matches(*check):
        spool.close()
        raise RecordError(f"payload digest mismatch: declared {record.rec_headers.get_header('WARC-Payload-Digest')}")
    spool.seek(0)
    return spool


def _decoded(spool, headers: list) -> io.IOBase:
    """The payload as Scrapy hands it to the crawler: de-chunked and decompressed."""
    names = {k.lower(): v.lower() for k, v in headers}
    stream = spool
    if "chunked" in names.get("transfer-encoding", ""):
        stream = ChunkedDataReader(stream)
    encoding = names.get("content-encoding", "").strip()
    if encoding in ("gzip", "x-gzip", "deflate", "br"):
        stream = BufferedReader(stream, decomp_type="gzip" if encoding == "x-gzip" else encoding)
    return stream


def _status(record) -> int | None:
    try:
        return int(record.http_headers.get_statuscode())
    except (AttributeError, TypeError, ValueError):
        return None


def _header_pairs(record) -> list:
    return list(record.http_headers.headers) if record.http_headers else []


class Reader:
    """Pass 1 over one import's files."""

    def __init__(self, archive: Archive, max_size: int):
        self.archive = archive
        self.max_size = max_size
        self.exchanges: list[Exchange] = []
        self.by_id: dict[str, Exchange] = {}
        self.requests: dict[str, tuple[str, str | None]] = {}   # concurrent record id -> (method, referer)
        self.metadata: dict[str, dict] = {}                      # concurrent record id -> nianbao fields
        self.crawls: dict[str, list[dict]] = {}                  # crawl id -> its start/end records
        self.notes: list[tuple[str, str, dict]] = []             # (record id, "body" | "probe", fields)
        self.errors: list[str] = []
        self.skipped = 0

    def read(self, path: Path) -> None:
        try:
            stream = path.open("rb")
        except OSError as exc:
            self.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            return
        with stream:
            iterator = ArchiveIterator(stream)
            offset = 0
            try:
                for record in iterator:
                    try:
                        self.record(record)
                    except RecordError as exc:
                        uri = record.rec_headers.get_header("WARC-Target-URI") or "-"
                        self.errors.append(f"{path}: record at offset {iterator.get_record_offset()} ({uri}): {exc}")
                        self.failed(record, str(exc))
                    # (asked after reading: warcio finds a record's offset by reading to its end)
                    offset = iterator.get_record_offset() + iterator.get_record_length()
            except Exception as exc:  # a torn gzip member or header: nothing readable after it
                self.errors.append(f"{path}: unreadable after offset {offset} "
                                   f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); rest skipped")

    def record(self, record) -> None:
        kind = record.rec_type
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        uri = headers.get_header("WARC-Target-URI") or ""
        concurrent = headers.get_header("WARC-Concurrent-To")
        if kind == "request":
            if record.http_headers:
                # warcio reads a request line's method as its "protocol"
                request = (record.http_headers.protocol or "GET", record.http_headers.get_header("Referer"))
                self.requests[record_id] = request  # wget: the response points at its request
                if concurrent:
                    self.requests[concurrent] = request  # warcio's pairs: the request points at its response
            return
        if kind == "metadata":
            if (headers.get_header("Content-Type") or "").startswith(FETCH_METADATA_TYPE):
                try:
                    fields = json.loads(record.content_stream().read().decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise RecordError(f"nianbao metadata record unreadable ({exc}); its fetch is imported without it")
                if uri.startswith(CRAWL_URI_PREFIX):
                    self.crawls.setdefault(fields["crawl"], []).append(fields)
                elif uri.startswith(NOTE_URI_PREFIX):
                    if self.archive.imported_warc_record(record_id) is None:
                        self.notes.append((record_id, uri[len(NOTE_URI_PREFIX):].split(":", 1)[0], fields))
                    else:
                        self.skipped += 1
                elif concurrent:
                    self.metadata[concurrent] = fields
                else:  # a fetch that failed: no response record
                    self.add(Exchange(record_id, uri, headers.get_header("WARC-Date"), None, meta=fields))
            return
        if kind not in EXCHANGE_TYPES:
            return  # warcinfo, conversion, continuation: nothing to fetch-record
        scheme = urlsplit(uri).scheme.lower()
        if scheme not in ("http", "https", "file"):
            raise RecordError(f"{kind} record of a {scheme or 'schemeless'}: URI, not an HTTP exchange; skipped")
        digest = headers.get_header("WARC-Payload-Digest")
        seen = self.archive.imported_warc_record(record_id)
        if seen is not None:
            if seen[0] != digest:
                raise RecordError(f"{record_id} was imported before with another payload digest; skipped")
            self.skipped += 1
            return
        exchange = Exchange(record_id, uri, headers.get_header("WARC-Date"), digest, concurrent=concurrent)
        if kind == "resource":
            exchange.resource = True
            exchange.headers = [("Content-Type", headers.get_header("Content-Type") or "")]
        else:
            if not record.http_headers or not record.http_headers.protocol.upper().startswith("HTTP"):
                raise RecordError(f"{kind} record without an HTTP status line; skipped")
            exchange.status = _status(record)
            exchange.headers = _header_pairs(record)
        if kind == "revisit":
            exchange.not_modified = True
            exchange.sha256 = _sha256_of(digest)
            if exchange.sha256 and exchange.sha256 not in self.archive.store:
                exchange.sha256 = None
        elif exchange.status is not None and 300 <= exchange.status < 400:
            location = record.http_headers.get_header("Location")
            exchange.location = urljoin(uri, location) if location else None
            if record.length:
                _spool_payload(record, self.max_size).close()  # checked, not kept (Scrapy keeps no 3xx body)
        else:
            with _spool_payload(record, self.max_size) as spool:
                payload = spool if kind == "resource" else _decoded(spool, exchange.headers)
                try:
                    exchange.sha256 = self.archive.store.put_stream(payload, max_size=self.max_size).sha256
                except (zlib.error, EOFError, ValueError) as exc:  # BodyTooLarge is a ValueError too
                    raise RecordError(f"payload not stored: {type(exc).__name__}: {exc}") from None
        self.add(exchange)

    def failed(self, record, reason: str) -> None:
        """A response that could not be imported is a fetch row with the error, as a crawl records one."""
        if record.rec_type != "response":
            return
        headers = record.rec_headers
        uri = headers.get_header("WARC-Target-URI") or ""
        if urlsplit(uri).scheme.lower() not in ("http", "https"):
            return
        exchange = Exchange(headers.get_header("WARC-Record-ID"), uri, headers.get_header("WARC-Date"),
                            headers.get_header("WARC-Payload-Digest"), status=_status(record),
                            headers=_header_pairs(record), error=reason)
        if self.archive.imported_warc_record(exchange.record_id) is None:
            self.add(exchange)

    def add(self, exchange: Exchange) -> None:
        if exchange.record_id in self.by_id:
            return  # the same record twice in one import
        self.exchanges.append(exchange)
        self.by_id[exchange.record_id] = exchange

    def joined(self) -> list[Exchange]:
        """Requests and metadata attached; redirect hops folded into their final response."""
        for exchange in self.exchanges:
            exchange.meta = exchange.meta or self.metadata.get(exchange.record_id)
            request = self.requests.get(exchange.record_id) or self.requests.get(exchange.concurrent)
            exchange.method, exchange.referer = request or ("GET", None)
        by_uri = {}
        for exchange in self.exchanges:
            if exchange.location is None and exchange.error is None:
                by_uri.setdefault(exchange.uri, exchange)
        kept = []
        for exchange in self.exchanges:
            if exchange.location and exchange.meta is None:
                target, hops = by_uri.get(exchange.location), 0
                while target is None and hops < 5:
                    hop = next((e for e in self.exchanges if e.uri == exchange.location and e.location), None)
                    if hop is None:
                        break
                    target, hops = by_uri.get(hop.location), hops + 1
                if target is not None and target.meta is None:
                    target.url = target.url or exchange.uri
                    continue
            kept.append(exchange)
        return kept


def _sha256_of(digest: str | None) -> str | None:
    if not digest or not digest.lower().startswith("sha256:"):
        return None
    value = digest.split(":", 1)[1].strip()
    try:
        return base64.b32decode(value.upper()).hex() if len(value) == 52 else bytes.fromhex(value).hex()
    except ValueError:
        return None


def import_warcs(archive: Archive, paths: Iterable[str | Path], classify: Classifier | None = None,
                 max_size: int = MAX_INPUT_BYTES) -> ImportResult:
    reader = Reader(archive, max_size)
    for path in paths:
        reader.read(Path(path))
    exchanges = reader.joined()
    foreign = [e for e in exchanges if e.meta is None]
    classified = classify(foreign, archive.store.read_bytes) if classify and foreign else {}
    result = ImportResult(skipped=reader.skipped, errors=reader.errors)
    runs: dict[str | None, int] = {}
    for exchange in exchanges:
        crawl = (exchange.meta or {}).get("crawl")
        if crawl not in runs:
            runs[crawl] = _run_for(archive, crawl, reader.crawls.get(crawl, []))
        fields = _fetch_fields(exchange, classified.get(exchange.record_id, Classified()))
        archive.record_fetch(**fields, crawl_run=runs[crawl], fetched_at=_iso(exchange.fetched_at),
                             stored_sha256=exchange.sha256,
                             warc_record=(exchange.record_id, exchange.digest))
        result.records += 1
        if fields["report_key"] and exchange.sha256 and not fields["error"]:
            result.report_keys.append(fields["report_key"])
    for record_id, kind, fields in reader.notes:  # bodies and probes the crawl noted
        crawl = fields.get("crawl")
        if kind == "body":
            archive.note_body(fields["site"], fields["area"], fields.get("name"), fields.get("unit_url"))
        elif kind == "probe":
            if crawl not in runs:
                runs[crawl] = _run_for(archive, crawl, reader.crawls.get(crawl, []))
            archive.note_probe(fields["site"], fields["area"], fields["year"], fields["outcome"], fields["url"],
                               runs[crawl])
        archive.note_warc_record(record_id, None)
    for crawl, run_id in runs.items():
        _finish_run(archive, run_id, reader.crawls.get(crawl, []))
    result.runs = list(runs.values())
    result.report_keys = list(dict.fromkeys(result.report_keys))
    return result


def _fetch_fields(exchange: Exchange, classified: Classified) -> dict:
    meta = exchange.meta
    if meta is not None:
        return {
            "url": meta.get("url") or exchange.uri, "final_url": meta.get("final_url"),
            "method": meta.get("method") or exchange.method, "status": meta.get("status", exchange.status),
            "headers": [] if exchange.resource else _sent_headers(exchange.headers),
            "error": meta.get("error") or exchange.error,
            "referer": meta.get("referer"), "role": meta.get("role"), "report_key": meta.get("report_key"),
            "filename": meta.get("filename"), "page_no": meta.get("page_no"),
            "not_modified": bool(meta.get("not_modified")),
        }
    url = exchange.url or exchange.uri
    return {
        "url": url, "final_url": exchange.uri if url != exchange.uri else None, "method": exchange.method,
        "status": exchange.status, "headers": exchange.headers, "error": exchange.error or _http_error(exchange),
        "referer": exchange.referer, "role": classified.role, "report_key": classified.report_key,
        "filename": classified.filename, "page_no": classified.page_no, "not_modified": exchange.not_modified,
    }


def _sent_headers(pairs: list) -> list:
    """The headers as the server sent them, from a WARC nianbao wrote: its ``X-Archive-Orig-*``
    names restored, the Content-Length it added (the stored size) left out (archive/warc.py)."""
    prefix = "x-archive-orig-"
    return [(name[len(prefix):], value) if name.lower().startswith(prefix) else (name, value)
            for name, value in pairs if name.lower() != "content-length"]


def _http_error(exchange: Exchange) -> str | None:
    return f"HTTP {exchange.status}" if exchange.status and exchange.status >= 400 else None


def _iso(warc_date: str | None) -> str | None:
    """WARC-Date (``…Z``) in the archive's own form."""
    if not warc_date:
        return None
    from datetime import datetime

    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).isoformat(timespec="seconds")


def _run_for(archive: Archive, crawl: str | None, events: list[dict]) -> int:
    if crawl is None:
        return archive.start_run(sites=["import"])
    sites = next((e.get("sites") for e in events if e.get("sites")), [])
    started = min((e["started"] for e in events if e.get("started")), default=None)
    return archive.warc_crawl_run(crawl, sites, started)


def _finish_run(archive: Archive, run_id: int, events: list[dict]) -> None:
    """Counts as the crawl pipeline counts them; the status as a direct crawl's: ok when the frontier
    was drained (a process ended ``finished``) with no error, partial otherwise, failed without fetches."""
    counts = Counter()
    for role, n, errors, not_modified in archive.run_fetch_counts(run_id):
        counts[role or "other"] += n
        counts["fetches"] += n
        counts["errors"] += errors
        counts["not_modified"] += not_modified
    # An exported run states its counts (the crawl's own, budgets and traps included): kept as they were.
    stated_counts = [e["counts"] for e in events if e.get("counts")]
    stated = [e["status"] for e in events if e.get("status")]
    if stated_counts and stated:
        archive.finish_run(run_id, counts=stated_counts[-1], status=stated[-1])
        return
    finished = any(e.get("reason") == "finished" for e in events) or not events
    if not counts["fetches"]:
        status = "failed"
    elif stated and not counts["errors"]:
        status = stated[-1]
    else:
        status = "ok" if finished and not counts["errors"] else "partial"
    archive.finish_run(run_id, counts=dict(counts), status=status)

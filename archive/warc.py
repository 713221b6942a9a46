"""WARC/1.1 export of the archived fetches (warcio).

HTTP(S) fetches become request/response pairs with the original headers;
304s become revisit records pointing at the payload they confirmed; local
imports (``file:`` URLs) become resource records. Every record carrying a
payload has ``WARC-Payload-Digest: sha256:<base32>`` — the digest the store
files it under, so a WARC reader can check each payload against the store.

Every fetch also gets a ``metadata`` record (``WARC-Concurrent-To`` its
response; ``Content-Type: application/vnd.nianbao.fetch+json``) holding what
the archive knows beyond HTTP: role, report key, page number, file name, crawl.
Crawl processes write the same records (crawler/warc_writer.py), and ``nianbao
import`` reads them back (archive/warc_import.py), so a WARC made by nianbao
gives back exactly the fetch rows it came from.

Scrapy hands over bodies already decoded, so headers describing the transfer
(Content-Encoding, Transfer-Encoding) are kept renamed ``X-Archive-Orig-*``
and Content-Length states the payload's real size: replay tools then read
the payload as stored.
"""

from __future__ import annotations

import base64
import io
import json
import mimetypes
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .archive import Archive

# Headers that describe the bytes on the wire, not the payload as stored.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


FETCH_METADATA_TYPE = "application/vnd.nianbao.fetch+json"
CRAWL_URI_PREFIX = "urn:nianbao:crawl:"
# The fetch row's fields a metadata record carries (url/final_url when a redirect chain ended elsewhere).
FETCH_FIELDS = ("url", "final_url", "method", "status", "error", "referer", "role", "report_key", "filename",
                "page_no", "not_modified")


def fetch_metadata_record(writer, target_uri: str, fields: dict, *, crawl: str | None, date: str,
                          concurrent_to: str | None = None):
    """The metadata record of one fetch (a failed fetch has this record alone)."""
    body = {k: fields.get(k) for k in FETCH_FIELDS if fields.get(k) not in (None, False)}
    body["crawl"] = crawl
    headers = {"WARC-Date": date}
    if concurrent_to:
        headers["WARC-Concurrent-To"] = concurrent_to
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return writer.create_warc_record(target_uri, "metadata", payload=io.BytesIO(data), length=len(data),
                                     warc_content_type=FETCH_METADATA_TYPE, warc_headers_dict=headers)


def crawl_record(writer, crawl: str, fields: dict, *, date: str):
    """A crawl's start or end (``event``), with its sites, start time and, at the end, why it ended."""
    data = json.dumps({"crawl": crawl, **fields}, ensure_ascii=False).encode("utf-8")
    return writer.create_warc_record(CRAWL_URI_PREFIX + crawl, "metadata", payload=io.BytesIO(data),
                                     length=len(data), warc_content_type=FETCH_METADATA_TYPE,
                                     warc_headers_dict={"WARC-Date": date})


NOTE_URI_PREFIX = "urn:nianbao:"  # urn:nianbao:body:… and urn:nianbao:probe:… (what a crawl noted besides fetches)


def note_record(writer, kind: str, fields: dict, *, crawl: str | None, date: str):
    """A body a portal names (``kind`` "body") or a report year probed ("probe"), for the
    archive's ``bodies`` and ``year_probes`` (``Archive.note_body`` / ``note_probe``)."""
    data = json.dumps({"crawl": crawl, **fields}, ensure_ascii=False).encode("utf-8")
    key = ":".join(str(fields.get(k, "")) for k in ("site", "area", "year") if k in fields)
    return writer.create_warc_record(f"{NOTE_URI_PREFIX}{kind}:{key}", "metadata", payload=io.BytesIO(data),
                                     length=len(data), warc_content_type=FETCH_METADATA_TYPE,
                                     warc_headers_dict={"WARC-Date": date})


def warc_date(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_digest(sha256_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _warc_date(fetched_at: str) -> str:
    moment = datetime.fromisoformat(fetched_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return warc_date(moment)


def _header_list(headers_json: str | None) -> list[tuple[str, str]]:
    pairs = []
    for name, value in json.loads(headers_json or "{}").items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


def response_headers(pairs: list[tuple[str, str]], size: int) -> list[tuple[str, str]]:
    kept = [(f"X-Archive-Orig-{n}", v) if n.lower() in TRANSFER_HEADERS else (n, v) for n, v in pairs]
    return kept + [("Content-Length", str(size))]


def status_line(status: int | None) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def export_crawl_id(run_id: int, started: str) -> str:
    """A crawl run's id in exported WARCs (unique enough: run ids repeat between archives, start times do not)."""
    return f"run-{run_id}-{started}"


def write_warc(archive: Archive, target: str | Path) -> int:
    """Write every archived fetch with content to ``target``; returns the number of records.

    ``.warc.gz`` (or any name but ``.warc``) writes gzip per record, as is usual.
    """
    target = Path(target)
    fetches = archive.archived_fetches()
    runs = {run_id: (started, finished, sites, status, counts)
            for run_id, started, finished, sites, status, counts in archive.crawl_run_rows()}
    records = 0
    first_capture: dict[str, tuple[str, str]] = {}  # sha256 -> (uri, WARC-Date) of its first response
    with target.open("wb") as out:
        writer = WARCWriter(out, gzip=target.suffix != ".warc", warc_version="1.1")
        crawl_ids = {}
        for run_id in sorted({row[-1] for row in fetches if row[-1] in runs}):
            started, finished, sites, status, counts = runs[run_id]
            crawl_ids[run_id] = export_crawl_id(run_id, started)
            writer.write_record(crawl_record(
                writer, crawl_ids[run_id],
                {"event": "end", "sites": json.loads(sites or "[]"), "started": started, "finished": finished,
                 "status": status, "counts": json.loads(counts or "{}")}, date=_warc_date(finished or started)))
            records += 1
        for (fetch_id, url, final_url, method, status, headers_json, fetched_at, sha256, size, referer,
             not_modified, filename, content_type, role, report_key, page_no, crawl_run) in fetches:
            uri = final_url or url
            date = _warc_date(fetched_at)
            common = {"WARC-Date": date, "WARC-Payload-Digest": payload_digest(sha256)}
            fields = {"url": url, "final_url": final_url, "method": method, "status": status, "referer": referer,
                      "role": role, "report_key": report_key, "filename": filename, "page_no": page_no,
                      "not_modified": bool(not_modified)}
            if urlsplit(uri).scheme == "file":
                record = resource_record(writer, archive, uri, sha256, filename, content_type, common)
            else:
                record = _write_exchange(writer, archive, uri, method, status, headers_json, referer, sha256,
                                         not_modified, date, common, first_capture)
            writer.write_record(fetch_metadata_record(
                writer, uri, fields, crawl=crawl_ids.get(crawl_run), date=date,
                concurrent_to=record.rec_headers.get_header("WARC-Record-ID")))
            records += (1 if record.rec_type != "response" else 2) + 1
        bodies, probes = archive.body_and_probe_rows()
        for body in bodies:
            writer.write_record(note_record(writer, "body", body, crawl=None, date=warc_date()))
        for probe in probes:
            run_id = probe.pop("crawl_run")
            writer.write_record(note_record(writer, "probe", probe, crawl=crawl_ids.get(run_id), date=warc_date()))
        records += len(bodies) + len(probes)
    return records


def _write_exchange(writer, archive, uri, method, status, headers_json, referer, sha256, not_modified, date,
                    common, first_capture):
    """A request/response pair, or a revisit for a 304 of a payload captured before; returns the main record."""
    pairs = _header_list(headers_json)
    if not_modified and sha256 in first_capture:
        refers_uri, refers_date = first_capture[sha256]
        record = writer.create_revisit_record(
            uri, common["WARC-Payload-Digest"], refers_uri, refers_date,
            http_headers=StatusAndHeaders(status_line(status), pairs, protocol="HTTP/1.1"),
        )
        writer.write_record(record)
        return record
    first_capture.setdefault(sha256, (uri, date))
    request = writer.create_warc_record(
        uri, "request",
        http_headers=request_headers(uri, method, referer),
        warc_headers_dict={"WARC-Date": date},
    )
    with archive.store.open(sha256) as payload:
        size = archive.store.path_for(sha256).stat().st_size
        response = writer.create_warc_record(
            uri, "response",
            payload=payload,
            length=size,
            http_headers=StatusAndHeaders(
                status_line(status or 200), response_headers(pairs, size), protocol="HTTP/1.1"
            ),
            warc_headers_dict=common,
        )
        writer.write_request_response_pair(request, response)
    return response


def request_headers(uri: str, method: str | None, referer: str | None) -> StatusAndHeaders:
    parts = urlsplit(uri)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # A request line is ASCII: a URL kept with its Chinese characters went out percent-encoded.
    path = quote(path, safe="/?&=%:@!$'()*+,;~-._")
    pairs = [("Host", parts.netloc)] + ([("Referer", quote(referer, safe=":/?&=%#@!$'()*+,;~-._"))]
                                         if referer else [])
    return StatusAndHeaders(f"{method or 'GET'} {path} HTTP/1.1", pairs, protocol="HTTP/1.1", is_http_request=True)


def resource_record(writer, archive, uri, sha256, filename, content_type, common):
    mime = content_type or mimetypes.guess_type(filename or uri)[0] or "application/octet-stream"
    with archive.store.open(sha256) as payload:
        record = writer.create_warc_record(
            uri, "resource",
            payload=payload,
            length=archive.store.path_for(sha256).stat().st_size,
            warc_content_type=mime,
            warc_headers_dict=common,
        )
        writer.write_record(record)
    return record

"""WARC/1.1 export of the archived fetches (warcio).

HTTP(S) fetches become request/response pairs with the original headers;
304s become revisit records pointing at the payload they confirmed; local
imports (``file:`` URLs) become resource records. Every record carrying a
payload has ``WARC-Payload-Digest: sha256:<base32>`` — the digest the store
files it under, so a WARC reader can check each payload against the store.

Scrapy hands over bodies already decoded, so headers describing the transfer
(Content-Encoding, Transfer-Encoding) are kept renamed ``X-Archive-Orig-*``
and Content-Length states the payload's real size: replay tools then read
the payload as stored.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .archive import Archive

# Headers that describe the bytes on the wire, not the payload as stored.
TRANSFER_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def payload_digest(sha256_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def _warc_date(fetched_at: str) -> str:
    moment = datetime.fromisoformat(fetched_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _header_list(headers_json: str | None) -> list[tuple[str, str]]:
    pairs = []
    for name, value in json.loads(headers_json or "{}").items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


def _response_headers(pairs: list[tuple[str, str]], size: int) -> list[tuple[str, str]]:
    kept = [(f"X-Archive-Orig-{n}", v) if n.lower() in TRANSFER_HEADERS else (n, v) for n, v in pairs]
    return kept + [("Content-Length", str(size))]


def _status_line(status: int | None) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def write_warc(archive: Archive, target: str | Path) -> int:
    """Write every archived fetch with content to ``target``; returns the number of records.

    ``.warc.gz`` (or any name but ``.warc``) writes gzip per record, as is usual.
    """
    target = Path(target)
    fetches = archive.archived_fetches()
    records = 0
    first_capture: dict[str, tuple[str, str]] = {}  # sha256 -> (uri, WARC-Date) of its first response
    with target.open("wb") as out:
        writer = WARCWriter(out, gzip=target.suffix != ".warc", warc_version="1.1")
        for (fetch_id, url, final_url, method, status, headers_json, fetched_at, sha256, size, referer,
             not_modified, filename, content_type) in fetches:
            uri = final_url or url
            date = _warc_date(fetched_at)
            common = {"WARC-Date": date, "WARC-Payload-Digest": payload_digest(sha256)}
            if urlsplit(uri).scheme == "file":
                records += _write_resource(writer, archive, uri, sha256, filename, content_type, common)
                continue
            pairs = _header_list(headers_json)
            if not_modified and sha256 in first_capture:
                refers_uri, refers_date = first_capture[sha256]
                writer.write_record(
                    writer.create_revisit_record(
                        uri, common["WARC-Payload-Digest"], refers_uri, refers_date,
                        http_headers=StatusAndHeaders(_status_line(status), pairs, protocol="HTTP/1.1"),
                    )
                )
                records += 1
                continue
            first_capture.setdefault(sha256, (uri, date))
            request = writer.create_warc_record(
                uri, "request",
                http_headers=_request_headers(uri, method, referer),
                warc_headers_dict={"WARC-Date": date},
            )
            with archive.store.open(sha256) as payload:
                size = archive.store.path_for(sha256).stat().st_size
                response = writer.create_warc_record(
                    uri, "response",
                    payload=payload,
                    length=size,
                    http_headers=StatusAndHeaders(
                        _status_line(status or 200), _response_headers(pairs, size), protocol="HTTP/1.1"
                    ),
                    warc_headers_dict=common,
                )
                writer.write_request_response_pair(request, response)
            records += 2
    return records


def _request_headers(uri: str, method: str | None, referer: str | None) -> StatusAndHeaders:
    parts = urlsplit(uri)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs = [("Host", parts.netloc)] + ([("Referer", referer)] if referer else [])
    return StatusAndHeaders(f"{method or 'GET'} {path} HTTP/1.1", pairs, protocol="HTTP/1.1", is_http_request=True)


def _write_resource(writer, archive, uri, sha256, filename, content_type, common) -> int:
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
    return 1

"""``nianbao crawl --warc-dir DIR``: each crawl process records what it fetches
as WARC/1.1 files instead of writing to the central SQLite archive.

Per fetch: a request record, a response record (the body as Scrapy handed it,
with the transfer headers renamed as the export renames them) and a metadata
record carrying the fetch row's other fields (role, report key, …; see
archive/warc.py). A failed fetch is a metadata record alone; the bodies a
portal names and the report years probed are metadata records too
(``urn:nianbao:body:…``, ``urn:nianbao:probe:…``). Each file opens
with a ``warcinfo`` record and a crawl ``start`` record; the process's last
file ends with a crawl ``end`` record naming why the process stopped.

Files are ``nianbao-<crawl>-<time>-<worker>-<serial>.warc.gz``: the crawl id
(shared by every process of a crawl), the process id, a serial per rotation,
so names never clash between processes or machines. A file being written ends
in ``.open``; it is renamed when complete (at the size limit
``NIANBAO_WARC_MAX_BYTES`` or at the end). Every record is flushed when
written: after ``kill -9`` an ``.open`` file holds every record acknowledged
to the frontier, and ``nianbao import`` reads it like any other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.archive import normalize_headers
from archive.warc import (crawl_record, fetch_metadata_record, note_record, request_headers, response_headers,
                          status_line, warc_date)

from .items import BodyItem, FetchItem, ProbeItem
from .journal import JobJournal

logger = logging.getLogger(__name__)

DIR_SETTING = "NIANBAO_WARC_DIR"
MAX_BYTES_SETTING = "NIANBAO_WARC_MAX_BYTES"


def _pairs(headers) -> list[tuple[str, str]]:
    pairs = []
    for name, value in normalize_headers(headers).items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, one))
    return pairs


class RotatingWarc:
    """WARC files of one process, rotated at a size limit; one record group at a time."""

    def __init__(self, directory: Path, crawl: str, worker: str, max_bytes: int, info: dict):
        self.directory = directory
        self.crawl, self.worker, self.max_bytes, self.info = crawl, worker, max_bytes, info
        self.serial = 0
        self.out = self.writer = self.path = None
        self.writing = threading.Lock()  # one record group at a time
        directory.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        self.serial += 1
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        name = f"nianbao-{self.crawl[:12]}-{stamp}-{self.worker}-{self.serial:05d}.warc.gz"
        self.path = self.directory / name
        self.out = open(self.directory / (name + ".open"), "xb")
        self.writer = WARCWriter(self.out, gzip=True, warc_version="1.1")
        self.writer.write_record(self.writer.create_warcinfo_record(name, {
            "software": "nianbao (Scrapy)", "format": "WARC File Format 1.1",
            "isPartOf": self.crawl, "nianbao-worker": self.worker}))
        self.writer.write_record(crawl_record(self.writer, self.crawl, {"event": "start", **self.info},
                                              date=warc_date()))

    def write(self, records_of) -> None:
        """Write the records ``records_of(writer)`` returns, flushed together; rotate when full."""
        with self.writing:
            if self.writer is None:
                self._open()
            for record in records_of(self.writer):
                self.writer.write_record(record)
            self.out.flush()
            if self.out.tell() >= self.max_bytes:
                self._close()

    def _close(self) -> None:
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()
        os.replace(self.directory / (self.path.name + ".open"), self.path)
        self.out = self.writer = None

    def close(self, end: dict) -> None:
        with self.writing:
            if self.writer is None:
                self._open()
            self.writer.write_record(crawl_record(self.writer, self.crawl, {"event": "end", **end},
                                                  date=warc_date()))
            self._close()


def fetch_records(writer, item: FetchItem, crawl: str, date: str) -> list:
    uri = item.final_url or item.url
    fields = {name: getattr(item, name) for name in ("url", "final_url", "method", "status", "error", "referer",
                                                     "role", "report_key", "filename", "page_no", "not_modified")}
    if item.status is None:  # no response: the failure alone
        return [fetch_metadata_record(writer, uri, fields, crawl=crawl, date=date)]
    body = item.body or b""
    request = writer.create_warc_record(uri, "request", http_headers=request_headers(uri, item.method, item.referer),
                                        warc_headers_dict={"WARC-Date": date})
    response = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders(status_line(item.status), response_headers(_pairs(item.headers), len(body)),
                                      protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": date})
    # What warcio's write_request_response_pair does: each record names the other.
    response_id = response.rec_headers.get_header("WARC-Record-ID")
    request.rec_headers.add_header("WARC-Concurrent-To", response_id)
    return [request, response, fetch_metadata_record(writer, uri, fields, crawl=crawl, date=date,
                                                     concurrent_to=response_id)]


class WarcPipeline:
    """Replaces ``ArchivePipeline`` with ``--warc-dir``: items become WARC records; the
    request is acknowledged (frontier lease, job journal) once they are flushed."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.warc: RotatingWarc | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        settings = self.crawler.settings
        self.journal = JobJournal.for_crawler(self.crawler)
        frontier = getattr(self.crawler, "_nianbao_frontier", None)
        if frontier is not None:
            crawl, worker = frontier.crawl["id"], frontier.worker
            started = frontier.crawl["started"]
        else:
            crawl, worker = uuid.uuid4().hex, f"{os.getpid()}"
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.crawl = crawl
        self.warc = RotatingWarc(Path(settings.get(DIR_SETTING)), crawl, worker,
                                 settings.getint(MAX_BYTES_SETTING),
                                 {"sites": self.crawler.spider.site_names, "started": started, "worker": worker})
        self.crawler.stats.set_value("nianbao/warc_crawl", crawl)

    async def process_item(self, item):
        if isinstance(item, (BodyItem, ProbeItem)):
            kind = "body" if isinstance(item, BodyItem) else "probe"
            await asyncio.to_thread(self.warc.write, lambda writer: [
                note_record(writer, kind, dataclasses.asdict(item), crawl=self.crawl, date=warc_date())])
            return item
        if not isinstance(item, FetchItem):
            return item
        await asyncio.to_thread(self.record, item)
        item.body = None
        return item

    def record(self, item: FetchItem) -> None:
        date = warc_date()
        self.warc.write(lambda writer: fetch_records(writer, item, self.crawl, date))
        self.journal.mark_done(item.journal_fps)

    def spider_closed(self, spider, reason: str) -> None:
        self.warc.close({"reason": reason, "worker": self.warc.worker})
        logger.info("WARC files of this process closed in %s (%s)", self.warc.directory, reason)

"""The only item pipeline: every fetch, byte for byte with its headers, into the
archive; also the bodies a portal names and what probing their years found."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from scrapy import signals

from .archive_access import archive_for
from .items import BodyItem, FetchItem, ProbeItem
from .journal import JobJournal

logger = logging.getLogger(__name__)

# Spider stats kept in the crawl run's counts (``pages/SITE``, ``traps/companion``, …).
RUN_STATS = ("nianbao/pages/", "nianbao/budget/", "nianbao/over_budget/", "nianbao/traps/",
             "nianbao/bad_input/", "nianbao/probing_stopped/")


class ArchivePipeline:
    """Records each ``FetchItem`` with ``Archive.record_fetch`` in one crawl run.

    With a JOBDIR the run id is kept in the job journal, so a resumed job keeps
    writing to the run it started. Recording happens in a worker thread (the
    archive serialises access) so hashing and writing large files does not stall
    the downloads.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # spider_closed carries the finish reason, which close_spider does not.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.archive = archive_for(self.crawler)
        self.journal = JobJournal.for_crawler(self.crawler)
        self.run_id = self.journal.load_run_id()
        if self.run_id is None:
            self.run_id = self.archive.start_run(sites=self.crawler.spider.site_names)
            self.journal.save_run_id(self.run_id)
        else:
            logger.info("resuming crawl run %s from the job journal", self.run_id)
        self.crawler.stats.set_value("nianbao/crawl_run", self.run_id)

    async def process_item(self, item):
        if isinstance(item, BodyItem):
            await asyncio.to_thread(self.archive.note_body, item.site, item.area, item.name, item.unit_url)
            return item
        if isinstance(item, ProbeItem):
            await asyncio.to_thread(self.archive.note_probe, item.site, item.area, item.year, item.outcome,
                                    item.url, self.run_id)
            return item
        if not isinstance(item, FetchItem):
            return item
        await asyncio.to_thread(self.record, item)
        # The body is in the archive now; keep it out of memory and logs.
        item.body = None
        return item

    def record(self, item: FetchItem) -> None:
        # Marked done right after the commit, in the same thread: a kill between
        # the two is what would make a resumed job fetch the item again.
        self.archive.record_fetch(**item.fetch_record(), crawl_run=self.run_id)
        self.journal.mark_done(item.journal_fps)

    def spider_closed(self, spider, reason: str) -> None:
        counts = self.run_counts()
        if not counts.get("fetches"):
            status = "failed"
        elif reason == "finished" and not counts.get("errors"):
            status = "ok"
        else:
            status = "partial"
        self.archive.finish_run(self.run_id, counts=counts, status=status)
        logger.info("crawl run %s %s (%s): %s", self.run_id, status, reason, counts)

    def run_counts(self) -> dict[str, int]:
        """Fetches per role, errors and 304s of the whole run, counted in the
        archive so a resumed job reports what all its processes did; then this
        process's page-budget use, traps refused and bad input met (by kind)."""
        counts = Counter()
        for key, value in self.crawler.stats.get_stats().items():
            if key.startswith(RUN_STATS):
                counts[key.removeprefix("nianbao/")] = value
        for role, n, errors, not_modified in self.archive.run_fetch_counts(self.run_id):
            counts[role or "other"] += n
            counts["fetches"] += n
            counts["errors"] += errors
            counts["not_modified"] += not_modified
        return dict(counts)

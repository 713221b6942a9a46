"""A crash-safe job journal, so a crawl killed with SIGKILL resumes losing nothing
and fetching nothing twice.

Scrapy's own JOBDIR persistence does not survive SIGKILL: queuelib writes a
disk queue's bookkeeping only on close, and a request popped from the queue
but still in flight is in neither the queue nor anywhere else. So with a JOBDIR
the crawler keeps its own append-only journal instead (and Scrapy's scheduler
runs in memory, see ``HanwebSpider.configure``):

* ``requests.journal`` — every new request, serialised when it is scheduled;
* ``requests.done``    — the fingerprint of every request whose fetch has been
  recorded in the archive (or that ended for good, e.g. filtered by robots.txt);
* ``run.json``         — the archive crawl run this job writes to.

On restart the unfinished requests (journal minus done) are scheduled again and
everything else counts as seen. A request is marked done only after the spider
has yielded its children (they are journaled on scheduling) and its fetch has
been recorded. A document whose fetch was committed but not yet marked done
when the process died is recognised by its URL in the crawl run and not
fetched again (see ``HanwebSpider.start``).

Lines are flushed one by one: after SIGKILL the OS still holds them. A torn
last line is skipped on load.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import pickle
import threading
from pathlib import Path

from scrapy.dupefilters import BaseDupeFilter

logger = logging.getLogger(__name__)

JOBDIR_SETTING = "NIANBAO_JOBDIR"
# Fingerprints of the journaled requests a request stands for: its own, plus
# those of the requests it was redirected from.
FP_META = "journal_fps"


class JobJournal:
    def __init__(self, jobdir: str | Path | None):
        self.jobdir = Path(jobdir) if jobdir else None
        # Requests journaled by earlier processes of this job (fingerprint → request).
        self.pending: dict[str, dict] = {}
        self.done: set[str] = set()
        self._journal = self._done = None
        self._lock = threading.Lock()
        if self.jobdir is None:
            return
        self.jobdir.mkdir(parents=True, exist_ok=True)
        self.pending = dict(self._read_journal())
        self.done = {line for line in self._lines("requests.done") if len(line) == 40}
        self._journal = open(self.jobdir / "requests.journal", "a", encoding="ascii")
        self._done = open(self.jobdir / "requests.done", "a", encoding="ascii")

    @classmethod
    def for_crawler(cls, crawler) -> "JobJournal":
        """One journal per crawler, shared by the dupefilter, spider and pipeline."""
        if not hasattr(crawler, "_nianbao_journal"):
            crawler._nianbao_journal = cls(crawler.settings.get(JOBDIR_SETTING))
        return crawler._nianbao_journal

    @property
    def enabled(self) -> bool:
        return self.jobdir is not None

    @property
    def resuming(self) -> bool:
        return bool(self.pending)

    def _lines(self, name: str):
        path = self.jobdir / name
        if path.exists():
            yield from path.read_text(encoding="ascii", errors="replace").splitlines()

    def _read_journal(self):
        for line in self._lines("requests.journal"):
            fp, _, payload = line.partition(" ")
            try:
                yield fp, pickle.loads(base64.b64decode(payload, validate=True))
            except (binascii.Error, pickle.UnpicklingError, EOFError, ValueError):
                logger.warning("job journal: skipping a torn line (killed mid-write)")

    def note_request(self, fp: str, request_dict: dict) -> None:
        payload = base64.b64encode(pickle.dumps(request_dict)).decode("ascii")
        self._journal.write(f"{fp} {payload}\n")
        self._journal.flush()

    def mark_done(self, fps) -> None:
        with self._lock:  # the pipeline marks from its worker threads
            for fp in fps or ():
                if fp in self.done:
                    continue
                self.done.add(fp)
                if self._done:
                    self._done.write(fp + "\n")
                    self._done.flush()

    def unfinished(self) -> list[dict]:
        """Serialised requests an earlier process scheduled and never finished."""
        return [d for fp, d in self.pending.items() if fp not in self.done]

    # The archive run a job writes to, kept across restarts of the job.
    def load_run_id(self) -> int | None:
        path = self.jobdir and self.jobdir / "run.json"
        if path and path.exists():
            return json.loads(path.read_text())["run_id"]
        return None

    def save_run_id(self, run_id: int) -> None:
        if self.jobdir:
            (self.jobdir / "run.json").write_text(json.dumps({"run_id": run_id}))

    def close(self) -> None:
        for f in (self._journal, self._done):
            if f:
                f.close()


class JournalDupeFilter(BaseDupeFilter):
    """Filters requests already scheduled in this job (this process or an earlier
    one) and journals each new request with its fingerprint in ``meta``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.fingerprinter = crawler.request_fingerprinter
        self.journal = JobJournal.for_crawler(crawler)
        self.seen = set(self.journal.pending)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def request_seen(self, request) -> bool:
        fp = self.fingerprinter.fingerprint(request).hex()
        if fp in self.seen:
            return True
        self.seen.add(fp)
        # Meta survives redirects and retries, so the final response marks
        # every journaled request of the chain done.
        request.meta[FP_META] = [*request.meta.get(FP_META, ()), fp]
        if self.journal.enabled:
            self.journal.note_request(fp, request.to_dict(spider=self.crawler.spider))
        return False

    def log(self, request, spider) -> None:
        self.crawler.stats.inc_value("dupefilter/filtered")

    def close(self, reason: str) -> None:
        self.journal.close()

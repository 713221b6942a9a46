"""A crawl frontier shared through Redis by any number of crawl processes
(``nianbao crawl --redis redis://HOST:PORT/DB``), built on scrapy-redis.

scrapy-redis gives the shared request queue (a sorted set by priority) and the
shared duplicate filter (a set of fingerprints). Its queue pops a request and
forgets it, so a process killed with SIGKILL loses what it had taken. Here a
pop takes the best request whose host is free at that moment and reserves the
host's politeness token for it (crawler/hostgate.py), so that no process
hoards requests it could only wait on, and it *leases* the request instead of
taking it away: one Lua script moves the request from the queue into the
lease hash, atomically, naming the process. The lease is acknowledged (deleted)
only when the fetch is recorded (the ``mark_done`` of the job journal's
interface, called by the pipeline after the WARC records are flushed, and by
the spider for requests that ended for good), by whichever process recorded it:
a redirect's first request may have been leased by another process than the
one fetching its target. Each process keeps a heartbeat key alive; the leases
of a process whose heartbeat expired go back to the queue (another Lua script,
so two processes cannot both take them back).

Keys, under ``NIANBAO_REDIS_PREFIX`` (``nianbao:hanweb`` for the hanweb spider):

    {p}:requests          ZSET   the frontier (scrapy-redis PriorityQueue)
    {p}:dupefilter        SET    fingerprints of every request ever scheduled
    {p}:alive:{worker}    STRING heartbeat, expires after NIANBAO_REDIS_LEASE_SECONDS
    {p}:leases            HASH   fingerprint -> "worker|score|member" of each leased request
    {p}:crawl             HASH   the crawl's id and start time (one per shared crawl)
    {p}:gate:{host}       STRING the per-host politeness token (crawler/hostgate.py)

When Redis goes away, every call waits and retries (``NIANBAO_REDIS_WAIT_SECONDS``
in all); then the process stops with the reason ``redis_unavailable``. It
acknowledges nothing after that moment, so whatever it held is leased under its
id, and once its heartbeat has expired a restarted process takes it back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timezone

import redis
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from .journal import FP_META, JobJournal

logger = logging.getLogger(__name__)

URL_SETTING = "NIANBAO_REDIS_URL"
PREFIX_SETTING = "NIANBAO_REDIS_PREFIX"
LEASE_SETTING = "NIANBAO_REDIS_LEASE_SECONDS"
WAIT_SETTING = "NIANBAO_REDIS_WAIT_SECONDS"
CLOSE_REASON = "redis_unavailable"

# Leases live in one hash for all processes: fingerprint -> "worker|score|member", so that
# whichever process records a fetch acknowledges every request it stands for (a redirect's
# first request may have been leased by another process).

# Lease the best request whose host is free now, and reserve the host for it: the host's
# politeness token (crawler/hostgate.py) becomes "r:<fingerprint>" for HOLD ms. Among the
# WINDOW best requests, one whose host is busy (token held or in its delay) is passed over,
# so no process hoards requests it could only wait on. Members are "fingerprint host request".
# KEYS: queue, lease hash; ARGV: key prefix, window, hold ms, this worker.
POP_AND_LEASE = """
local found = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
for i = 1, #found, 2 do
  local member, score = found[i], found[i + 1]
  local first = string.find(member, ' ', 1, true)
  local second = string.find(member, ' ', first + 1, true)
  local fp = string.sub(member, 1, first - 1)
  local gate = ARGV[1] .. ':gate:' .. string.sub(member, first + 1, second - 1)
  if redis.call('SET', gate, 'r:' .. fp, 'NX', 'PX', ARGV[3]) then
    redis.call('ZREM', KEYS[1], member)
    redis.call('HSET', KEYS[2], fp, ARGV[4] .. '|' .. score .. '|' .. member)
    return member
  end
end
return false
"""

# Acknowledge leases; a host still reserved for one of them (the request ended before it was
# sent: robots.txt, offsite) is freed at once. KEYS: lease hash; ARGV: prefix, fingerprints...
ACK = """
for i = 2, #ARGV do
  local entry = redis.call('HGET', KEYS[1], ARGV[i])
  if entry then
    local bar = string.find(entry, '|', string.find(entry, '|', 1, true) + 1, true)
    local member = string.sub(entry, bar + 1)
    local first = string.find(member, ' ', 1, true)
    local second = string.find(member, ' ', first + 1, true)
    local gate = ARGV[1] .. ':gate:' .. string.sub(member, first + 1, second - 1)
    if redis.call('GET', gate) == 'r:' .. ARGV[i] then redis.call('DEL', gate) end
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return 0
"""
POP_WINDOW = 200

# Put the leases of every process whose heartbeat expired back into the queue; say whether
# other live processes still hold leases (their answers may bring new requests).
# KEYS: lease hash, queue; ARGV: key prefix, this worker. Returns {taken back, others busy}.
RECLAIM_DEAD = """
local moved, busy = 0, 0
local alive = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local entry = entries[i + 1]
  local bar1 = string.find(entry, '|', 1, true)
  local bar2 = string.find(entry, '|', bar1 + 1, true)
  local worker = string.sub(entry, 1, bar1 - 1)
  if alive[worker] == nil then
    alive[worker] = redis.call('EXISTS', ARGV[1] .. ':alive:' .. worker) == 1
  end
  if not alive[worker] then
    redis.call('ZADD', KEYS[2], string.sub(entry, bar1 + 1, bar2 - 1), string.sub(entry, bar2 + 1))
    redis.call('HDEL', KEYS[1], entries[i])
    moved = moved + 1
  elseif worker ~= ARGV[2] then
    busy = 1
  end
end
return {moved, busy}
"""

# This process's own leases (fingerprints). KEYS: lease hash; ARGV: this worker.
OWN_LEASES = """
local own = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if string.sub(entries[i + 1], 1, #ARGV[1] + 1) == ARGV[1] .. '|' then table.insert(own, entries[i]) end
end
return own
"""


class FrontierUnavailable(Exception):
    """Redis did not answer within NIANBAO_REDIS_WAIT_SECONDS."""


def connect(url: str, wait_seconds: float) -> redis.Redis:
    """A client that retries a lost connection with backoff for about ``wait_seconds``."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    cap = 2.0
    retries = max(1, int(wait_seconds / cap) + 3)
    return redis.Redis.from_url(
        url,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=0,
        retry=Retry(ExponentialBackoff(cap=cap, base=0.1), retries),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


class Frontier:
    """One process's handle on the shared frontier: its id, heartbeat and leases."""

    def __init__(self, settings, spider_name: str):
        self.url = settings.get(URL_SETTING)
        self.prefix = f"{settings.get(PREFIX_SETTING) or 'nianbao'}:{spider_name}"
        self.lease_seconds = settings.getfloat(LEASE_SETTING)
        self.wait_seconds = settings.getfloat(WAIT_SETTING)
        self.server = connect(self.url, self.wait_seconds)
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.leases_key = f"{self.prefix}:leases"
        self.queue_key = f"{self.prefix}:requests"
        self.gone = threading.Event()  # set once Redis is given up: nothing is acknowledged after
        self.hold_ms = int(settings.getfloat("NIANBAO_GATE_HOLD_SECONDS") * 1000)
        self._pop = self.server.register_script(POP_AND_LEASE)
        self._ack = self.server.register_script(ACK)
        self._reclaim = self.server.register_script(RECLAIM_DEAD)
        self._own = self.server.register_script(OWN_LEASES)
        self._last_reclaim = 0.0
        self._heartbeat: threading.Thread | None = None
        self.on_gone = lambda exc: None  # the scheduler stops the crawl
        self.crawl: dict = {}  # the shared crawl's id and start (join)

    def give_up(self, exc) -> None:
        """Redis stayed away: acknowledge nothing more, and stop this process."""
        if not self.gone.is_set():
            logger.error("frontier: Redis unavailable for %.0f s (%s); stopping cleanly", self.wait_seconds, exc)
            self.gone.set()
            self.on_gone(exc)

    # --- lifecycle --------------------------------------------------------------------

    def join(self) -> dict:
        """Register this process and start its heartbeat; returns the shared crawl's id and start."""
        self.beat()
        crawl_key = f"{self.prefix}:crawl"
        self.server.hsetnx(crawl_key, "id", uuid.uuid4().hex)
        self.server.hsetnx(crawl_key, "started", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.crawl = {k.decode(): v.decode() for k, v in self.server.hgetall(crawl_key).items()}
        self._heartbeat = threading.Thread(target=self._beat_forever, name="frontier-heartbeat", daemon=True)
        self._heartbeat.start()
        return self.crawl

    def beat(self) -> None:
        self.server.set(f"{self.prefix}:alive:{self.worker}", b"1", px=int(self.lease_seconds * 1000))

    def _beat_forever(self) -> None:
        while not self.gone.wait(self.lease_seconds / 3):
            try:
                self.beat()
            except redis.RedisError as exc:  # the scheduler's own calls decide when to give up
                logger.warning("frontier heartbeat failed: %s", exc)

    def leave(self, *, finished: bool) -> None:
        """Stop the heartbeat. A finished crawl holds no real lease (the engine was idle): what is
        left was never acknowledged and is dropped. Otherwise the leases go back to the queue."""
        stopped_by_redis = self.gone.is_set()
        self.gone.set()
        if stopped_by_redis:
            return  # Redis is gone: the leases wait under this id until a later process takes them back
        try:
            if finished:
                left = self._own(keys=[self.leases_key], args=[self.worker])
                if left:
                    logger.warning("frontier: %d leases never acknowledged at the end; dropped", len(left))
                    self.server.hdel(self.leases_key, *left)
            else:
                self.server.delete(f"{self.prefix}:alive:{self.worker}")  # reclaimable at once
                self.survey()
        except redis.RedisError as exc:
            logger.warning("frontier: could not hand back leases (%s); they return when the lease expires", exc)

    def reset(self) -> int:
        """Delete the shared crawl's keys (a new crawl from the start URLs); returns keys deleted."""
        keys = list(self.server.scan_iter(match=f"{self.prefix}:*"))
        return self.server.delete(*keys) if keys else 0

    # --- queue and leases ----------------------------------------------------------------

    def pop(self) -> bytes | None:
        return self._pop(keys=[self.queue_key, self.leases_key],
                         args=[self.prefix, POP_WINDOW, self.hold_ms, self.worker])

    def ack(self, fps) -> None:
        if fps and not self.gone.is_set():
            self._ack(keys=[self.leases_key], args=[self.prefix, *fps])

    def survey(self) -> tuple[int, bool]:
        """Take back the leases of stopped processes; returns (how many, whether others hold leases)."""
        moved, busy = self._reclaim(keys=[self.leases_key, self.queue_key], args=[self.prefix, self.worker])
        self._last_reclaim = time.monotonic()
        if moved:
            logger.info("frontier: %d requests of a stopped process taken back", moved)
        return moved, bool(busy)

    def reclaim_now_and_then(self) -> None:
        """While busy: take back stopped processes' leases every lease/3 seconds."""
        if time.monotonic() - self._last_reclaim >= self.lease_seconds / 3:
            self.survey()


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose members start with the request's
    fingerprint and host, popped into a lease instead of away."""

    def __init__(self, server, spider, key, serializer=None, frontier: Frontier | None = None):
        super().__init__(server, spider, key, serializer or picklecompat)
        self.frontier = frontier
        self.fingerprinter = spider.crawler.request_fingerprinter

    def _encode_request(self, request):
        fp = self.fingerprinter.fingerprint(request).hex()
        host = urlparse_cached(request).hostname or "-"
        return f"{fp} {host} ".encode("ascii") + super()._encode_request(request)

    def _decode_request(self, encoded_request):
        return super()._decode_request(encoded_request.split(b" ", 2)[2])

    def pop(self, timeout=0):
        member = self.frontier.pop()
        return self._decode_request(member) if member else None


class RedisFingerprintFilter(RFPDupeFilter):
    """scrapy-redis's shared duplicate filter, with Scrapy's own request
    fingerprints, noting them in ``meta`` like the job journal's filter (so the
    item of the final response acknowledges every request of a redirect chain)."""

    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_frontier(cls, frontier: Frontier, crawler):
        return cls(frontier.server, f"{frontier.prefix}:dupefilter", fingerprinter=crawler.request_fingerprinter)

    def request_fingerprint(self, request):
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request):
        if super().request_seen(request):
            return True
        request.meta[FP_META] = [*request.meta.get(FP_META, ()), self.request_fingerprint(request)]
        return False

    def close(self, reason=""):
        """The filter is the shared crawl's: it stays when one process closes."""


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler on the leased queue; it stays open while other
    processes hold leases (their responses may bring new requests), and stops the
    crawl cleanly when Redis is gone."""

    @classmethod
    def from_crawler(cls, crawler):
        frontier = frontier_for(crawler)
        scheduler = cls(
            server=frontier.server,
            persist=True,  # the frontier is shared: one process closing must not clear it
            queue_key=frontier.queue_key,
            queue_cls="crawler.frontier.LeasedQueue",
            dupefilter=RedisFingerprintFilter.from_frontier(frontier, crawler),
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.frontier = frontier
        frontier.on_gone = scheduler.stop_crawl
        return scheduler

    def open(self, spider):
        self.spider = spider
        self.frontier.join()
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer,
            frontier=self.frontier,
        )
        pending = self._guard(len, self.queue)
        if pending:
            logger.info("frontier: %s requests waiting in Redis; joining the crawl", pending)

    def close(self, reason):
        self.frontier.leave(finished=reason == "finished")

    def _guard(self, call, *args, default=None):
        """Run a Redis call; when Redis stays away, stop this process cleanly."""
        if self.frontier.gone.is_set():
            return default
        try:
            return call(*args)
        except redis.RedisError as exc:
            self.frontier.give_up(exc)
            return default

    def stop_crawl(self, exc) -> None:
        self.crawler.stats.set_value("nianbao/redis_unavailable", str(exc))
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=CLOSE_REASON))

    def enqueue_request(self, request):
        # scrapy-redis 0.9.1's own passes ``spider=`` to the stats, which Scrapy 2.19 deprecates.
        if self.frontier.gone.is_set():
            return False  # the parent is not acknowledged either: a later process fetches it again
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except redis.RedisError as exc:
            self.frontier.give_up(exc)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        self._guard(self.frontier.reclaim_now_and_then)
        request = self._guard(self.queue.pop)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        elif self._guard(len, self.queue, default=0):
            # Requests wait, for hosts busy now: ask again soon rather than at the engine's
            # 5-second heartbeat (the engine's own call-later; Scrapy is pinned).
            self.crawler.engine._slot.nextcall.schedule(0.1)
        return request

    def has_pending_requests(self):
        if self.frontier.gone.is_set():
            return False
        def pending():
            if len(self.queue) > 0:
                return True
            moved, others_busy = self.frontier.survey()
            return bool(moved) or others_busy

        return bool(self._guard(pending))


class LeaseJournal(JobJournal):
    """The job journal's interface over the frontier: ``mark_done`` acknowledges
    leases; nothing is journaled on disk (the frontier is the journal)."""

    def __init__(self, frontier: Frontier):
        super().__init__(None)
        self.frontier = frontier

    def mark_done(self, fps) -> None:
        try:
            self.frontier.ack(list(fps or ()))
        except redis.RedisError as exc:  # the lease stays: the request is fetched again later
            logger.warning("frontier: acknowledgement failed (%s)", exc)


def frontier_for(crawler) -> Frontier:
    if not hasattr(crawler, "_nianbao_frontier"):
        crawler._nianbao_frontier = Frontier(crawler.settings, crawler.spidercls.name)
    return crawler._nianbao_frontier


def install(crawler) -> None:
    """Before the crawl starts: the spider's and pipeline's journal becomes the frontier's."""
    crawler._nianbao_journal = LeaseJournal(frontier_for(crawler))


def redis_settings(settings, url: str) -> None:
    """Settings of a crawl sharing its frontier through Redis at ``url``."""
    settings.set(URL_SETTING, url, priority="cmdline")
    settings.set("SCHEDULER", "crawler.frontier.RedisScheduler", priority="cmdline")
    gate = "crawler.hostgate.HostGateHandler"
    settings.set("DOWNLOAD_HANDLERS", {"http": gate, "https": gate}, priority="cmdline")

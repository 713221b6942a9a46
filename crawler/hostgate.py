"""Politeness per host across every crawl process of a shared crawl.

Each process's Scrapy keeps its own delay per host, which says nothing about
the other processes. So the download handler itself takes, right before a
request goes on the wire, the host's token in Redis (``{p}:gate:{host}``: one
holder at a time). The frontier reserved it for the request when it handed the
request out (crawler/frontier.py); a request that did not come from the
frontier (robots.txt) or whose reservation lapsed takes it free with ``SET NX``
or waits. The holder keeps it while its request is answered, then leaves it to
expire the host's delay later (DOWNLOAD_SLOTS ``delay`` of the site's
politeness, else DOWNLOAD_DELAY; 0 frees it at once). So across all processes
a host has one request at a time, and the next one starts at least the delay
after the previous answer ended; hence also at least the delay after the
previous request reached the server, whatever the processes' own latency.

A killed holder's token expires by itself after ``NIANBAO_GATE_HOLD_SECONDS``
(a download still running then no longer blocks the host; the next request
still starts at least hold + delay after it). Waiting in the handler rather
than in a downloader middleware matters: a middleware runs before Scrapy's
per-slot queue, so a token taken there could be spent long before the request
is actually sent.

The wrapped handler is scrapy-playwright's when the spider turned the browser
on, else Scrapy's HTTP/1.1 handler. The browser's own sub-requests (scripts,
the list's proxy call) are not gated; robots.txt requests are.
"""

from __future__ import annotations

import asyncio
import logging

import redis
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from .browser import HANDLER as PLAYWRIGHT_HANDLER
from .frontier import frontier_for
from .journal import FP_META

logger = logging.getLogger(__name__)

HTTP_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"

# Take the token (0): the one the frontier reserved for this request ("r:<fp>"), a free one,
# or, for a request from outside the frontier (robots.txt, which the reserved request may be
# waiting for), one only reserved; else say how many ms remain on it. It then reads "s:<fp>".
# KEYS: token; ARGV: request fingerprint, hold ms, "1" if the request may take a reserved token.
TAKE_TOKEN = """
local held = redis.call('GET', KEYS[1])
if held == 'r:' .. ARGV[1] or (held and ARGV[3] == '1' and string.sub(held, 1, 2) == 'r:') then
  redis.call('SET', KEYS[1], 's:' .. ARGV[1], 'PX', ARGV[2])
  return 0
end
if redis.call('SET', KEYS[1], 's:' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
"""

# The answer came: the token expires the delay from now (if still ours). KEYS: token; ARGV: fp, delay ms.
RELEASE_TOKEN = """
if redis.call('GET', KEYS[1]) == 's:' .. ARGV[1] then
  if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('DEL', KEYS[1]) end
end
return 0
"""


class FrontierGone(IgnoreRequest):
    """Redis went away while a request waited for its host's token: the request stays leased."""


class HostGateHandler:
    lazy = False

    def __init__(self, crawler):
        self.crawler = crawler
        self.frontier = frontier_for(crawler)
        self._take = self.frontier.server.register_script(TAKE_TOKEN)
        self._release = self.frontier.server.register_script(RELEASE_TOKEN)
        self._inner = None
        settings = crawler.settings
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.slot_delays = {host: float(slot.get("delay", self.default_delay))
                            for host, slot in settings.getdict("DOWNLOAD_SLOTS").items()}
        self.hold_ms = self.frontier.hold_ms

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def inner(self):
        """Created at the first request: the spider has decided about the browser by then."""
        if self._inner is None:
            browser = getattr(self.crawler.spider, "browser", False)
            self._inner = build_from_crawler(load_object(PLAYWRIGHT_HANDLER if browser else HTTP_HANDLER),
                                             self.crawler)
        return self._inner

    def delay_for(self, host: str) -> float:
        return self.slot_delays.get(host, self.default_delay)

    async def download_request(self, request):
        host = urlparse_cached(request).hostname or "-"
        delay_ms = int(self.delay_for(host) * 1000)
        key = f"{self.frontier.prefix}:gate:{host}"
        fp = self.crawler.request_fingerprinter.fingerprint(request).hex()
        outside = FP_META not in request.meta  # not scheduled by the spider: robots.txt
        await self.wait_for_token(key, fp, delay_ms, request, outside)
        try:
            return await self.inner().download_request(request)
        finally:
            await self.release(key, fp, delay_ms)

    async def release(self, key: str, fp: str, delay_ms: int) -> None:
        if self.frontier.gone.is_set():
            return  # the token expires by itself
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, lambda: self._release(keys=[key], args=[fp, delay_ms]))
        except redis.RedisError as exc:
            self.frontier.give_up(exc)

    async def wait_for_token(self, key: str, fp: str, delay_ms: int, request, outside: bool) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.frontier.gone.is_set():
                raise FrontierGone(f"Redis unavailable; {request.url} stays in the frontier")
            try:
                # In a thread: a Redis that stopped answering retries for a while.
                left = await loop.run_in_executor(None, lambda: self._take(keys=[key],
                                                                              args=[fp, self.hold_ms, int(outside)]))
            except redis.RedisError as exc:
                self.frontier.give_up(exc)
                continue
            if left == 0:
                return
            self.crawler.stats.inc_value("nianbao/host_gate_waits")
            # Longer than the delay: held while a request is answered; look again soon.
            await asyncio.sleep((left if left <= delay_ms else 50) / 1000)

    async def close(self):
        if self._inner is not None:
            await self._inner.close()

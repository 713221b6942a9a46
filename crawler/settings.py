"""Scrapy settings for nianbao: every crawl setting in one place.

Polite by default: robots.txt obeyed, AutoThrottle on, at most two requests in
flight per host, one second between them, retries with backoff. Override any
of them per run with ``nianbao crawl -s NAME=VALUE`` (or ``scrapy crawl -s``),
and per site with ``politeness`` in ``crawler/sites.toml``.
"""

from parsers.limits import MAX_INPUT_BYTES

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where the archive lives (nianbao.db, originals/): the same name as the environment
# variable the command line reads. ``nianbao crawl --data-dir`` sets it.
NIANBAO_DATA = "data"
# Site registry; None = $NIANBAO_SITES_FILE or the packaged crawler/sites.toml.
NIANBAO_SITES_FILE = None
# Who to contact about the crawler; part of the User-Agent (set from it by the
# spider unless USER_AGENT itself is given).
NIANBAO_CONTACT_URL = "https://github.com/nianbao/nianbao"
USER_AGENT = None

# --- politeness -------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
TELNETCONSOLE_ENABLED = False
# Items (one per response) are handled by this many asyncio workers per
# callback; Scrapy's default of 100 spawns 100 tasks per response, which cost
# more CPU than the crawl itself (measured with benchmarks.crawl).
CONCURRENT_ITEMS = 4

# --- robustness -----------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
NIANBAO_RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled each time
NIANBAO_RETRY_BACKOFF_MAX = 60.0
# Per-file size cap: a bigger body is abandoned and recorded as an error. The one
# cap on an original, shared with the archive and the parsers.
DOWNLOAD_MAXSIZE = MAX_INPUT_BYTES
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024
# A body shorter than its Content-Length is a failure (retried, then recorded
# as an error), never archived as if complete.
DOWNLOAD_FAIL_ON_DATALOSS = True
REDIRECT_MAX_TIMES = 5
# Every status reaches the spider (after retries): a 404/410/412/521 is
# recorded as what the server said, not dropped.
HTTPERROR_ALLOW_ALL = True
COOKIES_ENABLED = True  # the 521 challenge answer is a cookie

# Pages (lists, probes, searches, report pages) one site's crawl may request, so
# that a calendar or search trap ends; a site's ``page_budget`` overrides it.
NIANBAO_PAGE_BUDGET = 20_000
# The generic spider (portals of no known family): pages per site (a site's
# ``page_budget`` overrides it) and links deep from the home page.
NIANBAO_GENERIC_MAX_PAGES = 2_000
NIANBAO_GENERIC_MAX_DEPTH = 6

# Never an internal or link-local address because a portal links, redirects or resolves
# there (crawler/addresses.py): literal hosts are checked per request, names when resolved.
TWISTED_DNS_RESOLVER = "crawler.addresses.GuardedResolver"
DOWNLOADER_MIDDLEWARES = {
    "crawler.addresses.AddressGuardMiddleware": 50,
    "crawler.middlewares.PageBudgetMiddleware": 150,  # after robots.txt (100)
    "crawler.middlewares.RetryBackoffMiddleware": 540,
    "crawler.middlewares.HttpsFallbackMiddleware": 560,
    "crawler.middlewares.WafChallengeMiddleware": 650,
    "crawler.middlewares.ConditionalRequestMiddleware": 800,
}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}

# Resumable jobs: ``-s JOBDIR=DIR``. The spider moves it to NIANBAO_JOBDIR and
# keeps a crash-safe journal there (crawler/journal.py) instead of Scrapy's
# disk queues, which SIGKILL corrupts.
DUPEFILTER_CLASS = "crawler.journal.JournalDupeFilter"
NIANBAO_JOBDIR = None

# --- shared frontier and WARC output (``nianbao crawl --redis URL --warc-dir DIR``) ----------------
# See crawler/frontier.py, crawler/hostgate.py and crawler/warc_writer.py.
NIANBAO_REDIS_URL = None
NIANBAO_REDIS_PREFIX = "nianbao"
# A process whose heartbeat is this old is taken for dead: its leased requests go back to the queue.
NIANBAO_REDIS_LEASE_SECONDS = 30.0
# How long to wait for a Redis that went away before stopping cleanly.
NIANBAO_REDIS_WAIT_SECONDS = 60.0
# How long a process may hold a host's politeness token while its request is answered
# (crawler/hostgate.py); a killed holder blocks the host at most this long.
NIANBAO_GATE_HOLD_SECONDS = 10.0
NIANBAO_WARC_DIR = None
NIANBAO_WARC_MAX_BYTES = 1_000_000_000  # rotate at 1 GB, the usual WARC file size

# --- JavaScript rendering (scrapy-playwright) -------------------------------------------------------
# The playwright download handler is installed only when a crawled site has
# render_js = true or "auto" and a browser exists (see crawler/browser.py);
# these options apply when it is.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
# PLAYWRIGHT_ABORT_REQUEST is set per spider by crawler.browser.enable_playwright: the
# address rules of crawler/addresses.py, and no images, styles, fonts or media.

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

"""Downloader middlewares: WAF challenges, conditional re-fetches, retry backoff,
the per-site https→http fallback and the per-site page budget."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import re

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from .archive_access import archive_for
from .items import DOCUMENT_ROLES, LIST, REPORT_PAGE

logger = logging.getLogger(__name__)


# --- 知道创宇 加速乐 (JSL) cookie challenge ----------------------------------------------

JSL_COOKIE_SCRIPT = re.compile(r"document\.cookie\s*=\s*(.+?)\s*;\s*(?:location|window\.location|setTimeout)", re.S)
JSL_GO = re.compile(r"go\(\s*(\{.*?\})\s*\)", re.S)
HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}


class ChallengeError(ValueError):
    """A challenge page this middleware cannot answer."""


def solve_jsl(body: str) -> dict[str, str]:
    """Cookies a JSL 521 page asks the browser to set.

    Two rounds exist: the first page's script sets ``__jsl_clearance(_s)`` with
    an obfuscated string expression; the second calls ``go({...})`` with the
    clearance's hash, its prefix/suffix (``bts``) and the alphabet (``chars``)
    of the two missing characters, which are found by trying every pair.
    """
    go = JSL_GO.search(body)
    if go:
        try:
            params = json.loads(go.group(1))
            digest = HASHES[params["ha"]]
            prefix, suffix = params["bts"]
            for a, b in itertools.product(params["chars"], repeat=2):
                candidate = f"{prefix}{a}{b}{suffix}"
                if digest(candidate.encode()).hexdigest() == params["ct"]:
                    return {params["tn"]: candidate}
        except (ValueError, KeyError, TypeError) as e:
            raise ChallengeError(f"unreadable go() parameters: {e}") from None
        raise ChallengeError("no clearance matches the go() hash")
    script = JSL_COOKIE_SCRIPT.search(body)
    if not script:
        raise ChallengeError("no document.cookie assignment in the 521 page")
    cookie = str(_JsExpression(script.group(1)).evaluate())
    name, _, value = cookie.split(";", 1)[0].partition("=")
    if not name or not value:
        raise ChallengeError(f"the script sets no cookie value ({cookie[:60]!r})")
    return {name.strip(): value.strip()}


class _JsExpression:
    """Evaluates the small JavaScript subset JSL obfuscation uses: string
    literals, ``[]``, parentheses, unary ``- ~ + !`` and binary ``+`` with
    JavaScript's string/number coercion. Anything else is a ChallengeError."""

    TOKEN = re.compile(r"\s*(?:('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(\d+(?:\.\d+)?)|(\[\])|([-~+!()]))")

    def __init__(self, text: str):
        self.tokens, pos = [], 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m:
                raise ChallengeError(f"unsupported script near {text[pos:pos + 20]!r}")
            string, number, array, op = m.groups()
            if string is not None:
                self.tokens.append(("value", _js_unquote(string)))
            elif number is not None:
                self.tokens.append(("value", float(number) if "." in number else int(number)))
            elif array is not None:
                self.tokens.append(("value", _EMPTY_ARRAY))
            else:
                self.tokens.append(("op", op))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.pos = 0

    def evaluate(self):
        value = self._sum()
        if self.pos != len(self.tokens):
            raise ChallengeError("trailing tokens in the cookie script")
        return _js_string(value) if value is _EMPTY_ARRAY else value

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _sum(self):
        value = self._unary()
        while self._peek() == ("op", "+"):
            self.pos += 1
            right = self._unary()
            if isinstance(value, str) or isinstance(right, str) or _EMPTY_ARRAY in (value, right):
                value = _js_string(value) + _js_string(right)
            else:
                value = value + right
        return value

    def _unary(self):
        kind, token = self._peek()
        if kind == "op" and token in "-~+!":
            self.pos += 1
            operand = _js_number(self._unary())
            return {"-": -operand, "~": ~int(operand), "+": operand, "!": int(not operand)}[token]
        if (kind, token) == ("op", "("):
            self.pos += 1
            value = self._sum()
            if self._peek() != ("op", ")"):
                raise ChallengeError("unbalanced parentheses in the cookie script")
            self.pos += 1
            return value
        if kind == "value":
            self.pos += 1
            return token
        raise ChallengeError("unexpected end of the cookie script")


_EMPTY_ARRAY = object()


def _js_unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _js_string(value) -> str:
    if value is _EMPTY_ARRAY:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _js_number(value):
    if value is _EMPTY_ARRAY or value == "":
        return 0
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            raise ChallengeError(f"cannot coerce {value!r} to a number") from None
    return value


class WafChallengeMiddleware:
    """Passes a JSL-style 521 cookie challenge: sets the cookie its script
    computes and repeats the request (the CookiesMiddleware keeps the cookie
    for the host). Counts 412s (瑞数-style): one retry carrying the cookie the
    412 set, then the 412 reaches the spider and is recorded with its status."""

    MAX_ROUNDS = 3

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response):
        if response.status == 412:
            self.stats.inc_value("nianbao/waf_412")
            # Some 412 walls only want the cookie they set (now in the jar): one
            # more try; a 412 after that reaches the spider and is recorded.
            if b"Set-Cookie" in response.headers and not request.meta.get("waf_412_retried"):
                retry = request.replace(dont_filter=True)
                retry.meta["waf_412_retried"] = True
                return retry
            logger.warning("412 (anti-bot challenge, not passed) for %s", request.url)
            return response
        if response.status != 521:
            return response
        rounds = request.meta.get("jsl_rounds", 0)
        if rounds >= self.MAX_ROUNDS:
            logger.warning("521 challenge not passed after %d rounds: %s", rounds, request.url)
            return response
        try:
            cookies = solve_jsl(response.text)
        except (ChallengeError, AttributeError) as e:
            logger.warning("521 challenge at %s: %s", request.url, e)
            return response
        self.stats.inc_value("nianbao/waf_521_solved")
        retry = request.replace(
            cookies={**(request.cookies if isinstance(request.cookies, dict) else {}), **cookies},
            dont_filter=True,
        )
        retry.meta["jsl_rounds"] = rounds + 1
        return retry


# --- conditional requests -------------------------------------------------------------


class ConditionalRequestMiddleware:
    """On a re-crawl, asks for documents already archived with the validators
    of their last good fetch (ETag → If-None-Match, Last-Modified →
    If-Modified-Since), so unchanged files come back as 304 with no body.
    Lists are always re-fetched in full. The spider records a 304 as
    ``not_modified`` (the archive points it at the sha256 it already has)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        if request.meta.get("role") not in DOCUMENT_ROLES or "previous_fetch" in request.meta:
            return None
        previous = archive_for(self.crawler).previous_fetch(request.url)
        request.meta["previous_fetch"] = previous
        if previous:
            if previous.get("etag"):
                request.headers.setdefault("If-None-Match", previous["etag"])
            if previous.get("last_modified"):
                request.headers.setdefault("If-Modified-Since", previous["last_modified"])
        return None


# --- page budget --------------------------------------------------------------------------

BUDGET_ROLES = (LIST, REPORT_PAGE)


class PageBudgetMiddleware:
    """Stops a site's crawl from running forever in a calendar or search trap:
    each site may request at most ``spider.page_budget(site)`` pages (lists,
    probes, searches and report pages; a report's files are bounded by its
    reports and not counted). Requests over budget are dropped (IgnoreRequest,
    logged once per site). Stats: ``nianbao/pages/SITE`` (pages requested),
    ``nianbao/budget/SITE`` and ``nianbao/over_budget/SITE`` (pages dropped).

    Placed after robots.txt (a disallowed page costs nothing) and counted once
    per request (retries and challenge repeats carry the mark)."""

    COUNTED = "budget_counted"

    def __init__(self, crawler):
        self.crawler = crawler
        self.used: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        site = request.meta.get("site")
        if site is None or request.meta.get("role") not in BUDGET_ROLES or request.meta.get(self.COUNTED):
            return None
        stats, spider = self.crawler.stats, self.crawler.spider
        budget = spider.page_budget(site)
        stats.set_value(f"nianbao/budget/{site}", budget)
        used = self.used.get(site, 0)
        if used >= budget:
            if not stats.get_value(f"nianbao/over_budget/{site}"):
                logger.warning("site %s used its page budget (%d pages): further pages are not requested",
                               site, budget)
            stats.inc_value(f"nianbao/over_budget/{site}")
            raise IgnoreRequest(f"page budget of site {site} used ({budget} pages)")
        self.used[site] = used + 1
        stats.set_value(f"nianbao/pages/{site}", used + 1)
        request.meta[self.COUNTED] = True
        return None


def budget_use(stats: dict) -> dict[str, tuple[int, int, int]]:
    """Per site: (pages requested, budget, pages dropped over budget), from a crawl's stats."""
    sites = {k.split("/", 2)[2] for k in stats if k.startswith("nianbao/budget/")}
    return {site: (stats.get(f"nianbao/pages/{site}", 0), stats[f"nianbao/budget/{site}"],
                   stats.get(f"nianbao/over_budget/{site}", 0)) for site in sorted(sites)}


# --- retries: exponential backoff --------------------------------------------------------


class RetryBackoffMiddleware:
    """Waits before each retry (Scrapy's RetryMiddleware retries at once):
    ``NIANBAO_RETRY_BACKOFF_BASE × 2^(n-1)`` seconds, at most
    ``NIANBAO_RETRY_BACKOFF_MAX``. Gov portals that reset connections under
    load recover after a pause, not after an immediate hammering."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getfloat("NIANBAO_RETRY_BACKOFF_BASE"), s.getfloat("NIANBAO_RETRY_BACKOFF_MAX"))

    async def process_request(self, request):
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (retries - 1)))
        return None


# --- https → http fallback ------------------------------------------------------------------


class HttpsFallbackMiddleware:
    """For sites flagged ``https_fallback``: when an https request fails at the
    connection/TLS level, try the same URL over plain http (some portals'
    https handshake fails while http works). A host that failed once goes
    straight to http afterwards. The http request keeps the original's meta,
    so its fetch closes the original's journal entry."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.http_only: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        parts = urlparse_cached(request)
        if parts.scheme == "https" and parts.netloc in self.http_only:
            return self._over_http(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, IgnoreRequest) or urlparse_cached(request).scheme != "https":
            return None
        site = self.crawler.spider.site_for(request)
        if not site or not site.https_fallback:
            return None
        self.http_only.add(urlparse_cached(request).netloc)
        logger.info("https failed (%s), using http for %s", type(exception).__name__, urlparse_cached(request).netloc)
        return self._over_http(request)

    def _over_http(self, request):
        self.crawler.stats.inc_value("nianbao/https_fallback")
        fallback = request.replace(url="http://" + request.url[len("https://"):], dont_filter=True)
        fallback.meta["https_fallback_from"] = request.url
        return fallback

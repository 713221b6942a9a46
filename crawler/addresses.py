"""Which addresses the crawler may request: never an internal service because a portal said so.

A portal is untrusted: its pages, redirects and scripts may point at the
cloud's metadata service, the machine's own ports or the office network.
Three classes of host:

* never fetched: link-local (169.254.0.0/16, fe80::/10, which holds the
  metadata services of most clouds), multicast, unspecified (0.0.0.0, ::),
  reserved and broadcast addresses, the other known metadata addresses, and
  any IPv4 address written in a non-canonical form (``2130706433``,
  ``0x7f.1``, ``0177.0.0.1``, ``127.1``): browsers and resolvers read them
  as addresses, and nothing legitimate writes them so;
* internal (loopback, private, shared and other non-global ranges): fetched
  only for a site whose own configured base URL is on such an address (a
  replica portal on 127.0.0.x, an intranet mirror), never for a public site,
  whatever its pages link to;
* everything else (public addresses, and names: a name is checked once it
  is resolved, see ``GuardedResolver``).

``AddressGuardMiddleware`` applies the rules to every request Scrapy sends,
redirects included (a redirect is a new request through the middlewares);
``GuardedResolver`` applies them to what a name resolves to, at connection
time, so a name that answers with an internal address (DNS rebinding) is
refused too; ``browser_policy`` applies them to every request of the
Playwright page, and ``route_web_sockets`` to its WebSockets (which Playwright's
request routing does not see). The browser's contexts block service workers
(``BROWSER_CONTEXT``): a worker's own requests bypass the page's routes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer

logger = logging.getLogger(__name__)

# Metadata services outside link-local: Alibaba Cloud, Azure's wire server, Oracle, AWS over IPv6.
METADATA_ADDRESSES = frozenset(map(ipaddress.ip_address, (
    "100.100.100.200", "168.63.129.16", "192.0.0.192", "fd00:ec2::254",
)))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(IgnoreRequest):
    """A request to an address the crawl may not reach; the message says why."""


def parse_literal(host: str) -> Address | None:
    """The address a host names literally (``[::1]`` without brackets too), else None."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_encoded_ipv4(host: str) -> bool:
    """A host that resolvers read as an IPv4 address though it is not written as one:
    an integer, hex or octal parts, fewer than four parts, leading zeros."""
    if parse_literal(host) is not None:
        return False
    try:
        socket.inet_aton(host.rstrip("."))
    except (OSError, ValueError):
        return False
    return True


def never_reason(address: Address) -> str | None:
    """Why no crawl may request ``address`` whatever the site, or None."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address in ipaddress.ip_network("0.0.0.0/8"):
        return "an unspecified address"
    if address.is_loopback:  # ::1 lies in IPv6's reserved ::/8
        return None
    if address.is_reserved or address == ipaddress.ip_address("255.255.255.255"):
        return "a reserved address"
    return None


def is_internal(address: Address) -> bool:
    """Loopback, private and every other range that is not on the public internet."""
    return not address.is_global


def address_refusal(address: Address, internal_ok: bool) -> str | None:
    """Why ``address`` may not be requested (None: it may)."""
    reason = never_reason(address)
    if reason:
        return reason
    if is_internal(address) and not internal_ok:
        return "an internal address (allowed only for a site configured on one)"
    return None


def host_refusal(host: str | None, internal_ok: bool) -> str | None:
    """Why a URL's host may not be requested before any name is resolved (None: it may, so far)."""
    if not host:
        return "no host"
    host = host.lower()
    if is_encoded_ipv4(host):
        return "an IP address written in an encoded form"
    address = parse_literal(host)
    if address is not None:
        return address_refusal(address, internal_ok)
    if (host == "localhost" or host.endswith(".localhost")) and not internal_ok:
        return "an internal address (allowed only for a site configured on one)"
    return None


def site_is_internal(site) -> bool:
    """A site configured on an internal address (its base URLs are IP literals or localhost):
    its requests may reach internal addresses. Names are not resolved for this."""
    for host in site.hosts:
        address = parse_literal(host)
        if host == "localhost" or (address is not None and is_internal(address) and not never_reason(address)):
            return True
    return False


def url_refusal(url: str) -> str | None:
    """Why a URL the user gave (``crawl --url``, ``sites add``) may not be fetched outside
    Scrapy, or None: its host is checked as a site configured on it, and a name is
    resolved and its addresses checked too (urllib resolves it again: a rebinding
    between the two is not caught here, only by the crawl's own resolver)."""
    host = urlsplit(url).hostname
    literal = parse_literal(host or "")
    internal_ok = host == "localhost" or (literal is not None and is_internal(literal))
    reason = host_refusal(host, internal_ok)
    if reason or literal is not None or not host:
        return reason and f"{host} is {reason}"
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None  # the fetch fails the same way, with its own message
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        reason = address_refusal(address, internal_ok)
        if reason:
            return f"{host} resolves to {address}, {reason}"
    return None


# Names whose resolution may give internal addresses: the hosts of internal sites. The
# resolver is one per process (Scrapy installs it on the reactor), so this is too.
_internal_names: set[str] = set()


def allow_internal_names(hosts) -> None:
    _internal_names.update(h.lower() for h in hosts)


class AddressGuardMiddleware:
    """Downloader middleware: refuses requests to hosts the rules above forbid (one log line each)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider):
        allow_internal_names(h for site in getattr(spider, "sites", ()) if site_is_internal(site)
                             for h in (*site.hosts, *getattr(site, "extra_hosts", ())))

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        parts = urlparse_cached(request)
        site = spider.site_for(request) if hasattr(spider, "site_for") else None
        internal_ok = site is not None and site_is_internal(site)
        reason = host_refusal(parts.hostname, internal_ok)
        if reason:
            self.crawler.stats.inc_value("nianbao/address_refused")
            logger.warning("not fetched: %s is %s: %s", parts.hostname, reason, request.url)
            raise AddressRefused(f"{parts.hostname} is {reason}")
        return None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing a name that resolves to a forbidden address.

    It runs when a connection is made, so the address checked is the address
    connected to: a name that first resolves to a public address and later to
    an internal one (DNS rebinding) is refused at the later connection.
    """

    def getHostByName(self, name, timeout=()):
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, result, name):
        if parse_literal(name) is not None:
            return result  # an address written as one: the middleware checked it, with its site
        address = parse_literal(result)
        internal_ok = name.lower() in _internal_names
        reason = address_refusal(address, internal_ok) if address is not None else None
        if reason:
            logger.warning("not connecting: %s resolves to %s, %s", name, result, reason)
            return defer.fail(AddressRefused(f"{name} resolves to {result}, {reason}"))
        return result


def browser_policy(spider):
    """PLAYWRIGHT_ABORT_REQUEST for this spider: abort every browser request (the page,
    its frames, its scripts' XHR and fetch) to an address the rules forbid, before it
    leaves; names are resolved and checked first. A request may reach internal
    addresses only when the page it serves (or it itself) is of an internal site.
    Images, styles, fonts and media are dropped too: a list never needs them."""

    def internal_ok(*hosts) -> bool:
        sites = (spider.site_by_host.get(h) for h in hosts if h)
        return any(site is not None and site_is_internal(site) for site in sites)

    async def should_abort(request) -> bool:
        if request.resource_type in ("image", "stylesheet", "font", "media"):
            return True
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            return parts.scheme not in ("data", "blob", "about")
        try:
            page_host = urlsplit(request.frame.url).hostname
        except Exception:  # a request of no frame (a service worker's)
            page_host = None
        reason = await browser_refusal(parts.hostname, internal_ok(parts.hostname, page_host))
        if reason:
            logger.warning("browser request aborted: %s is %s: %s", parts.hostname, reason, request.url)
        return reason is not None

    return should_abort


async def browser_refusal(host: str | None, internal_ok: bool) -> str | None:
    """Why the browser may not reach ``host`` (None: it may); a name is resolved and checked."""
    reason = host_refusal(host, internal_ok)
    if reason is None and parse_literal(host) is None:
        reason = await _resolved_refusal(host, internal_ok)
    return reason


# Request meta of a browser-rendered request (set by FamilySpider.request): may its page reach
# internal addresses (its site is configured on one)?
INTERNAL_OK_META = "nianbao_internal_ok"
# Every browser context: no service workers (their fetches bypass the page's routes).
BROWSER_CONTEXT = {"service_workers": "block"}


async def route_web_sockets(page, request) -> None:
    """``playwright_page_init_callback``: every WebSocket the page opens passes the address
    rules before it connects; a refused one is closed at once (it never reaches the server)."""
    internal_ok = bool(request.meta.get(INTERNAL_OK_META))

    async def guard(socket_route) -> None:
        parts = urlsplit(socket_route.url)
        reason = await browser_refusal(parts.hostname, internal_ok)
        if reason:
            logger.warning("browser WebSocket refused: %s is %s: %s", parts.hostname, reason, socket_route.url)
            await socket_route.close(code=1008, reason="address refused")  # 1008: policy violation
        else:
            socket_route.connect_to_server()

    await page.route_web_socket("**", guard)


async def _resolved_refusal(host: str, internal_ok: bool) -> str | None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return None  # the browser's own lookup fails the same way
    for info in infos:
        reason = address_refusal(ipaddress.ip_address(info[4][0].split("%")[0]), internal_ok)
        if reason:
            return f"resolving to {info[4][0]}, {reason}"
    return None

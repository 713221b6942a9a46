"""The crawler's address rules: classified in unit tests; end to end only against loopback."""

import asyncio
import logging
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from scrapy import Request

from crawler.addresses import (AddressGuardMiddleware, AddressRefused, GuardedResolver, allow_internal_names,
                               browser_policy, host_refusal, is_encoded_ipv4, site_is_internal)
from crawler.registry import site_from_entry
from crawler.run import one_line_errors
from tests.conftest import ROOT

INTERNAL = "an internal address (allowed only for a site configured on one)"
ENCODED = "an IP address written in an encoded form"


@pytest.mark.parametrize("host, reason", [
    ("169.254.169.254", "a link-local address (cloud metadata lives there)"),
    ("[fe80::1]", "a link-local address (cloud metadata lives there)"),
    ("::ffff:169.254.169.254", "a link-local address (cloud metadata lives there)"),
    ("100.100.100.200", "a cloud metadata address"),
    ("[fd00:ec2::254]", "a cloud metadata address"),
    ("224.0.0.251", "a multicast address"),
    ("[ff02::1]", "a multicast address"),
    ("0.0.0.0", "an unspecified address"),
    ("[::]", "an unspecified address"),
    ("240.0.0.1", "a reserved address"),
    ("2130706433", ENCODED),  # 127.0.0.1 as an integer
    ("0x7f000001", ENCODED),
    ("0177.0.0.1", ENCODED),
    ("127.1", ENCODED),
    ("2852039166", ENCODED),  # 169.254.169.254
])
def test_never_requested_whatever_the_site(host, reason):
    assert host_refusal(host, internal_ok=False) == reason
    assert host_refusal(host, internal_ok=True) == reason


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "[::1]", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                  "[fc00::1]", "100.64.0.1", "localhost"])
def test_internal_addresses_only_for_a_site_configured_on_one(host):
    assert host_refusal(host, internal_ok=False) == INTERNAL
    assert host_refusal(host, internal_ok=True) is None


@pytest.mark.parametrize("host", ["www.wendeng.gov.cn", "180.76.149.248", "[2400:da00::6666]"])
def test_public_hosts_and_names_pass_before_resolution(host):
    assert host_refusal(host, internal_ok=False) is None
    assert not is_encoded_ipv4(host)


def site(name, *urls, extra_hosts=()):
    return site_from_entry(name, {"family": "hanweb", "base_urls": list(urls), "extra_hosts": list(extra_hosts)})


def test_a_site_is_internal_by_its_configured_base_url_only():
    assert site_is_internal(site("replica", "http://127.0.0.2:8443/"))
    assert site_is_internal(site("local", "http://localhost:8000/"))
    assert not site_is_internal(site("wendeng", "http://www.wendeng.gov.cn/"))
    assert not site_is_internal(site("encoded", "http://2130706433/"))


class FakeSpider:
    def __init__(self, *sites):
        self.sites = list(sites)
        self.site_by_host = {h: s for s in sites for h in (*s.hosts, *s.extra_hosts)}

    def site_for(self, request):
        from urllib.parse import urlsplit

        return self.site_by_host.get(urlsplit(request.url).hostname)


def guard(spider):
    stats = SimpleNamespace(values={}, inc_value=lambda key: stats.values.__setitem__(key, stats.values.get(key, 0) + 1))
    middleware = AddressGuardMiddleware(SimpleNamespace(spider=spider, stats=stats))
    return middleware, stats


def test_the_middleware_refuses_what_a_public_portal_links_or_redirects_to():
    public, replica = site("wendeng", "http://www.wendeng.gov.cn/"), site("replica", "http://127.0.0.2:8443/")
    middleware, stats = guard(FakeSpider(public, replica))
    assert middleware.process_request(Request("http://www.wendeng.gov.cn/art/1.html")) is None
    assert middleware.process_request(Request("http://127.0.0.2:8443/art/1.html")) is None
    refused = [
        Request("http://169.254.169.254/latest/meta-data/", meta={"site": "wendeng"}),
        Request("http://127.0.0.1:8080/admin"),  # linked by wendeng: no site of its own
        Request("http://[::1]/"),
        Request("http://2130706433:8443/art/1.html"),  # the replica's own address, encoded
    ]
    for request in refused:
        with pytest.raises(AddressRefused):
            middleware.process_request(request)
    assert stats.values == {"nianbao/address_refused": 4}


def test_the_resolver_refuses_names_resolving_to_forbidden_addresses():
    resolver = GuardedResolver.__new__(GuardedResolver)
    allow_internal_names(["replica.localhost"])
    assert resolver._check("180.76.149.248", "www.wendeng.gov.cn") == "180.76.149.248"
    assert resolver._check("127.0.0.1", "replica.localhost") == "127.0.0.1"
    assert resolver._check("127.0.0.4", "127.0.0.4") == "127.0.0.4"  # literals: the middleware's business
    for name, address in (("rebind.example.cn", "127.0.0.1"), ("rebind.example.cn", "10.0.0.7"),
                          ("replica.localhost", "169.254.169.254")):
        failure = []
        resolver._check(address, name).addErrback(failure.append)
        assert failure and failure[0].check(AddressRefused)


def test_the_browser_aborts_requests_to_forbidden_hosts_before_they_leave():
    public, replica = site("wendeng", "http://www.wendeng.gov.cn/"), site("replica", "http://127.0.0.2:8443/")
    should_abort = browser_policy(FakeSpider(public, replica))

    def request(url, page, kind="xhr"):
        return SimpleNamespace(url=url, resource_type=kind, frame=SimpleNamespace(url=page))

    on_public, on_replica = "http://www.wendeng.gov.cn/col/1.html", "http://127.0.0.2:8443/col/1.html"
    cases = {
        ("http://127.0.0.2:8443/module/dataproxy.jsp", on_replica): False,
        ("http://127.0.0.1:9000/internal", on_public): True,
        ("http://169.254.169.254/latest/meta-data/", on_replica): True,
        ("http://2130706433:8443/x", on_replica): True,
        ("http://localhost:6379/", on_public): True,
        ("file:///etc/passwd", on_public): True,
    }
    for (url, page), aborted in cases.items():
        assert asyncio.run(should_abort(request(url, page))) is aborted, url
    assert asyncio.run(should_abort(request("http://127.0.0.2:8443/a.png", on_replica, "image"))) is True


def test_websockets_pass_the_rules_of_the_page_that_opens_them():
    from crawler.addresses import INTERNAL_OK_META, route_web_sockets

    class Route:
        def __init__(self, url):
            self.url, self.outcome = url, None

        def connect_to_server(self):
            self.outcome = "connected"

        async def close(self, code=None, reason=None):
            self.outcome = f"closed {code}"

    def opened(url: str, internal_ok: bool) -> str:
        handlers = []

        async def route_web_socket(pattern, handler):
            handlers.append(handler)

        async def run():
            page = SimpleNamespace(route_web_socket=route_web_socket)
            await route_web_sockets(page, SimpleNamespace(meta={INTERNAL_OK_META: internal_ok}))
            await handlers[0](route)

        route = Route(url)
        asyncio.run(run())
        return route.outcome

    assert opened("ws://127.0.0.2:8443/push", internal_ok=True) == "connected"     # a replica's page
    assert opened("ws://127.0.0.2:8443/push", internal_ok=False) == "closed 1008"  # a public site's page
    assert opened("wss://169.254.169.254/", internal_ok=True) == "closed 1008"
    assert opened("ws://[::]:6379/", internal_ok=True) == "closed 1008"


def test_a_logged_traceback_becomes_one_line():
    try:
        raise OSError("DNS lookup failed: no results for hostname lookup: www.example.invalid.")
    except OSError:
        record = logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1, "Error downloading %s",
                                   ("<GET http://www.example.invalid/>",), sys.exc_info())
    assert one_line_errors(record)
    assert logging.Formatter().format(record) == (
        "Error downloading <GET http://www.example.invalid/>: OSError: "
        "DNS lookup failed: no results for hostname lookup: www.example.invalid.")


CRAWL = """
import json, sys, scrapy
from scrapy.crawler import CrawlerProcess
from crawler.run import crawl_settings
from crawler.registry import site_from_entry

port = int(sys.argv[1])
replica = site_from_entry("replica", {"family": "hanweb", "base_urls": [f"http://127.0.0.1:{port}/"]})
public = site_from_entry("public", {"family": "hanweb", "base_urls": ["http://www.example.gov.cn/"]})
outcomes = {}

class Probe(scrapy.Spider):
    name = "probe"
    sites = [replica, public]
    site_by_host = {"127.0.0.1": replica, "www.example.gov.cn": public}

    def site_for(self, request):
        return {"replica": replica, "public": public}.get(request.meta.get("site"))

    async def start(self):
        for path, site_name in (("ok", "replica"), ("redirect", "replica"), ("linked-by-public", "public")):
            yield scrapy.Request(f"http://127.0.0.1:{port}/{path}", meta={"site": site_name, "path": path},
                                 callback=self.done, errback=self.failed, dont_filter=True)
        yield scrapy.Request(f"http://2130706433:{port}/encoded", meta={"site": "replica", "path": "encoded"},
                             callback=self.done, errback=self.failed, dont_filter=True)
        if len(sys.argv) > 3:  # a name that resolves to loopback, asked for by the public site: the resolver refuses
            yield scrapy.Request(f"http://{sys.argv[3]}:{port}/resolved", meta={"site": "public", "path": "resolved"},
                                 callback=self.done, errback=self.failed, dont_filter=True)

    def done(self, response):
        outcomes[response.meta["path"]] = response.status

    def failed(self, failure):
        outcomes[failure.request.meta["path"]] = type(failure.value).__name__

settings = crawl_settings(data_dir=sys.argv[2], overrides=["ROBOTSTXT_OBEY=False", "DOWNLOAD_DELAY=0",
                                                           "AUTOTHROTTLE_ENABLED=False", "RETRY_ENABLED=False",
                                                           "ITEM_PIPELINES={}", "LOG_LEVEL=WARNING"])
settings.set("DUPEFILTER_CLASS", "scrapy.dupefilters.RFPDupeFilter")
process = CrawlerProcess(settings)
process.crawl(Probe)
process.start()
print(json.dumps(outcomes, sort_keys=True))
"""


def _loopback_name() -> list[str]:
    """This machine's name when /etc/hosts maps it to loopback (no DNS query leaves the machine)."""
    name = socket.gethostname()
    try:
        with open("/etc/hosts") as hosts:
            mapped = any(line.split()[0].startswith("127.") and name in line.split()[1:]
                         for line in hosts if line.strip() and not line.startswith("#"))
    except OSError:
        return []
    return [name] if mapped and not name.endswith("localhost") else []


LOOPBACK_NAME = _loopback_name()


class Handler(BaseHTTPRequestHandler):
    paths: list = []

    def do_GET(self):
        Handler.paths.append(self.path)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://2130706433:{self.server.server_port}/after-redirect")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_end_to_end_on_loopback_encoded_hosts_redirects_and_public_sites_are_refused(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run([sys.executable, "-c", CRAWL, str(server.server_port), str(tmp_path),
                                 *LOOPBACK_NAME], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {"ok": 200, "redirect": "AddressRefused", "linked-by-public": "AddressRefused",
                "encoded": "AddressRefused"}
    if LOOPBACK_NAME:  # Scrapy reports a refused resolution as a failed one (CannotResolveHostError)
        expected["resolved"] = outcomes.get("resolved")
        assert expected["resolved"] not in (None, 200)
        assert f"not connecting: {LOOPBACK_NAME[0]} resolves to 127." in result.stderr
    assert outcomes == expected
    # What reached the server: the replica's own page and the redirect, nothing after it.
    assert sorted(Handler.paths) == ["/ok", "/redirect"]
    assert "not fetched: 2130706433 is an IP address written in an encoded form" in result.stderr


def test_a_url_the_user_gives_is_checked_before_the_family_is_detected():
    from crawler.addresses import url_refusal
    from crawler.detect import detect

    assert url_refusal("http://127.0.0.2:8443/") is None  # a replica: configured on loopback
    assert url_refusal("http://2130706433/") == "2130706433 is an IP address written in an encoded form"
    assert url_refusal("http://169.254.169.254/latest/").startswith("169.254.169.254 is a link-local address")
    probe = detect("http://0x7f.0.0.1:9/", agent="nianbao-test", delay=0)
    assert probe.error == "not fetched: 0x7f.0.0.1 is an IP address written in an encoded form"


class BrowserPortal(BaseHTTPRequestHandler):
    """A portal whose rendered column opens WebSockets and registers a service worker."""

    paths: list = []
    COLUMN = """<html><head><title>政府信息公开</title></head><body><ul id="list"></ul><script>
      for (const [path, host] of [["ws-allowed", "127.0.0.1"], ["ws-unspecified", "0.0.0.0"]]) {
        try { new WebSocket(`ws://${host}:${location.port}/${path}`); } catch (e) {}
      }
      if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js").catch(() => {});
    </script></body></html>"""

    def do_GET(self):
        BrowserPortal.paths.append(self.path)
        port = self.server.server_port
        body, kind = {
            "/": ('<html><body><a href="/col/col1/index.html">政府信息公开</a></body></html>', "text/html"),
            "/col/col1/index.html": (self.COLUMN, "text/html"),
            "/sw.js": (f'fetch("http://0.0.0.0:{port}/from-service-worker");', "text/javascript"),
        }.get(self.path.split("?")[0], (None, None))
        if body is None:  # robots.txt, a WebSocket upgrade (not spoken here: seeing it is enough)
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_the_browser_refuses_websockets_to_forbidden_addresses_and_runs_no_service_worker(tmp_path):
    from crawler.browser import launch_options

    from .test_crawl_end_to_end import crawl

    if launch_options() is None:
        pytest.skip("no chromium: neither playwright's nor /usr/bin/chromium is installed")
    server = ThreadingHTTPServer(("127.0.0.1", 0), BrowserPortal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[sites.portal]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.1:{server.server_port}/"]\n'
                     "render_js = true\n", encoding="utf-8")
    try:
        result = crawl(sites, tmp_path / "data", "portal")
    finally:
        server.shutdown()
        server.server_close()
    served = [p.split("?")[0] for p in BrowserPortal.paths]
    assert "/col/col1/index.html" in served
    # The page's WebSocket to its own (internal, configured) site goes out; the one to 0.0.0.0
    # (which reaches this machine's ports) is closed before it connects.
    assert "/ws-allowed" in served and "/ws-unspecified" not in served
    assert "browser WebSocket refused: 0.0.0.0 is an unspecified address" in result.stderr
    # Service workers are blocked: the worker's script is never fetched, nor what it would fetch.
    assert "/sw.js" not in served and "/from-service-worker" not in served

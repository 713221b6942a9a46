"""HTTP serving with socket-level control: faults, request log, conditional GETs.

Stdlib ``ThreadingHTTPServer`` (one thread per connection, HTTP/1.1
keep-alive) because faults need the raw socket: a TCP reset is a close with
``SO_LINGER`` 0, a truncated body is a Content-Length the bytes never reach.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

from .app import Request, Response

FAULTS = ("slow", "error_then_ok", "reset", "waf_521", "waf_412", "truncated", "https_fail")
# Faults that hit only the first ``times`` requests of each URL, then let it through.
_COUNTED = ("error_then_ok", "reset")
TLS_HANDSHAKE = 0x16  # first byte of a TLS ClientHello


class ServedRequest(NamedTuple):
    host: str       # "127.0.0.2:8000" (address:port the request reached)
    method: str
    path: str       # path + query
    headers: dict
    at: float = 0.0  # time.time() when the request line and headers had arrived (politeness tests)


@dataclass
class Fault:
    name: str
    paths: tuple[str, ...] | None = None   # prefixes of path+query or of the full URL; None = all
    hosts: frozenset[str] | None = None    # host names ("wendeng", "flipbook", …); None = all
    seconds: float = 2.0                   # slow
    times: int = 1                         # error_then_ok, reset: failures per URL
    rounds: int = 1                        # waf_521: 1 = cookie script, 2 = then a go({...}) round
    seen: dict = field(default_factory=dict)

    def matches(self, host_name: str, url: str, target: str) -> bool:
        if self.hosts is not None and host_name not in self.hosts:
            return False
        if self.paths is None:
            return target != "/robots.txt"  # robots stays reachable unless named explicitly
        return any(target.startswith(p) or url.startswith(p) for p in self.paths)

    def first_times(self, key: str) -> bool:
        """True for the first ``times`` requests of ``key``."""
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        return count < self.times


class ReplicaServer(ThreadingHTTPServer):
    """One bound address; tracks open connections so that stop() never waits on keep-alives."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address, host_name: str, app, portal):
        self.host_name = host_name
        self.app = app
        self.portal = portal
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        with self.conn_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.conn_lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK adds ~40 ms to each.
    disable_nagle_algorithm = True

    # --- connection level -----------------------------------------------------------------

    def handle(self):
        try:
            if self._tls_refused():
                return
            super().handle()
        except (ConnectionError, OSError):
            pass  # the client went away, or we reset it on purpose

    def _tls_refused(self) -> bool:
        """HTTPS on an HTTP port fails anyway; with ``https_fail`` on, it fails by a reset, like
        the provincial portals whose TLS handshake breaks while plain HTTP works."""
        portal = self.server.portal
        fault = portal.active_fault("https_fail", self.server.host_name, "", "/")
        if fault is None:
            return False
        first = self.connection.recv(1, socket.MSG_PEEK)
        if first and first[0] == TLS_HANDSHAKE:
            self._reset()
            return True
        return False

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log_message(self, format, *args):
        if self.server.portal.verbose:
            super().log_message(format, *args)

    # --- requests -----------------------------------------------------------------------------

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_HEAD(self):
        self._serve()

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server, portal = self.server, self.server.portal
        here = "%s:%d" % server.server_address[:2]
        portal.log_request(ServedRequest(here, self.command, self.path, dict(self.headers.items()), time.time()))
        host_name = server.host_name
        url = f"http://{here}{self.path}"

        def fault(name):
            return portal.active_fault(name, host_name, url, self.path)

        if (f := fault("reset")) and f.first_times(url):
            return self._reset()
        if (f := fault("error_then_ok")) and f.first_times(url):
            return self._send(Response(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>"))
        if (f := fault("waf_521")) and (challenge := jsl_challenge(portal, self.headers.get("Cookie", ""), f.rounds)):
            return self._send(challenge)
        if fault("waf_412") and not self.headers.get("Cookie"):
            return self._send(ruishu_challenge(portal))
        if f := fault("slow"):
            portal.stopping.wait(f.seconds)
        request = Request(self.command, self.path, self.headers, body, self.headers.get("Host") or here)
        try:
            response = server.app.handle(request)
        except Exception as exc:  # a bug or a failed conversion: this request fails, the server goes on
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            sys.stderr.write(f"replica: {self.command} {url} failed: {reason}\n")
            response = Response(500, f"500 Internal Server Error: {reason}".encode(), "text/plain; charset=utf-8")
        self._send(response, truncate=bool(fault("truncated")))

    def _send(self, response: Response, truncate: bool = False) -> None:
        body = response.body
        etag = '"%s"' % hashlib.sha1(body).hexdigest()[:20]
        status = response.status
        if status == 200 and self.command in ("GET", "HEAD") and self._not_modified(etag, response.last_modified):
            status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status == 200:
            self.send_header("ETag", etag)
            if response.last_modified:
                self.send_header("Last-Modified", format_datetime(_utc(response.last_modified), usegmt=True))
        declared = len(body) + (4096 if truncate else 0)
        self.send_header("Content-Length", str(declared))
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if truncate else body)
        if truncate:
            self.wfile.flush()
            self.close_connection = True

    def _not_modified(self, etag: str, last_modified: datetime | None) -> bool:
        if inm := self.headers.get("If-None-Match"):
            return etag in [t.strip() for t in inm.split(",")]
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified:
            try:
                return _utc(last_modified).replace(microsecond=0) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False


def _utc(when: datetime) -> datetime:
    # Page times are Beijing wall-clock times; HTTP wants GMT.
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone(timedelta(hours=8)))
    return when.astimezone(timezone.utc)


def jsl_challenge(portal, cookies: str, rounds: int) -> Response | None:
    """知道创宇加速乐-style challenge, or None when the request carries the clearance.

    Round 1: 521, a ``__jsluid_h`` tracking cookie, and a script that sets
    ``__jsl_clearance`` from an obfuscated expression (digits as ``-~[]`` arithmetic,
    the rest as quoted pieces) and reloads. With ``rounds=2`` that first clearance is
    only provisional: the next 521 calls ``go({...})`` with the final clearance's hash,
    its prefix and suffix (``bts``) and an alphabet for the two missing characters.
    """
    final = portal.jsl_clearance
    if final in cookies:
        return None
    if rounds >= 2 and portal.jsl_provisional in cookies:
        name, value = final.split("=", 1)
        params = {"bts": [value[:-5], value[-3:]], "chars": portal.jsl_chars,
                  "ct": hashlib.sha1(value.encode()).hexdigest(), "ha": "sha1", "is": True,
                  "tn": name, "vt": "3600", "wt": "1500"}
        script = ("<script>function go(_0x1){var _0x2=_0x1.chars.length;/* brute force of two characters "
                  f"*/}}go({json.dumps(params, separators=(',', ':'))})</script>")
        return Response(521, f"<html><body>{script}</body></html>".encode())
    cookie = final if rounds < 2 else portal.jsl_provisional
    script = (f"<script>document.cookie={_js_obfuscated(cookie)}+(';max-age=3600;path=/');"
              "location.href=location.pathname+location.search</script>")
    return Response(521, f"<html><body>{script}</body></html>".encode(),
                    headers=[("Set-Cookie", f"__jsluid_h={portal.jsluid}; max-age=31536000; path=/; HttpOnly")])


def _js_obfuscated(text: str) -> str:
    """A JS expression evaluating to ``text``: digit d as ``(-~[]+…+[])``, other characters quoted."""
    pieces = []
    for ch in text:
        if ch.isdigit():
            pieces.append("(+[]+[])" if ch == "0" else "(" + "+".join(["-~[]"] * int(ch)) + "+[])")
        else:
            pieces.append(f"('{ch}')")
    return "+".join(pieces)


def ruishu_challenge(portal) -> Response:
    """瑞数-style: 412 with a random-named cookie; clients that keep cookies get through."""
    return Response(412, b'<html><head><meta charset="utf-8"></head><body><script type="text/javascript" '
                         b'r="m">$_ts=window["$_ts"];</script></body></html>',
                    headers=[("Set-Cookie", f"{portal.ruishu_cookie}; path=/")])

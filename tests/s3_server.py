"""A local S3 server for the tests (moto's server mode on 127.0.0.1) and a proxy in front of it
that answers 500 or stalls on demand, to test what the store does when S3 misbehaves."""

from __future__ import annotations

import http.client
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def moto_server():
    """Yields the endpoint URL of a fresh in-memory S3 server on loopback."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._server.server_port}"
    finally:
        server.stop()


class FaultProxy:
    """Forwards HTTP to ``upstream``; ``fail(n)`` answers the next n requests (of ``method``) with a 500
    without forwarding them, ``stall(n, seconds)`` holds the next n answers back that long."""

    def __init__(self, upstream: str):
        self.upstream = upstream.removeprefix("http://")
        self.requests: list[tuple[str, str, int]] = []  # method, path, status answered
        self._faults: list[tuple[str | None, str, float]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = proxy._take(self.command)
                if fault and fault[0] == "stall":
                    time.sleep(fault[1])
                if fault and fault[0] == "fail":
                    self._answer(500, {"Content-Type": "application/xml"},
                                 b"<Error><Code>InternalError</Code><Message>injected</Message></Error>")
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
                answer = upstream.getresponse()
                data = answer.read()
                headers = {k: v for k, v in answer.getheaders() if k.lower() not in ("transfer-encoding", "connection")}
                headers["Content-Length"] = str(len(data))
                upstream.close()
                self._answer(answer.status, headers, data)

            def _answer(self, status, headers, data):
                proxy.requests.append((self.command, self.path, status))
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        if key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout)
                    pass

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _take(self, method: str):
        with self._lock:
            for i, (only, kind, seconds) in enumerate(self._faults):
                if only in (None, method):
                    del self._faults[i]
                    return kind, seconds
        return None

    def fail(self, count: int, method: str | None = None) -> None:
        with self._lock:
            self._faults += [(method, "fail", 0.0)] * count

    def stall(self, count: int, seconds: float, method: str | None = None) -> None:
        with self._lock:
            self._faults += [(method, "stall", seconds)] * count

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up mid-answer is what the stall tests do

"""A tiny HTTP client for the replica tests: no redirects followed, no cookies kept,
so that every test sees exactly what the server sent."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(url: str, *, method: str = "GET", data: bytes | str | None = None, headers: dict | None = None,
          timeout: float = 10) -> Reply:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if isinstance(data, str):
            data = data.encode()
        hdrs = dict(headers or {})
        if data is not None:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
        conn.request(method, target, body=data, headers=hdrs)
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def hrefs(text: str) -> list[str]:
    """Every href in a page, CDATA records included (quotes of either kind)."""
    return [h.replace("&amp;", "&") for h in re.findall(r"""href=['"]([^'"]+)['"]""", text)]

"""Which CMS family a portal runs, from a few of its pages (``nianbao crawl --url``
without ``--family``, ``nianbao sites add``, ``nianbao sites check``).

The home page is fetched, then, breadth first, the pages its disclosure links
(政府信息公开, 政务公开, 年报 …) and the short navigation links inside that section
lead to, until a page shows a family's markup (``generic.family_of``) or
``max_pages`` pages were read. The probe is as polite as a crawl: the crawler's
User-Agent, robots.txt obeyed, one request at a time with ``delay`` seconds
between them, only the portal's own host (a redirect elsewhere is not followed).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from w3lib.encoding import html_to_unicode

from . import generic
from .addresses import url_refusal
from .pages import normalise_space

MAX_PAGES = 8
MAX_BYTES = 2 * 1024 * 1024  # a page bigger than this is read only this far


def user_agent(settings) -> str:
    """The crawler's User-Agent (as the family spiders set it)."""
    return settings.get("USER_AGENT") or (
        f"nianbao/0.1 (+{settings.get('NIANBAO_CONTACT_URL')}; annual-report archive)")


@dataclass
class Probe:
    url: str
    status: int | None = None       # the home page's HTTP status (None: no answer)
    error: str | None = None        # why it did not answer
    family: str | None = None       # the family a page showed, None when none did
    evidence: str | None = None     # the page that showed it
    title: str = ""                 # the home page's <title>

    @property
    def answers(self) -> bool:
        return self.status is not None and self.status < 400

    def summary(self) -> str:
        if not self.answers:
            return f"does not answer ({self.error or f'HTTP {self.status}'})"
        family = f"looks like {self.family} ({self.evidence})" if self.family else "no known family (generic)"
        return f"answers (HTTP {self.status}), {family}"


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only on the host asked for."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).hostname != urlsplit(req.full_url).hostname:
            raise urllib.error.HTTPError(newurl, code, f"redirect off the site to {newurl}", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    def __init__(self, agent: str, delay: float, timeout: float, obey_robots: bool = True):
        self.agent, self.delay, self.timeout, self.obey_robots = agent, delay, timeout, obey_robots
        self.opener = urllib.request.build_opener(_SameHostRedirects)
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self.last = 0.0

    def get(self, url: str) -> tuple[int, str]:
        """(status, text) of a GET; raises OSError when there is no answer."""
        wait = self.last + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.agent})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, headers, body = response.status, response.headers, response.read(MAX_BYTES)
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, (e.read(MAX_BYTES) if e.fp else b"")
        finally:
            self.last = time.monotonic()
        _, text = html_to_unicode(headers.get("Content-Type") if headers else None, body)
        return status, text

    def allowed(self, url: str) -> bool:
        if not self.obey_robots:
            return True
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self.robots:
            parser = urllib.robotparser.RobotFileParser()
            try:
                status, text = self.get(root + "/robots.txt")
            except OSError:
                status, text = 404, ""
            parser.parse(text.splitlines() if status < 400 else [])
            self.robots[root] = parser
        return self.robots[root].can_fetch(self.agent, url)


def detect(url: str, *, agent: str, delay: float = 1.0, timeout: float = 20.0, max_pages: int = MAX_PAGES,
           obey_robots: bool = True) -> Probe:
    """Fetch the home page and up to ``max_pages`` pages of its disclosure section; the
    first family a page shows wins."""
    fetcher = Fetcher(agent, delay, timeout, obey_robots)
    probe = Probe(url)
    refusal = url_refusal(url)  # the crawler's address rules (crawler/addresses.py) hold here too
    if refusal:
        probe.error = f"not fetched: {refusal}"
        return probe
    host = urlsplit(url).hostname
    queue, seen = deque([(url, False)]), {url}
    pages_read = 0
    while queue and pages_read < max_pages:
        page_url, in_section = queue.popleft()
        if not fetcher.allowed(page_url):
            if page_url == url:
                probe.error = "robots.txt disallows the home page"
                break
            continue
        try:
            status, text = fetcher.get(page_url)
        except (OSError, ValueError) as e:  # no answer: refused, reset, timeout, bad URL
            if page_url == url:
                probe.error = f"{type(e).__name__}: {e}"
                break
            continue
        pages_read += 1
        if page_url == url:
            probe.status = status
            titles = generic.page_titles(text)
            probe.title = normalise_space(titles[-1]) if titles else ""
            if status >= 400:
                break
        if status >= 400:
            continue
        family = generic.family_of(text)
        if family:
            probe.family, probe.evidence = family, page_url
            break
        for link in generic.raw_links(text, page_url):
            target = link.url
            if urlsplit(target).hostname != host or target in seen or generic.is_file(target):
                continue
            if generic.is_disclosure_link(link) or (in_section and generic.is_navigation(link)):
                seen.add(target)
                queue.append((target, True))
    return probe


def detect_with_settings(url: str, settings) -> Probe:
    """``detect`` with the crawl's User-Agent, delay, timeout and robots setting."""
    return detect(url, agent=user_agent(settings), delay=settings.getfloat("DOWNLOAD_DELAY"),
                  timeout=settings.getfloat("DOWNLOAD_TIMEOUT"), obey_robots=settings.getbool("ROBOTSTXT_OBEY"))


def home_url(url: str) -> str:
    """A portal's home page: the root of the URL's host (any page of a portal may be given)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"

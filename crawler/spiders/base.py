"""The base of every family spider: what does not depend on a CMS.

A family spider (``spiders/<family>.py``) subclasses ``FamilySpider``, sets
``name`` (= the family name in the registry) and implements ``parse_list``
(home page, columns, lists) and whatever list endpoints its CMS has; its page
reading lives in ``crawler/<family>.py``. From here it gets:

* ``configure``: the sites to crawl (registry names, or one ad-hoc ``url``),
  ``allowed_domains``, User-Agent, per-site politeness, the job journal, the
  browser when a site may need one;
* ``start``: the sites' entry URLs, or a killed job's unfinished requests;
* ``request``: every request the spider makes (canonical URL, role, site,
  report key, errback, priority), and ``file_request`` for a report's files;
* ``fetch_item`` / ``failed``: one ``FetchItem`` per response or failure;
  ``readable``: the page to read links from (the archived copy for a 304);
* ``report_files`` / ``parse_flipbook``: a report's attachments, images and
  flip-books (every page and page image);
* ``report_kind``: whether a page is a report or a trap, from the list title
  and the page's own titles;
* ``probe_years``: which report years to probe (every year since 2008 on a
  first or ``--full`` run, else the last two);
* ``bad_input``: one warning line and a count in the crawl run for a page the
  crawler cannot fully read (the crawl goes on).

Callbacks yield a response's follow-up requests before its own item: the job
journal marks a request done when its item is recorded, so its children are
journaled first. The per-site page budget is applied by
``crawler.middlewares.PageBudgetMiddleware`` on the ``site`` meta key set here.
"""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, HtmlResponse, Request
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from .. import pages
from ..archive_access import archive_for, recorded_urls
from ..addresses import BROWSER_CONTEXT, INTERNAL_OK_META, host_refusal, site_is_internal
from ..browser import enable_playwright, launch_options
from ..items import ATTACHMENT, DOCUMENT_ROLES, FLIPBOOK_PAGE, IMAGE, LIST, REPORT_PAGE, FetchItem
from ..journal import FP_META, JOBDIR_SETTING, JobJournal
from ..registry import RegistryError, Site, adhoc_site, load_sites, select_sites

logger = logging.getLogger(__name__)

# Files before pages before lists: a report is complete as early as possible.
PRIORITY = {LIST: 0, REPORT_PAGE: 10, FLIPBOOK_PAGE: 20, ATTACHMENT: 20, IMAGE: 20}
# The first reporting year under the 条例 (2008).
FIRST_REPORT_YEAR = 2008
# Years a later (not --full) run probes: the last report years.
RECENT_YEARS = 2


def page_method(name: str, *args, **kwargs):
    """A scrapy-playwright page action (imported only when a browser is used)."""
    from scrapy_playwright.page import PageMethod

    return PageMethod(name, *args, **kwargs)


def describe_failure(failure) -> str:
    """One line naming why a download failed (some exceptions carry no message)."""
    name = type(failure.value).__name__
    message = failure.getErrorMessage().strip()
    if "DataLoss" in name or "DataLoss" in message:
        message = "response body shorter than its Content-Length (truncated)"
    return f"{name}: {message}" if message else name


def as_flag(value) -> bool:
    """A spider argument given as text (``-a full=1``) or as a bool (from Python)."""
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


class FamilySpider(scrapy.Spider):
    """Subclasses set ``name`` (the family) and implement ``parse_list``."""

    name: str | None = None  # no name: Scrapy's spider loader does not list the base

    def __init__(self, sites: str = "", url: str = "", since: str = "", full="", **kwargs):
        super().__init__(**kwargs)
        self.site_args = [s for s in sites.split(",") if s] if isinstance(sites, str) else list(sites)
        self.url = url
        self.since = date.fromisoformat(since) if since else None
        self.full = as_flag(full)
        self.sites: list[Site] = []

    @property
    def family(self) -> str:
        return self.name

    # --- configuration ---------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler)
        return spider

    def configure(self, crawler) -> None:
        """Pick the sites and adapt settings to them (settings are not frozen yet)."""
        settings = crawler.settings
        if self.url:
            self.sites = [adhoc_site(self.url, self.family)]
        else:
            chosen = select_sites(self.site_args, load_sites(settings.get("NIANBAO_SITES_FILE")))
            wrong = [s.name for s in chosen if s.family != self.family]
            if wrong and self.site_args:
                raise RegistryError(f"site(s) {', '.join(wrong)} are not of the {self.family} family")
            self.sites = [s for s in chosen if s.family == self.family]
        if not self.sites:
            raise RegistryError(f"no {self.family} site to crawl")
        self.site_by_name = {s.name: s for s in self.sites}
        self.site_by_host = {h: s for s in self.sites for h in (*s.hosts, *s.extra_hosts)}
        # Strict: the sites' own hosts and their declared extra hosts. An ad-hoc
        # portal's report files on other hosts are allowed per request instead.
        self.allowed_domains = [d for s in self.sites for d in s.allowed_domains]

        if not settings.get("USER_AGENT"):
            settings.set(
                "USER_AGENT",
                f"nianbao/0.1 (+{settings.get('NIANBAO_CONTACT_URL')}; annual-report archive)",
                priority="spider",
            )
        # Scrapy's JOBDIR queues do not survive SIGKILL; the journal does (crawler/journal.py).
        if settings.get("JOBDIR"):
            settings.set(JOBDIR_SETTING, settings.get("JOBDIR"), priority="cmdline")
            settings.set("JOBDIR", None, priority="cmdline")
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for site in self.sites:
            if site.politeness:
                for host in site.allowed_domains:
                    slots.setdefault(host, dict(site.politeness))
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

        self.browser = False
        if any(s.render_js for s in self.sites):
            launch = launch_options()
            if launch:
                enable_playwright(settings, launch, self)
                self.browser = True
            else:
                logger.warning("no chromium found: lists that need JavaScript will be skipped")
        self.journal = JobJournal.for_crawler(crawler)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @property
    def site_names(self) -> list[str]:
        return [s.name for s in self.sites]

    def site_for(self, request_or_response) -> Site | None:
        by_meta = self.site_by_name.get(request_or_response.meta.get("site"))
        return by_meta or self.site_by_host.get(urlparse_cached(request_or_response).hostname)

    def page_budget(self, site_name: str) -> int:
        """Pages (lists and report pages) a site's crawl may request: its registry
        ``page_budget``, else the ``NIANBAO_PAGE_BUDGET`` setting."""
        site = self.site_by_name.get(site_name)
        return (site and site.page_budget) or self.crawler.settings.getint("NIANBAO_PAGE_BUDGET")

    def probe_years(self, site: Site, probed_before: bool) -> range:
        """Report years to probe for a body: every year from 2008 on the first
        probe or with ``--full``, else the last two (earlier years do not change)."""
        last = date.today().year
        if site.probe_years:  # the registry fixes the range (tests, partial portals)
            return range(site.probe_years[0], site.probe_years[-1] + 1)
        if self.full or not probed_before:
            return range(FIRST_REPORT_YEAR, last + 1)
        return range(last - RECENT_YEARS + 1, last + 1)

    # --- requests ----------------------------------------------------------------------

    async def start(self):
        if self.journal.resuming:
            unfinished = self.journal.unfinished()
            logger.info("resuming job: %d unfinished requests", len(unfinished))
            recorded = recorded_urls(self.crawler, self.journal.load_run_id())
            # A redirect's target carries the fingerprints of the requests it came from:
            # when both are unfinished, only the target is fetched (it closes them all).
            redirected = {fp for data in unfinished for fp in data.get("meta", {}).get(FP_META, [])[:-1]}
            for data in unfinished:
                own = data.get("meta", {}).get(FP_META, [])
                if own and own[-1] in redirected:
                    continue
                request = request_from_dict(data, spider=self)
                if request.meta.get("role") in DOCUMENT_ROLES and request.url in recorded:
                    # Recorded, but the process died before marking it done.
                    self.journal.mark_done(request.meta.get(FP_META))
                    continue
                # Already journaled (and checked against allowed hosts) before.
                request.dont_filter = True
                yield request
            return
        for site in self.sites:
            for request in self.entry_requests(site):
                yield request

    def entry_requests(self, site: Site):
        """The first requests of a site: its entry URLs as lists."""
        for url in site.entry_urls():
            yield self.request(url, self.parse_list, LIST, site)

    def parse_list(self, response):
        raise NotImplementedError(f"{type(self).__name__} must read its lists")

    def browser_meta(self, url: str, role: str, site: Site) -> dict:
        """Request meta that sends a request through the browser; none by default."""
        return {}

    def request(self, url, callback, role, site: Site, *, report_key=None, formdata=None,
                headers=None, meta=None) -> Request:
        url = site.canonical_url(url)
        meta = {"role": role, "site": site.name, "report_key": report_key, **(meta or {})}
        if self.browser:
            for key, value in self.browser_meta(url, role, site).items():
                meta.setdefault(key, value)
        if meta.get("playwright"):
            # The page's WebSockets pass the address rules too, and its context runs no service worker.
            meta.update({"playwright_page_init_callback": "crawler.addresses.route_web_sockets",
                         INTERNAL_OK_META: site_is_internal(site),
                         "playwright_context_kwargs": dict(BROWSER_CONTEXT)})
        kwargs = dict(callback=callback, errback=self.failed, meta=meta, headers=headers,
                      priority=PRIORITY[role])
        if formdata is not None:
            return FormRequest(url, formdata=formdata, **kwargs)
        return Request(url, **kwargs)

    def request_dropped(self, request, spider=None) -> None:
        # A redirect to an already requested URL is dropped as a duplicate: the
        # requests it stands for are done (the target is fetched anyway).
        if len(request.meta.get(FP_META, ())) > 0 and request.meta.get("redirect_urls"):
            self.journal.mark_done(request.meta[FP_META])

    # --- items -------------------------------------------------------------------------

    def fetch_item(self, response) -> FetchItem:
        request = response.request
        redirects = response.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else response.url
        referer = request.headers.get("Referer")
        not_modified = response.status == 304
        return FetchItem(
            url=url,
            final_url=response.url if response.url != url else None,
            method=request.method,
            status=response.status,
            headers=response.headers,
            body=None if not_modified else response.body,
            error=f"HTTP {response.status}" if response.status >= 400 else None,
            referer=referer.decode("latin-1") if referer else None,
            role=response.meta.get("role", LIST),
            report_key=response.meta.get("report_key"),
            filename=response.meta.get("filename"),
            page_no=response.meta.get("page_no"),
            not_modified=not_modified,
            journal_fps=list(response.meta.get(FP_META, ())),
        )

    def readable(self, response):
        """The response to read links from: itself, or for a 304 the archived
        copy (an unchanged page still leads to its files, which are then
        checked conditionally in turn). None when there is nothing to read."""
        if response.status == 304:
            previous = response.meta.get("previous_fetch")
            if not previous:
                return None
            try:
                body = archive_for(self.crawler).store.read_bytes(previous["sha256"])
            except OSError as e:  # the archive lost the original: the 304 is still recorded
                logger.warning("archived copy of %s unreadable (%s); its links are not followed", response.url, e)
                return None
            return HtmlResponse(response.url, body=body, request=response.request)
        if response.status >= 400 or not hasattr(response, "text"):
            return None
        return response

    def failed(self, failure):
        request = failure.request
        if failure.check(IgnoreRequest):  # robots.txt, offsite redirect, page budget: final
            logger.info("not fetched (%s): %s", failure.getErrorMessage(), request.url)
            self.journal.mark_done(request.meta.get(FP_META))
            return
        redirects = request.meta.get("redirect_urls") or []
        yield FetchItem(
            url=redirects[0] if redirects else request.url,
            final_url=request.url if redirects else None,
            method=request.method,
            error=describe_failure(failure),
            role=request.meta.get("role", LIST),
            report_key=request.meta.get("report_key"),
            filename=request.meta.get("filename"),
            page_no=request.meta.get("page_no"),
            journal_fps=list(request.meta.get(FP_META, ())),
        )

    def bad_input(self, kind: str, url: str, detail: str) -> None:
        """A page the crawler cannot fully read (a malformed list, a search that errors,
        a select without options): one log line, a count in the run; the crawl goes on."""
        logger.warning("%s: %s (%s)", kind.replace("_", " "), url, detail)
        self.crawler.stats.inc_value(f"nianbao/bad_input/{kind}")

    # --- reports ---------------------------------------------------------------------------

    def report_kind(self, response, *page_titles: str) -> str:
        """``"report"`` or the trap kind of a report page, judged on the list
        title that led to it (``meta["list_title"]``) and the page's own titles:
        a 图解 page often drops 图解 from its ``<h1>`` but not from the list."""
        titles = [response.meta.get("list_title") or "", *page_titles]
        kinds = [pages.title_kind(t) for t in titles if t]
        traps = [k for k in kinds if k not in (None, "report")]
        if traps:
            return traps[0]
        return "report" if "report" in kinds else "unknown"

    def not_a_report(self, item: FetchItem, response, kind: str) -> FetchItem:
        """Record a page fetched as a report that is not one as a list page."""
        logger.info("not a report (%s): %s", kind, response.url)
        self.crawler.stats.inc_value(f"nianbao/traps/{kind}")
        item.role, item.report_key = LIST, None
        return item

    # A family whose report pages are articles read by ``read_article(text, url)`` (an object with
    # title, attachments, has_content) gets its report pages parsed by ``parse_article_page``.
    read_article = None

    def parse_article_page(self, response):
        """A report page: refused when it is a companion, notice or other trap, else its files
        followed under the report's key."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        article = self.read_article(text, url)
        kind = self.report_kind(response, article.title)
        if kind != "report":
            yield self.not_a_report(item, response, kind)
            return
        if not article.has_content and not article.attachments:
            logger.warning("report page with neither text nor files: %s", url)
            self.crawler.stats.inc_value("nianbao/empty_reports")
        title = article.title or response.meta.get("list_title", "")
        key = pages.report_key_for_article(site.name, text, title, url)
        yield from self.report_files(pages.Article(article.title, article.attachments, [], []), site, key)
        item.report_key = key
        yield item

    def report_files(self, article: pages.Article, site: Site, key: str):
        """Requests for a report page's attachments, inline images and flip-books."""
        for attachment in article.attachments:
            yield self.file_request(attachment.url, ATTACHMENT, site, key, filename=attachment.text)
        for image in article.images:
            yield self.file_request(image, IMAGE, site, key)
        for root in article.flipbooks:
            yield self.file_request(pages.flipbook_page_url(root, 1), FLIPBOOK_PAGE, site, key,
                                    page_no=1, callback=self.parse_flipbook, book_root=root)

    def file_request(self, url, role, site: Site, report_key, *, filename=None, page_no=None,
                     callback=None, book_root=None):
        meta = {"filename": filename, "page_no": page_no, "book_root": book_root}
        host = urlsplit(url).hostname
        if self.url and host and host not in self.allowed_domains and not self.refuses_host(host, site):
            # An ad-hoc portal's report keeps files on another host (registry sites
            # list such hosts in extra_hosts): a report linking it allows that host.
            # The offsite middleware re-reads allowed_domains; lists never add hosts.
            logger.info("allowing %s: a report's files are there (%s)", host, url)
            self.allowed_domains.append(host)
            self.site_by_host.setdefault(host, site)
        return self.request(url, callback or self.parse_file, role, site, report_key=report_key, meta=meta)

    def refuses_host(self, host: str, site: Site) -> bool:
        """A host no page may add to the allowed ones: an internal or encoded address,
        unless the site itself is configured on an internal address (crawler/addresses.py)."""
        reason = host_refusal(host, site_is_internal(site))
        if reason:
            logger.warning("not allowing %s: it is %s", host, reason)
        return reason is not None

    def parse_file(self, response):
        yield self.fetch_item(response)

    def parse_flipbook(self, response):
        """A FlipBuilder ``pageN.html``: page 1's noscript list names every page;
        each page's image (``files/mobile/N.jpg``) is kept too."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        meta = response.meta
        if page is not None and meta.get("page_no") == 1:
            root = meta["book_root"]
            for n in pages.flipbook_page_numbers(page.text) or [1]:
                if n != 1:
                    yield self.file_request(pages.flipbook_page_url(root, n), FLIPBOOK_PAGE, site,
                                            meta["report_key"], page_no=n, callback=self.parse_flipbook,
                                            book_root=root)
                yield self.file_request(pages.flipbook_image_url(root, n), IMAGE, site, meta["report_key"],
                                        page_no=n)
        yield item

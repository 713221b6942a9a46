"""The Hanweb (大汉 JCMS) family spider: one spider for every Hanweb portal in the
registry (``scrapy crawl hanweb -a sites=wendeng,huancui``) or for any Hanweb
portal given by URL (``-a url=http://…/``).

Discovery, from the home page (or the site's start URLs):

* navigation links whose text names 信息公开 or a 年报 column, and xxgk unit
  pages (links carrying ``vc_xxgkarea``), are walked as lists;
* a list page's jpage datastore gives its first records, the data proxy the
  rest (group by group, until totalrecord or an empty recordset);
* an xxgk unit shell gives its body's code: its search.jsp list is paged and its
  tree iframe links the 年报 column or the xxgkAnnualReport.jsp year pages;
* entries whose titles are annual reports become report pages; their
  attachments, inline images and flip-books (every page and page image) follow.

All page reading is in ``crawler/hanweb.py``; this module only decides what to
request next and yields one ``FetchItem`` per response. Callbacks yield the
follow-up requests before the response's own item: the job journal marks a
request done when its item is recorded, so its children are journaled first.
"""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, HtmlResponse, Request
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import request_from_dict

from .. import hanweb
from ..browser import enable_playwright, launch_options
from ..items import ATTACHMENT, DOCUMENT_ROLES, FLIPBOOK_PAGE, IMAGE, LIST, REPORT_PAGE, FetchItem
from ..journal import FP_META, JOBDIR_SETTING, JobJournal
from ..pipelines import archive_for, recorded_urls
from ..registry import RegistryError, Site, adhoc_site, load_sites, select_sites

logger = logging.getLogger(__name__)

# Files before pages before lists: a report is complete as early as possible.
PRIORITY = {LIST: 0, REPORT_PAGE: 10, FLIPBOOK_PAGE: 20, ATTACHMENT: 20, IMAGE: 20}


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


class HanwebSpider(scrapy.Spider):
    name = "hanweb"
    family = "hanweb"

    def __init__(self, sites: str = "", url: str = "", since: str = "", **kwargs):
        super().__init__(**kwargs)
        self.site_args = [s for s in sites.split(",") if s] if isinstance(sites, str) else list(sites)
        self.url = url
        self.since = date.fromisoformat(since) if since else None
        self.sites: list[Site] = []

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
        # page URL -> (URL, form body) of the data-proxy call its scripts made in the browser
        self.browser_proxy_calls: dict[str, tuple[str, str | None]] = {}
        if any(s.render_js for s in self.sites):
            launch = launch_options()
            if launch:
                enable_playwright(settings, launch)
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

    # --- requests ----------------------------------------------------------------------

    async def start(self):
        if self.journal.resuming:
            unfinished = self.journal.unfinished()
            logger.info("resuming job: %d unfinished requests", len(unfinished))
            recorded = recorded_urls(self.crawler, self.journal.load_run_id())
            for data in unfinished:
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
            for url in site.entry_urls():
                yield self.request(url, self.parse_list, LIST, site)

    def request(self, url, callback, role, site: Site, *, report_key=None, formdata=None,
                headers=None, meta=None) -> Request:
        url = site.canonical_url(url)
        meta = {"role": role, "site": site.name, "report_key": report_key, **(meta or {})}
        if site.render_js is True and role == LIST and "/col/" in url and self.browser:
            # render_js = true: every column page through the browser, its scripts run.
            meta.setdefault("playwright", True)
            meta.setdefault("playwright_page_methods", [page_method("wait_for_load_state", "networkidle")])
            meta.setdefault("playwright_page_event_handlers", {"request": "record_proxy_call"})
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
        if failure.check(IgnoreRequest):  # robots.txt, offsite redirect, max redirects: final
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

    # --- lists -------------------------------------------------------------------------

    def parse_list(self, response):
        """Home pages, column pages, xxgk directories and unit shells, tree iframes."""
        site = self.site_for(response)
        page = self.readable(response)
        item = self.fetch_item(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        stores = hanweb.parse_datastores(text, url)
        records = []
        if response.meta.get("playwright"):
            records = hanweb.rendered_records(text, url)
            call = self.browser_proxy_calls.pop(response.url, None)
            if call and not stores:  # a datastore's own pager configuration asks for its later groups
                yield from self.groups_after_rendered(call, url, site, records)
        for store in stores:
            records += store.records
            config = store.config
            if config.total_record is None or config.total_record > len(store.records):
                yield from self.proxy_group(config, url, 2, site, config.total_record)
        for record in records:
            yield from self.follow_record(record, site)

        # A shell's body: from its URL (vc_xxgkarea), else from its own loader/iframe.
        for area in (hanweb.xxgk_areas(url) or hanweb.xxgk_areas(text)) if hanweb.is_xxgk_shell(text) else ():
            yield self.search_request(area, 1, text, url, site)
            for year in site.probe_years:
                yield from self.annual_report_request(hanweb.annual_report_url(site.base_url, area, year), site)
        for src in page.css("iframe::attr(src)").getall():
            if "/module/xxgk/tree.jsp" in src:
                yield self.request(page.urljoin(src), self.parse_list, LIST, site)
        for link in hanweb.page_links(text, url):
            yield from self.follow_link(link, site)

        if not records and hanweb.needs_browser(text) and not response.meta.get("playwright"):
            yield from self.render(response, site, item)
            return
        yield item

    def render(self, response, site: Site, item: FetchItem):
        """Ask the browser for a list only it can see. The static page is recorded
        now, but its journal entry is closed by the rendered page's item, so a
        kill in between re-fetches the page instead of losing the list."""
        if not self.browser or site.render_js is False:
            logger.warning("list needs JavaScript, skipped (render_js=%s): %s", site.render_js, response.url)
            yield item
            return
        fps, item.journal_fps = item.journal_fps, []
        request = self.request(
            response.url, self.parse_list, LIST, site,
            meta={"playwright": True, FP_META: fps,
                  "playwright_page_event_handlers": {"request": "record_proxy_call"},
                  "playwright_page_methods": [page_method("wait_for_selector", ".default_pgContainer li, "
                                                          ".default_pgContainer tr", timeout=20_000)]},
        )
        request.dont_filter = True  # same URL as the static page, on purpose
        yield request
        yield item

    async def record_proxy_call(self, request) -> None:
        """Playwright's ``request`` event: note the data-proxy call of a page's list script."""
        if "dataproxy" in request.url and request.frame.url not in self.browser_proxy_calls:
            self.browser_proxy_calls[request.frame.url] = (request.url, request.post_data)

    def groups_after_rendered(self, call: tuple[str, str | None], column_url: str, site: Site, rendered: list):
        """The groups after the first, which the browser rendered: from the data proxy,
        asked the way the page's script asked it (its ids exist only at run time)."""
        proxy_url, body = call
        config = hanweb.config_from_proxy_call(urljoin(column_url, proxy_url), body)
        if config is None:
            logger.warning("rendered list %s: its script's proxy call %s is not one the crawler can page "
                           "(startrecord/endrecord/perpage); only its first group is read", column_url, proxy_url)
        elif len(rendered) >= config.per_page * config.group_size:
            yield from self.proxy_group(config, column_url, 2, site, None)

    def follow_link(self, link: hanweb.Link, site: Site):
        if not site.owns(link.url):
            return
        if hanweb.annual_report_params(link.url):
            yield from self.annual_report_request(link.url, site)
            return
        path = urlsplit(link.url).path
        if "/art/" in path:
            if hanweb.is_report_title(link.text):
                yield self.request(link.url, self.parse_report, REPORT_PAGE, site)
        elif hanweb.xxgk_areas(link.url) or hanweb.is_xxgk_link(link.text) or hanweb.is_report_column(link.text):
            if "/module/" not in path:  # module endpoints are not pages (search.jsp needs its form)
                yield self.request(link.url, self.parse_list, LIST, site)

    def follow_record(self, record: hanweb.Record, site: Site):
        if self.since and record.date and record.date < self.since:
            return
        if hanweb.annual_report_params(record.url):
            if site.owns(record.url):
                yield from self.annual_report_request(record.url, site)
        elif hanweb.is_report_title(record.title):
            yield self.request(record.url, self.parse_report, REPORT_PAGE, site)
        elif hanweb.is_report_column(record.title) and "/col/" in record.url:
            yield self.request(record.url, self.parse_list, LIST, site)

    def annual_report_request(self, url: str, site: Site):
        area, year = hanweb.annual_report_params(url)
        if self.since and year + 1 < self.since.year:  # a year's report is published the next year
            return
        # One spelling per report (hosts and parameter order vary between links).
        yield self.request(hanweb.annual_report_url(site.base_url, area, year), self.parse_report, REPORT_PAGE,
                           site, report_key=hanweb.annual_report_key(site.name, area, year))

    # --- the jpage data proxy ------------------------------------------------------------

    def proxy_group(self, config, column_url: str, group: int, site: Site, known_total):
        call = hanweb.proxy_call(config, column_url, group)
        if call is None:
            return
        headers = {"X-Requested-With": "XMLHttpRequest", "Referer": column_url}
        meta = {"jpage": config, "group": group, "column_url": column_url, "known_total": known_total,
                "proxy_call": call}
        yield self.request(call.url, self.parse_proxy, LIST, site, formdata=call.form, headers=headers, meta=meta)

    def parse_proxy(self, response):
        site = self.site_for(response)
        item = self.fetch_item(response)
        if self.readable(response) is None:
            yield item
            return
        meta = response.meta
        page = hanweb.parse_proxy_response(response.text, meta["column_url"])
        for record in page.records:
            yield from self.follow_record(record, site)
        if hanweb.more_groups(page, meta["proxy_call"], meta["known_total"]):
            yield from self.proxy_group(meta["jpage"], meta["column_url"], meta["group"] + 1, site,
                                        page.total_record or meta["known_total"])
        yield item

    # --- xxgk search.jsp ---------------------------------------------------------------

    def search_request(self, area: str, page: int, shell_html: str, shell_url: str, site: Site):
        return self.request(
            urljoin(shell_url, hanweb.SEARCH_PATH), self.parse_search, LIST, site,
            formdata=hanweb.search_form(area, page, shell_html),
            headers={"Referer": shell_url}, meta={"area": area, "search_page": page, "shell_url": shell_url},
        )

    def parse_search(self, response):
        site = self.site_for(response)
        item = self.fetch_item(response)
        if self.readable(response) is None:
            yield item
            return
        results = hanweb.parse_search_results(response.text, response.url)
        for record in results.records:  # search.jsp lists every document of the body
            yield from self.follow_record(record, site)
        if response.meta["search_page"] == 1:
            for n in range(2, (results.total_pages or 1) + 1):
                yield self.search_request(response.meta["area"], n, "", response.meta["shell_url"], site)
        yield item

    # --- reports and their files ----------------------------------------------------------

    def parse_report(self, response):
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        article = hanweb.parse_article(text, url)
        if hanweb.annual_report_params(url):
            if hanweb.is_empty_annual_report(text):
                # A year the body did not file: a probe, not a report.
                item.role, item.report_key = LIST, None
                yield item
                return
            key = item.report_key
        else:
            key = hanweb.report_key_for_article(site.name, text, article.title, url)
        for attachment in article.attachments:
            yield self.file_request(attachment.url, ATTACHMENT, site, key, filename=attachment.text)
        for image in article.images:
            yield self.file_request(image, IMAGE, site, key)
        for root in article.flipbooks:
            yield self.file_request(hanweb.flipbook_page_url(root, 1), FLIPBOOK_PAGE, site, key,
                                    page_no=1, callback=self.parse_flipbook, book_root=root)
        item.report_key = key
        yield item

    def file_request(self, url, role, site: Site, report_key, *, filename=None, page_no=None,
                     callback=None, book_root=None):
        meta = {"filename": filename, "page_no": page_no, "book_root": book_root}
        host = urlsplit(url).hostname
        if self.url and host and host not in self.allowed_domains:
            # An ad-hoc portal's report keeps files on another host (registry sites
            # list such hosts in extra_hosts): a report linking it allows that host.
            # The offsite middleware re-reads allowed_domains; lists never add hosts.
            logger.info("allowing %s: a report's files are there (%s)", host, url)
            self.allowed_domains.append(host)
            self.site_by_host.setdefault(host, site)
        return self.request(url, callback or self.parse_file, role, site, report_key=report_key, meta=meta)

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
            for n in hanweb.flipbook_page_numbers(page.text) or [1]:
                if n != 1:
                    yield self.file_request(hanweb.flipbook_page_url(root, n), FLIPBOOK_PAGE, site,
                                            meta["report_key"], page_no=n, callback=self.parse_flipbook,
                                            book_root=root)
                yield self.file_request(hanweb.flipbook_image_url(root, n), IMAGE, site, meta["report_key"],
                                        page_no=n)
        yield item

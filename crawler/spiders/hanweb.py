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
from urllib.parse import urljoin, urlsplit

from .. import hanweb, pages
from ..items import LIST, REPORT_PAGE, FetchItem
from ..journal import FP_META
from ..registry import Site
from .base import FamilySpider, page_method

logger = logging.getLogger(__name__)


class HanwebSpider(FamilySpider):
    name = "hanweb"

    def configure(self, crawler) -> None:
        super().configure(crawler)
        # page URL -> (URL, form body) of the data-proxy call its scripts made in the browser
        self.browser_proxy_calls: dict[str, tuple[str, str | None]] = {}

    def browser_meta(self, url: str, role: str, site: Site) -> dict:
        if site.render_js is True and role == LIST and "/col/" in url:
            # render_js = true: every column page through the browser, its scripts run.
            return {"playwright": True,
                    "playwright_page_methods": [page_method("wait_for_load_state", "networkidle")],
                    "playwright_page_event_handlers": {"request": "record_proxy_call"}}
        return {}

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
        for link in pages.page_links(text, url):
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

    def follow_link(self, link: pages.Link, site: Site):
        if not site.owns(link.url):
            return
        if hanweb.annual_report_params(link.url):
            yield from self.annual_report_request(link.url, site)
            return
        path = urlsplit(link.url).path
        if "/art/" in path:
            if pages.is_report_title(link.text):
                yield self.request(link.url, self.parse_report, REPORT_PAGE, site)
        elif hanweb.xxgk_areas(link.url) or pages.is_xxgk_link(link.text) or pages.is_report_column(link.text):
            if "/module/" not in path:  # module endpoints are not pages (search.jsp needs its form)
                yield self.request(link.url, self.parse_list, LIST, site)

    def follow_record(self, record: pages.Record, site: Site):
        if self.since and record.date and record.date < self.since:
            return
        if hanweb.annual_report_params(record.url):
            if site.owns(record.url):
                yield from self.annual_report_request(record.url, site)
        elif pages.is_report_title(record.title):
            yield self.request(record.url, self.parse_report, REPORT_PAGE, site)
        elif pages.is_report_column(record.title) and "/col/" in record.url:
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
        yield from self.report_files(article, site, key)
        item.report_key = key
        yield item

"""The Ucap (开普云) family spider: ``scrapy crawl ucap -a sites=NAME`` or ``-a url=…``.

From the home page it walks the 政务公开 section: the directory of bodies, each
body's columns (its 公开年报 ``gknb`` column among them), the static pages of a
list (``index_N.shtml``) and, for lists drawn by script, their JSON list API
page by page. Documents whose title names a report are fetched as report pages;
the files their ``<ucapcontent>`` links follow. Page reading is in ``crawler/ucap.py``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .. import pages, ucap
from ..items import LIST, REPORT_PAGE
from ..registry import Site
from .base import FamilySpider


def is_column_url(url: str) -> bool:
    path = urlsplit(url).path
    return path.endswith("/") or path.rsplit("/", 1)[-1].startswith("index")


class UcapSpider(FamilySpider):
    name = "ucap"
    read_article = staticmethod(ucap.parse_article)  # report pages are read by parse_article_page

    def parse_list(self, response):
        """Home page, the directory, a body's page, a column list (static or a script's shell)."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        in_section = response.meta.get("section", False)
        for page_url in ucap.list_pages(text, url):
            yield self.request(page_url, self.parse_list, LIST, site, meta={"section": True})
        for api in ucap.list_apis(text, url):
            if site.owns(api.url):
                yield self.api_request(api, 1, site)
        listed = set()
        for record in ucap.list_records(text, url):
            listed.add(record.url)
            yield from self.follow_document(record, site)
        for link in pages.page_links(text, url):
            if link.url in listed or not site.owns(link.url) or not is_column_url(link.url):
                continue
            if pages.is_xxgk_link(link.text) or "政务公开" in link.text or pages.is_report_column(link.text) \
                    or (in_section and 2 <= len(link.text) <= 14):
                yield self.request(link.url, self.parse_list, LIST, site, meta={"section": True})
        yield item

    def api_request(self, api: ucap.ListApi, n: int, site: Site):
        return self.request(api.page(n), self.parse_api, LIST, site, meta={"list_api": api, "api_page": n},
                            headers={"X-Requested-With": "XMLHttpRequest"})

    def parse_api(self, response):
        """One page of a JSON list: its entries, then the next page (until the page
        count it gives, or an empty page when it gives none)."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        if self.readable(response) is None:
            yield item
            return
        result = ucap.parse_json_list(response.text, response.url)
        if result.malformed:
            self.bad_input("malformed_list", response.url, "the list API's answer is not JSON; paging stops")
        for record in result.records:
            yield from self.follow_document(record, site)
        n = response.meta["api_page"]
        more = n < result.total_pages if result.total_pages is not None else bool(result.records)
        if more:
            yield self.api_request(response.meta["list_api"], n + 1, site)
        yield item

    def follow_document(self, record: pages.Record, site: Site):
        if self.since and record.date and record.date < self.since:
            return
        if site.owns(record.url) and pages.is_report_title(record.title):
            yield self.request(record.url, self.parse_article_page, REPORT_PAGE, site, meta={"list_title": record.title})

"""The TRS WCM (拓尔思) family spider: ``scrapy crawl trs -a sites=NAME`` or ``-a url=…``.

From the home page it walks the 政府信息公开 section: the directory of bodies,
each body's channels (its 政府信息公开年报 channel among them) and every page of
a channel list (``index.htm``, ``index_1.htm``, … as ``createPageHTML`` names
them). Documents whose list title names a report are fetched as report pages;
their ``./P0…`` attachments follow. Page reading is in ``crawler/trs.py``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .. import pages, trs
from ..items import LIST, REPORT_PAGE
from ..registry import Site
from .base import FamilySpider


def is_channel_url(url: str) -> bool:
    """A channel (column) page: a folder or its ``index[_N].htm``."""
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    return "." not in last or last.split("_")[0].split(".")[0] == "index"


class TrsSpider(FamilySpider):
    name = "trs"
    read_article = staticmethod(trs.parse_article)  # report pages are read by parse_article_page

    def parse_list(self, response):
        """Home page, the xxgk directory, a body's page, a channel list page."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        in_section = response.meta.get("section", False)
        for page_url in trs.list_pages(text, url):
            yield self.request(page_url, self.parse_list, LIST, site, meta={"section": True})
        listed = set()
        for record in trs.list_records(text, url):
            listed.add(record.url)
            yield from self.follow_document(record.url, record.title, record.date, site)
        for link in pages.page_links(text, url):
            if link.url in listed or not site.owns(link.url):
                continue
            if trs.is_article_url(link.url):
                yield from self.follow_document(link.url, link.text, None, site)
            elif is_channel_url(link.url) and (pages.is_xxgk_link(link.text) or pages.is_report_column(link.text)):
                yield self.request(link.url, self.parse_list, LIST, site, meta={"section": True})
            elif in_section and is_channel_url(link.url) and 2 <= len(link.text) <= 14:
                # Inside the section: a body of the directory, a channel of a body.
                yield self.request(link.url, self.parse_list, LIST, site, meta={"section": True})
        yield item

    def follow_document(self, url: str, title: str, published, site: Site):
        if self.since and published and published < self.since:
            return
        if pages.is_report_title(title):
            yield self.request(url, self.parse_article_page, REPORT_PAGE, site, meta={"list_title": title})

"""Classifying archived responses the way the spiders classify live ones, for
WARCs that nianbao did not make (wget, Browsertrix, Wayback Machine downloads).

A WARC of another tool says nothing about roles or report keys. Here each
archived response becomes a Scrapy response again (``scrapy.responsetypes``
picks the class from its headers and body, so text decodes exactly as in a
crawl), and the page-reading functions (``crawler/pages.py``, the family's
``crawler/hanweb.py``) read
it as they read a live one:

* lists (pages, datastores, data-proxy answers, search.jsp results) give the
  links and records whose titles name a report, as ``follow_link`` and
  ``follow_record`` choose them; ``xxgkAnnualReport.jsp`` pages are reports
  unless they are a year not filed;
* a report page gives its key (``report_key_for_article`` /
  ``annual_report_key`` with the site's name) and its files: attachments with
  their names, content images, flip-book pages and their page images.

An article page reached by no archived list is still a report when its own
title is a report's. The site is the registry's site owning the host (so keys
match a direct crawl of that site), else the ad-hoc site ``--url`` would make.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.http import TextResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from archive.warc_import import Classified, Exchange

from . import hanweb, pages
from .items import ATTACHMENT, FLIPBOOK_PAGE, IMAGE, LIST, REPORT_PAGE
from .registry import RegistryError, Site, adhoc_site, load_sites


def archived_response(exchange: Exchange, body: bytes):
    """The Scrapy response a crawl would have had (``.text`` decoded as live)."""
    headers = Headers([(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                       for k, v in exchange.headers])
    url = exchange.uri
    cls = responsetypes.from_args(headers=headers, url=url, body=body[:5000])
    return cls(url=url, status=exchange.status or 200, headers=headers, body=body)


class Sites:
    """Which site an archived URL belongs to: the registry's, else an ad-hoc one per host."""

    def __init__(self, sites_file=None):
        try:
            self.registry = list(load_sites(sites_file).values())
        except RegistryError:
            self.registry = []
        self.adhoc: dict[str, Site] = {}

    def for_url(self, url: str) -> Site:
        host = urlsplit(url).hostname or ""
        for site in self.registry:
            if host in site.hosts:
                return site
        for site in self.registry:
            if host in site.extra_hosts:
                return site
        if host not in self.adhoc:
            parts = urlsplit(url)
            self.adhoc[host] = adhoc_site(f"{parts.scheme}://{parts.netloc}/", "hanweb")
        return self.adhoc[host]

    def canonical(self, url: str) -> str:
        return self.for_url(url).canonical_url(url)


def classify(exchanges: list[Exchange], read_body, sites_file=None) -> dict[str, Classified]:
    sites = Sites(sites_file)
    by_url: dict[str, list[Exchange]] = {}
    for exchange in exchanges:
        if exchange.sha256 and not exchange.error:
            for url in {exchange.url or exchange.uri, exchange.uri}:
                by_url.setdefault(sites.canonical(url), []).append(exchange)
    texts: dict[str, TextResponse] = {}

    def page(exchange: Exchange):
        if exchange.record_id not in texts:
            response = archived_response(exchange, read_body(exchange.sha256))
            texts[exchange.record_id] = response if isinstance(response, TextResponse) else None
        return texts[exchange.record_id]

    result: dict[str, Classified] = {}
    readable = [e for e in exchanges if e.sha256 and not e.error and (e.status or 200) < 400]
    report_urls = _reported_urls(readable, page, sites)

    def mark(url: str, classified: Classified) -> None:
        for exchange in by_url.get(sites.canonical(url), ()):
            if exchange.record_id not in result or result[exchange.record_id].role == LIST:
                result[exchange.record_id] = classified

    for exchange in readable:
        response = page(exchange)
        if response is None:
            continue
        url = sites.canonical(exchange.url or exchange.uri)
        site = sites.for_url(url)
        annual = hanweb.annual_report_params(url)
        text = response.text
        if annual:
            if hanweb.is_empty_annual_report(text):
                continue
            key = hanweb.annual_report_key(site.name, *annual)
        else:
            article = hanweb.parse_article(text, response.url)
            if url not in report_urls and not ("/art/" in url and pages.is_report_title(article.title)):
                continue
            key = pages.report_key_for_article(site.name, text, article.title, response.url)
        result[exchange.record_id] = Classified(REPORT_PAGE, key)
        article = hanweb.parse_article(text, response.url)
        for attachment in article.attachments:
            mark(attachment.url, Classified(ATTACHMENT, key, filename=attachment.text or None))
        for image in article.images:
            mark(image, Classified(IMAGE, key))
        for root in article.flipbooks:
            _mark_flipbook(root, key, by_url, sites, page, mark)
    for exchange in readable:
        if exchange.record_id not in result and page(exchange) is not None:
            result[exchange.record_id] = Classified(LIST)
    return result


def _mark_flipbook(root: str, key: str, by_url, sites: Sites, page, mark) -> None:
    first = pages.flipbook_page_url(root, 1)
    mark(first, Classified(FLIPBOOK_PAGE, key, page_no=1))
    numbers = [1]
    for exchange in by_url.get(sites.canonical(first), ()):
        response = page(exchange)
        if response is not None:
            numbers = pages.flipbook_page_numbers(response.text) or [1]
            break
    for n in numbers:
        if n != 1:
            mark(pages.flipbook_page_url(root, n), Classified(FLIPBOOK_PAGE, key, page_no=n))
        mark(pages.flipbook_image_url(root, n), Classified(IMAGE, key, page_no=n))


def _reported_urls(exchanges: list[Exchange], page, sites: Sites) -> set[str]:
    """URLs that lists link as reports: links by their text, records by their title."""
    found = set()
    for exchange in exchanges:
        response = page(exchange)
        if response is None:
            continue
        text, url = response.text, response.url
        records = [r for store in hanweb.parse_datastores(text, url) for r in store.records]
        if "<recordset" in text or "<datastore" in text:
            records += hanweb.parse_proxy_response(text, url).records
        records += hanweb.parse_search_results(text, url).records
        records += hanweb.rendered_records(text, url)
        for record in records:
            if pages.is_report_title(record.title):
                found.add(sites.canonical(record.url))
        for link in pages.page_links(text, url):
            if "/art/" in urlsplit(link.url).path and pages.is_report_title(link.text):
                found.add(sites.canonical(link.url))
    return found

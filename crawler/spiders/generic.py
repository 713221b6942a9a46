"""The generic spider, for a portal of no known CMS family: ``scrapy crawl generic -a url=…``
(or ``nianbao crawl --url URL`` when fingerprinting finds no family).

A bounded breadth-first crawl from the home page: at most
``NIANBAO_GENERIC_MAX_PAGES`` pages per site (or the site's ``page_budget``) and
``NIANBAO_GENERIC_MAX_DEPTH`` links deep (default 6). From every page it follows

* links whose text or URL names 政府信息公开, 政务公开, 信息公开目录, 年报, 年度报告;
* inside such a section, short navigation links (a directory of bodies, a
  body's columns);
* the pager of a list (pager links, a ``createPageHTML`` count) and a JSON list
  API a page's script calls;
* links whose title names a report.

Every page is judged on the title of the link that led to it and its own titles
(a trap such as 图解/解读/a notice is never a report), and on its content: the
national template's section headings, or the report linked as a file. A report
page's files (office, PDF, OFD, image files, download endpoints) are archived
with it. Page reading is in ``crawler/generic.py``.
"""

from __future__ import annotations

from datetime import date

from .. import generic, pages, ucap
from ..items import LIST, REPORT_PAGE
from ..registry import Site
from .base import FIRST_REPORT_YEAR, FamilySpider


class GenericSpider(FamilySpider):
    name = "generic"
    # Breadth first: first in, first out, shallower pages before deeper ones.
    custom_settings = {
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code_values: dict[str, set[str]] = {}   # query parameter -> code values seen on the site
        self.templates: list[tuple[str, str, str]] = []  # (report URL, its code parameter, the parameter it mirrors)

    def page_budget(self, site_name: str) -> int:
        site = self.site_by_name.get(site_name)
        return (site and site.page_budget) or self.crawler.settings.getint("NIANBAO_GENERIC_MAX_PAGES")

    def report_years(self) -> range:
        """Years whose reports may exist: 2008 (the first under the 条例) to this year."""
        return range(FIRST_REPORT_YEAR, date.today().year + 1)

    @property
    def max_depth(self) -> int:
        return self.crawler.settings.getint("NIANBAO_GENERIC_MAX_DEPTH")

    def parse_list(self, response):
        """Any page: a report (its files follow), a trap, or a page to walk on from."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            yield item
            return
        text, url = page.text, page.url
        links = generic.raw_links(text, url)
        titles = generic.page_titles(text)
        kind = self.report_kind(response, *titles)
        if kind == "report" and generic.report_evidence(text, links, candidate=item.role == REPORT_PAGE):
            title = generic.report_title(titles) or response.meta.get("list_title", "")
            key = pages.report_key_for_article(site.name, text, title, url)
            files = [pages.Link(link.url, pages.attachment_name(link.url, link.text) or "")
                     for link in links if generic.is_file(link.url)]
            article = pages.Article(title, files, generic.scans(text, url), generic.flipbooks(links))
            yield from self.report_files(article, site, key)
            yield from self.generalise(url, title, site)
            item.role, item.report_key = REPORT_PAGE, key
            yield item
            return
        if kind not in ("report", "unknown") and item.role == REPORT_PAGE:
            yield self.not_a_report(item, response, kind)
            return
        item.role, item.report_key = LIST, None
        if response.meta.get("depth", 0) < self.max_depth:
            yield from self.follow(text, url, links, site, response.meta.get("section", False))
        yield item

    # --- a report URL's template: other years, other bodies --------------------------------

    def generalise(self, url: str, title: str, site: Site):
        """A report's URL shows where others are: the same URL with the other report
        years (a query parameter holding its year), and with the other values of a
        code the site uses elsewhere (``area=X`` where pages carry ``vc_xxgkarea=X``:
        every body the site names, also those whose pages offer no report link)."""
        year = pages.report_year(title)
        for sibling in generic.year_siblings(url, year, self.report_years()) if year else ():
            yield self.page(pages.Link(sibling, ""), REPORT_PAGE, site)
        for param, value in generic.codes(url):
            for source, values in list(self.code_values.items()):
                if value in values and (url, param, source) not in self.templates:
                    self.templates.append((url, param, source))
                    for other in values - {value}:
                        yield self.page(pages.Link(generic.with_param(url, param, other), ""), REPORT_PAGE, site)

    def note_codes(self, url: str, site: Site):
        """Remember the codes of a link's query; a new one fills the report templates that use it."""
        for name, value in generic.codes(url):
            values = self.code_values.setdefault(name, set())
            if value in values:
                continue
            values.add(value)
            for report_url, param, source in self.templates:
                if source == name:
                    yield self.page(pages.Link(generic.with_param(report_url, param, value), ""), REPORT_PAGE, site)

    def follow(self, text: str, url: str, links: list[pages.Link], site: Site, in_section: bool):
        for template in generic.year_templates(text, url):
            if site.owns(template):
                for year in self.report_years():
                    yield self.page(pages.Link(f"{template}{year}", ""), REPORT_PAGE, site)
        for link in links:
            if not site.owns(link.url) or generic.is_file(link.url):
                continue
            yield from self.note_codes(link.url, site)
            if pages.is_report_title(link.text) or generic.REPORT_URL.search(link.url):
                yield self.page(link, REPORT_PAGE, site)
            elif generic.is_disclosure_link(link) or (in_section and generic.is_navigation(link)):
                yield self.page(link, LIST, site)
        for pager in generic.pager_links(text, url, links):
            if site.owns(pager):  # another page of the same list: as much in the section as this one
                yield self.page(pages.Link(pager, ""), LIST, site, section=in_section)
        for api in ucap.list_apis(text, url):
            if site.owns(api.url):
                yield self.api_request(api, 1, site)

    def page(self, link: pages.Link, role: str, site: Site, section: bool = True):
        """A page to read; ``section``: it is inside the disclosure section (its short links are followed)."""
        return self.request(link.url, self.parse_list, role, site, meta={"list_title": link.text, "section": section})

    def api_request(self, api: ucap.ListApi, n: int, site: Site):
        return self.request(api.page(n), self.parse_api, LIST, site, meta={"list_api": api, "api_page": n})

    def parse_api(self, response):
        """A JSON list page: its entries as links, then the next page."""
        site = self.site_for(response)
        item = self.fetch_item(response)
        if self.readable(response) is None:
            yield item
            return
        result = ucap.parse_json_list(response.text, response.url)
        if result.malformed:
            self.bad_input("malformed_list", response.url, "the list API's answer is not JSON; paging stops")
        for record in result.records:
            if site.owns(record.url) and pages.is_report_title(record.title):
                yield self.page(pages.Link(record.url, record.title), REPORT_PAGE, site)
        n = response.meta["api_page"]
        if n < result.total_pages if result.total_pages is not None else bool(result.records):
            yield self.api_request(response.meta["list_api"], n + 1, site)
        yield item

"""The Hanweb (大汉 JCMS) family spider: one spider for every Hanweb portal in the
registry (``scrapy crawl hanweb -a sites=wendeng,huancui``) or for any Hanweb
portal given by URL (``-a url=http://…/``).

Discovery, from the home page (or the site's start URLs):

* navigation links whose text names 信息公开 or a 年报 column, and xxgk unit
  pages (links carrying ``vc_xxgkarea``, ``<select>`` options, tree iframes), are
  walked as lists; links built by scripts with a visible URL template count too;
  a list's own URL with another query (a calendar's next month, a static pager) is not;
* a list page's jpage datastore gives its first records, the data proxy the
  rest (group by group, until totalrecord or an empty recordset);
* an xxgk unit shell is a body (recorded in the archive's ``bodies``): its
  search.jsp list is paged, its tree iframe links the 年报 column or year pages,
  and xxgkAnnualReport.jsp is probed for every report year (stopping on the
  site's first 404 for the module);
* jsearch (the site's search form) is asked for 年度报告 and 年报;
* entries whose titles are annual reports become report pages (traps such as
  图解 companions and notices do not); their attachments, inline images and
  flip-books (every page and page image) follow.

All page reading is in ``crawler/hanweb.py``; this module only decides what to
request next and yields one ``FetchItem`` per response. Callbacks yield the
follow-up requests before the response's own item: the job journal marks a
request done when its item is recorded, so its children are journaled first.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from .. import hanweb, pages
from ..archive_access import archive_for
from ..items import LIST, REPORT_PAGE, BodyItem, FetchItem, ProbeItem
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
        # Per site: does xxgkAnnualReport.jsp exist? None = not asked, "asking" = the first
        # probe is out (the others wait in pending_probes), then True or False (404).
        self.annual_module: dict[str, object] = {}
        self.pending_probes: dict[str, list] = {}
        self.probed_before: dict[str, set[str]] = {}  # site -> bodies probed in earlier runs
        self.bodies_seen: set[tuple[str, str]] = set()
        self.jsearch_sites: set[str] = set()
        self.jsearch_seen: dict[tuple[str, str], set[str]] = {}  # (site, query) -> result URLs seen
        self.traps_seen: set[str] = set()

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
        if hanweb.malformed_datastore(text):
            self.bad_input("malformed_list", url, "its jpage datastore is cut off or unbalanced; "
                                                  "the records before the break are read")
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
            yield from self.body_found(site, area, response.meta.get("link_text") or hanweb.unit_name(text), url)
            yield self.search_request(area, 1, text, url, site)
            yield from self.probe_requests(site, area)
        doc = pages.parse_html(text)  # parsed once for links, frames and scripts
        for src in hanweb.frame_sources(doc, url):
            # Trees: a body's infotypes (年报 column, years), or a directory's units.
            if site.owns(src) and "/module/xxgk/" in urlsplit(src).path:
                yield self.request(src, self.parse_list, LIST, site)
        for link in pages.page_links(doc, url):
            yield from self.follow_link(link, site, url)
        scripted = hanweb.scripted_links(text, url, doc)
        if scripted.empty_selects:
            self.bad_input("select_without_options", url, f"{scripted.empty_selects} <select> list(s) "
                                                          "opening URLs offer no option")
        for link in scripted.links:
            yield from self.follow_link(link, site, url)
        yield from self.jsearch_requests(text, url, site)

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

    def follow_link(self, link: pages.Link, site: Site, page_url: str):
        if not site.owns(link.url):
            return
        if hanweb.annual_report_params(link.url):
            yield from self.annual_report_request(link.url, site)
            return
        path = urlsplit(link.url).path
        if areas := hanweb.xxgk_areas(link.url):
            yield from self.body_found(site, areas[0], link.text, link.url)
        if "/art/" in path:
            if self.report_title(link.text, link.url):
                yield self.request(link.url, self.parse_report, REPORT_PAGE, site, meta={"list_title": link.text})
        elif hanweb.xxgk_areas(link.url) or pages.is_xxgk_link(link.text) or pages.is_report_column(link.text):
            # Module endpoints are not pages (search.jsp needs its form); a list's own URL with
            # another query is a calendar or a static pager (the data proxy pages lists).
            if "/module/" not in path and not hanweb.same_list_other_query(link.url, page_url):
                yield self.request(link.url, self.parse_list, LIST, site, meta={"link_text": link.text})

    def follow_record(self, record: pages.Record, site: Site):
        if self.since and record.date and record.date < self.since:
            return
        if hanweb.annual_report_params(record.url):
            if site.owns(record.url):
                yield from self.annual_report_request(record.url, site)
        elif self.report_title(record.title, record.url):
            yield self.request(record.url, self.parse_report, REPORT_PAGE, site, meta={"list_title": record.title})
        elif pages.is_report_column(record.title) and "/col/" in record.url:
            yield self.request(record.url, self.parse_list, LIST, site)

    def report_title(self, title: str, url: str) -> bool:
        """Is a list entry a report? Traps (图解, notices, …) are counted once per URL."""
        kind = pages.title_kind(title)
        if kind not in (None, "report") and url not in self.traps_seen:
            self.traps_seen.add(url)
            self.crawler.stats.inc_value(f"nianbao/traps/{kind}")
        return kind == "report"

    def body_found(self, site: Site, area: str, name: str, unit_url: str):
        """A body of the site: recorded once per crawl (its directory link names it best)."""
        if (site.name, area) in self.bodies_seen:
            return
        self.bodies_seen.add((site.name, area))
        yield BodyItem(site.name, area, name or None, site.canonical_url(unit_url))

    # --- xxgkAnnualReport.jsp: linked years and probes --------------------------------------

    def probe_requests(self, site: Site, area: str):
        """Every report year of a body (the last two once it has been probed, unless --full)."""
        if site.name not in self.probed_before:
            # A WARC crawl has no archive to ask: it probes as a first crawl does.
            warc = self.crawler.settings.get("NIANBAO_WARC_DIR")
            self.probed_before[site.name] = set() if warc else archive_for(self.crawler).probed_areas(site.name)
        for year in self.probe_years(site, area in self.probed_before[site.name]):
            yield from self.annual_report_request(hanweb.annual_report_url(site.base_url, area, year), site,
                                                  probe=True)

    def annual_report_request(self, url: str, site: Site, *, probe: bool = False):
        area, year = hanweb.annual_report_params(url)
        if self.since and year + 1 < self.since.year:  # a year's report is published the next year
            return
        # One spelling per report (hosts and parameter order vary between links).
        request = self.request(hanweb.annual_report_url(site.base_url, area, year), self.parse_report,
                               REPORT_PAGE, site, report_key=hanweb.annual_report_key(site.name, area, year),
                               meta={"probe": probe})
        if not probe:
            yield request
            return
        # Probes wait until the site's first probe says whether the module exists at all.
        state = self.annual_module.get(site.name)
        if state is False:
            return
        if state is None:
            self.annual_module[site.name] = "asking"
            request.meta["module_gate"] = True
            yield request
        elif state == "asking":
            self.pending_probes.setdefault(site.name, []).append(request)
        else:
            yield request

    def module_answered(self, request, status: int | None):
        """An answer from a site's xxgkAnnualReport.jsp. The first probe's 404 means the
        site has none: its probing stops. Any page of the module (a linked year too), or
        the first probe ending otherwise, releases the probes that waited."""
        site = request.meta.get("site")
        if self.annual_module.get(site) in (True, False):
            return
        gate = request.meta.get("module_gate")
        if gate and status in (404, 410):
            waiting = self.pending_probes.pop(site, [])
            self.annual_module[site] = False
            self.crawler.stats.set_value(f"nianbao/probing_stopped/{site}", len(waiting) + 1)
            logger.warning("site %s: xxgkAnnualReport.jsp answers %s, so its report years are not probed "
                           "(%d probes dropped)", site, status, len(waiting))
        elif gate or (status is not None and status < 400):
            self.annual_module[site] = True
            yield from self.pending_probes.pop(site, [])

    def request_dropped(self, request, spider=None) -> None:
        super().request_dropped(request, spider)
        if request.meta.get("module_gate"):
            # The first probe was a duplicate (that year was asked already, e.g. by a
            # resumed job): the probes waiting for it go now.
            for waiting in self.module_answered(request, None):
                self.crawler.engine.crawl(waiting)

    def failed(self, failure):
        yield from self.module_answered(failure.request, None)
        yield from super().failed(failure)

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
            if response.status >= 400:
                self.bad_input("search_error", response.url, f"search.jsp answered HTTP {response.status} for "
                                                             f"body {response.meta['area']}")
            yield item
            return
        results = hanweb.parse_search_results(response.text, response.url)
        for record in results.records:  # search.jsp lists every document of the body
            yield from self.follow_record(record, site)
        if response.meta["search_page"] == 1:
            for n in range(2, (results.total_pages or 1) + 1):
                yield self.search_request(response.meta["area"], n, "", response.meta["shell_url"], site)
        yield item

    # --- jsearch -----------------------------------------------------------------------

    def jsearch_requests(self, text: str, url: str, site: Site):
        """The site's search for 年度报告 and 年报, once per site, where a page has its form."""
        if site.name in self.jsearch_sites:
            return
        form = hanweb.jsearch_form(text, url)
        if form is None or not site.owns(form[0]):
            return
        self.jsearch_sites.add(site.name)
        action, fields = form
        for query in hanweb.JSEARCH_QUERIES:
            yield self.jsearch_request(action, fields, query, 1, site)

    def jsearch_request(self, action: str, fields: dict, query: str, page: int, site: Site):
        return self.request(hanweb.jsearch_url(action, fields, query, page), self.parse_jsearch, LIST, site,
                            meta={"jsearch": (action, fields, query), "jsearch_page": page})

    def parse_jsearch(self, response):
        site = self.site_for(response)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            if response.status >= 400:
                self.bad_input("search_error", response.url, f"the search answered HTTP {response.status}")
            yield item
            return
        results = hanweb.parse_jsearch(page.text, page.url)
        action, fields, query = response.meta["jsearch"]
        seen = self.jsearch_seen.setdefault((site.name, query), set())
        new = [r for r in results.records if r.url not in seen]
        seen.update(r.url for r in results.records)
        for record in results.records:
            yield from self.follow_record(record, site)
        number = response.meta["jsearch_page"]
        # Stop at the last page, and on a page that shows nothing new (a pager that never ends).
        if new and results.total_pages and number < results.total_pages:
            yield self.jsearch_request(action, fields, query, number + 1, site)
        yield item

    # --- reports ---------------------------------------------------------------------------

    def parse_report(self, response):
        site = self.site_for(response)
        if hanweb.annual_report_params(response.request.url):
            yield from self.module_answered(response.request, response.status)
        item = self.fetch_item(response)
        page = self.readable(response)
        if page is None:
            if response.meta.get("probe") and response.status in (404, 410):
                # A probe's expected answer where the module or body does not exist: the
                # row keeps the status, but it is no failure of the crawl.
                item.role, item.report_key, item.error = LIST, None, None
            yield item
            return
        text, url = page.text, page.url
        article = hanweb.parse_article(text, url)
        if params := hanweb.annual_report_params(url):
            area, year = params
            if hanweb.is_empty_annual_report(text):
                # A year the body did not file: a probe, not a report.
                item.role, item.report_key = LIST, None
                yield ProbeItem(site.name, area, year, "not_filed", url)
                yield item
                return
            yield ProbeItem(site.name, area, year, "filed", url)
            key = item.report_key
        else:
            kind = self.report_kind(response, article.title, *article.headings)
            if kind not in ("report", "unknown"):
                yield self.not_a_report(item, response, kind)
                return
            key = pages.report_key_for_article(site.name, text, article.title, url)
        yield from self.report_files(article, site, key)
        item.report_key = key
        yield item

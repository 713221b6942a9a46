"""Running crawls from Python (``nianbao crawl`` is a thin wrapper): settings
from ``crawler.settings`` plus overrides, one spider per family."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date
from pathlib import Path

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from . import frontier
from .detect import Probe, detect_with_settings
from .families import family_names, family_spider
from .middlewares import budget_use
from .registry import RegistryError, load_sites, select_sites


def crawl_settings(*, data_dir: Path | str, sites_file=None, jobdir=None, redis_url=None, warc_dir=None,
                   overrides=()) -> Settings:
    """Project settings, then these options, then ``NAME=VALUE`` overrides (as ``scrapy -s``)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DATA", str(data_dir), priority="cmdline")
    if sites_file:
        settings.set("NIANBAO_SITES_FILE", str(sites_file), priority="cmdline")
    if jobdir:
        if redis_url:
            raise ValueError("--jobdir and --redis exclude each other: the Redis frontier is the job's state")
        settings.set("JOBDIR", str(jobdir), priority="cmdline")
    if redis_url:
        frontier.redis_settings(settings, redis_url)
    if warc_dir:
        warc_settings(settings, warc_dir)
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise ValueError(f"-s {override!r}: expected NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def warc_settings(settings: Settings, warc_dir) -> None:
    """Fetches go to WARC files in ``warc_dir``; nothing is read from or written to the archive's
    database (so no conditional re-fetches: a WARC crawl fetches every document)."""
    settings.set("NIANBAO_WARC_DIR", str(warc_dir), priority="cmdline")
    settings.set("ITEM_PIPELINES", {"crawler.warc_writer.WarcPipeline": 300}, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.middlewares.ConditionalRequestMiddleware"] = None
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")


def check_redis(url: str) -> None:
    """Fail now, with Redis's own reason, rather than inside the crawl."""
    frontier.connect(url, wait_seconds=0).ping()


def reset_frontier(settings: Settings, families) -> int:
    """Forget a shared crawl (its queue, filter, leases): the next processes start from the start URLs."""
    return sum(frontier.Frontier(settings, family_spider(family).name).reset() for family in families)


# The spider for portals of no known family (crawler/spiders/generic.py).
GENERIC = "generic"


def plan(sites: list[str], url: str | None, family: str | None, sites_file=None) -> dict[str, dict]:
    """Spider arguments per family: registry sites grouped by family, or one ad-hoc
    URL (whose family ``fingerprint`` finds when none is given)."""
    if url:
        if family not in family_names():
            raise RegistryError(f"--family must be one of: {', '.join(family_names())}")
        if sites:
            raise RegistryError("give either site names or --url, not both")
        return {family: {"url": url}}
    by_family = defaultdict(list)
    for site in select_sites(list(sites), load_sites(sites_file)):
        by_family[site.family].append(site.name)
    return {fam: {"sites": ",".join(names)} for fam, names in by_family.items()}


def fingerprint(url: str, settings: Settings) -> tuple[str, Probe]:
    """The family to crawl ``url`` with: the one its pages show, else the generic spider."""
    probe = detect_with_settings(url, settings)
    if not probe.answers:
        raise RegistryError(f"{url} {probe.summary()}")
    return probe.family or GENERIC, probe


def one_line_errors(record: logging.LogRecord) -> bool:
    """A log filter: an error logged with its traceback (Scrapy does so for a DNS failure,
    a refused connection, each retry of robots.txt) becomes one line naming the exception.
    Tracebacks are for bugs; a portal that is down is not one."""
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        reason = " ".join(str(error).split()) or type(error).__name__
        message = record.getMessage()
        # Scrapy's message often quotes the reason already: then only the exception's name is added.
        record.msg = f"{message} ({type(error).__name__})" if reason in message else (
            f"{message}: {type(error).__name__}: {reason}")
        record.args = ()
        record.exc_info = record.exc_text = None
    return True


def filter_root_handlers() -> None:
    """``one_line_errors`` on every handler of the root logger (Scrapy's among them), once each."""
    for handler in logging.getLogger().handlers:
        if one_line_errors not in handler.filters:
            handler.addFilter(one_line_errors)


def run(settings: Settings, spider_args: dict[str, dict], since: date | None = None,
        full: bool = False) -> dict[str, dict]:
    """Crawl (blocking) and return each family's final Scrapy stats. ``full``
    probes every report year since 2008 again (else only the last two once a
    body has been probed)."""
    process = CrawlerProcess(settings)
    one_line = settings.get("LOG_LEVEL") != "DEBUG"
    if one_line:
        filter_root_handlers()
    crawlers = {}
    for family, args in spider_args.items():
        crawler = process.create_crawler(family_spider(family))
        if one_line:
            # Each crawler replaces Scrapy's root log handler when it starts (with its own
            # settings): the new handler gets the filter once the crawler's engine runs.
            crawler.signals.connect(filter_root_handlers, signal=signals.engine_started)
        if settings.get(frontier.URL_SETTING):
            frontier.install(crawler)
        crawlers[family] = crawler
        process.crawl(crawler, since=since.isoformat() if since else "", full=full, **args)
    process.start()
    return {family: crawler.stats.get_stats() for family, crawler in crawlers.items()}


def budget_lines(stats: dict) -> list[str]:
    """The crawl summary's page-budget lines, one per site."""
    lines = []
    for site, (used, budget, dropped) in budget_use(stats).items():
        line = f"{site}: {used} of {budget} pages of budget used"
        lines.append(line + (f", {dropped} pages over budget not requested" if dropped else ""))
    return lines

"""Running crawls from Python (``nianbao crawl`` is a thin wrapper): settings
from ``crawler.settings`` plus overrides, one spider per family."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from .registry import FAMILIES, RegistryError, load_sites, select_sites
from .spiders import FAMILY_SPIDERS


def crawl_settings(*, data_dir: Path | str, sites_file=None, jobdir=None, overrides=()) -> Settings:
    """Project settings, then these options, then ``NAME=VALUE`` overrides (as ``scrapy -s``)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("NIANBAO_DATA", str(data_dir), priority="cmdline")
    if sites_file:
        settings.set("NIANBAO_SITES_FILE", str(sites_file), priority="cmdline")
    if jobdir:
        settings.set("JOBDIR", str(jobdir), priority="cmdline")
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name:
            raise ValueError(f"-s {override!r}: expected NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def plan(sites: list[str], url: str | None, family: str | None, sites_file=None) -> dict[str, dict]:
    """Spider arguments per family: registry sites grouped by family, or one ad-hoc URL."""
    if url:
        if family not in FAMILIES:
            raise RegistryError(f"--url needs --family, one of: {', '.join(FAMILIES)}")
        if sites:
            raise RegistryError("give either site names or --url, not both")
        return {family: {"url": url}}
    by_family = defaultdict(list)
    for site in select_sites(list(sites), load_sites(sites_file)):
        by_family[site.family].append(site.name)
    return {fam: {"sites": ",".join(names)} for fam, names in by_family.items()}


def run(settings: Settings, spider_args: dict[str, dict], since: date | None = None) -> dict[str, dict]:
    """Crawl (blocking) and return each family's final Scrapy stats."""
    process = CrawlerProcess(settings)
    crawlers = {}
    for family, args in spider_args.items():
        crawler = process.create_crawler(FAMILY_SPIDERS[family])
        crawlers[family] = crawler
        process.crawl(crawler, since=since.isoformat() if since else "", **args)
    process.start()
    return {family: crawler.stats.get_stats() for family, crawler in crawlers.items()}

"""The CMS families the crawler knows: the spiders Scrapy's spider loader finds
in ``SPIDER_MODULES`` (``crawler/spiders/``). There is no other list: the
registry, ``crawler.run`` and the command line all ask here."""

from __future__ import annotations

from functools import cache

from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader


@cache
def spider_loader() -> SpiderLoader:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return SpiderLoader.from_settings(settings)


def family_names() -> tuple[str, ...]:
    """Every family, sorted (the spiders' names)."""
    return tuple(sorted(spider_loader().list()))


def family_spider(name: str):
    """The spider class of a family (KeyError when there is none)."""
    return spider_loader().load(name)

"""Scrapy project: spiders that discover annual reports on government portals.

Sites are entries in ``crawler/sites.toml``; one spider per CMS family."""

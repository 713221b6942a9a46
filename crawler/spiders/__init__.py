"""One spider per CMS family; the registry's ``family`` names the spider.

Adding a family = a module here with a ``FamilySpider`` subclass whose ``name``
is the family's name (see crawler/README.md). Scrapy's spider loader finds it:
``crawler.families`` is the one list of families."""

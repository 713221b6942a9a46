"""One spider per CMS family; the registry's ``family`` names the spider.

Adding a family = a module here with a spider whose ``name`` and ``family`` are
the family's name (see crawler/README.md)."""

from .hanweb import HanwebSpider

FAMILY_SPIDERS = {HanwebSpider.family: HanwebSpider}

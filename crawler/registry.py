"""The site registry: which portals to crawl and how (``crawler/sites.toml``).

A site is a portal of a known CMS family. Its first base URL is the canonical
one; further base URLs are aliases of the same site (another port, https) and
are rewritten to the canonical one before requesting, so a report reachable
under two aliases is fetched and recorded once.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SITES_FILE = Path(__file__).with_name("sites.toml")
SITES_FILE_ENV = "NIANBAO_SITES_FILE"
RENDER_JS_CHOICES = (True, False, "auto")
# Scrapy download-slot keys a site may override (see DOWNLOAD_SLOTS).
POLITENESS_KEYS = {"delay", "concurrency", "randomize_delay"}


class RegistryError(ValueError):
    """The registry file or an entry in it is malformed."""


@dataclass(frozen=True)
class Site:
    name: str
    family: str
    base_urls: tuple[str, ...]
    title: str = ""
    start_urls: tuple[str, ...] = ()
    region_code: str | None = None
    extra_hosts: tuple[str, ...] = ()
    https_fallback: bool = False
    render_js: bool | str = "auto"
    politeness: dict = field(default_factory=dict)
    # Report years to try on xxgkAnnualReport.jsp for every body found (inclusive
    # range; () = every year since 2008 on a first or --full run, else the last two).
    probe_years: tuple[int, ...] = ()
    # Pages this site's crawl may request (None: the NIANBAO_PAGE_BUDGET setting).
    page_budget: int | None = None

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    @property
    def hosts(self) -> tuple[str, ...]:
        """Host names of the site itself (canonical and aliases)."""
        return tuple(dict.fromkeys(urlsplit(u).hostname for u in self.base_urls))

    @property
    def allowed_domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.hosts, *self.extra_hosts)))

    def owns(self, url: str) -> bool:
        return urlsplit(url).hostname in self.hosts

    def canonical_url(self, url: str) -> str:
        """Rewrite a URL on an alias (other scheme/port) to the canonical base."""
        parts = urlsplit(url)
        canonical = urlsplit(self.base_url)
        for alias in self.base_urls[1:]:
            a = urlsplit(alias)
            if (parts.scheme, parts.netloc) == (a.scheme, a.netloc):
                return urlunsplit(
                    (canonical.scheme, canonical.netloc, parts.path, parts.query, "")
                )
        return urlunsplit(parts._replace(fragment=""))

    def entry_urls(self) -> tuple[str, ...]:
        return self.start_urls or (self.base_url,)


def _check_url(site: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"site {site!r}: {url!r} is not an http(s) URL")
    return url if parts.path else url + "/"


def family_names() -> tuple[str, ...]:
    # Imported here: the family spiders import this module.
    from .families import family_names as names

    return names()


ENTRY_KEYS = {"title", "family", "base_url", "base_urls", "start_urls", "region_code", "extra_hosts",
              "https_fallback", "render_js", "politeness", "probe_years", "page_budget"}


def site_from_entry(name: str, entry: dict) -> Site:
    if not re.fullmatch(r"[a-z0-9_-]+", name):
        raise RegistryError(f"site name {name!r}: use lower-case letters, digits, - and _")
    unknown = set(entry) - ENTRY_KEYS
    if unknown:  # a typo would otherwise silently fall back to a default
        raise RegistryError(f"site {name!r}: unknown keys {sorted(unknown)}")
    family = entry.get("family")
    known = family_names()
    if family not in known:
        raise RegistryError(f"site {name!r}: unknown family {family!r} (known: {', '.join(known)})")
    base_urls = entry.get("base_urls") or ([entry["base_url"]] if "base_url" in entry else [])
    if not base_urls:
        raise RegistryError(f"site {name!r}: base_urls is required")
    render_js = entry.get("render_js", "auto")
    if render_js not in RENDER_JS_CHOICES:
        raise RegistryError(f"site {name!r}: render_js must be true, false or \"auto\"")
    politeness = dict(entry.get("politeness", {}))
    unknown = set(politeness) - POLITENESS_KEYS
    if unknown:
        raise RegistryError(f"site {name!r}: unknown politeness keys {sorted(unknown)}")
    probe = entry.get("probe_years", [])
    if probe and not (len(probe) == 2 and all(isinstance(y, int) for y in probe) and probe[0] <= probe[1]):
        raise RegistryError(f"site {name!r}: probe_years must be [first, last]")
    budget = entry.get("page_budget")
    if budget is not None and not (isinstance(budget, int) and budget > 0):
        raise RegistryError(f"site {name!r}: page_budget must be a positive number of pages")
    region = entry.get("region_code")
    if region is not None and not re.fullmatch(r"\d{6}", str(region)):
        raise RegistryError(f"site {name!r}: region_code must be a 6-digit GB/T 2260 code")
    return Site(
        name=name,
        family=family,
        title=entry.get("title", ""),
        base_urls=tuple(_check_url(name, u) for u in base_urls),
        start_urls=tuple(_check_url(name, u) for u in entry.get("start_urls", [])),
        region_code=str(region) if region is not None else None,
        extra_hosts=tuple(entry.get("extra_hosts", [])),
        https_fallback=bool(entry.get("https_fallback", False)),
        render_js=render_js,
        politeness=politeness,
        probe_years=tuple(range(probe[0], probe[1] + 1)) if probe else (),
        page_budget=budget,
    )


def sites_file(path: str | os.PathLike | None = None) -> Path:
    """The registry in use: explicit path, else $NIANBAO_SITES_FILE, else the packaged one."""
    return Path(path or os.environ.get(SITES_FILE_ENV) or DEFAULT_SITES_FILE)


def load_sites(path: str | os.PathLike | None = None) -> dict[str, Site]:
    file = sites_file(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{file}: registry file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise RegistryError(f"{file}: not valid TOML ({e})") from None
    return {name: site_from_entry(name, entry) for name, entry in data.get("sites", {}).items()}


def name_for(url: str) -> str:
    """A site name made from a URL's host (``www.rushan.gov.cn`` -> ``www-rushan-gov-cn``)."""
    host = urlsplit(url).hostname or ""
    return re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "adhoc"


def adhoc_site(url: str, family: str) -> Site:
    """A site for ``--url URL --family F``: a portal of a known family without an entry."""
    return site_from_entry(name_for(url), {"family": family, "base_urls": [url]})


def add_site(name: str, entry: dict, path: str | os.PathLike | None = None) -> Site:
    """Append a ``[sites.NAME]`` table to the registry (checked first: a name
    already there or a malformed entry is an error and nothing is written)."""
    file = sites_file(path)
    registry = load_sites(file) if file.exists() else {}
    if name in registry:
        raise RegistryError(f"{file}: site {name!r} is already in the registry")
    site = site_from_entry(name, entry)
    lines = [f"\n[sites.{name}]"]
    for key, value in entry.items():
        lines.append(f"{key} = {_toml_value(value)}")
    with file.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return site


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def select_sites(names: list[str], registry: dict[str, Site]) -> list[Site]:
    """The named sites (all of them when none are named); unknown names are an error."""
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise RegistryError(
            f"unknown site(s) {', '.join(unknown)}; registry has {', '.join(sorted(registry)) or 'none'}"
        )
    return [registry[n] for n in names] if names else list(registry.values())

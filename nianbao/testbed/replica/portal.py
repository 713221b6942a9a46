"""``ReplicaPortal``: the replica's hosts, started and stopped together.

    with ReplicaPortal(seed=0, bodies_per_site=4, years=(2021, 2022, 2023)) as portal:
        portal.sites["wendeng"].base_url        # http://127.0.0.2:<port>
        portal.expected_reports                 # what a complete crawl must find
        portal.set_fault("error_then_ok", paths=["/art/"])
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from .app import CloneApp, FlipbookApp, SiteApp
from .content import ReplicaContent
from .pages import Links
from .server import FAULTS, _COUNTED, Fault, ReplicaServer, ServedRequest
from .sites import Report, Site, build_site

# Distinct loopback addresses so that a crawler's allowed_domains can tell hosts apart
# (all of 127.0.0.0/8 is loopback on Linux).
DEFAULT_HOSTS = {"wendeng": "127.0.0.2", "huancui": "127.0.0.3", "flipbook": "127.0.0.4", "clone": "127.0.0.5",
                 "weihai": "127.0.0.6", "rushan": "127.0.0.7"}
SITES = ("wendeng", "huancui")  # weihai and rushan are opt-in: sites=("wendeng", "huancui", "rushan")
OPTIONAL_SITES = ("weihai", "rushan")
ALIAS_OFFSET = 443  # a fixed port P gets its alias at P + 443 (8000 -> 8443, like weihai's :8443)


@dataclass
class SiteHandle:
    """A served site: its model and where it listens."""
    name: str
    model: Site
    base_url: str = ""
    alias_url: str | None = None  # the same site on a second port (huancui)

    @property
    def https_url(self) -> str:
        """The same port spoken to with TLS: the handshake fails while HTTP works."""
        return self.base_url.replace("http://", "https://", 1)


class ServedPortal:
    """Hosts served together with the replica's faults and request log (``server.py``);
    ``ReplicaPortal`` (Hanweb) and the other families' portals (``nianbao.testbed.families``)
    build on it."""

    def __init__(self, seed: int, faults: Iterable = (), *, verbose: bool = False):
        self.seed = seed
        self.verbose = verbose
        self.stopping = threading.Event()
        self._log: list[ServedRequest] = []
        self._log_lock = threading.Lock()
        self._faults: dict[str, Fault] = {}
        self._fault_lock = threading.Lock()
        self._servers: list[ReplicaServer] = []
        self._threads: list[threading.Thread] = []
        token = hashlib.sha1(f"nianbao-replica-{seed}".encode()).hexdigest()
        self.jsluid = token[:32]
        # The final clearance ends in two characters that round 2 makes the client find.
        self.jsl_clearance = f"__jsl_clearance=1732237200.417|0|{token[8:30]}Qk%3D"
        self.jsl_provisional = f"__jsl_clearance=1732237199.208|0|{token[10:30]}"
        self.jsl_chars = "aQbXkcZdTe"
        self.ruishu_cookie = f"FSSBBIl1UgzbN7N80S={token[4:28]}"
        for spec in faults:
            name, options = (spec, {}) if isinstance(spec, str) else (spec[0], dict(spec[1]))
            self.set_fault(name, **options)

    def start(self):
        raise NotImplementedError

    def _serve(self, host_name: str, address: str, port: int, app) -> str:
        server = ReplicaServer((address, port), host_name, app, self)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name=f"replica-{host_name}-{server.server_address[1]}", daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return "http://%s:%d" % server.server_address[:2]

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in a "slow" fault
        for server in self._servers:
            server.shutdown()
            server.close_connections()
            server.server_close()  # joins the connection threads
        for thread in self._threads:
            thread.join()
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> "ServedPortal":
        return self if self._servers else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- request log ----------------------------------------------------------------------------

    def log_request(self, entry: ServedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far (a snapshot): (host:port, method, path+query, headers)."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    # --- faults ---------------------------------------------------------------------------------

    def set_fault(self, name: str, on: bool = True, paths=None, *, hosts=None, seconds: float = 2.0,
                  times: int = 1, rounds: int = 1) -> None:
        """Switch a fault on (or off). ``paths``: path(+query) prefixes or full-URL prefixes
        (a str or a list; default every path but /robots.txt); ``hosts``: host names
        ("wendeng", "huancui", "flipbook", "clone", "weihai"); ``seconds`` for "slow"; ``times`` =
        failures per URL for "error_then_ok" and "reset"; ``rounds`` (1 or 2) for "waf_521"."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        with self._fault_lock:
            if not on:
                self._faults.pop(name, None)
                return
            if isinstance(paths, str):
                paths = [paths]
            self._faults[name] = Fault(name, tuple(paths) if paths is not None else None,
                                       frozenset([hosts] if isinstance(hosts, str) else hosts) if hosts else None,
                                       seconds=seconds, times=times if name in _COUNTED else 0,
                                       rounds=rounds)

    def active_fault(self, name: str, host_name: str, url: str, target: str) -> Fault | None:
        with self._fault_lock:
            fault = self._faults.get(name)
            return fault if fault and fault.matches(host_name, url, target) else None


class ReplicaPortal(ServedPortal):
    def __init__(self, seed: int = 0, bodies_per_site: int = 4, years: Iterable[int] = (2021, 2022, 2023),
                 faults: Iterable = (), *, port: int = 0, alias_port: int | None = None,
                 hosts: dict[str, str] | None = None, office: bool = True, verbose: bool = False,
                 sites: Iterable[str] = SITES):
        self.years = tuple(sorted(years))
        if bodies_per_site < 1 or not self.years:
            raise ValueError("a replica needs at least one body per site and one year")
        sites = tuple(sites)
        if not {"wendeng", "huancui"} <= set(sites) <= {"wendeng", "huancui", *OPTIONAL_SITES}:
            raise ValueError(f"sites must be wendeng and huancui, optionally {', '.join(OPTIONAL_SITES)}; got {sites}")
        self.hosts = {**DEFAULT_HOSTS, **(hosts or {})}
        self.port = port
        self.alias_port = alias_port if alias_port is not None else (port + ALIAS_OFFSET if port else 0)
        # office=False: no LibreOffice for scans and the image-only book (pdf/doc files still need it).
        self.content = ReplicaContent(office=office)
        self.sites = {name: SiteHandle(name, build_site(name, seed=seed, bodies_per_site=bodies_per_site,
                                                        years=self.years))
                      for name in sites}
        self.flipbook_url = ""
        self.clone_url = ""
        super().__init__(seed, faults, verbose=verbose)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "ReplicaPortal":
        wendeng, huancui = self.sites["wendeng"], self.sites["huancui"]
        wendeng_app = SiteApp(wendeng.model, self.content, self._links)
        huancui_app = SiteApp(huancui.model, self.content, self._links)
        try:
            wendeng.base_url = self._serve("wendeng", self.hosts["wendeng"], self.port, wendeng_app)
            huancui.base_url = self._serve("huancui", self.hosts["huancui"], self.port, huancui_app)
            huancui.alias_url = self._serve("huancui", self.hosts["huancui"], self.alias_port, huancui_app)
            self.flipbook_url = self._serve("flipbook", self.hosts["flipbook"], self.port,
                                            FlipbookApp(wendeng.model.reports, self.content))
            self.clone_url = self._serve("clone", self.hosts["clone"], self.port, CloneApp(wendeng_app))
            for name in OPTIONAL_SITES:
                if handle := self.sites.get(name):
                    handle.base_url = self._serve(name, self.hosts[name], self.port,
                                                  SiteApp(handle.model, self.content, self._links))
        except OSError:
            self.stop()
            raise
        return self

    def _links(self, own_url: str) -> Links:
        return Links(self.clone_url, self.flipbook_url, self.sites["huancui"].alias_url, own_url)

    # --- reports ---------------------------------------------------------------------------------

    def _all_reports(self) -> list[tuple[SiteHandle, Report]]:
        return [(handle, r) for handle in self.sites.values() for r in handle.model.reports]

    def _report_urls(self, handle: SiteHandle, report: Report) -> list[str]:
        if report.form == "annual_report":
            urls = [handle.base_url + report.annual_report_path]
            if report.alias_linked and handle.alias_url:
                urls.append(f"{handle.alias_url}/module/xxgk/xxgkAnnualReport.jsp?fbtime={report.year}"
                            f"&area={report.body.uscc}")
            return urls + [handle.base_url + a.path for a in report.articles]  # republished as an article
        return [handle.base_url + a.path for a in report.articles]

    def _files(self, handle: SiteHandle, report: Report) -> list[str]:
        if report.flipbook:
            root = self.flipbook_url + report.flipbook.root
            count = self.content.book_page_count(report)
            return ([f"{root}/files/basic-html/page{n}.html" for n in range(1, count + 1)]
                    + [f"{root}/files/mobile/{n}.jpg" for n in range(1, count + 1)])
        if report.form == "scan":
            return [handle.base_url + a.attach_path for a in report.attachments]
        return [handle.base_url + a.link_path for a in report.attachments]

    @property
    def expected_reports(self) -> list[dict]:
        """Every report the replica publishes, with the URLs a complete crawl must fetch.

        ``report_url`` is the canonical page (``urls`` lists every URL it is reachable
        under: a second column's copy, the alias host); ``files`` are the attachments,
        scans or flip-book pages and page images. ``disallowed`` reports sit behind a
        robots.txt Disallow; ``needs_js`` ones are listed only in a JavaScript-rendered
        column; ``deleted`` ones answer 404 since ``delete_report``."""
        out = []
        for handle, report in self._all_reports():
            urls = self._report_urls(handle, report)
            out.append({
                "site": handle.name, "organization": report.body.organization, "area": report.body.uscc,
                "year": report.year, "title": report.title, "published": report.published.date().isoformat(),
                "form": report.form, "report_url": urls[0], "urls": urls,
                "files": self._files(handle, report), "report_key": report.key,
                "disallowed": report.disallowed, "needs_js": report.needs_js, "year_typo": report.year_typo,
                "deleted": report.deleted, "revision": report.revision,
            })
        return out

    @property
    def expected_bodies(self) -> list[dict]:
        """Every body a site's xxgk directory names (however it names it): site, area, name."""
        return [{"site": handle.name, "area": b.uscc, "name": b.name, "organization": b.organization}
                for handle in self.sites.values() for b in handle.model.bodies]

    @property
    def trap_urls(self) -> dict[str, str]:
        """URL -> trap kind of the pages that look like reports but are not (rushan)."""
        return {handle.base_url + path: kind for handle in self.sites.values() if handle.model.county
                for path, kind in handle.model.county.trap_kinds.items()}

    def report(self, report_url: str) -> Report:
        for handle, report in self._all_reports():
            if report_url in self._report_urls(handle, report):
                return report
        raise KeyError(f"no report at {report_url}")

    def record(self, report_url: str) -> dict:
        """The canonical record the report at ``report_url`` prints (current revision)."""
        return self.content.record(self.report(report_url))

    def delete_report(self, report_url: str) -> None:
        """The report's page(s) answer 404 from now on; lists keep linking it, as stale JCMS lists do."""
        self.report(report_url).deleted = True

    def change_report(self, report_url: str) -> None:
        """Revise the report: other numbers, a new Last-Modified, same URLs."""
        report = self.report(report_url)
        report.revision += 1
        # Page times are Beijing wall-clock times, like the real sites print them.
        report.modified = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0, tzinfo=None)

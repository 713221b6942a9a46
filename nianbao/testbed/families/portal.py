"""``FamilyPortal``: a TRS WCM or Ucap replica portal and its mirror, served with
the Hanweb replica's faults and request log.

    with FamilyPortal("trs", seed=0, bodies=4, years=(2021, 2022, 2023)) as portal:
        portal.base_url                  # http://127.0.0.11:<port>
        portal.expected_reports          # what a complete crawl must find
        portal.set_fault("error_then_ok", paths=["/zfxxgk/"])
"""

from __future__ import annotations

from typing import Iterable

from nianbao.testbed.replica.content import ReplicaContent
from nianbao.testbed.replica.portal import ServedPortal

from .apps import FamilyApp, TrsApp, UcapApp
from .model import build

# Family -> (replica site name, site address, mirror address); the Hanweb replica uses 127.0.0.2-7.
FAMILIES = {"trs": ("zhifu", "127.0.0.11", "127.0.0.12"), "ucap": ("shinan", "127.0.0.13", "127.0.0.14")}
APPS = {"trs": TrsApp, "ucap": UcapApp}


class FamilyPortal(ServedPortal):
    def __init__(self, family: str, seed: int = 0, bodies: int = 4, years: Iterable[int] = (2021, 2022, 2023),
                 faults: Iterable = (), *, port: int = 0, office: bool = True, verbose: bool = False,
                 hosts: tuple[str, str] | None = None):
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; replicas exist for {', '.join(FAMILIES)}")
        if bodies < 1 or not tuple(years):
            raise ValueError("a replica needs at least one body and one year")
        self.family = family
        self.name, address, mirror = FAMILIES[family]
        self.address, self.mirror_address = hosts or (address, mirror)
        self.port = port
        self.content = ReplicaContent(office=office)
        self.model = build(self.name, seed=seed, bodies=bodies, years=tuple(years))
        self.base_url = ""
        self.mirror_url = ""
        self.app: FamilyApp | None = None
        super().__init__(seed, faults, verbose=verbose)

    def start(self) -> "FamilyPortal":
        try:
            # The mirror serves a copy of the site (its links lead back to itself): never crawl it.
            self.mirror_url = self._serve("clone", self.mirror_address, self.port,
                                          APPS[self.family](self.model, self.content))
            self.app = APPS[self.family](self.model, self.content, self.mirror_url)
            self.base_url = self._serve(self.family, self.address, self.port, self.app)
        except OSError:
            self.stop()
            raise
        return self

    @property
    def expected_reports(self) -> list[dict]:
        """Every report the portal publishes: ``report_url``/``urls`` (its page), ``files``
        (its attachments), ``report_key`` (``site:USCC:year``), ``disallowed`` (robots.txt)."""
        app = self.app or APPS[self.family](self.model, self.content)
        out = []
        for doc in self.model.documents:
            report = doc.report
            if report is None:
                continue
            url = self.base_url + app.doc_path(doc)
            out.append({
                "site": self.name, "organization": doc.body.organization, "area": doc.body.uscc,
                "year": report.year, "title": report.title, "published": report.published.date().isoformat(),
                "form": report.form, "report_url": url, "urls": [url],
                "files": [self.base_url + app.file_path(doc, f) for f in doc.attachments],
                "report_key": report.key, "disallowed": report.disallowed, "needs_js": False,
                "deleted": report.deleted,
            })
        return out

    @property
    def traps(self) -> list[dict]:
        """The pages beside the reports that are not reports: companions, notices, other annual documents, guides."""
        app = self.app or APPS[self.family](self.model, self.content)
        return [{"url": self.base_url + app.doc_path(d), "kind": d.trap, "title": d.title}
                for d in self.model.documents if d.trap]

    def record(self, report_url: str) -> dict:
        for expected, doc in zip(self.expected_reports, [d for d in self.model.documents if d.report]):
            if expected["report_url"] == report_url:
                return self.content.record(doc.report)
        raise KeyError(f"no report at {report_url}")

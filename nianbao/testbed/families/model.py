"""The content model of the TRS and Ucap replicas: bodies, their reports, the
traps around them, and the documents of each body's columns.

Reports reuse the Hanweb replica's ``Report``/``Body`` so that
``ReplicaContent`` renders their text, tables and files (docx; pdf/doc through
LibreOffice) and ``ReplicaContent.record`` gives the record each one prints.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nianbao.testbed.replica.sites import _DEPARTMENTS, PROFILES, Body, Report, report_title, uscc

# (body, year index) -> form for the first bodies, so a small replica shows every
# variant; later reports cycle through the common forms.
FIRST_FORMS = {
    (0, 0): "html", (0, 1): "attachment:pdf", (0, 2): "attachment:docx",
    (1, 0): "attachment:doc", (1, 1): "gbk", (1, 2): "html",
}
COMMON_FORMS = ("html", "attachment:docx", "html")

# Traps published beside the reports (issue 12): (kind, column, title template).
TRAPS = (
    ("companion", "gknb", "图解：{org}{y}年政府信息公开工作年度报告"),
    ("companion", "gknb", "一图读懂{org}{y}年政府信息公开工作年度报告"),
    ("notice", "tzgg", "关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知"),
    ("other_annual", "tzgg", "{org}{y}年法治政府建设年度报告"),
    ("other_annual", "tzgg", "{org}{y}年部门预算公开"),
    ("guide", "tzgg", "{org}政府信息公开指南"),
)


@dataclass(eq=False)
class Document:
    """One page of a column: a report's page or a trap."""

    column: str                 # gknb (公开年报) or tzgg (通知公告)
    title: str
    published: datetime
    body: Body
    doc_id: int
    report: Report | None = None
    trap: str | None = None     # the trap's kind (companion, notice, other_annual, guide)
    attachments: list["FileRef"] = field(default_factory=list)


@dataclass(eq=False)
class FileRef:
    name: str                   # the stored name (P0… for TRS, hex for Ucap)
    ext: str
    showname: str


@dataclass(eq=False)
class FamilySite:
    name: str
    title: str
    bodies: list[Body]
    years: tuple[int, ...]
    documents: list[Document]

    def column(self, body: Body, column: str) -> list[Document]:
        """A body's column, newest first (as CMS lists are)."""
        docs = [d for d in self.documents if d.body is body and d.column == column]
        return sorted(docs, key=lambda d: d.published, reverse=True)


def build(name: str, *, seed: int, bodies: int, years: tuple[int, ...]) -> FamilySite:
    """A portal of ``bodies`` bodies filing for each of ``years``, with every trap kind."""
    profile = PROFILES[name]
    rng = random.Random(f"{seed}:{name}")
    body_list = []
    for i in range(bodies):
        short, slug = _DEPARTMENTS[i % len(_DEPARTMENTS)]
        if i >= len(_DEPARTMENTS):
            short, slug = f"第{i // len(_DEPARTMENTS) + 1}{short}", f"{slug}{i // len(_DEPARTMENTS) + 1}"
        body_list.append(Body(short, profile.county + short, uscc(profile.county_code, rng), slug, 0, 0))
    site = FamilySite(name, profile.site_name, body_list, tuple(sorted(years)), [])
    next_id = rng.randint(60_000, 90_000)
    for b, body in enumerate(body_list):
        for y, year in enumerate(site.years):
            spec = FIRST_FORMS.get((b, y)) or COMMON_FORMS[(b + y) % len(COMMON_FORMS)]
            form, _, ext = spec.partition(":")
            published = datetime(year + 1, 1, 10) + timedelta(days=rng.randint(0, 40), hours=rng.randint(8, 17),
                                                               minutes=rng.randint(0, 59))
            report = Report(name, body, year, published, form, seed=rng.randint(0, 2**31),
                            title=report_title(body.organization, year),
                            template="2021" if year >= 2021 else "2019")
            next_id += rng.randint(1, 400)
            doc = Document("gknb", report.title, published, body, next_id, report=report)
            if form == "attachment":
                doc.attachments.append(FileRef(_stored_name(rng, published), ext, f"{report.title}.{ext}"))
            site.documents.append(doc)
        for kind, column, template in TRAPS:
            year = site.years[(b + len(site.documents)) % len(site.years)]
            when = datetime(year + 1, 2, 1, 9) + timedelta(days=rng.randint(0, 60))
            next_id += rng.randint(1, 400)
            site.documents.append(Document(column, template.format(org=body.organization, y=year), when, body,
                                           next_id, trap=kind))
    return site


def _stored_name(rng: random.Random, when: datetime) -> str:
    # TRS names stored files P0 + date + time digits (P020220115523891234567); Ucap uses hex.
    return f"P0{when:%Y%m%d}{rng.randint(10**11, 10**12 - 1)}"

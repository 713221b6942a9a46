"""What a spider yields: one ``FetchItem`` per HTTP exchange, shaped like the
archive's fetch record (``archive.Archive.record_fetch``) so the pipeline
passes it through unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

# Roles the archive distinguishes (archive.archive.FETCH_ROLES).
LIST = "list"
REPORT_PAGE = "report_page"
ATTACHMENT = "attachment"
IMAGE = "image"
FLIPBOOK_PAGE = "flipbook_page"
# Roles whose bodies are documents: fetched conditionally on a re-crawl.
DOCUMENT_ROLES = (REPORT_PAGE, ATTACHMENT, IMAGE, FLIPBOOK_PAGE)


@dataclass
class FetchItem:
    url: str
    role: str
    final_url: str | None = None
    method: str = "GET"
    status: int | None = None
    # Response headers as sent: Scrapy's Headers or {name: value | [values]}.
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    referer: str | None = None
    report_key: str | None = None
    filename: str | None = None
    not_modified: bool = False
    page_no: int | None = None
    # Fingerprints of the journaled requests this fetch answers, so the job
    # journal marks them done once the fetch is recorded; not archived.
    journal_fps: list = field(default_factory=list)

    def fetch_record(self) -> dict:
        """Keyword arguments for ``Archive.record_fetch``."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "journal_fps"}


@dataclass
class BodyItem:
    """A body the portal names (``area`` = its USCC), for the archive's ``bodies`` table."""

    site: str
    area: str
    name: str | None = None
    unit_url: str | None = None


@dataclass
class ProbeItem:
    """What probing a body's report year found: ``filed`` or ``not_filed``."""

    site: str
    area: str
    year: int
    outcome: str
    url: str

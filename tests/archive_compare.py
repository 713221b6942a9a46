"""What two archives must agree on when they hold the same crawl: the reports
(with the originals each was read from), their table rows and their checks.

A report's ``warnings`` are left out: between candidates that read equally well
(one report reached through two article pages), the loader keeps the first in
fetch order and names the others in a warning, and fetch order differs between
any two crawls, even two single-process ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def archive_contents(data_dir: Path) -> dict:
    db = sqlite3.connect(data_dir / "nianbao.db")
    try:
        reports = {key: rest for key, *rest in db.execute(
            "SELECT report_key, title, organization, region_code, year, template, tables_status, "
            "sources_digest FROM reports WHERE is_latest = 1")}
        ids = dict(db.execute("SELECT id, report_key FROM reports WHERE is_latest = 1"))
        rows = sorted((ids[rid], row, column, value) for rid, row, column, value in db.execute(
            "SELECT report_id, row_code, column_code, value FROM applications") if rid in ids)
        checks = sorted((ids[rid], code, ok) for rid, code, ok in db.execute(
            "SELECT report_id, code, ok FROM checks") if rid in ids)
        sources = {}
        for key, url, sha256 in db.execute(
                "SELECT report_key, url, sha256 FROM fetches WHERE report_key IS NOT NULL AND sha256 IS NOT NULL "
                "AND error IS NULL AND COALESCE(role, '') != 'list'"):
            sources.setdefault(key, set()).add((url, sha256))
        bodies = set(db.execute("SELECT site, area, name, unit_url FROM bodies"))
        probes = set(db.execute("SELECT site, area, year, outcome, url FROM year_probes"))
    finally:
        db.close()
    return {"reports": reports, "rows": rows, "checks": checks, "sources": sources, "bodies": bodies,
            "probes": probes}

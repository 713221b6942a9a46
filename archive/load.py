"""Canonical record -> rows, loaded in one transaction per report.

A report is identified by the crawler's ``report_key``; each distinct set of
originals it was read from is a *version*. Loading a record whose sources
equal the latest version's replaces that version's derived rows in place
(a re-parse, e.g. after a parser upgrade); new sources make a new version
and the old ones stay, no longer ``is_latest``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import sqlite_utils

from .db import utc_now

DERIVED_TABLES = ("sections", "active_disclosure", "applications", "reviews_litigation", "checks", "report_documents")


@dataclass(frozen=True)
class Source:
    """One original a report version was built from."""

    sha256: str
    role: str | None = None
    page_no: int | None = None
    # Part of the candidate whose record was loaded (others were tried and lost).
    used: bool = True


def sources_digest(sha256s) -> str:
    return hashlib.sha256("\n".join(sorted(set(sha256s))).encode()).hexdigest()


def table_values(record: dict) -> int:
    """How many table cells the record read (blank cells do not count)."""
    count = sum(1 for cell in record.get("active_disclosure") or [] if cell.get("value") is not None)
    for table in ("applications", "reviews_litigation"):
        for row in (record.get(table) or {}).values():
            count += sum(1 for value in row.values() if value is not None)
    return count


def tables_status(record: dict, has_images: bool = False) -> str:
    """"read" when table values were read, "images" when the tables are pictures nobody read, else "absent"."""
    if table_values(record):
        return "read"
    image_warning = any("image" in w.lower() or "图片" in w for w in record.get("warnings") or [])
    return "images" if has_images or image_warning else "absent"


def _value(value):
    # sqlite3 binds neither Decimal nor bool; a decimal as printed is kept as a REAL.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool):
        return int(value)
    return value


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


# jieba cuts at punctuation anyway, so sentence by sentence gives the same words; the
# reports' formulaic sentences (template labels, boilerplate) then come from the cache.
_SENTENCE_END = re.compile(r"(?<=[。！？；\n])")


def segment(text: str) -> str:
    """Words of a Chinese text separated by spaces, in search-engine mode (long words and their parts)."""
    return " ".join(filter(None, map(_segment_sentence, _SENTENCE_END.split(text))))


@lru_cache(maxsize=65536)
def _segment_sentence(sentence: str) -> str:
    # HMM off: 2-3x faster, and the words people search for (申请, 复议, 诉讼) are in the dictionary.
    return " ".join(w for w in _segmenter().cut_for_search(sentence, HMM=False) if w.strip())


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for a user's query: its words, each quoted, all required."""
    words = [w.replace('"', "") for w in _segmenter().cut(query) if w.strip() and w.replace('"', "")]
    return " ".join(f'"{w}"' for w in words)


def _locate(organization, region) -> dict:
    try:
        from .regions import locate
    except ImportError:  # the regions module is optional: columns stay NULL without it
        return {}
    return locate(organization, region)


def derived_rows(record: dict, report_id: int | None) -> dict[str, list[dict]]:
    """The long-form rows of one record, table by table (codes exactly as the record has them)."""
    sections = [
        {
            "report_id": report_id,
            "no": section.get("no"),
            "title": section.get("title"),
            "text": section.get("text"),
            "search_text": segment(f"{section.get('title') or ''}\n{section.get('text') or ''}"),
        }
        for section in record.get("sections") or []
    ]
    active = [
        {
            "report_id": report_id,
            "seq": seq,
            "item": cell.get("item"),
            "row_code": cell.get("row"),
            "metric": cell.get("metric"),
            "value": _value(cell.get("value")),
        }
        for seq, cell in enumerate(record.get("active_disclosure") or [], start=1)
    ]
    applications = [
        {"report_id": report_id, "row_code": row, "column_code": column, "value": _value(value)}
        for row, cells in (record.get("applications") or {}).items()
        for column, value in cells.items()
    ]
    reviews = [
        {"report_id": report_id, "group_code": group, "column_code": column, "value": _value(value)}
        for group, cells in (record.get("reviews_litigation") or {}).items()
        for column, value in cells.items()
    ]
    checks = [
        {"report_id": report_id, "code": check["code"], "ok": _value(check.get("ok")), "detail": check.get("detail")}
        for check in record.get("checks") or []
    ]
    return {
        "sections": sections,
        "active_disclosure": active,
        "applications": applications,
        "reviews_litigation": reviews,
        "checks": checks,
    }


def _insert_rows(db: sqlite_utils.Database, table: str, rows: list[dict]) -> None:
    """Plain executemany: the derived tables' columns are fixed, and sqlite-utils' per-value
    type handling in insert_all would cost more than everything else in a load."""
    columns = list(rows[0])
    sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def load_record(
    db: sqlite_utils.Database,
    record: dict,
    *,
    report_key: str,
    sources: list[Source],
    parser_version: str,
    source_url: str | None = None,
    has_images: bool = False,
    extra_warnings: list[str] = (),
) -> int:
    """Load one record as a version of ``report_key`` in ONE transaction; returns the report id."""
    digest = sources_digest(s.sha256 for s in sources)
    warnings = list(record.get("warnings") or []) + list(extra_warnings)
    place = _locate(record.get("organization"), record.get("region"))
    report = {
        "report_key": report_key,
        "source_url": source_url,
        "title": record.get("title"),
        "organization": record.get("organization"),
        "region": record.get("region"),
        "province": place.get("province"),
        "city": place.get("city"),
        "county": place.get("county"),
        "region_code": place.get("region_code"),
        "body_type": place.get("body_type"),
        "region_note": place.get("region_note"),
        "year": record.get("year"),
        "published": record.get("published"),
        "template": record.get("template"),
        "tables_status": tables_status(record, has_images),
        "parser_version": parser_version,
        "warnings": json.dumps(warnings, ensure_ascii=False),
        "parsed_at": utc_now(),
        "sources_digest": digest,
    }
    # Everything but the writes is computed first: the write lock is held only for the writes.
    rows = derived_rows(record, report_id=None)
    with db.atomic():
        latest = db.execute(
            "SELECT id, version, sources_digest FROM reports WHERE report_key = ? AND is_latest = 1", [report_key]
        ).fetchone()
        if latest is not None and latest[2] == digest:
            report_id = latest[0]
            for table in DERIVED_TABLES:
                db.execute(f"DELETE FROM [{table}] WHERE report_id = ?", [report_id])
            db["reports"].update(report_id, report)
        else:
            version = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM reports WHERE report_key = ?", [report_key]
            ).fetchone()[0]
            db.execute("UPDATE reports SET is_latest = 0 WHERE report_key = ? AND is_latest = 1", [report_key])
            table = db["reports"]
            table.insert({**report, "version": version, "is_latest": 1})
            report_id = table.last_pk
        for name, table_rows in rows.items():
            if table_rows:
                for row in table_rows:
                    row["report_id"] = report_id
                _insert_rows(db, name, table_rows)
        db["report_documents"].insert_all(
            [
                {"report_id": report_id, "sha256": s.sha256, "role": s.role, "page_no": s.page_no, "used": int(s.used)}
                for s in sources
            ],
            ignore=True,  # a file fetched under two URLs is one source
        )
    return report_id

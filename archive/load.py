"""Canonical record -> rows, loaded in one transaction per report.

A report is identified by the crawler's ``report_key``; each distinct set of
originals it was read from is a *version*. Loading a record whose sources
equal the latest version's replaces that version's derived rows in place
(a re-parse, e.g. after a parser upgrade); new sources make a new version
and the old ones stay, no longer ``is_latest``.

``prepare`` turns a record into rows (regions located, sections segmented
for search) without the database; ``write`` writes them atomically;
``load_record`` does both. ``nianbao parse`` prepares where it parses (worker
processes with ``--workers``) and hands the ``Reading`` to
``Archive.write_readings``, which writes a batch per commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import chain

import sqlite_utils

from parsers.merge import table_values

from .db import WIDE_TABLES, utc_now, wide_columns

DERIVED_TABLES = (
    "sections", "active_disclosure", "applications", "reviews_litigation", "checks", "report_documents",
    "applications_wide_cells", "reviews_litigation_wide_cells",
)


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


def tables_status(record: dict, has_images: bool = False) -> str:
    """"read" when table values were read, "images" when the tables are pictures nobody read, else "absent"."""
    if table_values(record):
        return "read"
    image_warning = any("image" in w.lower() or "图片" in w for w in record.get("warnings") or [])
    return "images" if has_images or image_warning else "absent"


def _value(value):
    if value is None or type(value) is int:  # nearly every cell: the fast path of a load
        return value
    # sqlite3 binds neither Decimal nor bool; a decimal as printed is kept as a REAL.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bool):
        return int(value)
    return value


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    from .workspace import cache_dir

    jieba.setLogLevel(logging.WARNING)
    # Its dictionary cache goes to nianbao's cache dir, not $TMPDIR at large.
    jieba.dt.tmp_dir = str(cache_dir())
    return jieba


# jieba cuts at every character outside its Han/ASCII blocks, and runs of digits or Latin
# letters come out as words of their own, so cutting each run of Han characters alone gives
# the same words. The runs between numbers, names and punctuation are the reports' formulaic
# phrases (template labels, boilerplate), so most come from the cache: a sentence rarely
# repeats (its figures differ), its runs do.
_HAN_RUN = re.compile(r"([\u4e00-\u9fd5]+)")


def _pieces(text: str):
    return filter(str.strip, _HAN_RUN.split(text))


def segment(text: str) -> str:
    """Words of a Chinese text separated by spaces, in search-engine mode (long words and their parts)."""
    return " ".join(filter(None, map(_segment_piece, _pieces(text))))


@lru_cache(maxsize=1 << 18)
def _segment_piece(piece: str) -> str:
    # HMM off: 2-3x faster, and the words people search for (申请, 复议, 诉讼) are in the dictionary.
    return " ".join(w for w in _segmenter().cut_for_search(piece, HMM=False) if w.strip())


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for a user's query: its words, each quoted, all required."""
    # Cut as the index was cut (run by run, no HMM), so an unknown word splits the same way in both.
    words = [w.replace('"', "") for piece in _pieces(query) for w in _segmenter().cut(piece, HMM=False)]
    return " ".join(f'"{w}"' for w in words if w.strip())


def _locate(organization, region) -> dict:
    from parsers.regions import locate  # loads cpca's gazetteer: only when a report is prepared

    return locate(organization, region)


# The columns after ``report_id`` of each derived table, in ``derived_rows``' order.
DERIVED_COLUMNS = {
    "sections": ("no", "title", "text", "search_text"),
    "active_disclosure": ("seq", "item", "row_code", "metric", "value"),
    "applications": ("row_code", "column_code", "value"),
    "reviews_litigation": ("group_code", "column_code", "value"),
    "checks": ("code", "ok", "detail"),
    **{f"{table}_wide_cells": tuple(wide_columns(table)) for table in WIDE_TABLES},
}


def derived_rows(record: dict) -> dict[str, list[tuple]]:
    """The rows of one record, table by table, as tuples of ``DERIVED_COLUMNS`` (codes exactly as
    the record has them; ``report_id`` is left out: ``write`` puts it first once the report row exists).

    Tuples, not dicts: these are the loader's hot loop (about 200 rows a report)."""
    sections = [
        (section.get("no"), section.get("title"), section.get("text"),
         segment(f"{section.get('title') or ''}\n{section.get('text') or ''}"))
        for section in record.get("sections") or []
    ]
    active = [
        (seq, cell.get("item"), cell.get("row"), cell.get("metric"), _value(cell.get("value")))
        for seq, cell in enumerate(record.get("active_disclosure") or [], start=1)
    ]
    applications = _cells(record.get("applications"))
    reviews = _cells(record.get("reviews_litigation"))
    checks = [(check["code"], _value(check.get("ok")), check.get("detail")) for check in record.get("checks") or []]
    return {
        "sections": sections,
        "active_disclosure": active,
        "applications": applications,
        "reviews_litigation": reviews,
        "checks": checks,
        "applications_wide_cells": _wide_row(record.get("applications"), "applications"),
        "reviews_litigation_wide_cells": _wide_row(record.get("reviews_litigation"), "reviews_litigation"),
    }


def _cells(table: dict | None) -> list[tuple]:
    """``{row: {column: value}}`` -> ``(row, column, value)`` in the record's order."""
    return [
        (row, column, value if value is None or type(value) is int else _value(value))
        for row, cells in (table or {}).items()
        for column, value in cells.items()
    ]


def _wide_row(cells: dict | None, table: str) -> list[tuple]:
    """The report's cells as one row of ``<table>_wide_cells`` (none when the table was not read).

    A code outside the model has its long-form row only."""
    if not cells or not any(cells.values()):
        return []
    _, rows, columns = WIDE_TABLES[table]
    row: list = []
    for code in rows:
        printed = cells.get(code)
        # map(dict.get) runs in C: a report's 175 cells in 25 steps
        row.extend(map(printed.get, columns) if printed else (None,) * len(columns))
    return [tuple(value if value is None or type(value) is int else _value(value) for value in row)]


@dataclass(frozen=True)
class Rows:
    """One table's rows of a report: ``count`` rows of ``DERIVED_COLUMNS[table]``, their
    values one row after another in one flat list, as the insert binds them."""

    count: int
    values: list


def _insert_rows(db: sqlite_utils.Database, table: str, rows: Rows, report_id: int) -> None:
    """A report's rows of one table in as few statements as SQLite's parameter limit allows.

    One ``INSERT … SELECT ?1, … FROM (VALUES …)`` of all of a report's ``applications``
    cells was 2.5 times faster than ``executemany`` over them (a step, a reset and a
    Python round trip per row), and the values bind as prepared, with ``report_id`` once."""
    width = len(DERIVED_COLUMNS[table])
    per_statement = max(1, (db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // width)
    for start in range(0, rows.count, per_statement):
        count = min(per_statement, rows.count - start)
        db.conn.execute(_insert_sql(table, count),
                        [report_id, *rows.values[start * width:(start + count) * width]])


@lru_cache(maxsize=256)
def _insert_sql(table: str, count: int) -> str:
    columns = ("report_id", *DERIVED_COLUMNS[table])
    width = len(columns) - 1
    row = f"({', '.join('?' * width)})"
    return (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
            f"SELECT ?1, {', '.join(f'column{n}' for n in range(1, width + 1))} "
            f"FROM (VALUES {', '.join([row] * count)})")


@dataclass
class Prepared:
    """A record turned into rows, ready to write: everything but the SQL (picklable)."""

    report_key: str
    report: dict
    rows: dict[str, Rows]
    sources: list[Source]


@dataclass
class Reading:
    """A report read and ready to write: the originals whose candidate failed, and the best one's rows.

    Made where parsing runs (a worker process with ``--workers``), so the writer,
    the one process a parse run cannot multiply, only writes. The records read
    stay there: the rows carry everything the database gets."""

    failures: list[tuple[str, str]]  # (sha256, reason) of each original of a candidate that failed
    best: Prepared | None = None
    error: str | None = None  # the best record could not be turned into rows


@lru_cache(maxsize=4096)
def _place(organization, region) -> tuple:
    # Cached: an archive holds the same bodies year after year.
    return tuple(sorted(_locate(organization, region).items()))


def prepare(
    record: dict,
    *,
    report_key: str,
    sources: list[Source],
    parser_version: str,
    source_url: str | None = None,
    has_images: bool = False,
    extra_warnings: list[str] = (),
) -> Prepared:
    """Compute a report version's rows (regions located, sections segmented) without touching the DB."""
    place = dict(_place(record.get("organization"), record.get("region")))
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
        "warnings": json.dumps(list(record.get("warnings") or []) + list(extra_warnings), ensure_ascii=False),
        "parsed_at": utc_now(),
        "sources_digest": sources_digest(s.sha256 for s in sources),
    }
    rows = {table: Rows(len(tuples), list(chain.from_iterable(tuples)))
            for table, tuples in derived_rows(record).items() if tuples}
    return Prepared(report_key, report, rows, list(sources))


def index_sections(db: sqlite_utils.Database, report_ids: list[int]) -> None:
    """Add these reports' sections to the search indexes (``sections_fts``, ``sections_trigram``).

    No trigger does it (migration 6): FTS5 flushes its pending terms at every
    savepoint, so a bulk load indexes a whole batch once, in the batch's transaction,
    after the reports' own savepoints. Readers never see a report unindexed: both
    commit together."""
    for start in range(0, len(report_ids), 500):  # SQLite's bound-parameter limit
        chunk = report_ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        db.execute(
            f"INSERT INTO sections_fts (rowid, search_text) SELECT id, search_text FROM sections "
            f"WHERE report_id IN ({marks})", chunk,
        )
        db.execute(  # the phrase index (migration 11): the original text, in trigrams
            f"INSERT INTO sections_trigram (rowid, title, text) SELECT id, title, text FROM sections "
            f"WHERE report_id IN ({marks})", chunk,
        )


def write(db: sqlite_utils.Database, prepared: Prepared, *, index: bool = True) -> int:
    """Write one prepared report version in ONE transaction; returns the report id.

    The same sources as the latest version: that version's derived rows are
    replaced. Other sources: a new version, and the previous one stays.
    ``index=False`` leaves its sections out of the search index: the caller must
    ``index_sections`` them in the same transaction (``Archive.write_readings`` does, per batch).
    """
    report, key = prepared.report, prepared.report_key
    columns = list(report)
    with db.atomic():
        latest = db.execute(
            "SELECT id, sources_digest FROM reports WHERE report_key = ? AND is_latest = 1", [key]
        ).fetchone()
        if latest is not None and latest[1] == report["sources_digest"]:
            report_id = latest[0]
            for table in DERIVED_TABLES:
                db.execute(f"DELETE FROM [{table}] WHERE report_id = ?", [report_id])
            assignments = ", ".join(f"[{c}] = ?" for c in columns)
            db.execute(f"UPDATE reports SET {assignments} WHERE id = ?", [*report.values(), report_id])
        else:
            version = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM reports WHERE report_key = ?", [key]
            ).fetchone()[0]
            db.execute("UPDATE reports SET is_latest = 0 WHERE report_key = ? AND is_latest = 1", [key])
            names = ", ".join(f"[{c}]" for c in [*columns, "version", "is_latest"])
            cursor = db.conn.execute(
                f"INSERT INTO reports ({names}) VALUES ({', '.join('?' * (len(columns) + 2))})",
                [*report.values(), version, 1],
            )
            report_id = cursor.lastrowid
        for table, rows in prepared.rows.items():
            _insert_rows(db, table, rows, report_id)
        db.conn.executemany(
            # OR IGNORE: a file fetched under two URLs is one source.
            "INSERT OR IGNORE INTO report_documents (report_id, sha256, role, page_no, used) VALUES (?, ?, ?, ?, ?)",
            [(report_id, s.sha256, s.role, s.page_no, int(s.used)) for s in prepared.sources],
        )
        if index:
            index_sections(db, [report_id])
    return report_id


def load_record(db: sqlite_utils.Database, record: dict, **version) -> int:
    """Load one record as a version of ``report_key`` in ONE transaction; returns the report id.

    Keyword arguments as for ``prepare``: report_key, sources, parser_version,
    source_url, has_images, extra_warnings.
    """
    return write(db, prepare(record, **version))

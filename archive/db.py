"""The SQLite schema, created and upgraded idempotently.

``MIGRATIONS`` is an append-only list: each entry runs once, in order, and
``schema_migrations`` records which ran. ``connect`` opens the database in
WAL mode (Datasette reads while a load runs) with foreign keys on.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import sqlite_utils

from parsers.model import APPLICANT_COLUMNS, APPLICATION_ROWS, REVIEW_COLUMNS, REVIEW_GROUPS

DB_NAME = "nianbao.db"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database, usable from any one thread at a time.

    ``check_same_thread=False`` because the crawler writes from Scrapy's
    pipeline thread; ``archive.Archive`` serialises access with a lock.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed transaction's integrity
    # 64 MiB of page cache instead of 2: a load rewrites the same index and FTS pages commit
    # after commit, and re-reading them halved the loader's speed (benchmarks.archive_load).
    db.execute("PRAGMA cache_size = -65536")
    return db


def _initial(db: sqlite_utils.Database) -> None:
    db["crawl_runs"].create(
        {"id": int, "started": str, "finished": str, "sites": str, "counts": str, "status": str},
        pk="id",
    )
    db["documents"].create(
        {"sha256": str, "format": str, "size": int, "first_seen": str, "last_seen": str, "filename": str},
        pk="sha256",
        not_null={"size", "first_seen", "last_seen"},
    )
    db["fetches"].create(
        {
            "id": int,
            "url": str,
            "final_url": str,
            "method": str,
            "status": int,
            "headers": str,
            "fetched_at": str,
            "sha256": str,
            "size": int,
            "content_type": str,
            "crawl_run": int,
            "error": str,
            "referer": str,
            "role": str,
            "report_key": str,
            "page_no": int,
            "filename": str,
            "not_modified": int,
        },
        pk="id",
        not_null={"url", "fetched_at"},
        foreign_keys=[("sha256", "documents", "sha256"), ("crawl_run", "crawl_runs", "id")],
        defaults={"method": "GET", "not_modified": 0},
    )
    db["reports"].create(
        {
            "id": int,
            "report_key": str,
            "version": int,
            "is_latest": int,
            "source_url": str,
            "title": str,
            "organization": str,
            "region": str,
            "province": str,
            "city": str,
            "county": str,
            "region_code": str,
            "body_type": str,
            # Why the region is unknown or only partly known (parsers.regions.locate).
            "region_note": str,
            "year": int,
            "published": str,
            "template": str,
            "tables_status": str,
            "parser_version": str,
            "warnings": str,
            "parsed_at": str,
            # sha256 of the sorted source digests: a new value means new originals, a new version.
            "sources_digest": str,
        },
        pk="id",
        not_null={"report_key", "version", "is_latest", "parser_version", "sources_digest"},
    )
    db["report_documents"].create(
        {"report_id": int, "sha256": str, "role": str, "page_no": int, "used": int},
        pk=("report_id", "sha256"),
        foreign_keys=[("report_id", "reports", "id"), ("sha256", "documents", "sha256")],
    )
    db["sections"].create(
        {"id": int, "report_id": int, "no": int, "title": str, "text": str, "search_text": str},
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["active_disclosure"].create(
        {"report_id": int, "seq": int, "item": str, "row_code": str, "metric": str, "value": int},
        pk=("report_id", "seq"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["applications"].create(
        {"report_id": int, "row_code": str, "column_code": str, "value": int},
        pk=("report_id", "row_code", "column_code"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["reviews_litigation"].create(
        {"report_id": int, "group_code": str, "column_code": str, "value": int},
        pk=("report_id", "group_code", "column_code"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["checks"].create(
        {"report_id": int, "code": str, "ok": int, "detail": str},
        pk=("report_id", "code"),
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["parse_errors"].create(
        {"report_key": str, "sha256": str, "parser_version": str, "error": str, "failed_at": str},
        pk=("report_key", "sha256", "parser_version"),
        foreign_keys=[("sha256", "documents", "sha256")],
    )

    db["fetches"].create_index(["url"])
    db["fetches"].create_index(["sha256"])
    db["fetches"].create_index(["report_key"])
    db["fetches"].create_index(["crawl_run"])
    db["reports"].create_index(["report_key", "version"], unique=True)
    db["reports"].create_index(["organization", "year"])
    db["report_documents"].create_index(["sha256"])
    db["sections"].create_index(["report_id"])
    db["parse_errors"].create_index(["sha256"])

    # SQLite's tokenizers see a Chinese sentence as one token (unicode61) or need
    # 3+ characters (trigram), so the FTS index reads a jieba-segmented copy.
    # search_text = segmented title + text; Datasette's ?_search= and MATCH then find 申请, 复议, 诉讼.
    db["sections"].enable_fts(["search_text"], create_triggers=True)

    _url_history_view(db)
    db.create_view("applications_wide", _wide_view("applications", "row_code", APPLICATION_ROWS, APPLICANT_COLUMNS))
    db.create_view(
        "reviews_litigation_wide", _wide_view("reviews_litigation", "group_code", REVIEW_GROUPS, REVIEW_COLUMNS)
    )


def _wide_view(table: str, row_column: str, rows, columns) -> str:
    """One row per report, one column per cell (``new_received_total``), for spreadsheet use.

    Schema 1's pivot; schema 2 reads it once to fill the materialized cells."""
    cells = ",\n".join(
        f"MAX(CASE WHEN t.{row_column} = '{row}' AND t.column_code = '{column}' THEN t.value END) AS {row}_{column}"
        for row in rows
        for column in columns
    )
    return f"""
        SELECT r.id AS report_id, r.report_key, r.organization, r.year, r.is_latest,
        {cells}
        FROM reports r JOIN {table} t ON t.report_id = r.id
        GROUP BY r.id
    """


# long-form table -> (its row column, row codes, column codes), as the wide tables spread them.
WIDE_TABLES = {
    "applications": ("row_code", APPLICATION_ROWS, APPLICANT_COLUMNS),
    "reviews_litigation": ("group_code", REVIEW_GROUPS, REVIEW_COLUMNS),
}


def wide_columns(table: str) -> list[str]:
    """The cell columns of ``<table>_wide``: ``new_received_total``, ``review_upheld``, …"""
    _, rows, columns = WIDE_TABLES[table]
    return [f"{row}_{column}" for row in rows for column in columns]


def _materialized_wide_views(db: sqlite_utils.Database) -> None:
    """Pivoting 175 cells per report in a view costs seconds at 100,000 reports, so the
    loader writes each report's cells once more as one row of ``<table>_wide_cells``
    and ``<table>_wide`` becomes a plain join."""
    for table in WIDE_TABLES:
        cells, columns = f"{table}_wide_cells", wide_columns(table)
        db[cells].create(
            {"report_id": int, **{c: int for c in columns}}, pk="report_id",
            foreign_keys=[("report_id", "reports", "id")],
        )
        names = ", ".join(columns)
        db.execute(f"INSERT INTO {cells} (report_id, {names}) SELECT report_id, {names} FROM {table}_wide")
        db.execute(f"DROP VIEW {table}_wide")
        db.create_view(
            f"{table}_wide",
            f"""SELECT r.id AS report_id, r.report_key, r.organization, r.year, r.is_latest,
                       {", ".join(f"c.{c}" for c in columns)}
                FROM {cells} c JOIN reports r ON r.id = c.report_id""",
        )


def _url_history_index(db: sqlite_utils.Database) -> None:
    """A covering index for url_history's aggregates: 2.5x faster over 200,000 fetches
    (pages still stream: the view's first rows come before the whole count)."""
    db["fetches"].create_index(["url", "fetched_at", "sha256", "status"], index_name="fetches_history")


def _url_history_view(db: sqlite_utils.Database) -> None:
    """Per URL: first and last seen, latest status, how many versions. Versions are the
    bodies of successful responses: the error page a portal serves for a deleted
    report is not a new version of it."""
    db.execute("DROP VIEW IF EXISTS url_history")
    db.create_view(
        "url_history",
        """
        SELECT url,
               MIN(fetched_at) AS first_seen,
               MAX(fetched_at) AS last_seen,
               (SELECT f2.status FROM fetches f2 WHERE f2.url = fetches.url ORDER BY f2.id DESC LIMIT 1)
                   AS latest_status,
               (SELECT f2.error FROM fetches f2 WHERE f2.url = fetches.url ORDER BY f2.id DESC LIMIT 1)
                   AS latest_error,
               COUNT(DISTINCT CASE WHEN status BETWEEN 200 AND 299 THEN sha256 END) AS distinct_sha256,
               COUNT(*) AS fetches
        FROM fetches GROUP BY url
        """,
    )


# The default facets of the publication (metadata.yml). Datasette counts each by grouping
# the table, filtered or not, on that one column.
FACET_COLUMNS = {
    "reports": ("year", "province", "city", "county", "body_type", "template", "tables_status"),
    "checks": ("code", "ok"),
}


def _publication_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for Datasette at 100,000 reports (measured by ``benchmarks.datasette``).

    Every facet is counted from an index alone, never the rows: ``reports (X, year)``
    for the whole table and ``reports (year, X)`` once a year is chosen (with only
    ``(X)`` the planner walked all of X's index and looked each row's year up: slower
    than no index). ``checks (ok, code)`` and ``(code, ok)`` serve the failed-checks query and the checks
    facets either way round. No index leads with ``is_latest``: the planner (without
    statistics, as in a new archive) took it over ``(report_key, version)`` for the
    loader's ``report_key = ? AND is_latest = 1`` and every load of a report scanned
    all current reports. Then statistics, so the planner knows which is best."""
    db["reports"].create_index(["year"], if_not_exists=True)
    for column in FACET_COLUMNS["reports"][1:]:
        db["reports"].create_index([column, "year"], if_not_exists=True)
        db["reports"].create_index(["year", column], if_not_exists=True)
    db["checks"].create_index(["ok", "code"], if_not_exists=True)
    db["checks"].create_index(["code", "ok"], if_not_exists=True)
    refresh_statistics(db)


def refresh_statistics(db: sqlite_utils.Database) -> None:
    """Tell SQLite's planner how large the tables and how selective the indexes are now.

    Without statistics (or with those of a smaller archive) it may pick ``reports (year)``
    where ``(is_latest, year)`` or a primary key is far better. ``analysis_limit``
    samples each index instead of reading all of it: milliseconds, even for the 17
    million cells of 100,000 reports. Run after loads (``load_records``, ``nianbao parse``).

    Only the faceted tables: statistics of the FTS index's own tables, taken while they
    were small, made FTS5's inserts six times slower once the archive had grown."""
    db.execute("PRAGMA analysis_limit = 1000")
    for table in (*FACET_COLUMNS, "report_totals"):
        if db[table].exists():  # report_totals comes with migration 9
            db.execute(f"ANALYZE [{table}]")
    # An archive migrated while migration 5 still analyzed everything: forget those.
    db.execute("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'sections_fts%'")


def _sections_indexed_by_loader(db: sqlite_utils.Database) -> None:
    """The loader adds sections to the FTS index itself (``archive.load.index_sections``).

    An insert trigger indexed each section as it was written, inside its report's
    savepoint, and FTS5 writes its pending terms to disk at every savepoint: one
    segment (and its merges) per report. Indexing a batch's sections once, in the
    batch's transaction, wrote 25% faster (benchmarks.archive_load). The update and
    delete triggers stay: a section changed or removed still leaves the index."""
    db.execute("DROP TRIGGER IF EXISTS sections_ai")


def _cells_without_rowid(db: sqlite_utils.Database) -> None:
    """``applications`` and ``reviews_litigation`` keep their rows in primary-key order.

    With a rowid each cell was written twice, to the table and to the index of its
    (report_id, row, column) key: ``applications`` alone, 175 cells a report, was half
    of a load's writing. WITHOUT ROWID stores the rows in the key's b-tree: loads 20%
    faster (benchmarks.archive_load), same columns, key and foreign key. The table is
    rebuilt the way SQLite documents for schema changes (new table, copy, drop, rename)."""
    for table in WIDE_TABLES:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
        new_sql = sql.replace(f'CREATE TABLE "{table}"', f'CREATE TABLE "{table}_without_rowid"', 1)
        if new_sql == sql:  # the schema is not the one this migration knows
            raise RuntimeError(f"migration 7: unexpected schema of {table}: {sql}")
        db.execute(f"{new_sql} WITHOUT ROWID")
        db.execute(f"INSERT INTO [{table}_without_rowid] SELECT * FROM [{table}]")
        db.execute(f"DROP TABLE [{table}]")
        db.execute(f"ALTER TABLE [{table}_without_rowid] RENAME TO [{table}]")


# Probe outcomes of a (body, year): a report was there, the module answered with an empty page.
PROBE_OUTCOMES = ("filed", "not_filed")
FIRST_REPORT_YEAR = 2008  # the first reporting year under the 条例


def _bodies_and_coverage(db: sqlite_utils.Database) -> None:
    """``bodies`` (every body a portal names), ``year_probes`` (what probing a body's
    year found) and ``body_year_coverage``: for each body and report year since 2008,
    ``filed`` (a report was archived under the body's key, or a probe found one),
    ``not filed`` (a probe found the year empty and no report came any other way) or
    ``not probed``: the publication can tell "never published" from "not crawled"."""
    db["bodies"].create(
        {"site": str, "area": str, "name": str, "unit_url": str, "first_seen": str, "last_seen": str},
        pk=("site", "area"),
        not_null={"first_seen", "last_seen"},
    )
    db["year_probes"].create(
        {"site": str, "area": str, "year": int, "outcome": str, "url": str, "probed_at": str, "crawl_run": int},
        pk=("site", "area", "year"),
        not_null={"outcome", "probed_at"},
        foreign_keys=[("crawl_run", "crawl_runs", "id")],
    )
    db.create_view(
        "body_year_coverage",
        f"""
        WITH RECURSIVE years(year) AS (
            SELECT {FIRST_REPORT_YEAR}
            UNION ALL SELECT year + 1 FROM years WHERE year < CAST(strftime('%Y', 'now') AS INTEGER)
        )
        SELECT b.site, b.area, b.name, y.year,
               CASE WHEN p.outcome = 'filed' OR EXISTS (
                        SELECT 1 FROM fetches f
                        WHERE f.report_key = b.site || ':' || b.area || ':' || y.year
                          AND f.role IN ('report_page', 'attachment') AND f.sha256 IS NOT NULL
                          AND f.error IS NULL)
                    THEN 'filed'
                    WHEN p.outcome = 'not_filed' THEN 'not filed'
                    ELSE 'not probed' END AS status,
               p.probed_at, p.url AS probe_url
        FROM bodies b CROSS JOIN years y
        LEFT JOIN year_probes p ON p.site = b.site AND p.area = b.area AND p.year = y.year
        """,
    )


def _sum_present(cells: list[str]) -> str:
    """The sum of the cells printed; NULL when none is (missing is not zero)."""
    present = " OR ".join(f"{c} IS NOT NULL" for c in cells)
    return f"CASE WHEN {present} THEN {' + '.join(f'COALESCE({c}, 0)' for c in cells)} END"


def _prefixed(prefix: str) -> list[str]:
    return [f"a.{code}_total" for code in APPLICATION_ROWS if code.startswith(prefix)]


# Headline figures of the comparison view: (column, SQL), column = Chinese label + English.
REPORT_TOTALS_FIGURES = [
    ("新收申请_received", "a.new_received_total"),
    ("上年结转_carried_over", "a.carried_over_total"),
    ("予以公开_granted", "a.granted_total"),
    ("部分公开_partially_granted", "a.partially_granted_total"),
    ("不予公开合计_denied", _sum_present(_prefixed("denied_"))),
    ("无法提供合计_unable", _sum_present(_prefixed("unable_"))),
    ("不予处理合计_rejected", _sum_present(_prefixed("rejected_"))),
    # The 2019 template prints 其他处理 as one row ("other"), the 2021 one as three.
    ("其他处理合计_other", f"COALESCE(a.other_total, {_sum_present(_prefixed('other_'))})"),
    ("办理总计_results_total", "a.results_total_total"),
    ("结转下年_carried_forward", "a.carried_forward_total"),
    ("行政复议_reviews", "v.review_total"),
    ("复议纠正_reviews_corrected", "v.review_corrected"),
    ("行政诉讼_lawsuits", _sum_present(["v.litigation_direct_total", "v.litigation_after_review_total"])),
    ("诉讼纠正_lawsuits_corrected",
     _sum_present(["v.litigation_direct_corrected", "v.litigation_after_review_corrected"])),
]
# Section 二's counts: (column, row_code, metric).
REPORT_TOTALS_DISCLOSURE = [
    ("规章制发_regulations_issued", "regulations", "issued"),
    ("规范性文件制发_normative_documents_issued", "normative_documents", "issued"),
    ("行政许可决定_licensing_decisions", "licensing", "decisions"),
    ("行政处罚决定_penalty_decisions", "penalty", "decisions"),
    ("行政强制决定_coercion_decisions", "coercion", "decisions"),
]


def _report_totals_select() -> str:
    figures = ",\n".join(f"{sql} AS [{name}]" for name, sql in REPORT_TOTALS_FIGURES)
    disclosure = ",\n".join(
        f"(SELECT d.value FROM active_disclosure d WHERE d.report_id = r.id AND d.row_code = '{row}' "
        f"AND d.metric = '{metric}' ORDER BY d.seq LIMIT 1) AS [{name}]"
        for name, row, metric in REPORT_TOTALS_DISCLOSURE
    )
    return f"""
        SELECT r.id AS report_id, r.organization AS [机关_organization], r.province AS [省_province],
               r.city AS [市_city], r.county AS [县_county], r.body_type AS [机关类型_body_type],
               r.year AS [年度_year],
               {figures},
               {disclosure},
               r.tables_status AS [表格_tables_status],
               CASE WHEN NOT EXISTS (SELECT 1 FROM checks c WHERE c.report_id = r.id)
                    THEN NULL
                    ELSE NOT EXISTS (SELECT 1 FROM checks c WHERE c.report_id = r.id AND c.ok = 0)
               END AS [核对通过_checks_passed],
               r.region_code AS [区划代码_region_code],
               r.parsed_at AS parsed_at
        FROM reports r
        LEFT JOIN applications_wide_cells a ON a.report_id = r.id
        LEFT JOIN reviews_litigation_wide_cells v ON v.report_id = r.id
        WHERE r.is_latest = 1
    """


REPORT_TOTALS_FACETS = ("年度_year", "省_province", "机关类型_body_type", "表格_tables_status", "核对通过_checks_passed")


def _report_totals_table(db: sqlite_utils.Database) -> None:
    """``report_totals``: one row per current report, its headline figures side by side
    (columns named Chinese_English) for comparing bodies, as foia.gov's annual-report data.

    A table, not a view: computing the sums and the checks of 100,000 reports took 1.6 s
    a page; ``refresh_report_totals`` keeps it current after every load."""
    columns = ", ".join(
        f"[{name}] {kind}" for name, kind in [
            ("report_id", "INTEGER PRIMARY KEY REFERENCES reports(id)"), ("机关_organization", "TEXT"),
            ("省_province", "TEXT"), ("市_city", "TEXT"), ("县_county", "TEXT"), ("机关类型_body_type", "TEXT"),
            ("年度_year", "INTEGER"),
            *[(name, "INTEGER") for name, _ in REPORT_TOTALS_FIGURES],
            *[(name, "INTEGER") for name, _, _ in REPORT_TOTALS_DISCLOSURE],
            ("表格_tables_status", "TEXT"), ("核对通过_checks_passed", "INTEGER"), ("区划代码_region_code", "TEXT"),
            ("parsed_at", "TEXT"),
        ])
    db.execute(f"CREATE TABLE report_totals ({columns})")
    # Facets count from an index alone, as for reports (migration 5).
    db["report_totals"].create_index(["年度_year"])
    for column in REPORT_TOTALS_FACETS[1:]:
        db["report_totals"].create_index([column, "年度_year"])
        db["report_totals"].create_index(["年度_year", column])
    # Sorting by a figure ("who refused most") reads the top rows of its index, not 100,000 rows.
    for name, _ in REPORT_TOTALS_FIGURES:
        db["report_totals"].create_index([name])
    # reviews_corrected_by_region groups and sums from this index alone.
    db["report_totals"].create_index(
        ["省_province", "市_city", "年度_year", "行政复议_reviews", "复议纠正_reviews_corrected",
         "行政诉讼_lawsuits", "诉讼纠正_lawsuits_corrected"], index_name="report_totals_reviews_by_region")
    refresh_report_totals(db)


def refresh_report_totals(db: sqlite_utils.Database) -> None:
    """Bring ``report_totals`` up to date: rows of versions no longer current or parsed again
    leave, current reports not yet there enter. Run after loads, with ``refresh_statistics``."""
    db.execute(
        "DELETE FROM report_totals WHERE report_id NOT IN (SELECT id FROM reports WHERE is_latest = 1) "
        "OR parsed_at IS NOT (SELECT parsed_at FROM reports WHERE id = report_id)")
    db.execute(f"INSERT INTO report_totals SELECT * FROM ({_report_totals_select()}) "
               "WHERE report_id NOT IN (SELECT report_id FROM report_totals)")


def _sections_trigram_index(db: sqlite_utils.Database) -> None:
    """``sections_trigram``: FTS5's trigram tokenizer over each section's original title and
    text, so a search finds any phrase of three or more characters exactly where it occurs,
    across jieba's word boundaries (收到和处理政 is in no word list). External content: the
    text is not stored twice; the triggers keep it in step when sections change or go.
    The loader adds new sections (``archive.load.index_sections``)."""
    db.execute(
        "CREATE VIRTUAL TABLE sections_trigram USING fts5(title, text, content='sections', content_rowid='id', "
        "tokenize='trigram')")
    db.execute(
        "CREATE TRIGGER sections_trigram_ad AFTER DELETE ON sections BEGIN "
        "INSERT INTO sections_trigram (sections_trigram, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); END")
    db.execute(
        "CREATE TRIGGER sections_trigram_au AFTER UPDATE ON sections BEGIN "
        "INSERT INTO sections_trigram (sections_trigram, rowid, title, text) "
        "VALUES ('delete', old.id, old.title, old.text); "
        "INSERT INTO sections_trigram (rowid, title, text) VALUES (new.id, new.title, new.text); END")
    db.execute("INSERT INTO sections_trigram (sections_trigram) VALUES ('rebuild')")


def imported_url(path: str, base: str | None = None) -> str:
    """The URL an imported file is published under: no directory of the importer's machine.

    ``file:///<12 hex of sha256(folder)>/<path inside the folder>``. The folder is the file's
    own, or a saved page's (whose ``<name>_files/`` resources keep their relative paths, so the
    parse still finds a page's pictures). The same file imported again gets the same URL, so
    it stays the same report."""
    import hashlib
    import posixpath

    base = base or posixpath.dirname(path)
    inside = posixpath.relpath(path, base) if path.startswith(base.rstrip("/") + "/") else posixpath.basename(path)
    return f"file:///{hashlib.sha256(base.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}/{inside}"


_IMPORTED_URL = re.compile(r"file:///[0-9a-f]{12}/")


def _local_path(value: str | None) -> str | None:
    """The local path an earlier import stored (a path or a file:// URL), else None."""
    from urllib.parse import unquote, urlsplit

    if not value:
        return None
    if value.startswith("file://"):
        return unquote(urlsplit(value).path)
    return value if value.startswith("/") else None


def _imports_without_local_paths(db: sqlite_utils.Database) -> None:
    """Earlier imports stored the importer's absolute paths (report keys, fetch URLs, the
    report's source_url), which the site published. Rewrite them as ``imported_url``."""
    import posixpath

    keys = [r[0] for r in db.execute(
        "SELECT DISTINCT report_key FROM fetches WHERE url LIKE 'file:%' AND report_key IS NOT NULL")]
    for key in keys:
        key_path = _local_path(key)
        if key_path is None or _IMPORTED_URL.match(key):
            continue  # not a local path, or already in the new form
        base = posixpath.dirname(key_path)
        new_key = imported_url(key_path, base)
        for fetch_id, url in db.execute("SELECT id, url FROM fetches WHERE report_key = ?", [key]).fetchall():
            local = _local_path(url)
            if local is not None:
                db.execute("UPDATE fetches SET url = ?, final_url = NULL WHERE id = ?", [imported_url(local, base), fetch_id])
        db.execute("UPDATE fetches SET report_key = ? WHERE report_key = ?", [new_key, key])
        for table in ("reports", "parse_errors"):
            db.execute(f"UPDATE [{table}] SET report_key = ? WHERE report_key = ?", [new_key, key])
        for report_id, source in db.execute("SELECT id, source_url FROM reports WHERE report_key = ?", [new_key]).fetchall():
            local = _local_path(source)
            if local is not None:
                db.execute("UPDATE reports SET source_url = ? WHERE id = ?", [imported_url(local, base), report_id])


def _warc_import_tables(db: sqlite_utils.Database) -> None:
    # WARC records already imported (by WARC-Record-ID), so importing a file again changes
    # nothing; and the crawl run each crawl recorded in WARCs became.
    db.execute("""CREATE TABLE warc_records (record_id TEXT PRIMARY KEY, payload_digest TEXT,
                  fetch_id INTEGER REFERENCES fetches(id), imported_at TEXT)""")
    db.execute("""CREATE TABLE warc_crawls (crawl_id TEXT PRIMARY KEY,
                  crawl_run INTEGER REFERENCES crawl_runs(id))""")


# Sets of rows whose facet counts the loader keeps (``facet_counts``): the whole table, and the
# rows of each value of one column (``?year=2022``). Each is counted from an index alone.
FACET_FILTER_COLUMNS = {"reports": ("year",), "checks": ("ok",), "report_totals": ("年度_year",)}
# The reasons of refusal the canned query ``refusals_by_reason`` sums (columns of applications_wide_cells).
REFUSAL_REASONS = [code for code in APPLICATION_ROWS if code.startswith(("denied_", "unable_", "rejected_"))]


def facet_sets() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """table -> (its facet columns, the columns whose values each make a counted set)."""
    return {
        "reports": (FACET_COLUMNS["reports"], FACET_FILTER_COLUMNS["reports"]),
        "checks": (FACET_COLUMNS["checks"], FACET_FILTER_COLUMNS["checks"]),
        "report_totals": (REPORT_TOTALS_FACETS, FACET_FILTER_COLUMNS["report_totals"]),
    }


def _counts_kept_by_the_loader(db: sqlite_utils.Database) -> None:
    """Counts and totals the publication reads instead of counting a million rows per request.

    * ``facet_counts``: per table of ``facet_sets``, per set of rows (the whole table:
      ``filter_column`` ''; or one value of a filter column, ``filter_value`` as text, as a
      URL gives it), the number of rows per value of each facet column, and the set's own
      number of rows (``facet_column`` ''), which the facet class compares with the page's
      count before trusting the rest.
    * ``refusal_totals``: per province, body type, year and reason of refusal, the sum of the
      reason's total column over current reports whose table was read, and their number
      (``refusals_by_reason``).
    * ``review_totals``: per province, city and year, the reviews and lawsuits and how many
      were corrected, summed over ``report_totals`` (``reviews_corrected_by_region``).
    * ``organization_names``: each body's name once, with its number of current reports, so
      ``body_across_years`` looks for part of a name among the bodies (one row per body, not per
      body and year), then reads their reports by the index ``report_totals (机关_organization, 年度_year)``.

    ``refresh_counts`` rebuilds them after every load (``Archive.refresh_statistics``)."""
    db.execute("""CREATE TABLE facet_counts (table_name TEXT NOT NULL, filter_column TEXT NOT NULL,
                  filter_value TEXT, facet_column TEXT NOT NULL, value, count INTEGER NOT NULL)""")
    db.execute("CREATE INDEX facet_counts_set ON facet_counts "
               "(table_name, filter_column, filter_value, facet_column, count DESC)")
    db.execute("""CREATE TABLE refusal_totals (province TEXT, body_type TEXT, year INTEGER, reason TEXT NOT NULL,
                  total INTEGER, reports INTEGER NOT NULL)""")
    db.execute("CREATE INDEX refusal_totals_year ON refusal_totals (year, province, body_type)")
    db.execute("""CREATE TABLE review_totals (province TEXT, city TEXT, year INTEGER, reports INTEGER NOT NULL,
                  reviews INTEGER, reviews_corrected INTEGER, lawsuits INTEGER, lawsuits_corrected INTEGER)""")
    db.execute("CREATE INDEX review_totals_province ON review_totals (province, year)")
    db.execute("CREATE TABLE organization_names (name TEXT PRIMARY KEY, reports INTEGER NOT NULL) WITHOUT ROWID")
    db["report_totals"].create_index(["机关_organization", "年度_year"])
    refresh_counts(db)


def refresh_counts(db: sqlite_utils.Database) -> None:
    """Rebuild ``facet_counts``, ``refusal_totals``, ``review_totals`` and ``organization_names``
    from the tables as they are.

    Rebuilt whole rather than adjusted report by report: each count is one GROUP BY over an
    index (a few seconds at a million reports, once per load, not per report), and a rebuild
    cannot drift from the rows whatever a load or re-parse changed. Run after
    ``refresh_report_totals``, in the load's transaction."""
    db.execute("DELETE FROM facet_counts")
    for table, (facets, filters) in facet_sets().items():
        for facet in facets:
            db.execute(f"INSERT INTO facet_counts SELECT ?, '', NULL, ?, [{facet}], count(*) FROM [{table}] "
                       f"GROUP BY [{facet}]", [table, facet])
            for column in filters:
                if column != facet:
                    db.execute(f"INSERT INTO facet_counts SELECT ?, ?, CAST([{column}] AS TEXT), ?, [{facet}], "
                               f"count(*) FROM [{table}] GROUP BY [{column}], [{facet}]", [table, column, facet])
        db.execute(f"INSERT INTO facet_counts SELECT ?, '', NULL, '', NULL, count(*) FROM [{table}]", [table])
        for column in filters:
            db.execute(f"INSERT INTO facet_counts SELECT ?, ?, CAST([{column}] AS TEXT), '', NULL, count(*) "
                       f"FROM [{table}] GROUP BY [{column}]", [table, column])
            # The filter column's own facet within its set: every row has that one value.
            db.execute(f"INSERT INTO facet_counts SELECT ?, ?, CAST([{column}] AS TEXT), ?, [{column}], count(*) "
                       f"FROM [{table}] GROUP BY [{column}]", [table, column, column])
    db.execute("DELETE FROM refusal_totals")
    sums = ", ".join(f"sum(c.[{reason}_total]) AS [{reason}]" for reason in REFUSAL_REASONS)
    by_reason = " UNION ALL ".join(
        f"SELECT province, body_type, year, '{reason}', [{reason}], reports FROM totals" for reason in REFUSAL_REASONS)
    db.execute(f"""INSERT INTO refusal_totals
        WITH totals AS (SELECT r.province, r.body_type, r.year, count(*) AS reports, {sums}
                        FROM reports r JOIN applications_wide_cells c ON c.report_id = r.id
                        WHERE r.is_latest = 1 GROUP BY r.province, r.body_type, r.year)
        {by_reason}""")
    db.execute("DELETE FROM review_totals")
    db.execute("""INSERT INTO review_totals
        SELECT 省_province, 市_city, 年度_year, count(行政复议_reviews), sum(行政复议_reviews),
               sum(复议纠正_reviews_corrected), sum(行政诉讼_lawsuits), sum(诉讼纠正_lawsuits_corrected)
        FROM report_totals GROUP BY 省_province, 市_city, 年度_year""")
    db.execute("DELETE FROM organization_names")
    db.execute("INSERT INTO organization_names SELECT 机关_organization, count(*) FROM report_totals "
               "WHERE 机关_organization IS NOT NULL GROUP BY 机关_organization")


# (version, name, function) — append only; never edit a migration that has shipped.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _initial),
    (2, "wide views read materialized cells", _materialized_wide_views),
    (3, "covering index for url_history", _url_history_index),
    (4, "url_history counts successful bodies only", _url_history_view),
    (5, "indexes for the publication's facets and canned queries", _publication_indexes),
    (6, "sections enter the search index by the loader, batch by batch", _sections_indexed_by_loader),
    (7, "long-form cells stored WITHOUT ROWID", _cells_without_rowid),
    (8, "bodies, year probes and the coverage per body and year", _bodies_and_coverage),
    (9, "report_totals: one row per current report, headline figures", _report_totals_table),
    (10, "imported files published without the importer's local paths", _imports_without_local_paths),
    (11, "sections_trigram: search any phrase of three or more characters", _sections_trigram_index),
    (12, "WARC records and crawls imported", _warc_import_tables),
    (13, "facet counts and totals kept by the loader for the publication", _counts_kept_by_the_loader),
]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied (empty when current).

    ``BEGIN IMMEDIATE`` takes the write lock before reading the version, so two
    processes starting at once cannot both apply the same migration.
    """
    if schema_version(db) >= MIGRATIONS[-1][0]:
        return []  # current: no write lock taken, so opening never waits for a running load
    applied: list[int] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        db["schema_migrations"].create(
            {"version": int, "name": str, "applied_at": str}, pk="version", if_not_exists=True
        )
        done = {row["version"] for row in db["schema_migrations"].rows}
        for version, name, apply in MIGRATIONS:
            if version in done:
                continue
            apply(db)
            db["schema_migrations"].insert({"version": version, "name": name, "applied_at": utc_now()})
            applied.append(version)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    return applied


def schema_version(db: sqlite_utils.Database) -> int:
    if not db["schema_migrations"].exists():
        return 0
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]

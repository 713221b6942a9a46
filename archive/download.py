"""The download split in two (``nianbao export --download DIR``; ``nianbao serve`` offers both).

At a million reports the archive's database is 15 GB, half of it the long form
``applications`` (175 rows a report, each repeating two code strings), a third the
sections' text and its two search indexes. The download is therefore two SQLite files
written from the archive's database, which stays the working store:

``nianbao-tables.db``
    every table but the sections' text: reports, figures, checks, provenance (fetches,
    documents, report_documents, crawl runs), the comparison table and the counts. The long
    forms ``applications`` and ``reviews_litigation`` are stored as ``<table>_coded``
    (``report_id, row_no, column_no, value``, WITHOUT ROWID) over one ``cell_codes`` table
    (``no, code``); a view of the table's own name gives the codes back, so every query
    written for the archive runs unchanged.
``nianbao-text.db``
    ``sections`` (each report's numbered parts, original and segmented text) with both search
    indexes (``sections_fts``: words; ``sections_trigram``: any phrase of three or more
    characters), copied as they are (no re-indexing).

Used together: open the tables and attach the text (``ATTACH 'nianbao-text.db' AS text``);
``sections.report_id`` is ``reports.id``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.db import WIDE_TABLES

TABLES_NAME = "nianbao-tables.db"
TEXT_NAME = "nianbao-text.db"
TEXT_TABLE = "sections"


def write_download(db_path: Path, out_dir: Path) -> list[Path]:
    """Write ``nianbao-tables.db`` and ``nianbao-text.db`` from the database at ``db_path``.

    Each is written under a temporary name and renamed when complete: an interrupted
    export never leaves a file that looks whole. Returns the two paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, write in ((TABLES_NAME, _write_tables), (TEXT_NAME, _write_text)):
        target = out_dir / name
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        conn = sqlite3.connect(partial, isolation_level=None)
        try:
            # A new file written once: no journal to keep (a crash leaves only the .partial).
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("ATTACH ? AS src", [f"file:{db_path}?mode=ro"])
            conn.execute("BEGIN")
            write(conn, _schema(conn))
            conn.execute("COMMIT")
            conn.execute("DETACH src")
            conn.execute("VACUUM")  # pages in order, no free pages
        finally:
            conn.close()
        partial.replace(target)
        written.append(target)
    return written


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(type, name, table, sql) of the archive's objects, in creation order."""
    return conn.execute("SELECT type, name, tbl_name, sql FROM src.sqlite_master WHERE sql IS NOT NULL "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()


def _virtual(schema) -> set[str]:
    return {name for kind, name, _, sql in schema if kind == "table" and sql.upper().startswith("CREATE VIRTUAL")}


def _is_text(name: str, virtual: set[str]) -> bool:
    """The sections, their search indexes and those indexes' own tables (``sections_fts_data``, …)."""
    return name == TEXT_TABLE or name in virtual or any(name.startswith(v + "_") for v in virtual)


def _write_tables(conn: sqlite3.Connection, schema) -> None:
    virtual = _virtual(schema)
    kept = [name for kind, name, _, _ in schema
            if kind == "table" and not _is_text(name, virtual) and name not in WIDE_TABLES]
    for kind, name, _, sql in schema:
        if kind == "table" and name in kept:
            conn.execute(sql)
            conn.execute(f"INSERT INTO main.[{name}] SELECT * FROM src.[{name}]")
    codes = sorted({code for row_column, rows, columns in WIDE_TABLES.values() for code in (*rows, *columns)})
    conn.execute("CREATE TABLE cell_codes (no INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)")
    conn.executemany("INSERT INTO cell_codes (no, code) VALUES (?, ?)", enumerate(codes, 1))
    for table, (row_column, _, _) in WIDE_TABLES.items():
        # A code outside the model would have no number: NOT NULL stops the export loudly.
        conn.execute(f"CREATE TABLE [{table}_coded] (report_id INTEGER NOT NULL REFERENCES reports(id), "
                     "row_no INTEGER NOT NULL, column_no INTEGER NOT NULL, value INTEGER, "
                     "PRIMARY KEY (report_id, row_no, column_no)) WITHOUT ROWID")
        conn.execute(f"INSERT INTO [{table}_coded] SELECT t.report_id, r.no, c.no, t.value FROM src.[{table}] t "
                     f"LEFT JOIN cell_codes r ON r.code = t.[{row_column}] "
                     "LEFT JOIN cell_codes c ON c.code = t.column_code")
        conn.execute(f"CREATE VIEW [{table}] AS SELECT t.report_id, r.code AS [{row_column}], "
                     f"c.code AS column_code, t.value FROM [{table}_coded] t "
                     "JOIN cell_codes r ON r.no = t.row_no JOIN cell_codes c ON c.no = t.column_no")
    for kind, name, table, sql in schema:
        if (kind == "index" and table in kept) or (kind == "trigger" and table in kept):
            conn.execute(sql)
        elif kind == "view" and TEXT_TABLE not in sql:
            conn.execute(sql)


def _write_text(conn: sqlite3.Connection, schema) -> None:
    virtual = _virtual(schema)
    conn.execute(next(sql for kind, name, _, sql in schema if kind == "table" and name == TEXT_TABLE))
    conn.execute(f"INSERT INTO main.[{TEXT_TABLE}] SELECT * FROM src.[{TEXT_TABLE}]")
    for name in sorted(virtual):
        # Creating the index makes its own tables; their rows are then the archive's, as they are.
        conn.execute(next(sql for kind, n, _, sql in schema if n == name))
        shadows = [n for kind, n, _, _ in schema if kind == "table" and n.startswith(name + "_")]
        for shadow in shadows:
            conn.execute(f"DELETE FROM main.[{shadow}]")
            conn.execute(f"INSERT INTO main.[{shadow}] SELECT * FROM src.[{shadow}]")
    for kind, name, table, sql in schema:
        if kind in ("index", "trigger") and table == TEXT_TABLE:
            conn.execute(sql)

"""Bulk CSV export (``nianbao export --csv DIR``): one ZIP per report year.

``nianbao-2022.zip`` holds ``reports.csv``, ``applications.csv``,
``reviews_litigation.csv``, ``active_disclosure.csv`` and ``checks.csv`` for
the current version of every report on 2022; reports whose year could not be
read go to ``nianbao-unknown-year.zip``. Every CSV starts with the same key
columns, so any two join on ``report_id`` and each file reads on its own.
UTF-8 with BOM, so that Excel opens the Chinese text correctly.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from archive.datasette.labels import LABELS

KEY_COLUMNS = ("report_id", "organization", "region_code", "body_type", "year", "source_url")
STANDARD_TABLES = ("reports", "applications", "reviews_litigation", "active_disclosure", "checks")

# Printed labels beside the codes, for reading a CSV without the spec at hand.
_LABEL_COLUMNS = {
    "applications": {"row_code": ("row_label", LABELS["applications"]),
                     "column_code": ("column_label", LABELS["applicants"])},
    "reviews_litigation": {"group_code": ("group_label", LABELS["review_groups"]),
                           "column_code": ("column_label", LABELS["review_columns"])},
    "active_disclosure": {"row_code": ("row_label", LABELS["active_disclosure_rows"]),
                          "metric": ("metric_label", LABELS["active_disclosure_metrics"])},
}


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]


def _select(conn: sqlite3.Connection, table: str) -> tuple[list[str], str]:
    """Header and SQL for one table's rows of one year (parameter: the year, or NULL)."""
    keys = "r.id AS report_id, r.organization, r.region_code, r.body_type, r.year, r.source_url"
    where = "r.is_latest = 1 AND r.year IS ?"
    if table == "reports":
        rest = [c for c in _columns(conn, "reports") if c not in ("id", *KEY_COLUMNS)]
        body = "".join(f", r.[{c}]" for c in rest)
        return [*KEY_COLUMNS, *rest], f"SELECT {keys}{body} FROM reports r WHERE {where} ORDER BY r.id"
    rest = [c for c in _columns(conn, table) if c != "report_id"]
    order = ", ".join(f"t.[{c}]" for c in rest if c != "value" and c != "detail" and c != "ok")
    body = "".join(f", t.[{c}]" for c in rest)
    sql = (f"SELECT {keys}{body} FROM [{table}] t JOIN reports r ON r.id = t.report_id "
           f"WHERE {where} ORDER BY r.id, {order}")
    return [*KEY_COLUMNS, *rest], sql


def _write_csv(out: io.TextIOBase, table: str, header: list[str], rows) -> int:
    labels = _LABEL_COLUMNS.get(table, {})
    full_header = []
    for column in header:
        full_header.append(column)
        if column in labels:
            full_header.append(labels[column][0])
    writer = csv.writer(out)
    writer.writerow(full_header)
    count = 0
    for row in rows:
        line = []
        for column, value in zip(header, row):
            line.append(value)
            if column in labels:
                line.append(labels[column][1].get(value, ""))
        writer.writerow(line)
        count += 1
    return count


def export_csv(db_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write one ZIP per year into ``out_dir``; returns their paths, oldest year first.

    The database is opened read-only, so an export can run beside Datasette
    or a load; each ZIP appears complete or not at all (written aside, then renamed).
    """
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        years = [row[0] for row in conn.execute(
            "SELECT DISTINCT year FROM reports WHERE is_latest = 1 ORDER BY year IS NULL, year")]
        queries = {table: _select(conn, table) for table in STANDARD_TABLES}
        written = []
        for year in years:
            target = out_dir / f"nianbao-{year if year is not None else 'unknown-year'}.zip"
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".zip", dir=out_dir)
            os.close(fd)
            try:
                with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for table, (header, sql) in queries.items():
                        with archive.open(f"{table}.csv", "w") as raw:
                            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                            _write_csv(text, table, header, conn.execute(sql, [year]))
                            text.flush()
                            text.detach()
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            written.append(target)
        return written
    finally:
        conn.close()

"""Publish the archive with Datasette (``nianbao serve``).

The database is served immutable by default: Datasette then offers the
``nianbao.db`` download, caches table counts (from an inspect file kept beside
the database, rebuilt when the database changes) and never takes a lock that
would stop the next load. ``--live`` serves it mutable instead, for watching
a load in progress (no download then).

    >>> ds = build_datasette(Path("data/nianbao.db"), Path("data/originals"))
    >>> await ds.client.get("/nianbao/reports?year=2023")
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import yaml
from datasette.app import Datasette

import archive.datasette

# The publication's assets (metadata, plugins, templates) sit beside the archive they describe.
HERE = Path(archive.datasette.__file__).resolve().parent
METADATA = HERE / "metadata.yml"
PLUGINS_DIR = HERE / "plugins"
TEMPLATES_DIR = HERE / "templates"
DATABASE_NAME = "nianbao"  # the Datasette name of nianbao.db, used in metadata and URLs

SETTINGS = {
    # Aggregating canned queries over 100,000 reports need more than the default second.
    "sql_time_limit_ms": 5000,
    "facet_time_limit_ms": 1000,
    "allow_download": True,
    # Suggesting facets runs a query per column on every table page: seconds on 100,000 reports.
    "suggest_facets": False,
    # Each running query holds a thread until it ends (at most sql_time_limit_ms): with
    # Datasette's 3, three visitors' slow queries stalled every page. SQLite releases the
    # GIL while it works, so more threads than cores still serve the other pages
    # (benchmarks.datasette, "while slow queries run").
    "num_sql_threads": 12,
}
# Seconds uvicorn waits for requests in flight after SIGTERM before `serve` ends them.
SHUTDOWN_GRACE = 2


def load_metadata() -> dict:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    # No path here: /-/metadata.json is public.
    metadata.setdefault("plugins", {})["nianbao"] = {"database": DATABASE_NAME}
    return metadata


def checkpoint(db_path: Path) -> None:
    """Fold the WAL into the database file: an immutable reader never looks at the WAL."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def inspect_data(db_path: Path) -> dict:
    """Datasette's inspect data (hash, table counts), cached beside the database.

    Counting 10 million cells takes seconds, so this is computed once per
    database state (size and mtime) rather than at every start.
    """
    cache = db_path.with_suffix(".inspect.json")
    stat = db_path.stat()
    state = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if cache.exists():
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("state") == state:
            return cached["inspect"]
    from datasette.cli import inspect_

    data = asyncio.run(inspect_([str(db_path)], None))
    cache.write_text(json.dumps({"state": state, "inspect": data}), encoding="utf-8")
    return data


def build_datasette(
    db_path: Path,
    originals: Path | None = None,
    *,
    immutable: bool = True,
    use_inspect: bool | None = None,
) -> Datasette:
    """The configured Datasette instance: metadata, plugins, templates, settings."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}: run `nianbao run` or `nianbao import` first")
    if db_path.stem != DATABASE_NAME:
        raise ValueError(f"the database file must be named {DATABASE_NAME}.db, not {db_path.name}")
    inspected = None
    if immutable:
        checkpoint(db_path)
        if use_inspect is None or use_inspect:
            inspected = inspect_data(db_path)
    datasette = Datasette(
        files=[] if immutable else [str(db_path)],
        immutables=[str(db_path)] if immutable else [],
        inspect_data=inspected,
        metadata=load_metadata(),
        plugins_dir=str(PLUGINS_DIR),
        template_dir=str(TEMPLATES_DIR),
        settings=SETTINGS,
    )
    # Where the plugins find the archive's files; kept off the public metadata.
    datasette.nianbao_originals = Path(originals).resolve() if originals else None
    datasette.nianbao_data_dir = db_path.resolve().parent
    return datasette


def serve(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8001, immutable: bool = True) -> None:
    """Run Datasette in the foreground until interrupted (as ``datasette serve`` does)."""
    import uvicorn
    from datasette.cli import check_databases

    from archive.db import DB_NAME

    data_dir = Path(data_dir)
    if immutable:
        # The per-year CSV ZIPs of the downloads page, rewritten only when the database changed.
        from archive.datasette import exports

        exports.prepare(data_dir / DB_NAME, data_dir / "exports")
    ds = build_datasette(data_dir / DB_NAME, data_dir / "originals", immutable=immutable)
    asyncio.run(ds.invoke_startup())
    asyncio.run(check_databases(ds))
    print(f"nianbao: serving {data_dir / DB_NAME} at http://{host}:{port}/", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1,
                timeout_graceful_shutdown=SHUTDOWN_GRACE)
    stop_queries(ds)


def stop_queries(ds: Datasette) -> None:
    """Interrupt the queries still running, so the process can end.

    uvicorn returns on SIGTERM once its requests are done or the grace period is over,
    but a query keeps its executor thread until SQLite stops it, and Python waits for
    those threads at exit: a costly query held `serve` for minutes."""
    for database in ds.databases.values():
        for conn in list(getattr(database, "_all_file_connections", [])):
            conn.interrupt()
    if ds.executor is not None:
        ds.executor.shutdown(wait=False, cancel_futures=True)

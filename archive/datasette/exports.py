"""The files the site offers for download, kept beside the database.

``nianbao serve`` calls ``prepare`` at start: the per-year CSV ZIPs (``archive.export_csv``)
and the split database (``archive.download``: ``nianbao-tables.db`` and ``nianbao-text.db``)
in ``DATA_DIR/exports/`` are rewritten only when the database changed since they were made,
and ``manifest.json`` records each file's size, time and sha256 for the downloads page.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "manifest.json"


def _state(db_path: Path) -> dict:
    stat = db_path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path: Path) -> dict:
    return {
        "name": path.name,
        "size": path.stat().st_size,
        "written": datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds"),
        "sha256": sha256_of(path),
    }


def prepare(db_path: Path, exports_dir: Path) -> list[dict]:
    """The ZIPs and the split database for this database, written if missing or older than it;
    their descriptions."""
    from archive.download import write_download
    from archive.export_csv import export_csv

    manifest = exports_dir / MANIFEST
    state = _state(db_path)
    if manifest.is_file():
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        if recorded.get("state") == state and all((exports_dir / f["name"]).is_file() for f in recorded["files"]):
            return recorded["files"]
    for old in exports_dir.glob("nianbao-*.zip"):
        old.unlink()
    files = [describe(path) for path in (*export_csv(db_path, exports_dir), *write_download(db_path, exports_dir))]
    manifest.write_text(json.dumps({"state": state, "files": files}, ensure_ascii=False, indent=1), encoding="utf-8")
    return files


def listed(exports_dir: Path | None) -> list[dict]:
    """What ``prepare`` last wrote (empty when it has not run)."""
    if exports_dir is None or not (exports_dir / MANIFEST).is_file():
        return []
    return json.loads((exports_dir / MANIFEST).read_text(encoding="utf-8"))["files"]

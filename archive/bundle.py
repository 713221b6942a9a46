"""Export a self-contained bundle, and verify a data dir or a bundle.

A bundle has the data dir's own layout — ``nianbao.db``, ``originals/`` —
plus a ``SHA256SUMS`` manifest (``sha256sum -c`` reads it), so it can be
served, verified or imported elsewhere as it is. The database is a
consistent snapshot (``VACUUM INTO``) taken while loads may go on; the
originals copied are exactly those the snapshot knows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .archive import Archive
from .db import DB_NAME
from .paths import safe_join
from .store import CHUNK, Store

MANIFEST = "SHA256SUMS"


@dataclass
class Verification:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    # Not damage: what interrupted writes left (``Store.temp_files``); nothing reads them.
    leftovers: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def export_bundle(archive: Archive, out_dir: str | Path) -> int:
    """Write the bundle into ``out_dir`` (new or empty); returns the number of originals copied."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"export folder is not empty: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshot = out_dir / DB_NAME
    archive.snapshot(snapshot)
    conn = sqlite3.connect(snapshot)
    try:
        # The copy is a file to download: no WAL side files needed to read it.
        conn.execute("PRAGMA journal_mode = DELETE")
        digests = [row[0] for row in conn.execute("SELECT sha256 FROM documents ORDER BY sha256")]
    finally:
        conn.close()
    target = Store(out_dir / "originals")
    lines = [f"{_hash_file(snapshot)}  {DB_NAME}"]
    for sha256 in digests:
        destination = target.path_for(sha256)  # refuses anything but a hex digest, so stays inside
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(archive.store.path_for(sha256), destination)
        os.chmod(destination, 0o444)
        lines.append(f"{sha256}  {destination.relative_to(out_dir).as_posix()}")
    (out_dir / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(digests)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(data_dir: str | Path) -> Verification:
    """Re-hash every original, check every documents row has its file, run PRAGMA integrity_check,
    and check ``SHA256SUMS`` where there is one (a bundle). Read-only."""
    data_dir = Path(data_dir)
    result = Verification()
    if not data_dir.is_dir():
        result.problems.append(f"no such folder: {data_dir}")
        return result
    store = Store(data_dir / "originals", create=False)
    result.leftovers = store.temp_files()
    for sha256 in store:
        result.checked += 1
        actual = store.hash_file(sha256)
        if actual != sha256:
            result.problems.append(f"originals: {sha256} is damaged (its content hashes to {actual})")
    db_path = data_dir / DB_NAME
    if not db_path.exists():
        result.problems.append(f"database missing: {db_path}")
    else:
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                result.problems.extend(f"database: {line}" for line in integrity)
            for (sha256,) in conn.execute("SELECT sha256 FROM documents"):
                if sha256 not in store:
                    result.problems.append(f"originals: {sha256} is in the database but missing from the store")
        except sqlite3.DatabaseError as exc:
            result.problems.append(f"database: {exc}")
        finally:
            conn.close()
    manifest = data_dir / MANIFEST
    if manifest.exists():
        result.problems.extend(_check_manifest(data_dir, manifest))
    return result


def _check_manifest(root: Path, manifest: Path) -> list[str]:
    problems = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        expected, _, name = line.partition("  ")
        try:
            path = safe_join(root, name)
        except ValueError as exc:
            problems.append(f"{MANIFEST} line {number}: {exc}")
            continue
        if not path.is_file():
            problems.append(f"{MANIFEST}: {name} is missing")
        elif _hash_file(path) != expected:
            problems.append(f"{MANIFEST}: {name} does not match its recorded sha256")
    return problems

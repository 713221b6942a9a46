"""The store of originals: every file byte for byte, named by its sha256.

Layout: ``originals/ab/cd/abcd…`` (the first two byte pairs of the digest as
folders, so no folder grows past 65,536 entries). A file appears under its
final name only complete: it is written to a temporary file in the same
file system, fsynced, then moved into place with ``os.replace`` (atomic on
POSIX), and the folder is fsynced. A crash leaves at most a ``.tmp-*`` file
that nothing reads; ``remove_temp_files`` clears those a day old (``nianbao run``
does at its start) and ``nianbao verify`` names them. Content addressing
makes writes idempotent and deduplicating, and safe from several threads or
processes at once: two writers of the same bytes produce the same file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

CHUNK = 1 << 20
# A temporary file untouched this long is a leftover: the largest body allowed (200 MB by
# default) is written in seconds, and a write touches its file until it is renamed.
TEMP_FILE_EXPIRY = 24 * 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BodyTooLarge(ValueError):
    """A body exceeds the configured size cap; nothing was stored."""


class StoreError(OSError):
    """The store could not be read or written (an object store kept failing); the message says why."""


def check_sha256(sha256: str) -> None:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex sha256 digest: {sha256!r}")


def open_store(url: str | Path):
    """The store at ``url``: a folder (local or on a shared file system) or ``s3://BUCKET/PREFIX``.

    Both backends read (``read_bytes``, ``in``) and write (``put_bytes``) originals by
    sha256, and ``fetch_into(sha256s, folder)`` gives a ``Store`` of files holding them
    (the folder store is that already), which is what the readers want."""
    if str(url).startswith("s3://"):
        from .s3 import S3Store

        return S3Store(str(url))
    if "://" in str(url):
        raise ValueError(f"unknown store address {url!r}: a folder or s3://BUCKET/PREFIX")
    return Store(url)


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    # False when the store already held these bytes.
    new: bool


class Store:
    def __init__(self, root: str | Path, *, create: bool = True):
        self.root = Path(root)
        if create:  # a reader (verify) must not create folders on a mistyped path
            self.root.mkdir(parents=True, exist_ok=True)

    def fetch_into(self, sha256s, folder) -> "Store":
        """Already files: the readers read this store itself (see ``open_store``)."""
        return self

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def put_bytes(self, data: bytes) -> Stored:
        sha256 = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha256)
        if final.is_file():
            return Stored(sha256, len(data), new=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            return Stored(sha256, len(data), new=self._publish(Path(tmp), final))
        finally:
            _unlink_quietly(tmp)

    def put_stream(self, stream: BinaryIO, max_size: int | None = None) -> Stored:
        """Store a body read in chunks (the digest is known only at the end).

        The temporary file sits at the store's root, on the same file system
        as its final folder, so the final move is still an atomic rename.
        """
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise BodyTooLarge(f"body larger than the {max_size}-byte cap")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.path_for(sha256)
            if final.is_file():
                return Stored(sha256, size, new=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            return Stored(sha256, size, new=self._publish(Path(tmp), final))
        finally:
            _unlink_quietly(tmp)

    def _publish(self, tmp: Path, final: Path) -> bool:
        # Originals are never modified in place: read-only once published.
        os.chmod(tmp, 0o444)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return True

    def __iter__(self) -> Iterator[str]:
        """Every stored digest (temporary files are skipped)."""
        for path in sorted(self.root.glob("??/??/*")):
            if _SHA256.fullmatch(path.name) and path.parent.parent.name == path.name[:2]:
                yield path.name

    def hash_file(self, sha256: str) -> str:
        """Re-hash a stored file: equal to its name unless it was damaged."""
        digest = hashlib.sha256()
        with self.open(sha256) as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def temp_files(self, older_than: float = 0) -> list[Path]:
        """``.tmp-*`` files not written to for ``older_than`` seconds: a write in progress
        touches its file every moment, so an old one is the leftover of an interrupted write."""
        cutoff = time.time() - older_than
        found = sorted(self.root.glob(".tmp-*")) + sorted(self.root.glob("??/??/.tmp-*"))
        return [path for path in found if _modified(path) <= cutoff]

    def remove_temp_files(self, older_than: float = TEMP_FILE_EXPIRY) -> int:
        """Clear leftovers of interrupted writes older than ``older_than`` seconds; returns how many.

        Safe while another process archives: its temporary file is younger."""
        leftovers = self.temp_files(older_than)
        for path in leftovers:
            _unlink_quietly(path)
        return len(leftovers)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # renamed into place or removed meanwhile
        return float("inf")


def _unlink_quietly(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

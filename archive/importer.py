"""Import local files into the archive as if fetched: ``file:`` URLs, role "file".

Each file is its own report (``report_key`` = its URL, ``db.imported_url``: the
folder named by a digest of its path, so no local directory is published), stored byte
for byte and recorded as a fetch; ``nianbao import`` then parses and loads
the imported reports. A page saved by a browser (``report.html`` beside
``report_files/``) is one report: the folder's pictures are its images (role
"image"), its other files (CSS, scripts) are archived with no role. A file
that cannot be read is an error row and the import goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from parsers.limits import file_kind

from .archive import Archive, FetchResult
from .db import imported_url
from .paths import decode_name


@dataclass(frozen=True)
class Imported:
    path: Path
    report_key: str
    result: FetchResult
    error: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A name given or found that is not imported, and why (one line)."""

    name: str
    reason: str


@dataclass(frozen=True)
class Found:
    """A regular file to import: its bytes path (opened as is) and its name as text."""

    raw: bytes
    path: Path  # the text form: decoded UTF-8, else GB18030, else escaped bytes


@dataclass
class Walk:
    files: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _text(raw: bytes) -> Path:
    return Path("/".join(decode_name(part) for part in raw.split(b"/")) or "/")


def walk(paths: Iterable[str | bytes | Path]) -> Walk:
    """Regular files named, and regular files under folders named (recursively, sorted).

    Inside a folder nothing is followed: a symbolic link is skipped (it could lead
    anywhere: /etc/shadow, /proc/self/environ), and so are hidden names, FIFOs,
    devices and sockets, each with its reason. A name given on the command line is
    what the user chose: a link given there is followed to a regular file.
    """
    found = Walk()
    for given in paths:
        raw = os.path.abspath(os.fsencode(given))
        try:
            info = os.stat(raw)
        except OSError as exc:
            found.skipped.append(Skipped(str(_text(raw)), f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk_folder(raw, found)
        elif stat.S_ISREG(info.st_mode):
            found.files.append(Found(raw, _text(raw)))
        else:
            found.skipped.append(Skipped(str(_text(raw)), f"skipped: {file_kind(info.st_mode)}"))
    return found


def _walk_folder(folder: bytes, found: Walk) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        found.skipped.append(Skipped(str(_text(folder)), f"cannot list: {exc.strerror}"))
        return
    for entry in entries:
        name = _text(entry.path)
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            found.skipped.append(Skipped(str(name), f"cannot read: {exc.strerror}"))
            continue
        if entry.name.startswith(b"."):
            found.skipped.append(Skipped(str(name), "skipped: hidden name"))
        elif stat.S_ISLNK(info.st_mode):
            found.skipped.append(Skipped(str(name), "skipped: a symbolic link (links are not followed)"))
        elif stat.S_ISDIR(info.st_mode):
            _walk_folder(entry.path, found)
        elif stat.S_ISREG(info.st_mode):
            found.files.append(Found(entry.path, name))
        else:
            found.skipped.append(Skipped(str(name), f"skipped: {file_kind(info.st_mode)}"))


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The text paths of the regular files ``walk`` finds."""
    return (item.path for item in walk(paths).files)


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
# Browsers save a page's resources in "<name>_files" (Chrome, Firefox) or "<name>.files" (old IE).
_RESOURCE_FOLDER_ENDINGS = ("_files", ".files")


def saved_page(path: Path) -> Path | None:
    """The saved HTML page whose resource folder holds ``path``, if any."""
    for folder in path.parents:
        for ending in _RESOURCE_FOLDER_ENDINGS:
            if folder.name.endswith(ending) and len(folder.name) > len(ending):
                stem = folder.name[: -len(ending)]
                for suffix in (".html", ".htm"):
                    page = folder.parent / f"{stem}{suffix}"
                    if page.is_file() and not page.is_symlink():
                        return page
    return None


def import_file(archive: Archive, found: Found | Path, crawl_run: int | None = None) -> Imported:
    if isinstance(found, Path):
        found = Found(os.fsencode(found.absolute()), found.absolute())
    path = found.path
    page = saved_page(path)
    # Published: the folder is named by a digest, never by its path on this machine.
    base = str((page or path).parent)
    report_key = imported_url(str(page or path), base)
    if page is None:
        role = "file"
    else:
        role = "image" if path.suffix.lower() in IMAGE_SUFFIXES else None
    url = imported_url(str(path), base)
    try:
        # O_NOFOLLOW: the name was checked as a regular file, and must not have become a link since.
        descriptor = os.open(found.raw, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as body:
            if not stat.S_ISREG(os.fstat(body.fileno()).st_mode):
                raise OSError(0, "not a regular file")
            result = archive.record_fetch(
                url=url, body=body, crawl_run=crawl_run, role=role, report_key=report_key, filename=path.name
            )
        error = archive.fetch_error(result.fetch_id)
    except OSError as exc:
        error = f"cannot read: {exc.strerror or exc}"
        result = archive.record_fetch(url=url, crawl_run=crawl_run, error=error, role=role, report_key=report_key)
    return Imported(path, report_key, result, error)


def import_paths(archive: Archive, paths: Iterable[str | Path], skipped: list[Skipped] | None = None) -> list[Imported]:
    """Store and record every regular file found; a run row keeps the import's counts like a crawl's.
    What was not imported (links, hidden names, FIFOs, devices) is appended to ``skipped``."""
    found = walk(paths)
    if skipped is not None:
        skipped.extend(found.skipped)
    return import_found(archive, found.files, skipped=len(found.skipped))


def import_found(archive: Archive, files: list[Found], *, skipped: int = 0) -> list[Imported]:
    """Store and record files ``walk`` found, in one run row with the import's counts."""
    run_id = archive.start_run(sites=["import"])
    imported = [import_file(archive, item, run_id) for item in files]
    failed = sum(1 for item in imported if item.error)
    archive.finish_run(
        run_id,
        counts={
            "files": len(imported),
            "new_documents": sum(1 for item in imported if item.result.new_document),
            "failed": failed,
            "skipped": skipped,
        },
        status="ok" if not failed else ("partial" if failed < len(imported) else "failed"),
    )
    return imported

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

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .archive import Archive, FetchResult
from .db import imported_url


@dataclass(frozen=True)
class Imported:
    path: Path
    report_key: str
    result: FetchResult
    error: str | None = None


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and files under folders named (recursively, sorted); hidden entries skipped."""
    for path in map(Path, paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    yield child
        else:
            yield path


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
                    if page.is_file():
                        return page
    return None


def import_file(archive: Archive, path: Path, crawl_run: int | None = None) -> Imported:
    path = path.absolute()
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
        with path.open("rb") as body:
            result = archive.record_fetch(
                url=url, body=body, crawl_run=crawl_run, role=role, report_key=report_key, filename=path.name
            )
        error = archive.fetch_error(result.fetch_id)
    except OSError as exc:
        error = f"cannot read: {exc.strerror or exc}"
        result = archive.record_fetch(url=url, crawl_run=crawl_run, error=error, role=role, report_key=report_key)
    return Imported(path, report_key, result, error)


def import_paths(archive: Archive, paths: Iterable[str | Path]) -> list[Imported]:
    """Store and record every file; a run row keeps the import's counts like a crawl's."""
    files = list(iter_files(paths))
    run_id = archive.start_run(sites=["import"])
    imported = [import_file(archive, path, run_id) for path in files]
    failed = sum(1 for item in imported if item.error)
    archive.finish_run(
        run_id,
        counts={
            "files": len(imported),
            "new_documents": sum(1 for item in imported if item.result.new_document),
            "failed": failed,
        },
        status="ok" if not failed else ("partial" if failed < len(imported) else "failed"),
    )
    return imported

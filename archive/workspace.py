"""Where a process of nianbao writes what is not the archive: temporary files and caches.

Everything stays under the data dir, so nothing is left in ``$TMPDIR`` or
``$HOME`` at large:

* ``tmp/<owner>/``: this process's temporary folder (copies of originals laid
  out for a parse, LibreOffice's conversions and profile, onnxruntime's
  session files). ``tempfile`` and child processes (``TMPDIR``) use it. It is
  removed when the process exits, and a folder whose owner is gone (killed
  with ``kill -9``) is removed by the next process that starts on the data dir.
* ``cache/``: caches worth keeping between runs (jieba's dictionary cache,
  onnxruntime's files otherwise written to ``~/.cache/Microsoft``), through
  ``XDG_CACHE_HOME``.

``<owner>`` names a process by its pid and its start time, so a pid reused by
another process is not taken for the owner.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from pathlib import Path

TMP_DIR = "tmp"
CACHE_DIR = "cache"

_current: dict[str, Path] = {}


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[19]  # field 22: start time in clock ticks since boot


def process_token(pid: int | None = None) -> str:
    """This process (or ``pid``) as ``<pid>-<start time>``."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_start_time(pid) or 0}"


def is_alive(token: str) -> bool:
    """Whether the process a ``process_token`` names is still running (on this machine)."""
    pid, _, started = token.partition("-")
    if not pid.isdigit():
        return False
    return _start_time(int(pid)) == started or (started == "0" and Path(f"/proc/{pid}").exists())


def owner() -> dict:
    """What a crawl run records of the process running it, for ``Archive.mark_interrupted_runs``."""
    return {"process": process_token(), "host": socket.gethostname()}


def owner_gone(recorded: dict) -> bool:
    """A run's owner is gone: it was on this machine and its process is no more (a run of
    another machine, sharing the data dir, is its own machine's business)."""
    if recorded.get("host") not in (None, socket.gethostname()):
        return False
    return not recorded.get("process") or not is_alive(recorded["process"])


def sweep(data_dir: Path) -> list[Path]:
    """Remove the temporary folders whose owner process is gone; returns them."""
    removed = []
    root = Path(data_dir) / TMP_DIR
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        if folder.is_dir() and not folder.is_symlink() and not is_alive(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def use(data_dir: str | Path) -> Path:
    """Make this process's temporary files and caches live under ``data_dir`` (idempotent).

    Sweeps the leftovers of dead processes first; returns the temporary folder.
    """
    data_dir = Path(data_dir).absolute()
    if _current.get("data_dir") == data_dir:
        return _current["tmp"]
    sweep(data_dir)
    folder = data_dir / TMP_DIR / process_token()
    folder.mkdir(parents=True, exist_ok=True)
    cache = data_dir / CACHE_DIR
    cache.mkdir(exist_ok=True)
    if "before" not in _current:
        _current["before"] = (tempfile.tempdir, os.environ.get("TMPDIR"), os.environ.get("XDG_CACHE_HOME"))
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    os.environ["XDG_CACHE_HOME"] = str(cache)
    _current.update(data_dir=data_dir, tmp=folder, cache=cache)
    atexit.register(_remove, folder, os.getpid())
    return folder


def leave() -> None:
    """Undo ``use``: remove the temporary folder, restore the temporary and cache dirs before it
    (for a process, the tests, that goes on working with other data dirs)."""
    if "tmp" in _current:
        shutil.rmtree(_current["tmp"], ignore_errors=True)
    if "before" in _current:
        tempfile.tempdir, tmpdir, cache = _current["before"]
        for name, value in (("TMPDIR", tmpdir), ("XDG_CACHE_HOME", cache)):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    _current.clear()


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child, whose exit must not take its parent's folder
        shutil.rmtree(folder, ignore_errors=True)


def cache_dir() -> Path:
    """Where caches go: the data dir's ``cache/`` once ``use`` was called, else
    ``$XDG_CACHE_HOME/nianbao`` (``~/.cache/nianbao``)."""
    if "cache" in _current:
        return _current["cache"]
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    folder = Path(base) / "nianbao"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

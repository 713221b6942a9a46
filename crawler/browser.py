"""Choosing the browser for scrapy-playwright: Playwright's own chromium when
``playwright install chromium`` was run, else Debian's /usr/bin/chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SYSTEM_CHROMIUM = "/usr/bin/chromium"
# Flags for a headless system chromium in a container without a GPU or a
# user namespace, and with no background traffic of its own.
SYSTEM_CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def playwright_chromium() -> str | None:
    """Path of Playwright's bundled chromium, when installed. Looked up on disk
    (where ``playwright install`` puts it) rather than by starting the
    Playwright driver, which takes seconds."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright"
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell"):
        found = sorted(Path(root).glob(pattern))
        if found:
            return str(found[-1])
    return None


def system_chromium() -> str | None:
    return shutil.which("chromium") or (SYSTEM_CHROMIUM if Path(SYSTEM_CHROMIUM).exists() else None)


def launch_options() -> dict | None:
    """PLAYWRIGHT_LAUNCH_OPTIONS for the browser to use, or None when there is none."""
    if playwright_chromium():
        return {"headless": True}
    chromium = system_chromium()
    if chromium:
        return {"executable_path": chromium, "headless": True, "args": SYSTEM_CHROMIUM_ARGS}
    return None


def enable_playwright(settings, launch: dict, spider) -> None:
    """Install the playwright download handler (for requests with meta playwright=True;
    the others keep Scrapy's own HTTP handler). Every request of the browser's pages
    passes the crawler's address rules first (``crawler.addresses.browser_policy``)."""
    from .addresses import browser_policy

    settings.set("DOWNLOAD_HANDLERS", {"http": HANDLER, "https": HANDLER}, priority="spider")
    settings.set("PLAYWRIGHT_ABORT_REQUEST", browser_policy(spider), priority="spider")
    if not settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"):
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", with_short_tmpdir(launch), priority="spider")


# Chromium puts a Unix socket in $TMPDIR/.org.chromium.Chromium.XXXXXX/SingletonSocket; a socket
# path has at most 107 bytes, so a deep data dir's tmp/ would stop the browser from starting.
MAX_BROWSER_TMPDIR = 55


def with_short_tmpdir(launch: dict) -> dict:
    """Launch options whose browser gets the system's temporary dir when the data dir's
    (archive/workspace.py) is too deep for its socket; Playwright's profile stays in the data dir."""
    import tempfile

    tmpdir = os.environ.get("TMPDIR", "")
    if len(tmpdir) <= MAX_BROWSER_TMPDIR:
        return launch
    system = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    return {**launch, "env": {**os.environ, "TMPDIR": system}}

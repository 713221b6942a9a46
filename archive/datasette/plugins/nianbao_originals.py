"""Datasette plugin: archived originals served read-only by sha256, and the
links and SQL helpers the nianbao pages use.

* ``/-/originals/<sha256>`` streams a file from the content-addressed store
  with the content type it was fetched with. Only a 64-hex digest reaches the
  file system, and the resolved path must still lie inside the store, so no
  request names a file outside it.
* Cells: a ``sha256`` links to its original; a report's ``source_url`` is a
  link to the portal page.
* SQL function ``nianbao_label(code)`` prints a code's Chinese label (from
  ``parsers.model``, so canned queries carry no copy of them).

Configured by ``nianbao serve``: ``datasette.nianbao_originals`` (the store's folder, not in
the public metadata) and metadata ``plugins.nianbao`` ``{"database": "nianbao"}``.
"""

from __future__ import annotations

import mimetypes
import re
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import AsgiFileDownload, NotFound
from markupsafe import Markup, escape

from archive.datasette.labels import check_label, label

_SHA256 = re.compile(r"[0-9a-f]{64}")

# documents.format -> content type, for originals whose fetch sent none (imports);
# images (png, jpeg, …) are named by their file name instead.
_FORMAT_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "rtf": "application/rtf",
    "odt": "application/vnd.oasis.opendocument.text",
    "text": "text/plain; charset=utf-8",
}


@hookimpl
def prepare_connection(conn):
    conn.create_function("nianbao_label", 1, label, deterministic=True)
    conn.create_function("nianbao_check_label", 1, lambda code: " · ".join(check_label(code)), deterministic=True)


def _config(datasette) -> dict:
    return datasette.plugin_config("nianbao") or {}


async def serve_original(request, datasette):
    sha256 = request.url_vars["sha256"]
    if not _SHA256.fullmatch(sha256):
        raise NotFound("not a sha256 digest (64 lowercase hex characters)")
    root = getattr(datasette, "nianbao_originals", None)
    if not root:
        raise NotFound("no store of originals configured")
    root = Path(root).resolve()
    path = (root / sha256[:2] / sha256[2:4] / sha256).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"no archived original {sha256}")
    content_type, filename = await _describe(datasette, sha256)
    headers = {
        # Archived pages are someone else's HTML: never let them run script on this origin.
        "content-security-policy": "sandbox",
        "x-content-type-options": "nosniff",
        "cache-control": "max-age=31536000, immutable",  # content-addressed: the bytes never change
    }
    if filename:
        headers["content-disposition"] = "inline; filename*=UTF-8''" + urllib.parse.quote(filename)
    return AsgiFileDownload(path, content_type=content_type, headers=headers)


async def _describe(datasette, sha256: str) -> tuple[str, str | None]:
    """(content type, filename) as archived: the fetch's header, else the detected format."""
    db = datasette.get_database(_config(datasette).get("database"))
    fetched = await db.execute(
        "select content_type from fetches where sha256 = ? and content_type is not null "
        "order by id desc limit 1",
        [sha256],
    )
    document = (await db.execute("select format, filename from documents where sha256 = ?", [sha256])).first()
    filename = document["filename"] if document else None
    row = fetched.first()
    if row and row["content_type"]:
        return row["content_type"], filename
    if document and document["format"] in _FORMAT_TYPES:
        return _FORMAT_TYPES[document["format"]], filename
    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or "application/octet-stream", filename


@hookimpl
def register_routes():
    return [(r"^/-/originals/(?P<sha256>[^/]*)$", serve_original)]


@hookimpl
def render_cell(value, column, table, database, datasette):
    if column == "sha256":
        # A foreign key to documents arrives expanded as {"value", "label"}.
        digest = value.get("value") if isinstance(value, dict) else value
        if isinstance(digest, str) and _SHA256.fullmatch(digest):
            href = datasette.urls.path(f"/-/originals/{digest}")
            cell = f'<a href="{href}" title="archived original 存档原件">原件 {digest[:12]}…</a>'
            if table != "documents":
                row = datasette.urls.row(database, "documents", digest)
                cell += f' <a href="{row}" title="document record">(记录)</a>'
            return Markup(cell)
    if column in ("source_url", "final_url", "url") and isinstance(value, str) and value.startswith("http"):
        from archive.datasette.plugins.nianbao_report import is_replica

        note = ' <small class="replica-note">（本地模拟门户 · local replica portal）</small>' if is_replica(value) else ""
        return Markup(f'<a href="{escape(value)}" rel="nofollow noreferrer">{escape(value)}</a>{note}')
    return None

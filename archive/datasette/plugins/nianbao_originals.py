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
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response
from markupsafe import Markup, escape

from archive.datasette import replay
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
    path = _stored(datasette, sha256)
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


def _stored(datasette, sha256: str) -> Path:
    """The store's file of a digest; NotFound for anything else (only 64 hex reach the file system)."""
    if not _SHA256.fullmatch(sha256):
        raise NotFound("not a sha256 digest (64 lowercase hex characters)")
    root = getattr(datasette, "nianbao_originals", None)
    if not root:
        raise NotFound("no store of originals configured")
    root = Path(root).resolve()
    path = (root / sha256[:2] / sha256[2:4] / sha256).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"no archived original {sha256}")
    return path


# Bigger archived pages are offered as stored, not rewritten (lxml holds a page in memory many times over).
MAX_REPLAY_BYTES = 20 << 20
REPLAY_HEADERS = {
    # No script at all; pictures and styles only from this site (the archive) or inline.
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "font-src 'self' data:; frame-src 'self'; media-src 'self'",
    "x-content-type-options": "nosniff",
}


async def _captures(db, urls: set[str]) -> dict[str, replay.Capture]:
    """The latest successful fetch of each URL (requested or final), with its format."""
    found: dict[str, replay.Capture] = {}
    urls = sorted(urls)
    for start in range(0, len(urls), 400):
        chunk = urls[start:start + 400]
        marks = ", ".join("?" * len(chunk))
        rows = await db.execute(
            f"select f.url, f.final_url, f.sha256, f.fetched_at, f.content_type, d.format from fetches f "
            f"join documents d on d.sha256 = f.sha256 where (f.url in ({marks}) or f.final_url in ({marks})) "
            f"and f.error is null order by f.id", chunk + chunk)
        for row in rows.rows:
            capture = _capture(row)
            for url in (row["url"], row["final_url"]):
                if url in chunk:
                    found[url] = capture
    return found


def _capture(row) -> replay.Capture:
    content_type = (row["content_type"] or "").lower()
    return replay.Capture(
        url=row["final_url"] or row["url"], sha256=row["sha256"], fetched_at=row["fetched_at"],
        is_html=row["format"] == "html" or "html" in content_type, is_css="text/css" in content_type)


async def replay_original(request, datasette):
    sha256 = request.url_vars["sha256"]
    path = _stored(datasette, sha256)
    db = datasette.get_database(_config(datasette).get("database"))
    row = (await db.execute(
        "select f.url, f.final_url, f.sha256, f.fetched_at, f.content_type, d.format from fetches f "
        "join documents d on d.sha256 = f.sha256 where f.sha256 = ? and f.error is null order by f.id desc limit 1",
        [sha256])).first()
    if row is None or path.stat().st_size > MAX_REPLAY_BYTES:
        return Response.redirect(datasette.urls.path(f"/-/originals/{sha256}"))
    capture = _capture(row)
    if not (capture.is_html or capture.is_css):
        return Response.redirect(datasette.urls.path(f"/-/originals/{sha256}"))
    text = replay.decode(path.read_bytes(), row["content_type"])
    wanted: set[str] = set()

    def note(url):
        wanted.add(url)
        return None

    if capture.is_css:
        replay.rewrite_css(text, capture.url, note, datasette.urls.path)
        captures = await _captures(db, wanted)
        body = replay.rewrite_css(text, capture.url, captures.get, datasette.urls.path)
        return Response(body, content_type="text/css; charset=utf-8", headers=REPLAY_HEADERS)
    replay.rewrite_html(text, capture, note, datasette.urls.path)
    captures = await _captures(db, wanted)
    report = (await db.execute(
        "select report_id from report_documents where sha256 = ? order by report_id desc limit 1", [sha256])).first()
    report_href = datasette.urls.row(db.name, "reports", report["report_id"]) if report else None
    body = replay.rewrite_html(text, capture, captures.get, datasette.urls.path, report_href=report_href)
    return Response.html(body, headers=REPLAY_HEADERS)


async def not_archived(request, datasette):
    url = request.args.get("url", "")
    return Response.html(
        "<!DOCTYPE html><meta charset='utf-8'><title>未存档 · Not archived</title>"
        "<h1>未存档 · Not archived</h1>"
        f"<p>档案中没有这个网址的副本 · The archive holds no copy of <code>{escape(url)}</code>.</p>"
        "<p>抓取器只保存报告页面、其图片与附件 · The crawler keeps report pages, their pictures and attachments.</p>",
        status=404, headers={"content-security-policy": "sandbox"})


@hookimpl
def register_routes():
    return [
        (r"^/-/originals/(?P<sha256>[^/]*)$", serve_original),
        (r"^/-/replay/(?P<sha256>[^/]*)$", replay_original),
        (r"^/-/not-archived$", not_archived),
    ]


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

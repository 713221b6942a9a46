"""Datasette plugin: archived originals served read-only by sha256, and the
links and SQL helpers the nianbao pages use.

* ``/-/originals/<sha256>`` streams a file from the content-addressed store
  with the content type it was fetched with. Only a 64-hex digest reaches the
  file system, and the resolved path must still lie inside the store, so no
  request names a file outside it.
* Cells: a ``sha256`` links to its original; a report's ``source_url`` is a
  link to the portal page.
* SQL functions: ``nianbao_label(code)`` prints a code's Chinese label (from
  ``parsers.model``, so canned queries carry no copy of them);
  ``jieba_query(text)`` segments a search the way ``sections.search_text``
  was segmented, for FTS ``MATCH``.

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

from archive.datasette.labels import label

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
        return Markup(f'<a href="{escape(value)}" rel="nofollow noreferrer">{escape(value)}</a>')
    return None


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    """A report's page also shows its originals, its section 三 totals and its checks."""
    if view_name != "row" or table != "reports":
        return {}

    async def report_summary():
        try:
            report_id = int(request.url_vars["pks"])
        except (KeyError, ValueError):
            return {}
        db = datasette.get_database(database)
        originals = await db.execute(
            "select rd.sha256, rd.role, rd.used, d.format, d.size, d.filename from report_documents rd "
            "join documents d on d.sha256 = rd.sha256 where rd.report_id = ? order by rd.used desc, rd.page_no",
            [report_id],
        )
        totals = await db.execute(
            "select row_code, value from applications where report_id = ? and column_code = 'total'", [report_id]
        )
        checks = await db.execute("select code, ok, detail from checks where report_id = ? order by code", [report_id])
        source = (await db.execute("select source_url from reports where id = ?", [report_id])).first()
        from parsers.model import APPLICATION_ROWS

        by_code = {row["row_code"]: row["value"] for row in totals.rows}
        return {
            "nianbao_report": {
                "source_url": source["source_url"] if source else None,
                "originals": [dict(row) for row in originals.rows],
                # Template order, only the rows the report prints.
                "applications": [(code, label(code), by_code[code]) for code in APPLICATION_ROWS if code in by_code],
                "checks": [dict(row) for row in checks.rows],
            }
        }

    return report_summary

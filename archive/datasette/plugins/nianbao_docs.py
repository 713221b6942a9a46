"""Datasette plugin: the pages around the data: downloads, about (coverage, methodology,
licence, citation) and the code book.

* ``/-/downloads``: the database (size, date, sha256), the per-year CSV ZIPs
  (``archive.datasette.exports``), and each table and view as CSV of all its rows
  (Datasette's ``_stream=on``), with or without a BOM for Excel (``_bom=1``, added to
  the first bytes by the ASGI wrapper below).
* ``/-/about``: what is covered, what coverage means, how numbers are read, every check,
  the data licence (CC BY 4.0, apart from the code's Apache-2.0) and a citation line
  with the archive's date and the database's sha256.
* ``/-/codebook``: every code, the template's printed label and English, in template order.
* Table pages: the CSV link streams all rows, not the first page.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

from datasette import hookimpl
from datasette.utils import path_with_format
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response

from archive.datasette import exports, labels

DATA_LICENSE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
CODE_LICENSE = ("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0")
DOWNLOADABLE = ("report_totals", "reports", "applications", "reviews_litigation", "active_disclosure", "checks",
                "sections", "fetches", "documents")
_ZIP_NAME = re.compile(r"nianbao-(\d{4}|unknown-year)\.zip")
_SPLIT_NAME = re.compile(r"nianbao-(tables|text)\.db")
BOM = b"\xef\xbb\xbf"


def _database(datasette) -> str:
    return (datasette.plugin_config("nianbao") or {}).get("database", "nianbao")


def _exports_dir(datasette) -> Path | None:
    data_dir = getattr(datasette, "nianbao_data_dir", None)
    return Path(data_dir) / "exports" if data_dir else None


def database_file(datasette) -> dict | None:
    """The downloadable database: name, size, date, sha256 (None when served live: no download)."""
    db = datasette.get_database(_database(datasette))
    if db.is_mutable or not db.path:
        return None
    path = Path(db.path)
    return {
        "name": path.name, "href": datasette.urls.path(f"/{path.name}"), "size": path.stat().st_size,
        "written": datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds"),
        "sha256": db.hash,
    }


async def downloads(request, datasette):
    files = [{**f, "href": datasette.urls.path(f"/-/downloads/{f['name']}")}
             for f in exports.listed(_exports_dir(datasette))]
    split = [f for f in files if _SPLIT_NAME.fullmatch(f["name"])]
    database = _database(datasette)
    tables = [{"name": t, "href": datasette.urls.table(database, t, format="csv") + "?_stream=on&_size=max"}
              for t in DOWNLOADABLE]
    return Response.html(await datasette.render_template("nianbao_downloads.html", {
        "database_file": database_file(datasette), "tables": tables,
        "zips": [f for f in files if _ZIP_NAME.fullmatch(f["name"])],
        "split": sorted(split, key=lambda f: f["name"]),  # tables, then text
    }, request=request))


async def download_zip(request, datasette):
    name = request.url_vars["name"]
    folder = _exports_dir(datasette)
    zipped, split = _ZIP_NAME.fullmatch(name), _SPLIT_NAME.fullmatch(name)
    if not (zipped or split) or folder is None or not (folder / name).is_file():
        raise NotFound("no such download")
    return AsgiFileDownload(folder / name, filename=name,
                            content_type="application/zip" if zipped else "application/vnd.sqlite3")


_about_cache: dict = {}


async def about_facts(datasette) -> dict:
    """Counts and dates of the archive, once per database state (an immutable file does not change)."""
    db = datasette.get_database(_database(datasette))
    key = (db.name, db.hash if not db.is_mutable else None)
    if key[1] is not None and key in _about_cache:
        return _about_cache[key]
    one = lambda rows: rows.first()  # noqa: E731
    counts = one(await db.execute(
        "select count(*) as reports, count(distinct organization) as bodies, min(year) as first_year, "
        "max(year) as last_year, count(distinct province) as provinces, "
        "sum(tables_status = 'read') as read, sum(tables_status = 'images') as images, "
        "sum(tables_status = 'absent') as absent from reports where is_latest = 1"))
    fetched = one(await db.execute(
        "select min(fetched_at) as first, max(fetched_at) as last, count(*) as fetches from fetches"))
    hosts = await db.execute(
        "select substr(source_url, 1, instr(substr(source_url, 9), '/') + 8) as portal, count(*) as reports "
        "from reports where is_latest = 1 and source_url like 'http%' group by portal order by reports desc limit 50")
    runs = one(await db.execute("select count(*) as runs, max(finished) as last from crawl_runs"))
    failed = one(await db.execute(
        "select count(distinct c.report_id) as reports from checks c join reports r on r.id = c.report_id "
        "where c.ok = 0 and r.is_latest = 1"))
    facts = {
        "counts": dict(counts), "fetched": dict(fetched), "runs": dict(runs),
        "portals": [dict(r) for r in hosts.rows], "failed_reports": failed["reports"],
        "replica": any(_is_loopback(r["portal"]) for r in hosts.rows),
    }
    if key[1] is not None:
        _about_cache[key] = facts
    return facts


def _is_loopback(url: str) -> bool:
    from archive.datasette.plugins.nianbao_report import is_replica

    return is_replica(url)


async def about(request, datasette):
    facts = await about_facts(datasette)
    database = database_file(datasette)
    archive_date = (facts["fetched"]["last"] or "")[:10] or None
    citation = (
        "nianbao 政府信息公开工作年度报告数据库 · China government-information-disclosure annual reports database, "
        f"archive of {archive_date or 'unknown date'}"
        + (f", nianbao.db sha256 {database['sha256']}" if database and database["sha256"] else "")
        + f". {request.scheme}://{request.host}/ . Data licensed {DATA_LICENSE[0]}."
    )
    return Response.html(await datasette.render_template("nianbao_about.html", {
        **facts, "database_file": database, "archive_date": archive_date, "citation": citation,
        "checks": labels.CHECKS, "tables_status": labels.TABLES_STATUS,
        "data_license": DATA_LICENSE, "code_license": CODE_LICENSE,
    }, request=request))


async def codebook(request, datasette):
    return Response.html(await datasette.render_template(
        "nianbao_codebook.html", {"book": labels.code_book()}, request=request))


@hookimpl
def register_routes():
    return [
        (r"^/-/downloads$", downloads),
        (r"^/-/downloads/(?P<name>[^/]+)$", download_zip),
        (r"^/-/about$", about),
        (r"^/-/codebook$", codebook),
    ]


@hookimpl
def extra_template_vars(view_name, request):
    # The table page's CSV link: every row (streamed), not the 1,000 of one page.
    if view_name != "table" or request is None:
        return {}
    return {"url_csv": path_with_format(request=request, format="csv", extra_qs={"_stream": "on", "_size": "max"})}


@hookimpl
def asgi_wrapper(datasette):
    """``_bom=1`` on a CSV: the same CSV, preceded by a UTF-8 byte order mark (Excel then reads UTF-8)."""

    def wrap(app):
        async def with_bom(scope, receive, send):
            if scope["type"] != "http" or not scope.get("path", "").endswith(".csv"):
                return await app(scope, receive, send)
            args = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"),
                                          keep_blank_values=True)
            if ("_bom", "1") not in args:
                return await app(scope, receive, send)
            scope = {**scope, "query_string": urllib.parse.urlencode([a for a in args if a[0] != "_bom"]).encode()}
            started = False

            async def send_with_bom(message):
                nonlocal started
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [
                        [k, str(int(v) + len(BOM)).encode() if k.lower() == b"content-length" else v]
                        for k, v in message.get("headers", [])]}
                elif message["type"] == "http.response.body" and not started:
                    started = True
                    message = {**message, "body": BOM + message.get("body", b"")}
                await send(message)

            await app(scope, receive, send_with_bom)

        return with_bom

    return wrap

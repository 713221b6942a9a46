"""Datasette plugin: a report's page reads as the report does, and every report id links to it.

The page (``/nianbao/reports/<id>``, template ``row-nianbao-reports.html``) shows, above
Datasette's own row: how the tables were read and what the parser was unsure about, in
words; sections 二, 三 (all seven columns) and 四 laid out as the national template prints
them, with its labels; each check in Chinese and English with its detail; every archived
original with its fetch records (URL, time, status, sha256), an HTML original also as a
replay; the portal link only where the report has a web page (an imported file shows its
name). Facet values that are codes show their printed label beside them.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.datasette import labels
from parsers import model

REPORT_ID_COLUMNS = {"report_id"}


def _database(datasette) -> str:
    return (datasette.plugin_config("nianbao") or {}).get("database", "nianbao")


@hookimpl
def render_cell(value, column, table, database, datasette):
    # Every report id on the site (tables, views, canned queries) opens that report.
    if column in REPORT_ID_COLUMNS and isinstance(value, int) and database == _database(datasette):
        href = datasette.urls.row(database, "reports", value)
        return Markup(f'<a href="{href}" title="报告 · report">{value}</a>')
    return None


async def totals_row(request, datasette):
    """A row of report_totals is a report: its link (the primary key) opens the report's page."""
    return Response.redirect(datasette.urls.row(request.url_vars["database"], "reports", request.url_vars["id"]))


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/report_totals/(?P<id>\d+)$", totals_row)]


def is_replica(url: str | None) -> bool:
    """A portal served on this machine (``nianbao demo``'s replica, on 127.0.0.2-5), not the real one."""
    import ipaddress

    try:
        return ipaddress.ip_address(urlsplit(url or "").hostname or "").is_loopback
    except ValueError:
        return (urlsplit(url or "").hostname or "") == "localhost"


def is_web_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https")


def file_name(url: str | None) -> str | None:
    """The name an imported file had (the last part of its ``file:`` URL)."""
    if not url or urlsplit(url).scheme != "file":
        return None
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None


def applications_grid(cells: dict[tuple[str, str], object]) -> list[dict]:
    """Section 三's rows in template order (only those the report prints), seven columns each."""
    grid, group_shown = [], None
    for code, (group, printed) in model.APPLICATION_ROWS.items():
        if not any((code, column) in cells for column in model.APPLICANT_COLUMNS):
            continue
        heading = group if group and group != group_shown else None
        group_shown = group or group_shown
        grid.append({"code": code, "group": heading, "label": printed,
                     "cells": [cells.get((code, column)) for column in model.APPLICANT_COLUMNS]})
    return grid


def disclosure_rows(rows) -> list[dict]:
    """Section 二 as printed: one line per item, its metrics with their labels."""
    lines: dict[str, dict] = {}
    for row in rows:
        line = lines.setdefault(row["row_code"], {
            "item": row["item"], "code": row["row_code"], "label": labels.label(row["row_code"]), "metrics": []})
        line["metrics"].append({"code": row["metric"], "label": labels.label(row["metric"]), "value": row["value"]})
    return list(lines.values())


async def report_summary(datasette, database: str, report_id: int) -> dict:
    db = datasette.get_database(database)
    report = (await db.execute("select * from reports where id = ?", [report_id])).first()
    if report is None:
        return {}
    originals = (await db.execute(
        "select rd.sha256, rd.role, rd.used, rd.page_no, d.format, d.size, d.filename from report_documents rd "
        "join documents d on d.sha256 = rd.sha256 where rd.report_id = ? order by rd.used desc, rd.page_no",
        [report_id])).rows
    fetches = (await db.execute(
        "select url, final_url, fetched_at, status, sha256, content_type from fetches "
        "where report_key = ? and sha256 is not null order by id", [report["report_key"]])).rows
    cells = {(r["row_code"], r["column_code"]): r["value"] for r in (await db.execute(
        "select row_code, column_code, value from applications where report_id = ?", [report_id])).rows}
    reviews = {(r["group_code"], r["column_code"]): r["value"] for r in (await db.execute(
        "select group_code, column_code, value from reviews_litigation where report_id = ?", [report_id])).rows}
    disclosure = (await db.execute(
        "select item, row_code, metric, value from active_disclosure where report_id = ? order by seq",
        [report_id])).rows
    checks = (await db.execute("select code, ok, detail from checks where report_id = ? order by code",
                               [report_id])).rows
    try:
        warnings = json.loads(report["warnings"] or "[]")
    except ValueError:
        warnings = [report["warnings"]]
    records = {}
    for fetch in fetches:
        records.setdefault(fetch["sha256"], []).append({
            **dict(fetch), "shown_url": fetch["url"] if is_web_url(fetch["url"]) else file_name(fetch["url"])})
    return {
        "id": report_id,
        "portal_url": report["source_url"] if is_web_url(report["source_url"]) else None,
        "replica": is_replica(report["source_url"]),
        "imported_name": file_name(report["source_url"]),
        "tables_status": labels.TABLES_STATUS.get(report["tables_status"] or "", (report["tables_status"], "")),
        "tables_status_code": report["tables_status"],
        "warnings": warnings,
        "originals": [{**dict(o), "fetches": records.get(o["sha256"], []),
                       "replayable": o["format"] == "html"} for o in originals],
        "disclosure": disclosure_rows(disclosure),
        "applicant_columns": list(model.APPLICANT_COLUMNS.items()),
        "applications": applications_grid(cells),
        "review_groups": list(model.REVIEW_GROUPS.items()),
        "review_columns": list(model.REVIEW_COLUMNS.items()),
        "reviews": reviews,
        "checks": [{**dict(c), "label": labels.check_label(c["code"])} for c in checks],
        "failed_checks": sum(1 for c in checks if not c["ok"]),
    }


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    extra = {"nianbao_code_label": _facet_label}
    if view_name != "row" or table != "reports":
        return extra

    async def with_report():
        try:
            report_id = int(request.url_vars["pks"])
        except (KeyError, ValueError):
            return extra
        return {**extra, "nianbao_report": await report_summary(datasette, database, report_id)}

    return with_report


def _facet_label(column, value) -> Markup:
    printed = labels.code_label(column, value)
    return Markup(f' <span class="code-label">{escape(printed)}</span>') if printed else Markup("")

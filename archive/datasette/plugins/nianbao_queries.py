"""Datasette plugin: canned-query parameters a reader can fill in without knowing the data.

Year, province, body type and check code get a choice list (``<datalist>``: the values
the current reports have, with labels); a body's name is completed from what was typed
(``/-/organizations.json?q=文登``), and the queries match part of a name, so 文登 finds
威海市文登区统计局. Template: ``query-nianbao.html``.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.datasette import labels

PARAMETER_LABELS = {
    "year": "年度 · year",
    "province": "省份 · province",
    "body_type": "机关类型 · body type",
    "organization": "机关名称 · body (part of its name)",
    "code": "核对项 · check",
    "q": "检索词 · search",
}
ORGANIZATION_SUGGESTIONS = 20


def _database(datasette) -> str:
    return (datasette.plugin_config("nianbao") or {}).get("database", "nianbao")


async def choices(datasette) -> dict[str, list[dict]]:
    db = datasette.get_database(_database(datasette))
    found = {}
    # Each is read from an index of reports (archive/db.py migration 5): milliseconds at 100,000 reports.
    for column in ("year", "province", "body_type"):
        rows = await db.execute(
            f"select distinct {column} from reports where {column} is not null order by {column}"
            + (" desc" if column == "year" else ""))
        found[column] = [{"value": row[0], "label": ""} for row in rows.rows]
    found["code"] = [{"value": code, "label": f"{zh} · {en}"} for code, (zh, en) in labels.CHECKS.items()]
    return found


@hookimpl
def extra_template_vars(template, database, datasette):
    if not template.startswith("query") or database != _database(datasette):
        return {}

    async def query_choices():
        return {"nianbao_choices": await choices(datasette), "nianbao_parameter_labels": PARAMETER_LABELS}

    return query_choices


async def organizations(request, datasette):
    typed = (request.args.get("q") or "").strip()[:50]
    if not typed:
        return Response.json([])
    db = datasette.get_database(_database(datasette))
    rows = await db.execute(
        "select distinct organization from reports where is_latest = 1 and instr(organization, :q) > 0 "
        "order by organization limit :n", {"q": typed, "n": ORGANIZATION_SUGGESTIONS})
    return Response.json([row[0] for row in rows.rows])


@hookimpl
def register_routes():
    return [(r"^/-/organizations\.json$", organizations)]

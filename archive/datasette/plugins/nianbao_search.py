"""Datasette plugin: full-text search that finds what a report says.

* ``/-/search?q=…`` (and ``/-/search.json``): results per current report (title, body,
  year, the sections holding the phrases with a snippet of their original text, hits
  marked), facets year / province / body type, ``archive.datasette.search`` for the rules.
  Reports are counted up to ``search.MAX_COUNTED``; past it ``more_than`` says so.
* ``?_search=`` on the searchable table ``sections``, HTML, JSON or CSV: the sections holding
  every phrase, found as the search page finds them (an ASGI wrapper turns it into a
  ``_where`` over the indexes; the page still shows what was typed). Its sections are not
  counted (``_nocount``, and no suggested facets): a word in every report matches a million
  sections, and counting them is what made the page slow; the search page counts reports, up
  to its cap. A query with nothing to search answers 400 with a readable message.
* SQL function ``jieba_query(text)`` for canned queries, bounded: jieba runs in Python,
  where Datasette's time limit cannot stop it, so it refuses more than
  ``search.MAX_QUERY_CHARS`` characters.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils.asgi import Response

from archive.datasette import search

PAGE_SIZE = 20
# Tables whose ?_search= is rewritten: those with an FTS index over a segmented copy.
SEGMENTED_TABLES = re.compile(r"^/(?P<database>[^/]+)/sections(\.(json|csv))?$")


def jieba_query(text: str | None) -> str:
    """A search as an FTS5 MATCH expression (``archive.load.fts_query``); '""' (matches
    nothing) for an empty one, since FTS5 refuses an empty MATCH."""
    from archive.load import fts_query

    if text is not None and len(text) > search.MAX_QUERY_CHARS:
        raise ValueError(f"jieba_query: at most {search.MAX_QUERY_CHARS} characters")
    return fts_query(text or "") or '""'


@hookimpl
def prepare_connection(conn):
    conn.create_function("jieba_query", 1, jieba_query, deterministic=True)


@hookimpl
def startup(datasette):
    async def load_dictionary():
        # jieba reads its dictionary (about a second) at the first cut: not during a search.
        search.words("申请")

    return load_dictionary


def _database(datasette) -> str:
    return (datasette.plugin_config("nianbao") or {}).get("database", "nianbao")


async def run_search(datasette, args) -> dict:
    """The search page's data: query, phrases, total, facets, one page of per-report hits."""
    query = args.get("q", "")
    filters = search.Filters(**{f: args.get(f, "") for f in search.FACETS})
    try:
        page = max(1, int(args.get("page", "1") or 1))
    except ValueError:
        page = 1
    result = {"q": query, "filters": filters.params(), "page": page, "page_size": PAGE_SIZE,
              "total": 0, "more_than": None, "facets": {}, "reports": [], "error": None}
    if not query.strip():
        return result
    try:
        phrases = search.parse(query)
    except search.QueryError as error:
        result["error"] = str(error)
        return result
    db = datasette.get_database(_database(datasette))
    try:
        few = search.few_reports_sql(filters)
        from_reports = few is not None and (await db.execute(*few)).first()[0] <= search.FEW_REPORTS
        rarity = None
        if len(phrases) > 1:  # the rarest phrase leads (a phrase no index holds: last)
            counts = {p: search.rarity_sql(p) for p in phrases}
            rarity = {p: (await db.execute(sql)).first()[0] if sql else float("inf") for p, sql in counts.items()}
        sql, params = search.search_sql(phrases, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE,
                                        from_reports=from_reports, rarity=rarity)
        rows = (await db.execute(sql, params)).rows
    except QueryInterrupted:
        result["error"] = ("检索超时，请加上年度或省份等条件缩小范围 · The search took too long: "
                           "narrow it by year or province")
        return result
    result["phrases"] = phrases
    ids = []
    for kind, value, count, report_id in rows:
        if kind == "total":
            # Past search.MAX_COUNTED the count stops: "more than 10,000", and the facets and
            # pages cover the first 10,001 found.
            result["total"] = count
            if count > search.MAX_COUNTED:
                result["more_than"] = search.MAX_COUNTED
        elif kind == "hit":
            ids.append(report_id)
        else:
            result["facets"].setdefault(kind, []).append({"value": value, "count": count})
    if ids:
        sections = (await db.execute(search.hits_sql(ids))).rows
        by_report: dict[int, dict] = {}
        for row in sections:
            report = by_report.setdefault(row["report_id"], {
                "report_id": row["report_id"], "title": row["report_title"], "organization": row["organization"],
                "year": row["year"], "province": row["province"], "body_type": row["body_type"],
                "url": datasette.urls.row(db.name, "reports", row["report_id"]), "sections": [],
            })
            found = [p for p in phrases if search.holds(row["section_title"], row["text"], p)]
            if found:
                text = f"{row['section_title'] or ''}\n{row['text'] or ''}"
                report["sections"].append({
                    "no": row["no"], "title": row["section_title"], "phrases": found,
                    "snippet": str(search.snippet(text, found)),
                })
        result["reports"] = [by_report[i] for i in ids if i in by_report]
    return result


async def search_page(request, datasette):
    data = await run_search(datasette, request.args)
    status = 400 if data["error"] else 200
    if request.url_vars.get("format") == "json":
        return Response.json(data, status=status)
    facet_links = {
        facet: [
            {**item, "href": _with_args(request, {facet: "" if data["filters"][facet] else item["value"], "page": ""}),
             "selected": str(item["value"]) == data["filters"][facet]}
            for item in items
        ]
        for facet, items in data["facets"].items()
    }
    pages = -(-data["total"] // PAGE_SIZE)
    return Response.html(await datasette.render_template("nianbao_search.html", {
        **data, "facet_links": facet_links, "pages": pages,
        "previous": _with_args(request, {"page": str(data["page"] - 1)}) if data["page"] > 1 else None,
        "next": _with_args(request, {"page": str(data["page"] + 1)}) if data["page"] < pages else None,
        "json_url": request.path + ".json" + (f"?{request.query_string}" if request.query_string else ""),
        "facet_names": {"year": "年度 · Year", "province": "省份 · Province", "body_type": "机关类型 · Body type"},
    }, request=request), status=status)


def _with_args(request, changes: dict) -> str:
    args = {k: v for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True)}
    args.update({k: str(v) for k, v in changes.items()})
    return request.path + "?" + urllib.parse.urlencode({k: v for k, v in args.items() if v not in ("", "None")})


@hookimpl
def register_routes():
    return [(r"^/-/search(\.(?P<format>json))?$", search_page)]


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def rewrite_search(scope, receive, send):
            if scope["type"] == "http" and SEGMENTED_TABLES.match(scope.get("path", "")):
                args = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace"),
                                              keep_blank_values=True)
                given = dict(args)
                # The filter form's submission is first redirected by Datasette to a clean URL
                # built from the arguments: leave it alone so that URL keeps what was typed.
                submitted_form = any(k.startswith("_filter_") for k in given)
                if given.get("_search", "").strip() and given.get("_searchmode") != "raw" and not submitted_form:
                    try:
                        where = search.table_where(given["_search"])
                    except search.QueryError as error:
                        await _bad_search(scope, send, str(error))
                        return
                    rewritten = [(k, v) for k, v in args if k not in ("_search", "_searchmode")]
                    rewritten.append(("_where", where))
                    rewritten += [("_nocount", "1"), ("_nosuggest", "1")]
                    scope = {**scope, "query_string": urllib.parse.urlencode(rewritten).encode(),
                             "nianbao_search": given["_search"]}
            await app(scope, receive, send)

        return rewrite_search

    return wrap


async def _bad_search(scope, send, message: str) -> None:
    if scope["path"].endswith(".json"):
        body = json.dumps({"ok": False, "error": message, "status": 400}, ensure_ascii=False).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        from markupsafe import escape

        body = (f"<!DOCTYPE html><meta charset='utf-8'><title>检索词无效 · Invalid search</title>"
                f"<h1>检索词无效 · Invalid search</h1><p>{escape(message)}</p>"
                f"<p><a href='/-/search'>全文检索 · Full-text search</a></p>").encode()
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 400, "headers": [[b"content-type", content_type]]})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def extra_template_vars(request):
    # The page shows what the reader typed, not the SQL it became.
    typed = request.scope.get("nianbao_search") if request is not None else None
    if typed is None:
        return {}
    return {"search": typed, "human_description_en": (
        f"where the text holds every phrase of 「{typed}」 (sections not counted; "
        "/-/search counts the reports)")}

"""Full-text search over the reports, as a reader means it: phrases, found per report.

A phrase is found where it occurs in a section's original title or text, whatever the
word boundaries (ASCII letters' case ignored):

* three or more characters: ``sections_trigram`` (FTS5's trigram tokenizer over the
  original text, migration 11) matches the phrase exactly as a substring;
* two characters that are one word of jieba's dictionary (申请, 复议, 诉讼): the word index
  ``sections_fts`` (a jieba-segmented copy, ``archive.load.segment``, queried as
  ``archive.load.fts_query`` cuts), which holds every such word wherever jieba cut it;
* two characters that are no word (府信): no index can hold them, so the sections are
  read (``instr``), as slow as reading them all, within the site's time limit.

The one gap, said plainly: a two-character word is not found where jieba cut the text
across it (公开 in 办公|开展), which is rarely the word meant.

Several phrases (separated by spaces) must each occur somewhere in the same report, not
necessarily in the same section. Results are current report versions, newest year first.
Reports found are counted up to ``MAX_COUNTED`` (10,000); past it the page says "more than
10,000" and its facets and pages cover the first 10,001 found (the latest loaded).

    >>> parse("依申请  \"保密审查\"")
    ['依申请', '保密审查']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

MAX_QUERY_CHARS = 200  # a search is a few phrases; jieba's time grows with the text
MAX_PHRASES = 8
FACETS = ("year", "province", "body_type")
SNIPPET_CHARS = 60  # of original text either side of the first hit

_WORD = re.compile(r"[\w\u4e00-\u9fff]")  # something the index can hold (punctuation is not indexed)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class QueryError(ValueError):
    """A search that cannot be run, with a message for the reader (Chinese · English)."""


def parse(query: str | None) -> list[str]:
    """The phrases of a query: separated by spaces, quotes around a phrase allowed and ignored."""
    query = _CONTROL.sub(" ", query or "").strip()
    if not query:
        raise QueryError("请输入检索词 · Enter a word or phrase to search for")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"检索词过长（最多 {MAX_QUERY_CHARS} 字）· The search is too long (at most {MAX_QUERY_CHARS} characters)")
    phrases = [p for p in (raw.strip("\"'“”‘’「」《》") for raw in query.replace("\u3000", " ").split()) if p]
    phrases = list(dict.fromkeys(phrases))
    if not phrases or not all(_WORD.search(p) for p in phrases):
        raise QueryError(
            "检索词须含有汉字、字母或数字，标点不能检索 · A search needs letters, digits or Chinese characters; "
            f"punctuation alone cannot be searched: {query!r}"
        )
    if len(phrases) > MAX_PHRASES:
        raise QueryError(f"最多 {MAX_PHRASES} 个词语 · At most {MAX_PHRASES} phrases")
    return phrases


def words(phrase: str) -> list[str]:
    """The index's words of one phrase (``archive.load.fts_query``'s cut), quotes removed."""
    from archive.load import fts_query

    return [w.strip('"') for w in fts_query(phrase).split(" ") if _WORD.search(w)]


def _literal(text: str) -> str:
    """An SQL string literal (the ``_where`` of a table page takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def phrase_sections_sql(phrase: str, *, ids_only: bool = False) -> str:
    """``SELECT id, report_id`` (or ``id`` alone) of the sections whose original title or
    text holds ``phrase``. Ids alone come from the index without reading the sections."""
    if len(phrase) >= 3:
        index, match = "sections_trigram", '"' + phrase.replace('"', '""') + '"'  # the phrase as a substring
    elif words(phrase) == [phrase]:
        index, match = "sections_fts", f'"{phrase}"'
    else:
        return ("SELECT s.id" + ("" if ids_only else ", s.report_id") + " FROM sections s WHERE "
                "instr(lower(coalesce(s.title, '') || char(10) || coalesce(s.text, '')), "
                f"lower({_literal(phrase)})) > 0")
    if ids_only:
        return f"SELECT rowid AS id FROM {index} WHERE {index} MATCH {_literal(match)}"
    return (f"SELECT s.id, s.report_id FROM {index} t JOIN sections s ON s.id = t.rowid "
            f"WHERE {index} MATCH {_literal(match)}")


def table_where(query: str) -> str:
    """``?_search=`` on the sections table as a ``_where``: the sections holding every phrase."""
    return "id IN (" + " INTERSECT ".join(phrase_sections_sql(p, ids_only=True) for p in parse(query)) + ")"


@dataclass
class Filters:
    year: str = ""
    province: str = ""
    body_type: str = ""

    def sql(self) -> str:
        return (
            " and (:year = '' or r.year = cast(:year as integer))"
            " and (:province = '' or r.province = :province)"
            " and (:body_type = '' or r.body_type = :body_type)"
        )

    def params(self) -> dict:
        return {"year": self.year, "province": self.province, "body_type": self.body_type}


# The search page counts the reports found up to this many, then says "more than": a word in
# every report of a million is then found in the time of 10,000, not of a million.
MAX_COUNTED = 10_000


# With filters that leave at most this many current reports, the search reads those reports
# (``matched_reports_sql(from_reports=True)``) rather than the index from its latest entry on:
# a word in every report, in one province and year, would otherwise read the whole index.
FEW_REPORTS = 50_000


def _holds_sql(phrase: str) -> str:
    """A condition on report ``r``: one of its sections holds ``phrase``, as ``phrase_sections_sql``
    finds it, costing a look at this report's sections, not a list of every section holding it.

    Three or more characters: ``instr`` in the report's sections (as the trigram index
    matches: a substring, ASCII case ignored). A two-character word: the word index, asked
    only for the rowids of this report's sections (FTS5 seeks to a rowid range). Two
    characters that are no word: ``instr``, as ever."""
    if len(phrase) < 3 and words(phrase) == [phrase]:
        return ("exists (select 1 from sections_fts f join sections s2 on s2.id = f.rowid "
                f"where sections_fts match {_literal(chr(34) + phrase + chr(34))} "
                "and f.rowid >= (select min(id) from sections where report_id = r.id) "
                "and f.rowid <= (select max(id) from sections where report_id = r.id) "
                "and s2.report_id = r.id)")
    return ("exists (select 1 from sections s2 where s2.report_id = r.id and "
            "instr(lower(coalesce(s2.title, '') || char(10) || coalesce(s2.text, '')), "
            f"lower({_literal(phrase)})) > 0)")


def driving_order(phrases: list[str]) -> list[str]:
    """Without counts (``rarity_sql``): the longest phrase first, as a rule the rarest."""
    return sorted(phrases, key=len, reverse=True)


def rarity_sql(phrase: str) -> str | None:
    """``SELECT`` the number of sections holding ``phrase``, counted from its index up to
    ``MAX_COUNTED + 1`` (milliseconds); None for a phrase no index holds (read, not counted)."""
    if len(phrase) < 3 and words(phrase) != [phrase]:
        return None
    return f"select count(*) from ({phrase_sections_sql(phrase, ids_only=True)} limit {MAX_COUNTED + 1})"


def matched_reports_sql(phrases: list[str], filters: Filters, cap: int | None = None, *,
                        from_reports: bool = False, rarity: dict[str, int] | None = None) -> tuple[str, dict]:
    """A ``matched`` CTE: current reports holding every phrase (in any of their sections), filters
    applied, at most ``cap + 1`` of them.

    The reports are found from the index of the rarest phrase (``rarity``: sections holding
    each, counted up to a bound; else the longest), latest sections first, each report once,
    and stop at ``cap + 1``: more than ``cap`` are not counted. The other phrases are looked
    for in the reports found (``_holds_sql``): a phrase in no report, led by one in every
    report, would have every report read.
    ``from_reports`` (filters leaving few reports: ``few_reports_sql``): the filtered reports,
    latest first, are each looked at for every phrase."""
    cap = MAX_COUNTED if cap is None else cap
    columns = "r.id as report_id, r.year, r.province, r.body_type"
    phrases = driving_order(phrases) if rarity is None else sorted(phrases, key=rarity.__getitem__)
    if from_reports:
        conditions = "".join(f" and {_holds_sql(p)}" for p in phrases)
        return (f"matched as materialized (select {columns} from reports r "
                f"where r.is_latest = 1{filters.sql()}{conditions} order by r.id desc limit {int(cap) + 1})",
                filters.params())
    first, *others = phrases
    sections, holding, latest_first = _sections_holding(first)
    conditions = "".join(f" and {_holds_sql(p)}" for p in others)
    # Flat, DISTINCT and LIMIT in one loop over the index: SQLite stops at the limit (a
    # subquery of distinct report ids was materialized whole first: the whole index read).
    cte = (
        f"matched as materialized (select distinct {columns} "
        f"from {sections} join reports r on r.id = s.report_id "
        f"where {holding} and r.is_latest = 1{filters.sql()}{conditions} "
        f"order by {latest_first} limit {int(cap) + 1})"
    )
    return cte, filters.params()


def few_reports_sql(filters: Filters) -> tuple[str, dict] | None:
    """``SELECT`` the number of current reports the filters leave, counted up to ``FEW_REPORTS + 1``
    (None without filters: then there are many)."""
    if not any(filters.params().values()):
        return None
    return (f"select count(*) from (select 1 from reports r where r.is_latest = 1{filters.sql()} "
            f"limit {FEW_REPORTS + 1})", filters.params())


def _sections_holding(phrase: str) -> tuple[str, str, str]:
    """(FROM, WHERE, ORDER BY latest first) of ``phrase_sections_sql``'s sections ``s``, to join on."""
    sql = phrase_sections_sql(phrase)
    sections, holding = sql.removeprefix("SELECT s.id, s.report_id FROM ").split(" WHERE ", 1)
    return sections, holding, ("t.rowid desc" if " t JOIN " in sections else "s.id desc")


def search_sql(phrases: list[str], filters: Filters, limit: int, offset: int,
               cap: int | None = None, *, from_reports: bool = False,
               rarity: dict[str, int] | None = None) -> tuple[str, dict]:
    """Facet counts and one page of results in a single statement (the match is computed once).

    Rows are ``(kind, value, count, report_id)``: kind 'total' (``cap + 1``: more than ``cap``,
    default ``MAX_COUNTED``), a facet name, or 'hit'. Past ``cap`` the facets count and the pages
    show the ``cap + 1`` reports found first (the latest loaded), newest year first."""
    cte, params = matched_reports_sql(phrases, filters, cap, from_reports=from_reports, rarity=rarity)
    params.update(limit=limit, offset=offset)
    facets = " union all ".join(
        f"select * from (select '{facet}' as kind, {facet} as value, count(*) as n, null as report_id "
        f"from matched group by {facet} order by n desc limit 30)"
        for facet in FACETS
    )
    sql = (
        f"with {cte} "
        "select 'total', null, count(*), null from matched "
        f"union all {facets} "
        "union all select * from (select 'hit', null, null, report_id from matched "
        "order by year desc, report_id desc limit :limit offset :offset)"
    )
    return sql, params


def hits_sql(report_ids: list[int]) -> str:
    """The reports of a page with their details and all their sections (a few each): which
    sections hold a phrase is decided in Python, not by searching the whole index again."""
    ids = ", ".join(str(int(i)) for i in report_ids) or "null"
    return (
        "select r.id as report_id, r.title as report_title, r.organization, r.year, r.province, r.body_type, "
        "s.id as section_id, s.no, s.title as section_title, s.text "
        f"from reports r join sections s on s.report_id = r.id where r.id in ({ids}) order by s.report_id, s.no"
    )


def holds(section_title: str | None, text: str | None, phrase: str) -> bool:
    """As the SQL test: the phrase in the section's title or text, ASCII case ignored."""
    return phrase.lower() in f"{section_title or ''}\n{text or ''}".lower()


def _window(text: str, phrases: list[str], width: int) -> tuple[list[tuple[str, bool]], bool, bool]:
    """Pieces (text, is_hit) of the original text around the first hit, and whether text
    was cut before and after."""
    lowered = text.lower()
    found = [at for at in (lowered.find(p.lower()) for p in phrases) if at >= 0]
    if not found:
        return [(text[: 2 * width], False)], False, len(text) > 2 * width
    first = min(found)
    start, end = max(0, first - width), min(len(text), first + width)
    window = text[start:end]
    pattern = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)), re.IGNORECASE)
    pieces, last = [], 0
    for hit in pattern.finditer(window):
        pieces += [(window[last:hit.start()], False), (hit.group(), True)]
        last = hit.end()
    pieces.append((window[last:], False))
    return pieces, start > 0, end < len(text)


def snippet(text: str, phrases: list[str], width: int = SNIPPET_CHARS) -> Markup:
    """Original text around the first hit, every phrase marked (``<mark>``), HTML-escaped."""
    pieces, before, after = _window(text or "", phrases, width)
    marked = "".join(f"<mark>{escape(t)}</mark>" if hit else str(escape(t)) for t, hit in pieces)
    return Markup(("…" if before else "") + marked + ("…" if after else ""))


def snippet_text(text: str, phrases: list[str], width: int = SNIPPET_CHARS) -> str:
    """As ``snippet``, as plain text with hits in 【】 (for SQL results, which are not HTML)."""
    pieces, before, after = _window(text or "", phrases, width)
    return ("…" if before else "") + "".join(f"【{t}】" if hit else t for t, hit in pieces) + ("…" if after else "")

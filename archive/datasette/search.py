"""Full-text search over the reports, as a reader means it: phrases, found per report.

The index (``sections_fts``) holds a jieba-segmented copy of each section (``search_text``,
``archive.load.segment``, search mode: long words and their parts). A query is cut the same
way (``archive.load`` cuts Han runs alone, no HMM) and each phrase becomes
``NEAR("w1" "w2" …)``: its words close together in one section. That finds the candidates
from the index; the phrase itself must then occur in the section's original text
(``instr``), so 依申请 finds 依申请公开 and never a section where 依 and 申请 merely
stand near each other.

Several phrases (separated by spaces) must each occur somewhere in the same report, not
necessarily in the same section. Results are current report versions, newest year first.

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


class QueryError(ValueError):
    """A search that cannot be run, with a message for the reader (Chinese · English)."""


def parse(query: str | None) -> list[str]:
    """The phrases of a query: separated by spaces, quotes around a phrase allowed and ignored."""
    query = (query or "").strip()
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


def match_expression(phrase: str) -> str:
    """The FTS5 expression finding the sections that may hold ``phrase``."""
    found = words(phrase)
    if not found:
        raise QueryError(f"无法检索 · Nothing in {phrase!r} can be searched")
    quoted = " ".join(f'"{w}"' for w in found)
    if len(found) == 1:
        return quoted
    # Search mode puts a long word's parts beside it (行政 复议 行政复议): allow room between the words.
    return f"NEAR({quoted}, {4 * len(found)})"


def table_search(query: str) -> str:
    """``?_search=`` on a searchable table, as a raw FTS5 expression: every phrase in the one row."""
    return " AND ".join(match_expression(p) for p in parse(query))


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


def _phrase_sections(i: int) -> str:
    """Sections of current reports whose original text holds phrase ``i``."""
    return (
        f"select s.report_id, s.id as section_id from sections_fts f join sections s on s.id = f.rowid "
        f"where sections_fts match :m{i} "
        f"and instr(lower(coalesce(s.title, '') || char(10) || coalesce(s.text, '')), lower(:p{i})) > 0"
    )


def matched_reports_sql(phrases: list[str], filters: Filters) -> tuple[str, dict]:
    """A ``matched(report_id)`` CTE: current reports holding every phrase, filters applied."""
    params = {**filters.params()}
    parts = []
    for i, phrase in enumerate(phrases):
        params[f"m{i}"] = match_expression(phrase)
        params[f"p{i}"] = phrase
        parts.append(f"select report_id from ({_phrase_sections(i)})")
    cte = (
        "matched as materialized (select r.id as report_id, r.year, r.province, r.body_type from reports r "
        f"where r.id in ({' intersect '.join(parts)}) and r.is_latest = 1{filters.sql()})"
    )
    return cte, params


def search_sql(phrases: list[str], filters: Filters, limit: int, offset: int) -> tuple[str, dict]:
    """Facet counts and one page of results in a single statement (the match is computed once).

    Rows are ``(kind, value, count, report_id)``: kind 'total', a facet name, or 'hit'."""
    cte, params = matched_reports_sql(phrases, filters)
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

"""The rushan-like county portal (opt-in, 127.0.0.7): a Hanweb 区/县 portal built the
way real ones are, with every obstacle to a complete crawl that issue 12 lists.

* **Bodies** are named three ways by the xxgk directory: ``<a>`` links carrying
  ``vc_xxgkarea``, a town ``<select onchange="window.open(this.value)">`` and a
  unit-tree iframe (``/module/xxgk/unittree.jsp``); the directory also has a
  ``<select>`` that opens URLs but offers no option.
* **Years** of a body's ``xxgkAnnualReport.jsp`` are offered by its tree as links
  (the last two years only), a year ``<select>`` whose onchange builds the URL
  from ``this.value``, calls of an inline ``showReport(year)`` function, not at
  all, or by a year select without options. One body filed an old year (2012)
  that only probing finds.
* **Traps** in the 年报 column and jsearch, all indexed with the first body's
  索引号 (taken for reports they would merge into its report): companions (图解 —
  the page's own title and ``<h1>`` drop 图解 —, 一图读懂, 解读, H5, video), a
  notice about compiling reports, 法治政府建设年度报告, 部门预算/决算, 政务公开工作要点,
  the disclosure guide and rules.
* **Duplicates**: one report is also an article carrying the same report as a
  DOCX attachment (same 索引号), linked from the 年报 column and from a second,
  **malformed** column (its datastore cut off mid-record).
* **Search**: jsearch pages hold 5 results and the pager lies (more pages than
  there are; past the end the last page repeats); the search for 年报 answers
  500; one body's search.jsp answers 500.
* **robots.txt** disallows the last body's tree.
* **Calendar trap**: ``信息公开日历`` pages link the previous/next month and the
  next year forever; only a page budget ends it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape

from . import pages
from .sites import Article, Attachment, Body, Column, ListEntry, Site

# How the directory names a body, and how its tree offers its report years, by body index.
LISTING = ("link", "link", "select", "tree", "select", "link")
YEARS_VIA = ("links", "select", "script", "none", "empty_select", "links")
OLD_YEAR = 2012  # filed by the body whose years are not linked at all
JSEARCH_PAGE_SIZE = 5
JSEARCH_EXTRA_PAGES = 50  # the pager claims this many pages more than there are
MIN_BODIES = len(LISTING)

# Traps, by kind, as titles (org = the first body, y = the newest year).
TRAP_TITLES = {
    "companion": ("图解：{org}{y}年政府信息公开工作年度报告", "一图读懂{org}{y}年政府信息公开工作年度报告",
                  "{org}{y}年政府信息公开工作年度报告解读", "{org}{y}年政府信息公开工作年度报告（H5版）",
                  "视频：{org}{y}年政府信息公开工作年度报告"),
    "notice": ("关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知",),
    "other_annual": ("{org}{y}年法治政府建设年度报告", "{org}{y}年部门预算", "{org}{y}年部门决算",
                     "{org}{y1}年政务公开工作要点"),
    "guide": ("{org}政府信息公开指南", "{org}政府信息公开制度"),
}


@dataclass(eq=False)
class CountyExtras:
    """What only the county portal has."""

    unit_tree: list[Body]                 # bodies named only by the unit-tree iframe
    town_select: list[Body]               # bodies named only by the town <select>
    years_via: dict[str, str]             # uscc -> links | select | script | none | empty_select
    traps: list[Article] = field(default_factory=list)
    trap_kinds: dict[str, str] = field(default_factory=dict)  # article path -> trap kind
    malformed_column: int = 0
    calendar_column: int = 0
    search_error_area: str = ""


def build(site: Site, rng: random.Random, ids, new_report) -> None:
    """Fill ``site`` (bodies already made) with reports, columns and traps."""
    bodies = site.bodies
    extras = CountyExtras(
        unit_tree=[b for i, b in enumerate(bodies) if LISTING[i % len(LISTING)] == "tree"],
        town_select=[b for i, b in enumerate(bodies) if LISTING[i % len(LISTING)] == "select"],
        years_via={b.uscc: YEARS_VIA[i % len(YEARS_VIA)] for i, b in enumerate(bodies)},
        malformed_column=ids.column(), calendar_column=ids.column(),
        search_error_area=bodies[-1].uscc,
    )
    site.county = extras
    # robots.txt keeps crawlers out of the last body's tree (its years are then found by probing).
    site.disallowed_paths.append(f"/module/xxgk/tree.jsp?standardXxgk=1&area={bodies[-1].uscc}")
    for b, body in enumerate(bodies):
        for y, year in enumerate(site.years):
            if (b + 2 * y) % 5 == 4:  # a year the body did not file
                continue
            site.reports.append(new_report(site, body, year, "annual_report", rng))
    hidden = next(b for b in bodies if extras.years_via[b.uscc] == "none")
    site.reports.append(new_report(site, hidden, OLD_YEAR, "annual_report", rng))

    # The 年报 column: one report republished as an article with its DOCX, and the traps.
    column = Column(site.annual_column, ids.unit(), "政府信息公开年报", 5, "span_after")
    site.columns[column.column_id] = column
    twice = next(r for r in reversed(site.reports) if r.body is bodies[1])
    article = Article(column.column_id, 0, twice.published + timedelta(hours=2), twice.title, twice.body, twice)
    twice.articles.append(article)
    twice.attachments.append(Attachment("".join(rng.choice("0123456789abcdef") for _ in range(32)), "docx",
                                        f"{twice.title}.docx", twice, True, "utf8"))
    first, newest = bodies[0], max(site.years)
    for kind, titles in TRAP_TITLES.items():
        for title in titles:
            text = title.format(org=first.organization, y=newest, y1=newest + 1)
            when = datetime(newest + 1, 2, 1, 10) + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
            trap = Article(column.column_id, 0, when, text, first)
            extras.traps.append(trap)
            site.articles[f"trap:{len(extras.traps)}"] = trap
    # The malformed second column lists the same article (its datastore is cut off after it).
    site.columns[extras.malformed_column] = Column(extras.malformed_column, ids.unit(), "往年年度报告", 5,
                                                   "span_after")


def after_numbering(site: Site) -> None:
    """Lists and trap kinds, once articles have their ids and paths."""
    extras = site.county
    column = site.columns[site.annual_column]
    column.entries = []
    arts = [a for r in site.reports for a in r.articles] + extras.traps
    for art in sorted(arts, key=lambda a: a.published, reverse=True):
        column.entries.append(ListEntry(art.title, art.path, art.published))
    for kind, titles in TRAP_TITLES.items():
        for art in extras.traps:
            if any(art.title == t.format(org=site.bodies[0].organization, y=max(site.years),
                                         y1=max(site.years) + 1) for t in titles):
                extras.trap_kinds[art.path] = kind
    copy = next(a for r in site.reports for a in r.articles)
    site.columns[extras.malformed_column].entries = [ListEntry(copy.title, copy.path, copy.published)]


# --- pages ----------------------------------------------------------------------------------


def home(site: Site) -> str:
    p, extras = site.profile, site.county
    return "".join([
        pages._head(p.site_name, {"SiteName": p.site_name, "SiteIDCode": p.site_id_code}), "<body>\n",
        pages._header(site), '<div class="main">\n<div class="box zwgk"><h3>政务公开</h3><ul>\n',
        f'<li><a href="/col/col{site.xxgk_column}/index.html">政府信息公开</a></li>\n',
        f'<li><a href="/col/col{site.annual_column}/index.html">政府信息公开年报</a></li>\n',
        f'<li><a href="/col/col{extras.malformed_column}/index.html">往年年度报告</a></li>\n',
        f'<li><a href="/col/col{extras.calendar_column}/index.html?date={max(site.years) + 1}-01">'
        "信息公开日历</a></li>\n",
        "</ul></div>\n</div>\n", pages._footer(site)])


def directory(site: Site) -> str:
    """Bodies as links, a town select, a unit-tree iframe, and a select with no option."""
    extras = site.county
    hidden = set(extras.unit_tree) | set(extras.town_select)
    links = "".join(f'<li><a href="{_unit_url(b)}" target="_blank">{escape(b.name)}</a></li>\n'
                    for b in site.bodies if b not in hidden)
    options = "".join(f'<option value="{_unit_url(b)}">{escape(b.name)}</option>\n' for b in extras.town_select)
    return "".join([
        pages._head("政府信息公开", {"ColumnName": "政府信息公开", "SiteName": site.profile.site_name}), "<body>\n",
        pages._header(site), '<div class="main"><div class="bmlist"><h3>部门信息公开</h3><ul>\n', links, "</ul>\n",
        '<h3>镇街信息公开</h3><select onchange="window.open(this.value)">\n<option value="">请选择镇街</option>\n',
        options, "</select>\n",
        '<h3>其他单位</h3><select onchange="window.open(this.value)"></select>\n',
        '<iframe src="/module/xxgk/unittree.jsp?webid=1" width="220" height="400" frameborder="0"></iframe>\n',
        "</div></div>\n", pages._footer(site)])


def unit_tree(site: Site) -> str:
    items = "".join(f'<li><a href="{_unit_url(b)}" target="_blank">{escape(b.name)}</a></li>\n'
                    for b in site.county.unit_tree)
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>unittree</title></head><body>\n'
            f"<ul>\n{items}</ul>\n</body></html>\n")


def _unit_url(body: Body) -> str:
    return f"/col/col{body.unit_column}/index.html?vc_xxgkarea={body.uscc}&amp;jh=263"


def tree(site: Site, body: Body) -> str:
    """A body's infotype tree: its years as links (last two), a JS select, script calls, or nothing."""
    via = site.county.years_via[body.uscc]
    module = f"/module/xxgk/xxgkAnnualReport.jsp?area={body.uscc}&amp;fbtime="
    years = sorted({r.year for r in site.reports if r.body is body and r.year in site.years}
                   | set(site.years), reverse=True)
    parts = ['<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>tree</title></head><body>\n'
             '<ul class="xxgk_tree">\n<li><a href="javascript:parent.search(\'\')">全部信息</a></li>\n'
             '<li class="nb">政府信息公开年报<ul>\n']
    if via == "links":
        parts += [f'<li><a href="{module}{y}" target="_blank">{y}年</a></li>\n' for y in years[:2]]
    elif via == "select":
        options = "".join(f'<option value="{y}">{y}年</option>' for y in years)
        parts.append(f'<li><select onchange="window.open(\'{module}\'+this.value)">'
                     f'<option value="">选择年份</option>{options}</select></li>\n')
    elif via == "script":
        parts += [f'<li><a href="javascript:void(0)" onclick="showReport(\'{y}\')">{y}年</a></li>\n' for y in years]
        parts.append("<script>function showReport(year) { window.open('/module/xxgk/xxgkAnnualReport.jsp"
                     f"?area={body.uscc}&fbtime=' + year); }}</script>\n")
    elif via == "empty_select":
        parts.append(f'<li><select onchange="window.open(\'{module}\'+this.value)"></select></li>\n')
    parts.append("</ul></li>\n</ul>\n</body></html>\n")
    return "".join(parts)


def malformed_column_page(site: Site, column: Column, links: pages.Links) -> str:
    """A column whose datastore is cut off in its second record (a broken template save)."""
    first = column.entries[0]
    records = f"<record><![CDATA[\n{pages.record_markup(first, column.record_style, links)}\n]]></record>\n"
    body = (f'<div id="{column.unit_id}"><script type="text/xml"><datastore>\n<recordset>\n{records}'
            '<record><![CDATA[\n<li><a href="/art/2024/')
    return pages._column_shell(site, column, body)


def calendar(site: Site, month: str) -> str:
    """信息公开日历: every month links the month before and after, and the next year."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        when = datetime(year, mon, 1)
    except ValueError:
        when = datetime(max(site.years) + 1, 1, 1)
    prev = (when - timedelta(days=1)).strftime("%Y-%m")
    nxt = (when + timedelta(days=32)).strftime("%Y-%m")
    next_year = f"{when.year + 1}-{when.month:02d}"
    base = f"/col/col{site.county.calendar_column}/index.html?date="
    return "".join([
        pages._head("信息公开日历", {"ColumnName": "信息公开日历", "SiteName": site.profile.site_name}), "<body>\n",
        f"<h2>{when.year}年{when.month}月</h2>\n",
        f'<a href="{base}{prev}">信息公开日历 上一月</a> <a href="{base}{nxt}">信息公开日历 下一月</a> '
        f'<a href="{base}{next_year}">信息公开日历 下一年</a>\n', pages._footer(site)])


def jsearch(site: Site, hits: list[Article], query: str, page: int, links: pages.Links) -> str:
    """Small pages and a pager that claims more pages than there are (past the end, the last repeats)."""
    real = max(1, math.ceil(len(hits) / JSEARCH_PAGE_SIZE))
    shown = min(page, real)
    text = pages.jsearch(site, hits, query, shown, JSEARCH_PAGE_SIZE, links)
    return text.replace(f"共{real}页 第{shown}页", f"共{real + JSEARCH_EXTRA_PAGES}页 第{page}页")


def trap_title_on_page(title: str) -> str:
    """A companion page's own title drops the 图解 prefix its list entry shows."""
    return title.removeprefix("图解：")

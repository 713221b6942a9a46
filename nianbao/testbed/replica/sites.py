"""The replica's content model: sites, bodies, columns, articles, reports, files.

Everything is derived deterministically from ``seed`` and built eagerly but
cheaply (ids, titles, dates, URLs); report bodies and binary files are rendered
lazily per request (``content.py``). Names and codes imitate Weihai's real
Hanweb portals (see ``shared/research-hanweb-portals.md``):

* wendeng-like: every body has an xxgk unit page and a 年报 *column of articles*;
  some 2021/2022 reports are FlipBuilder books on the bare-IP book host.
* huancui-like: reports are ``/module/xxgk/xxgkAnnualReport.jsp?area=&fbtime=``
  pages, one per body and year, linked from each body's xxgk tree.
* weihai-like (city level, opt-in): both paths side by side, body by body, as on
  www.weihai.gov.cn (§2.2): structured module pages and 年报 columns of articles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

# GB 32100-2015 统一社会信用代码 alphabet (no I, O, S, V, Z) and weights.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organization_code(rng: random.Random) -> str:
    """A 9-char GB 11714 组织机构代码 with its real check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(county_code: str, rng: random.Random) -> str:
    """An 18-char 统一社会信用代码 of a government body (机关 = "11") in ``county_code``."""
    stem = "11" + county_code + organization_code(rng)
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(stem, _USCC_WEIGHTS))
    return stem + _USCC_CHARS[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


# (name after the county, flip-book slug). The first ones are the real bodies the
# research doc names, so small replicas look like the stored copies.
_DEPARTMENTS = [
    ("人民政府办公室", "bangongshi"), ("商务局", "shangwu"), ("综合行政执法局", "zonghexz"),
    ("统计局", "tongji"), ("财政局", "caizheng"), ("发展和改革局", "fagai"),
    ("信访局", "xinfang"), ("住房和城乡建设局", "zhujian"), ("水利局", "shuili"),
    ("教育和体育局", "jiaoti"), ("民政局", "minzheng"), ("司法局", "sifa"),
    ("人力资源和社会保障局", "renshe"), ("交通运输局", "jiaotong"), ("农业农村局", "nongye"),
    ("卫生健康局", "weijian"), ("应急管理局", "yingji"), ("市场监督管理局", "shichang"),
    ("医疗保障局", "yibao"), ("退役军人事务局", "tuiyi"), ("审计局", "shenji"),
    ("行政审批服务局", "shenpi"), ("文化和旅游局", "wenlv"), ("科学技术局", "keji"),
    ("工业和信息化局", "gongxin"), ("自然资源局", "ziran"), ("生态环境分局", "shengtai"),
]
_TOWNS = {
    "wendeng": ["天福街道办事处", "龙山街道办事处", "环山街道办事处", "文登营镇人民政府",
                "大水泊镇人民政府", "张家产镇人民政府", "高村镇人民政府", "泽库镇人民政府",
                "侯家镇人民政府", "宋村镇人民政府", "泽头镇人民政府", "小观镇人民政府",
                "葛家镇人民政府", "米山镇人民政府", "界石镇人民政府"],
    "weihai": [],  # the city's bodies are departments; districts have their own sites
    "rushan": ["城区街道办事处", "夏村镇人民政府", "乳山口镇人民政府", "海阳所镇人民政府", "白沙滩镇人民政府",
               "大孤山镇人民政府", "南黄镇人民政府", "冯家镇人民政府", "下初镇人民政府", "午极镇人民政府",
               "育黎镇人民政府", "崖子镇人民政府", "诸往镇人民政府", "乳山寨镇人民政府"],
    "huancui": ["环翠楼街道办事处", "鲸园街道办事处", "竹岛街道办事处", "怡园街道办事处",
                "田和街道办事处", "皇冠街道办事处", "孙家疃街道办事处", "温泉镇人民政府",
                "张村镇人民政府", "羊亭镇人民政府", "桥头镇人民政府", "嵩山街道办事处"],
}
# Syllables for made-up 某某镇 names once the real lists run out (scale runs).
_SYLLABLES = "龙凤泉河山海岭峰石桥柳松林泊港湾口庄屯崖营台阳泽沟家"


def _body_names(site: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    towns = _TOWNS[site]
    names: list[tuple[str, str]] = []
    d = t = 0
    # Departments first (the real examples), a town every third body.
    while len(names) < count and (d < len(_DEPARTMENTS) or t < len(towns)):
        if (len(names) % 3 == 2 and t < len(towns)) or d >= len(_DEPARTMENTS):
            names.append((towns[t], f"town{t + 1}"))
            t += 1
        else:
            names.append(_DEPARTMENTS[d])
            d += 1
    taken = {n for n, _ in names}
    while len(names) < count:
        suffix = ("管理委员会", "服务中心") if site == "weihai" else ("镇人民政府", "街道办事处")
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(suffix)
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            names.append((name, f"town{len(names) + 1}"))
    return names


@dataclass(frozen=True)
class SiteProfile:
    name: str
    county_code: str
    county: str            # 威海市文登区
    site_name: str         # 威海市文登区人民政府
    webid: int
    jsearch_websiteid: str  # Wendeng still uses its old county-level-city code 371081
    site_id_code: str


PROFILES = {
    "wendeng": SiteProfile("wendeng", "371003", "威海市文登区", "威海市文登区人民政府", 73,
                           "371081000500000", "3710030001"),
    "huancui": SiteProfile("huancui", "371002", "威海市环翠区", "威海市环翠区人民政府", 72,
                           "371002000000000", "3710020001"),
    "weihai": SiteProfile("weihai", "371000", "威海市", "威海市人民政府", 1,
                          "371000000000000", "3710000001"),
    "rushan": SiteProfile("rushan", "371083", "乳山市", "乳山市人民政府", 75,
                          "371083000000000", "3710830001"),
    # The other families' replicas (nianbao.testbed.families): a TRS WCM and an Ucap portal.
    "zhifu": SiteProfile("zhifu", "370602", "烟台市芝罘区", "烟台市芝罘区人民政府", 0, "", "3706020001"),
    "shinan": SiteProfile("shinan", "370202", "青岛市市南区", "青岛市市南区人民政府", 0, "", "3702020001"),
}


@dataclass(eq=False)
class Body:
    name: str               # 统计局
    organization: str       # 威海市文登区统计局
    uscc: str
    slug: str               # pinyin-ish, used by flip-book paths
    unit_column: int        # xxgk unit page: /col/col{N}/index.html?vc_xxgkarea={uscc}&jh=261
    notice_column: int      # where its ordinary xxgk documents live
    report_column: "Column | None" = None  # wendeng: the body's 年报 column


@dataclass(eq=False)
class Attachment:
    hexname: str            # 32 hex
    ext: str                # pdf, docx, doc, wps, jpg, png
    showname: str           # original file name as uploaded
    report: "Report"
    via_downfile: bool      # linked through downfile.jsp (302) or directly
    disposition: str        # "both" | "utf8" | "gbk": Content-Disposition filename variants

    @property
    def attach_path(self) -> str:
        folder = "picture" if self.ext in ("jpg", "png") else "attach"
        return f"/{folder}/0/{self.hexname}.{self.ext}"

    @property
    def link_path(self) -> str:
        if not self.via_downfile:
            return self.attach_path
        return (f"/module/download/downfile.jsp?classid=0&filename={self.hexname}.{self.ext}"
                f"&showname={quote(self.showname)}")


@dataclass(eq=False)
class Article:
    column_id: int          # owning column (in the file name)
    article_id: int
    published: datetime
    title: str
    body: Body | None
    report: "Report | None" = None  # None: an ordinary xxgk document
    index_seq: int = 0

    @property
    def path(self) -> str:
        p = self.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{self.column_id}_{self.article_id}.html"


@dataclass(eq=False)
class ListEntry:
    """One record of a column list; ``href`` may point off-host (``{clone}``)."""
    title: str
    href: str
    date: datetime
    stray_fragment: bool = False  # JCMS's broken ``<li style=<br/>`` markup


@dataclass(eq=False)
class Column:
    column_id: int
    unit_id: int
    name: str
    per_page: int
    record_style: str       # span_after | b_clearfix | span_before | sp_time | table_row
    entries: list[ListEntry] = field(default_factory=list)
    js_only: bool = False   # records only through the proxy, by a browser
    legacy_proxy: bool = False  # old /module/jslib/jquery/jpage/dataproxy.jsp answering GBK


@dataclass(eq=False)
class FlipBook:
    year: int
    slug: str
    title: str
    image_only: bool        # pages without a text layer
    via_viewer: bool = False  # the article links the JS viewer (index.html), not the text pages

    @property
    def root(self) -> str:
        return f"/book/{self.year}dzs/{self.slug}"


@dataclass(eq=False)
class Report:
    site: str
    body: Body
    year: int
    published: datetime
    form: str               # html | old_template | gbk | attachment | scan | flipbook | annual_report
    seed: int
    title: str
    template: str = "2021"
    articles: list[Article] = field(default_factory=list)  # first = canonical page
    attachments: list[Attachment] = field(default_factory=list)
    flipbook: FlipBook | None = None
    two_line_title: bool = False
    year_typo: bool = False      # the prose names the previous year once ("结合2022年…" in a 2023 report)
    related_files: bool = False  # attachments listed in ``ul.xgbd`` below div#zoom, not inside it
    disallowed: bool = False
    needs_js: bool = False
    alias_linked: bool = False   # also linked through the :8443-like alias host
    deleted: bool = False
    revision: int = 0
    modified: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.site}:{self.body.uscc}:{self.year}"

    @property
    def annual_report_path(self) -> str:
        return f"/module/xxgk/xxgkAnnualReport.jsp?area={self.body.uscc}&fbtime={self.year}"

    @property
    def last_modified(self) -> datetime:
        return self.modified or self.published


@dataclass(eq=False)
class Site:
    profile: SiteProfile
    bodies: list[Body]
    years: tuple[int, ...]
    columns: dict[int, Column]
    articles: dict[str, Article]         # path -> article
    reports: list[Report]
    attachments: dict[str, Attachment]   # attach/picture path -> attachment
    xxgk_column: int                     # the directory of bodies
    annual_column: int                   # wendeng: 年报汇总; huancui: the JS-only 区政府 column; weihai: unused
    disallowed_paths: list[str] = field(default_factory=list)
    county: "object | None" = None       # rushan: county.CountyExtras (selects, traps, faults)

    @property
    def name(self) -> str:
        return self.profile.name

    def body_by_area(self, area: str) -> Body | None:
        return next((b for b in self.bodies if b.uscc == area), None)

    def report_for(self, area: str, year: int) -> Report | None:
        return next((r for r in self.reports if r.body.uscc == area and r.year == year
                     and r.form == "annual_report"), None)


RECORD_STYLES = ("span_after", "b_clearfix", "span_before", "sp_time", "table_row")


class _Ids:
    """Unique ids in realistic ranges; article ids grow with publication time."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[int] = set()

    def column(self) -> int:
        while (n := self.rng.randint(50_000, 189_999)) in self.used:
            pass
        self.used.add(n)
        return n

    def unit(self) -> int:
        while (n := self.rng.randint(100_000, 899_999)) in self.used:
            pass
        self.used.add(n)
        return n


def _publication_time(rng: random.Random, report_year: int) -> datetime:
    day = datetime(report_year + 1, 1, 8) + timedelta(days=rng.randint(0, 45))
    return day.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def _hexname(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(32))


def report_title(organization: str, year: int) -> str:
    if year <= 2020:
        # Pre-2021 wording (国办公开办函〔2019〕60号 era), as on the 发改局 2020 page.
        return f"{organization}{year}年度政府信息公开工作报告"
    return f"{organization}{year}年政府信息公开工作年度报告"


def build_site(name: str, *, seed: int, bodies_per_site: int, years: tuple[int, ...]) -> Site:
    profile = PROFILES[name]
    rng = random.Random(f"{seed}:{name}")
    ids = _Ids(rng)
    bodies = []
    if name == "rushan":  # every obstacle needs its own body
        from .county import MIN_BODIES

        bodies_per_site = max(bodies_per_site, MIN_BODIES)
    for short, slug in _body_names(name, bodies_per_site, rng):
        bodies.append(Body(short, profile.county + short, uscc(profile.county_code, rng), slug,
                           ids.column(), ids.column()))
    site = Site(profile, bodies, tuple(sorted(years)), {}, {}, [], {}, ids.column(), ids.column())
    {"wendeng": _build_wendeng, "huancui": _build_huancui, "weihai": _build_weihai,
     "rushan": _build_rushan}[name](site, rng, ids)
    _add_notices(site, rng)
    _number_articles(site, rng)
    _fill_lists(site, rng)
    if site.county is not None:
        from . import county

        county.after_numbering(site)
    return site


def _build_rushan(site: Site, rng: random.Random, ids: _Ids) -> None:
    from . import county

    county.build(site, rng, ids, _new_report)


# Report forms of the first bodies × years, so that even a 4-body replica shows
# every variant; later reports cycle through the common forms.
_WENDENG_FORMS = {
    (0, 0): "html", (0, 1): "attachment:docx", (0, 2): "attachment:pdf",
    (1, 0): "flipbook", (1, 1): "flipbook", (1, 2): "old_template",
    (2, 0): "scan", (2, 1): "flipbook:image_only", (2, 2): "gbk",
    (3, 0): "attachment:doc", (3, 1): "attachment:wps", (3, 2): "html",
}
_COMMON_FORMS = ("html", "html", "attachment:docx", "html", "old_template")


def _new_report(site: Site, body: Body, year: int, form: str, rng: random.Random) -> Report:
    return Report(site.name, body, year, _publication_time(rng, year), form,
                  seed=rng.randint(0, 2**31), title=report_title(body.organization, year),
                  template="2021" if year >= 2021 else "2019")


def _build_wendeng(site: Site, rng: random.Random, ids: _Ids) -> None:
    for b, body in enumerate(site.bodies):
        # The 年报汇总 column uses the first style; four bodies already show the other four.
        style = RECORD_STYLES[(b + 1) % len(RECORD_STYLES)]
        body.report_column = Column(ids.column(), ids.unit(), f"{body.name}年报", 15, style,
                                    legacy_proxy=(b % 4 == 3))
        site.columns[body.report_column.column_id] = body.report_column
        for y, year in enumerate(site.years):
            spec = _WENDENG_FORMS.get((b, y)) or _COMMON_FORMS[(b + y) % len(_COMMON_FORMS)]
            # Flip-books were a 2021/2022 fashion; elsewhere the same slot is a plain page.
            if spec.startswith("flipbook") and year not in (2021, 2022):
                spec = "html"
            form, _, variant = spec.partition(":")
            report = _new_report(site, body, year, form, rng)
            if form == "flipbook":
                report.flipbook = FlipBook(year, body.slug, report.title, image_only=variant == "image_only")
            elif form == "attachment":
                _attach(report, variant, rng, via_downfile=variant != "doc")
                report.related_files = variant == "pdf"
            elif form == "scan":
                _attach(report, "jpg", rng, via_downfile=False)
                _attach(report, "png", rng, via_downfile=False)
            report.two_line_title = (b, y) == (0, 0)
            report.articles.append(Article(body.report_column.column_id, 0, report.published,
                                           report.title, body, report))
            site.reports.append(report)
    if not site.reports:
        return
    books = [r.flipbook for r in site.reports if r.flipbook]
    if books:
        books[0].via_viewer = True
    # A pre-2021 report with the old title wording (like 发改局 2020, art_75243_2524471).
    old_body = site.bodies[min(3, len(site.bodies) - 1)]
    old = _new_report(site, old_body, min(site.years) - 1, "html", rng)
    old.articles.append(Article(old_body.report_column.column_id, 0, old.published, old.title,
                                old_body, old))
    site.reports.append(old)
    # The same report published twice (two columns, two article ids, one 索引号).
    dup = site.reports[0]
    dup.articles.append(Article(site.annual_column, 0, dup.published + timedelta(minutes=7),
                                dup.title, dup.body, dup))
    # One report whose page robots.txt forbids: the crawler must not fetch it.
    barred = next((r for r in reversed(site.reports) if r.form == "html" and r is not dup
                   and r is not old), None)
    if barred:
        barred.disallowed = True


def _attach(report: Report, ext: str, rng: random.Random, *, via_downfile: bool) -> None:
    n = len(report.attachments) + 1
    showname = f"{report.title}.{ext}" if ext not in ("jpg", "png") else f"统计附表{n}.{ext}"
    disposition = ("both", "gbk", "utf8")[report.seed % 3]  # images are served inline, without one
    report.attachments.append(Attachment(_hexname(rng), ext, showname, report, via_downfile, disposition))


def _build_huancui(site: Site, rng: random.Random, ids: _Ids) -> None:
    for b, body in enumerate(site.bodies):
        for y, year in enumerate(site.years):
            # Some bodies skipped a year: xxgkAnnualReport.jsp then shows an empty page.
            if (b + 2 * y) % 5 == 4:
                continue
            site.reports.append(_new_report(site, body, year, "annual_report", rng))
    if site.reports:
        site.reports[-1].alias_linked = True
    # Like Rongcheng 东山街道's 2025 report, a town report whose prose slips on the year.
    town = next((r for r in reversed(site.reports) if r.body.name.endswith("办事处")), None)
    if town:
        town.year_typo = True
    # 区人民政府's own reports: articles in a column only a browser can list.
    gov = Body("人民政府", site.profile.site_name, uscc(site.profile.county_code, rng), "zhengfu",
               ids.column(), ids.column())
    # One record a page (and a group: pages.JS_GROUP_SIZE): the browser sees one report of three.
    column = Column(site.annual_column, ids.unit(), "区政府信息公开年度报告", 1, "span_after", js_only=True)
    site.columns[column.column_id] = column
    for year in site.years:
        report = _new_report(site, gov, year, "html", rng)
        report.needs_js = True
        report.articles.append(Article(column.column_id, 0, report.published, report.title, gov, report))
        site.reports.append(report)


def _build_weihai(site: Site, rng: random.Random, ids: _Ids) -> None:
    """Even bodies file through xxgkAnnualReport.jsp, odd ones as articles in a 年报 column
    (like the 市政府 2024 report, art_168496_5305747, whose year is a 内容分类)."""
    for b, body in enumerate(site.bodies):
        if b % 2:
            body.report_column = Column(ids.column(), ids.unit(), f"{body.name}年报", 15,
                                        RECORD_STYLES[b % len(RECORD_STYLES)])
            site.columns[body.report_column.column_id] = body.report_column
        for year in site.years:
            report = _new_report(site, body, year, "html" if b % 2 else "annual_report", rng)
            if body.report_column is not None:
                report.articles.append(Article(body.report_column.column_id, 0, report.published,
                                               report.title, body, report))
            site.reports.append(report)


_NOTICE_TITLES = (
    "关于印发《{org}{y}年政务公开工作要点》的通知", "{org}{y}年法治政府建设情况报告",
    "关于公布{org}权责清单的公告", "{org}{y}年部门预算公开", "{org}{y}年部门决算公开",
    "关于调整{org}政务公开工作领导小组成员的通知",
)


def _add_notices(site: Site, rng: random.Random) -> None:
    """Ordinary xxgk documents: they share search.jsp with the reports."""
    for b, body in enumerate(site.bodies):
        count = 12 if b == 0 else 2  # body 0 pages search.jsp beyond one page
        for k in range(count):
            year = site.years[(k // len(_NOTICE_TITLES)) % len(site.years)]
            title = _NOTICE_TITLES[k % len(_NOTICE_TITLES)].format(org=body.organization, y=year)
            when = datetime(year, 1, 1, 9) + timedelta(days=rng.randint(30, 330), minutes=rng.randint(0, 500))
            art = Article(body.notice_column, 0, when, title, body)
            site.articles[f"notice:{b}:{k}"] = art


def _number_articles(site: Site, rng: random.Random) -> None:
    articles = list(site.articles.values()) + [a for r in site.reports for a in r.articles]
    articles.sort(key=lambda a: a.published)
    next_id = rng.randint(2_400_000, 2_600_000)
    seqs: dict[tuple[str, int], int] = {}
    for art in articles:
        next_id += rng.randint(1, 900)
        art.article_id = next_id
        key = (art.body.uscc, art.published.year)
        # Republished copies keep the original's 索引号.
        if art.report and art.report.articles[0] is not art:
            art.index_seq = art.report.articles[0].index_seq
        else:
            seqs[key] = seqs.get(key, 0) + rng.randint(1, 40)
            art.index_seq = seqs[key]
    site.articles = {a.path: a for a in articles}
    for report in site.reports:
        for att in report.attachments:
            site.attachments[att.attach_path] = att
        if report.disallowed:
            site.disallowed_paths.append(report.articles[0].path)


def _fill_lists(site: Site, rng: random.Random) -> None:
    by_column: dict[int, list[Article]] = {}
    for art in site.articles.values():
        if art.report:
            by_column.setdefault(art.column_id, []).append(art)
    for column_id, arts in by_column.items():
        column = site.columns.get(column_id)
        if column is None:  # the 年报汇总 column, built below from every report
            continue
        for art in sorted(arts, key=lambda a: a.published, reverse=True):
            column.entries.append(ListEntry(art.title, art.path, art.published))
    if site.name != "wendeng" or not site.reports:
        return
    # 年报汇总: every report article (owning columns differ), small perPage so that
    # the inline group does not hold everything and the proxy must be used.
    summary = Column(site.annual_column, 764752, "政府信息公开年报", 4, "span_after")  # unitid as in §1.1
    seen = set()
    for art in sorted(site.articles.values(), key=lambda a: a.published, reverse=True):
        if art.report and art.path not in seen:
            seen.add(art.path)
            summary.entries.append(ListEntry(art.title, art.path, art.published))
    # JCMS leaves broken markup now and then; prefer the title attribute.
    summary.entries[min(2, len(summary.entries) - 1)].stray_fragment = True
    # A mirror site copies a report under the same path: an off-host link to refuse.
    copied = site.reports[0].articles[0]
    summary.entries.insert(1, ListEntry(copied.title, "{clone}" + copied.path, copied.published))
    site.columns[summary.column_id] = summary

"""Synthetic annual reports in the national layout, consistent by construction.

Used by the tests, the replica portal, the OCR corpus and the benchmarks: a
seeded canonical record (``random_record``) is printed the way real portals
and Word files print it (``render_html``, ``render_docx``, ``render_text``),
so a reader's output can be compared with the record it came from.

    >>> record = random_record(7)
    >>> page = render_html(record, encoding="gbk", split_labels=True)
    >>> parsers.parse_bytes(page)["applications"] == record["applications"]

Every renderer prints what the record says: a value ``None`` prints as a
blank cell. ``with_blanks(record, cells)`` gives the record a reader should
return for a page rendered with ``blank_cells=cells`` (``as_printed`` also applies the misprinted headings).

Variants (keyword options of every renderer):
  ``split_labels``   long labels broken over lines inside their cell ("没有现\\n成信息…")
  ``spaced_labels``  labels spaced out ("本 年 度 办 理 结 果", "结果 维持")
  ``typos``          the seeds' misprints: 结转下半年度, 以获取信息, 本年度止件数, 行政投诉
  ``blank_cells``    row codes, or (row code, column code) pairs, printed blank
  ``title_lines``    2 prints the body's name on a line above "{year}年政府信息公开工作年度报告"
  ``penalty_twice``  prints 行政强制's row under the label 行政处罚, as seed 001 does
"""

from __future__ import annotations

import copy
import html
import io
import random
import re
from dataclasses import dataclass
from importlib import resources

from lxml import etree

from parsers import model

# --- the record -----------------------------------------------------------------------

APPLICANTS = tuple(c for c in model.APPLICANT_COLUMNS if c != "total")
REVIEW_PARTS = ("upheld", "corrected", "other", "pending")
BALANCE_DETAIL = "every column: 一+二 = 三(七)+四"
# How likely each outcome is for one application: most are granted, few denied.
OUTCOME_WEIGHTS = {
    "granted": 40,
    "partially_granted": 8,
    "unable_not_held": 12,
    "unable_needs_creation": 3,
    "unable_unclear": 2,
    "denied_third_party": 2,
    "denied_process_info": 2,
    "denied_internal_affairs": 1,
    "rejected_petition": 3,
    "rejected_duplicate": 2,
    "rejected_publication": 1,
    "rejected_confirmation": 1,
    "other_no_correction": 3,
    "other_misc": 2,
    "other": 5,
}


def random_record(
    seed: int,
    *,
    year: int = 2023,
    organization: str = "威海市文登区统计局",
    region: str | None = "山东省威海市文登区",
    template: str = "2021",
    other_rows: int = 3,
    published: str | None = None,
) -> dict:
    """A consistent canonical record: every check of the spec holds, prose matches the table."""
    if template not in model.ACTIVE_DISCLOSURE_LAYOUT:
        raise ValueError(f"unknown template {template!r}")
    if other_rows not in (1, 3):
        raise ValueError("other_rows is 1 (one （六） row) or 3 (three （六） rows)")
    rng = random.Random(seed)
    if published is None:
        published = f"{year + 1}-01-{rng.randint(5, 28):02d}"
    applications = _random_applications(rng, other_rows)
    received = applications["new_received"]["total"]
    return {
        "schema": model.SCHEMA,
        "title": f"{organization}{year}年政府信息公开工作年度报告",
        "organization": organization,
        "region": region,
        "year": year,
        "published": published,
        "template": template,
        "sections": _random_sections(rng, organization, year, received),
        "active_disclosure": _random_active_disclosure(rng, template),
        "applications": applications,
        "reviews_litigation": _random_reviews(rng),
        "checks": [
            {"code": "apps_balance", "ok": True, "detail": BALANCE_DETAIL},
            {"code": "apps_results_sum", "ok": True, "detail": ""},
            {"code": "apps_row_totals", "ok": True, "detail": ""},
            {"code": "review_totals", "ok": True, "detail": ""},
            {
                "code": "text_vs_table",
                "ok": True,
                "detail": f"prose: 共收到政府信息公开申请{received}件; table new_received.total = {received}",
            },
        ],
        "warnings": [],
    }


def application_rows(other_rows: int = 3) -> tuple[str, ...]:
    """The section 三 row codes a report prints, in template order."""
    dropped = ("other",) if other_rows == 3 else model.OTHER_HANDLING_ROWS
    return tuple(code for code in model.APPLICATION_ROWS if code not in dropped)


def _small(rng: random.Random, choices=(0, 0, 0, 0, 1, 1, 2, 3)) -> int:
    return rng.choice(choices)


def _random_applications(rng: random.Random, other_rows: int) -> dict:
    rows = application_rows(other_rows)
    outcomes = [code for code in rows if code in model.OUTCOME_ROWS]
    weights = [OUTCOME_WEIGHTS.get(code, 1) for code in outcomes]
    table = {code: dict.fromkeys(APPLICANTS, 0) for code in rows}
    for column in APPLICANTS:
        if column == "natural_person":
            new = rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 21, 34))
            carried = _small(rng)
        else:
            new = _small(rng, (0, 0, 0, 0, 0, 0, 1, 2))
            carried = _small(rng, (0, 0, 0, 0, 0, 0, 0, 1))
        forward = rng.randint(0, min(2, new + carried))
        handled = new + carried - forward
        for code in rng.choices(outcomes, weights, k=handled):
            table[code][column] += 1
        table["new_received"][column] = new
        table["carried_over"][column] = carried
        table["results_total"][column] = handled
        table["carried_forward"][column] = forward
    for cells in table.values():
        cells["total"] = sum(cells[c] for c in APPLICANTS)
    return table


def _random_reviews(rng: random.Random) -> dict:
    reviews = {}
    for group in model.REVIEW_GROUPS:
        cells = {part: _small(rng, (0, 0, 0, 0, 0, 0, 1, 2)) for part in REVIEW_PARTS}
        cells["total"] = sum(cells.values())
        reviews[group] = cells
    return reviews


def _random_active_disclosure(rng: random.Random, template: str) -> list[dict]:
    draw = {
        "issued": lambda: _small(rng, (0, 0, 0, 1, 2, 3)),
        "repealed": lambda: _small(rng, (0, 0, 0, 0, 1)),
        "in_force": lambda: rng.randint(0, 25),
        "published_new": lambda: _small(rng, (0, 0, 1, 2)),
        "published_total": lambda: rng.randint(0, 40),
        "decisions": lambda: rng.choice((0, 0, 0, 1, 2, 5, 17, 236)),
        "previous_count": lambda: rng.randint(0, 30),
        "change": lambda: rng.choice((0, 0, 0, 1, 2, -1)),
        "fee_amount": lambda: rng.choice((0, 0, 0, 1.5, 12.36)),
        "procurement_count": lambda: rng.randint(0, 6),
        "procurement_amount": lambda: rng.choice((0, 0, 35.2, 118.06)),
    }
    cells = []
    for item, (rows, metrics) in model.ACTIVE_DISCLOSURE_LAYOUT[template].items():
        for row in rows:
            for metric in metrics:
                cells.append({"item": item, "row": row, "metric": metric, "value": draw[metric]()})
    return cells


_CITY_PREFIX = re.compile(r"^[^市]{2,3}市(?=[^市]{1,4}[区县])")


def _random_sections(rng: random.Random, organization: str, year: int, received: int) -> list[dict]:
    # Prose names a county-level body without its city: 威海市文登区统计局 → 文登区统计局.
    short = _CITY_PREFIX.sub("", organization, count=1)
    channels = rng.choice(("政府门户网站", "政府门户网站和政务新媒体", "门户网站信息公开专栏"))
    overview = [
        f"{year}年，{short}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        f"紧紧围绕中心工作，扎实推进政府信息公开工作。",
        f"（一）主动公开情况。通过{channels}主动公开各类政府信息{rng.randint(12, 260)}条，及时发布统计数据和工作动态。",
        f"（二）依申请公开情况。{year}年，{short}共收到政府信息公开申请{received}件，均在法定期限内答复。",
        "（三）政府信息管理情况。严格执行信息发布审核制度，落实“先审查、后公开”和“一事一审”要求。",
        "（四）平台建设情况。持续优化网站栏目设置，及时更新维护信息公开专栏。",
        "（五）监督保障情况。明确专人负责政府信息公开工作，定期开展自查。",
    ]
    problems = [
        f"{year}年，{short}政府信息公开工作取得了一定成效，但也存在政策解读形式不够丰富、信息更新不够及时等问题。",
        f"{year + 1}年，我们将进一步加强业务培训，丰富解读形式，提升政府信息公开工作质效。",
    ]
    other = [f"{year}年，{short}未收取政府信息公开信息处理费。无其他需要报告的事项。"]
    texts = {1: overview, 2: [], 3: [], 4: [], 5: problems, 6: other}
    return [
        {"no": no, "title": model.SECTION_TITLES[no], "text": "\n".join(texts[no])}
        for no in range(1, 7)
    ]


def with_blanks(record: dict, blank_cells=()) -> dict:
    """The record a faithful reader returns for a page rendered with ``blank_cells``."""
    return as_printed(record, blank_cells=blank_cells)


def as_printed(record: dict, *, blank_cells=(), typos: bool = False, penalty_twice: bool = False) -> dict:
    """The record a faithful reader returns for a rendering with these options:
    blank cells read as null, a misprinted heading (行政投诉) kept as printed, and
    a second 行政处罚 row read as 行政处罚 (the spec keeps both, in order)."""
    record = copy.deepcopy(record)
    if penalty_twice:
        for cell in record["active_disclosure"]:
            if cell["row"] == "coercion":
                cell["row"] = "penalty"
    if typos:
        for section in record["sections"]:
            if section["no"] == 4:
                section["title"] = section["title"].replace("行政诉讼", "行政投诉")
    for cell in record["active_disclosure"]:
        if _is_blank(blank_cells, cell["row"], cell["metric"]):
            cell["value"] = None
    for table in (record["applications"], record["reviews_litigation"]):
        for row, cells in table.items():
            for column in cells:
                if _is_blank(blank_cells, row, column):
                    cells[column] = None
    return record


def _is_blank(blank_cells, row: str, column: str) -> bool:
    return row in blank_cells or (row, column) in blank_cells


# --- printed tables (shared by every renderer) -----------------------------------------


@dataclass
class Printed:
    """One printed cell: text (``\\n`` = line break inside the cell) and its spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Variants:
    """How a report prints its labels and values: every renderer takes these fields
    as its keyword options (``**variants``), so each option is declared once, here."""

    split_labels: bool = False
    spaced_labels: bool = False
    typos: bool = False
    blank_cells: tuple = ()
    title_lines: int = 1
    penalty_twice: bool = False

    def __post_init__(self):
        self.blank_cells = tuple(self.blank_cells)  # callers pass lists or generators too

    def title(self, record: dict) -> list[str]:
        """The title as printed: one line, or the body's name above "{year}年…报告"."""
        title, organization = record["title"], record.get("organization") or ""
        if self.title_lines == 2 and organization and title.startswith(organization) and title != organization:
            return [organization, title[len(organization) :]]
        return [title]

    def label(self, text: str, *, split: bool = True) -> str:
        """A row or group label as this report prints it."""
        if self.typos:
            text = text.replace("结转下年度", "结转下半年度").replace("已获取信息", "以获取信息")
        # Only the narrow third column's "1.…" labels wrap, as in the seeds.
        if self.split_labels and split and text[:1].isdigit() and len(text) > 6:
            head, rest = _split_number(text)
            lines = [rest[i : i + 3] for i in range(0, len(rest), 3)]
            text = head + "\n".join(lines)
        return text

    def spaced(self, text: str) -> str:
        """A short heading spaced out character by character, as some reports do."""
        if not self.spaced_labels:
            return text
        head, rest = _split_number(text)
        return head + " " + " ".join(rest) if head else " ".join(rest)

    def header(self, text: str) -> str:
        """A column header: spaced or broken in the middle ("结果\\n维持")."""
        if self.typos:
            text = text.replace("本年废止件数", "本年度止件数")
        if len(text) == 4 and (self.spaced_labels or self.split_labels):
            return text[:2] + (" " if self.spaced_labels else "\n") + text[2:]
        if len(text) == 2 and self.spaced_labels:
            return text[0] + " " + text[1]
        return text

    def value(self, value, row: str, column: str) -> str:
        if value is None or _is_blank(self.blank_cells, row, column):
            return ""
        return _number(value)


def _split_number(text: str) -> tuple[str, str]:
    """("1.", "本机关…") / ("（四）", "无法提供") / ("三、", "本年度办理结果")."""
    for end in ("）", ")", "、", "."):
        head, sep, rest = text.partition(end)
        if sep and len(head) <= 3:
            return head + sep, rest
    return "", text


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


ITEM_HEADINGS = {
    "20(1)": "第二十条第（一）项",
    "20(5)": "第二十条第（五）项",
    "20(6)": "第二十条第（六）项",
    "20(8)": "第二十条第（八）项",
    "20(9)": "第二十条第（九）项",
}


def active_disclosure_table(record: dict, v: Variants) -> list[list[Printed]]:
    """Section 二 as one 4-column table, one block per item, like the official template."""
    template = record.get("template") or "2021"
    values = {(c["row"], c["metric"]): c["value"] for c in record["active_disclosure"]}
    rows: list[list[Printed]] = []
    for item, (row_codes, metrics) in model.ACTIVE_DISCLOSURE_LAYOUT[template].items():
        spans = _spread(len(metrics), 3)
        rows.append([Printed(ITEM_HEADINGS[item], colspan=4)])
        rows.append(
            [Printed("信息内容")]
            + [Printed(v.header(_metric_label(m, template)), colspan=s) for m, s in zip(metrics, spans)]
        )
        for row in row_codes:
            label = model.ACTIVE_DISCLOSURE_ROWS[row][1][0]
            if v.penalty_twice and row == "coercion":
                label = "行政处罚"  # seed 001 prints 行政处罚 twice
            rows.append(
                [Printed(label)]
                + [Printed(v.value(values.get((row, m)), row, m), colspan=s) for m, s in zip(metrics, spans)]
            )
    return rows


def _metric_label(metric: str, template: str) -> str:
    labels = model.ACTIVE_DISCLOSURE_METRICS[metric]
    # The 2019 template prints the second spelling of issued/decisions.
    if template == "2019" and metric in ("issued", "decisions"):
        return labels[1]
    return labels[0]


def _spread(n: int, width: int) -> list[int]:
    """Colspans of n cells filling width columns: the first cells take the slack."""
    spans = [1] * n
    for i in range(width - n):
        spans[i % n] += 1
    return spans


def applications_table(record: dict, v: Variants) -> list[list[Printed]]:
    """Section 三 with the official template's merges: 3 label columns + 7 value columns."""
    apps = record["applications"]
    rows: list[list[Printed]] = [
        [
            Printed("（本列数据的勾稽关系为：第一项加第二项之和，\n等于第三项加第四项之和）", rowspan=3, colspan=3),
            Printed(v.spaced("申请人情况"), colspan=7),
        ],
        [Printed("自然人", rowspan=2), Printed("法人或其他组织", colspan=5), Printed(v.spaced("总计"), rowspan=2)],
        [Printed(model.APPLICANT_COLUMNS[c]) for c in APPLICANTS[1:]],
    ]
    codes = [c for c in model.APPLICATION_ROWS if c in apps]
    outcome_codes = [c for c in codes if c in model.OUTCOME_ROWS or c == "results_total"]
    done_group: set[str] = set()
    for code in codes:
        group, label = model.APPLICATION_ROWS[code]
        values = [Printed(v.value(apps[code].get(c), code, c)) for c in model.APPLICANT_COLUMNS]
        if code not in outcome_codes:
            rows.append([Printed(v.label(label), colspan=3)] + values)
            continue
        cells = []
        if code == outcome_codes[0]:
            cells.append(Printed(v.spaced("三、本年度办理结果"), rowspan=len(outcome_codes)))
        if group in (None, "三、本年度办理结果"):
            cells.append(Printed(v.label(label), colspan=2))
        else:
            if group not in done_group:
                done_group.add(group)
                size = sum(1 for c in codes if model.APPLICATION_ROWS[c][0] == group)
                cells.append(Printed(v.label(group, split=False), rowspan=size))
            cells.append(Printed(v.label(label)))
        rows.append(cells + values)
    return rows


def reviews_table(record: dict, v: Variants) -> list[list[Printed]]:
    """Section 四 with its 2-level header: 行政复议 | 行政诉讼 (未经复议直接起诉, 复议后起诉)."""
    reviews = record["reviews_litigation"]
    litigation = "行政投诉" if v.typos else "行政诉讼"
    parts = [v.header(model.REVIEW_COLUMNS[c]) for c in model.REVIEW_COLUMNS]
    values = [
        Printed(v.value(reviews[group].get(c), group, c))
        for group in model.REVIEW_GROUPS
        for c in model.REVIEW_COLUMNS
    ]
    return [
        [Printed("行政复议", colspan=5), Printed(litigation, colspan=10)],
        [Printed(p, rowspan=2) for p in parts]
        + [Printed("未经复议直接起诉", colspan=5), Printed("复议后起诉", colspan=5)],
        [Printed(p) for p in parts * 2],
        values,
    ]


def _section_heading(section: dict, v: Variants) -> str:
    """"四、政府信息公开行政复议、行政诉讼情况": the record's title under its number."""
    title = section["title"]
    if v.typos and section["no"] == 4:
        title = title.replace("行政诉讼", "行政投诉")
    return f"{'一二三四五六'[section['no'] - 1]}、{title}"


def printed_tables(record: dict, v: Variants | None = None) -> dict[int, list[list[Printed]]]:
    """Sections 二, 三 and 四 as printed cells with spans, keyed by section number:
    what every renderer prints (and what a picture of the table shows)."""
    v = v or Variants()
    return {
        2: active_disclosure_table(record, v),
        3: applications_table(record, v),
        4: reviews_table(record, v),
    }



def _intro(record: dict) -> str:
    year = record["year"]
    letter = "国办公开办函〔2019〕60号" if record.get("template") == "2019" else "国办公开办函〔2021〕30号"
    return (
        "本报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》"
        f"（{letter}）要求编制，内容包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
        "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
        f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
    )


def _chinese_date(iso: str) -> str:
    y, m, d = (int(part) for part in iso.split("-"))
    return f"{y}年{m}月{d}日"


# --- HTML ------------------------------------------------------------------------------


def render_html(
    record: dict,
    *,
    encoding: str = "utf-8",
    page: str = "article",
    meta_table: bool = False,
    **variants,
) -> bytes:
    """The report as a portal serves it: ``page`` is "article" (Hanweb JCMS article),
    "annual_report" (xxgk ``xxgkAnnualReport.jsp``) or "bare" (just the report).
    ``meta_table`` adds the xxgk metadata table (索引号 …) above an article's body."""
    v = Variants(**variants)
    body = _html_report(record, v)
    charset = "gbk" if encoding.lower() in ("gbk", "gb2312", "gb18030") else encoding
    if page == "bare":
        text = _BARE.format(charset=charset, title=html.escape(record["title"]), body=body)
    elif page == "annual_report":
        text = _ANNUAL_REPORT.format(
            charset=charset, title=html.escape(record["title"]), body=body, time=_page_time(record)
        )
    elif page == "article":
        text = _article(record, body, charset, meta_table)
    else:
        raise ValueError(f"unknown page kind {page!r}")
    return text.encode(encoding, errors="xmlcharrefreplace")


def report_html(record: dict, **variants) -> str:
    """The report alone as HTML paragraphs and tables: what an editor pastes into a
    CMS article body (``div#zoom``); ``render_html`` wraps it in a page."""
    v = Variants(**variants)
    return _html_report(record, v)


def _html_report(record: dict, v: Variants) -> str:
    out = [f'<p style="text-align:center"><strong>{html.escape(line)}</strong></p>' for line in v.title(record)]
    out.append(f'<p style="text-indent:2em">{html.escape(_intro(record))}</p>')
    tables = printed_tables(record, v)
    for section in record["sections"]:
        no = section["no"]
        out.append(f'<p style="text-indent:2em"><strong>{html.escape(_section_heading(section, v))}</strong></p>')
        for line in filter(None, section["text"].split("\n")):
            out.append(f'<p style="text-indent:2em">{html.escape(line)}</p>')
        if no in tables:
            out.append(_html_table(tables[no]))
    if record.get("published"):
        out.append(f'<p style="text-align:right">{html.escape(record["organization"] or "")}</p>')
        out.append(f'<p style="text-align:right">{_chinese_date(record["published"])}</p>')
    return "\n".join(out)


def _html_table(rows: list[list[Printed]]) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse"><tbody>']
    for row in rows:
        out.append("<tr>")
        for cell in row:
            attrs = ""
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            text = "<br/>".join(html.escape(line) for line in cell.text.split("\n"))
            out.append(f'<td{attrs} style="text-align:center"><p>{text}</p></td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _page_time(record: dict) -> str:
    date = record.get("published") or f"{record['year'] + 1}-01-20"
    return f"{date} 09:49:19"


_BARE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{title}</title></head>
<body>
{body}
</body></html>
"""

_ANNUAL_REPORT = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}</title>
<link rel="stylesheet" href="/module/xxgk/css/annualreport.css">
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>
</head>
<body>
<div class="nb_main">
  <div class="nb_title">{title}</div>
  <div class="nb_time">发布时间:{time}</div>
  <div class="nb_content">
{body}
  </div>
  <div class="nb_print"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div>
<script type="text/javascript">document.title = document.querySelector('.nb_title').innerText;</script>
</body>
</html>
"""


def _article(record: dict, body: str, charset: str, meta_table: bool) -> str:
    organization = html.escape(record.get("organization") or "")
    title = html.escape(record["title"])
    time = _page_time(record)
    meta = ""
    if meta_table:
        meta = _XXGK_META.format(
            index=f"11371081004360011X/{record['year'] + 1}-00042",
            organization=organization,
            year=record["year"],
            date=time[:10],
        )
    return _ARTICLE.format(
        charset=charset, title=title, time=time, organization=organization, body=body, meta=meta
    )


_XXGK_META = """<table class="xxgk_table" width="100%">
<tr><td>索引号：</td><td>{index}</td><td>发布单位：</td><td>{organization}</td></tr>
<tr><td>内容分类：</td><td>{year}年</td><td>成文日期：</td><td>{date}</td></tr>
<tr><td>公开方式：</td><td>主动公开</td><td>公开范围：</td><td>面向全社会</td></tr>
<tr><td>有效性/截止日期：</td><td></td><td>文号：</td><td></td></tr>
</table>"""

_ARTICLE = """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteName" content="威海市文登区人民政府">
<meta name="SiteDomain" content="www.wendeng.gov.cn">
<meta name="SiteIDCode" content="3710810001">
<meta name="ColumnName" content="年度报告">
<meta name="ColumnType" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{time}">
<meta name="ContentSource" content="{organization}">
<meta name="Keywords" content="政府信息公开,年度报告">
<title>{title} 威海市文登区人民政府</title>
<link rel="stylesheet" href="/images/3710810001/style.css">
<script type="text/javascript" src="/module/jslib/jquery/jquery.js"></script>
<style>.share a {{ margin: 0 4px; }} #zoom p {{ line-height: 2; }}</style>
</head>
<body>
<div class="header">
  <div class="logo"><img src="/images/3710810001/logo.png" alt="威海市文登区人民政府"></div>
  <div class="search"><form action="/jsearchfront/search.do"><input name="q"><button>搜索</button></form></div>
</div>
<div class="nav">
  <ul>
    <li><a href="/">首页</a></li><li><a href="/col/col1/index.html">政务公开</a></li>
    <li><a href="/col/col2/index.html">政务服务</a></li><li><a href="/col/col3/index.html">互动交流</a></li>
    <li><a href="/col/col4/index.html">走进文登</a></li>
  </ul>
</div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1/index.html">政务公开</a> &gt; 年度报告</div>
<div class="main">
{meta}
<table class="article" width="100%"><tr><td class="title">{title}</td></tr>
<tr><td class="info">发布日期：{time} 信息来源：<!--<$[信息来源]>begin-->{organization}<!--<$[信息来源]>end--> 浏览次数：<script language="javascript" src="/module/visitcount/articlehits.jsp?colid=75243&artid=2524471"></script></td></tr>
<tr><td>
<div id="zoom">
<!--<$[信息内容]>begin--><!--ZJEG_RSS.content.begin--><meta name="ContentStart">
{body}
<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><!--<$[信息内容]>end-->
</div>
</td></tr></table>
<div class="share">分享到：<a href="#" class="wx">微信</a><a href="#" class="wb">微博</a><a href="#" class="qq">QQ空间</a></div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
<div class="footer">
  <p>主办：威海市文登区人民政府办公室 承办：威海市文登区大数据中心</p>
  <p>网站标识码：3710810001 鲁ICP备05046317号 鲁公网安备37108102000123号</p>
</div>
<script type="text/javascript">var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</body>
</html>
"""

# --- DOCX ------------------------------------------------------------------------------


def render_docx(record: dict, **variants) -> bytes:
    """Fill a copy of the official blank 2021 template (its merged cells stay); the
    2019 section 二 and the one-row （六） are made by rewriting the template's rows."""
    import docx

    v = Variants(**variants)
    template = resources.files("nianbao.testbed.templates").joinpath("template-2021-blank.docx")
    with template.open("rb") as stream:
        document = docx.Document(stream)
    _fill_paragraphs(document, record, v)
    for table, rows in zip(document.tables, printed_tables(record, v).values()):
        _write_rows(table._tbl, rows)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _fill_paragraphs(document, record: dict, v: Variants) -> None:
    """Title, intro, section prose in place of the template's "（文字描述）", signature."""
    paragraphs = document.paragraphs
    title = next(p for p in paragraphs if p.text.strip() == "政府信息公开工作年度报告格式模板")
    headings = {}
    for p in paragraphs:
        for no, name in model.SECTION_TITLES.items():
            if p.text.strip() == f"{'一二三四五六'[no - 1]}、{name}":
                headings[no] = p
    placeholders = [p for p in paragraphs if p.text.strip().startswith("（文字描述")]
    prose = placeholders[0]._p
    _insert_after(title._p, prose, [_intro(record)])
    _insert_after(title._p, title._p, v.title(record)[1:])
    _set_text(title._p, v.title(record)[0])
    for section in record["sections"]:
        heading = headings[section["no"]]
        _set_text(heading._p, _section_heading(section, v))
        _insert_after(heading._p, prose, [line for line in section["text"].split("\n") if line])
    for p in placeholders:
        p._p.getparent().remove(p._p)
    if record.get("published"):
        # The signature, right-aligned after the last paragraph: each line is inserted
        # right after it, so the date goes in first and the organisation lands above it.
        anchor = document.element.body.findall(_W + "p")[-1]
        for line in (_chinese_date(record["published"]), record["organization"] or ""):
            paragraph = _clean_copy(prose)
            _set_text(paragraph, line)
            paragraph.find(f"{_W}pPr/{_W}jc").set(_W + "val", "right")
            anchor.addnext(paragraph)


def _insert_after(anchor, prototype, lines: list[str]) -> None:
    for line in reversed(lines):
        paragraph = _clean_copy(prototype)
        _set_text(paragraph, line)
        anchor.addnext(paragraph)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_WITH_PARA_ID = etree.XPath("descendant-or-self::*[@w14:paraId]", namespaces={"w14": _W14[1:-1]})


def _clean_copy(element):
    """A deep copy without Word's paragraph ids (which must stay unique)."""
    element = copy.deepcopy(element)
    for node in _WITH_PARA_ID(element):
        node.attrib.pop(_W14 + "paraId")
        node.attrib.pop(_W14 + "textId", None)
    return element


def _set_text(paragraph, text: str) -> None:
    """Replace a w:p's runs by one run in the first run's format; ``\\n`` becomes w:br."""
    from docx.oxml import OxmlElement

    first_run = paragraph.find(_W + "r")
    run_format = None
    if first_run is not None and first_run.find(_W + "rPr") is not None:
        run_format = copy.deepcopy(first_run.find(_W + "rPr"))
    elif paragraph.find(f"{_W}pPr/{_W}rPr") is not None:
        # An empty cell keeps its font on the paragraph mark.
        run_format = copy.deepcopy(paragraph.find(f"{_W}pPr/{_W}rPr"))
    for child in list(paragraph):
        if child.tag != _W + "pPr":
            paragraph.remove(child)
    run = OxmlElement("w:r")
    if run_format is not None:
        run.append(run_format)
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(OxmlElement("w:br"))
        t = OxmlElement("w:t")
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
    paragraph.append(run)


def _write_rows(tbl, rows: list[list[Printed]]) -> None:
    """Make a template table print ``rows``: each new cell is a copy of the template
    cell at the same grid position (borders, font), given the spans of ``rows``.
    For the template's own layout this reproduces its gridSpan/vMerge exactly."""
    widths = [int(col.get(_W + "w")) for col in tbl.tblGrid.findall(_W + "gridCol")]
    template_rows = list(tbl.tr_lst)
    for r, line in enumerate(word_rows(rows)):
        prototype_row = template_rows[min(r, len(template_rows) - 1)]
        by_column = _cells_by_column(prototype_row)
        tr = _clean_copy(prototype_row)
        for tc in tr.findall(_W + "tc"):
            tr.remove(tc)
        c = 0
        for cell, continued in line:
            prototype = by_column[c] if c in by_column else by_column[max(by_column)]
            tc = _clean_copy(prototype)
            _set_spans(tc, sum(widths[c : c + cell.colspan]), cell, continued)
            for extra in tc.findall(_W + "p")[1:]:
                tc.remove(extra)
            _set_text(tc.find(_W + "p"), "" if continued else cell.text)
            tr.append(tc)
            c += cell.colspan
        tbl.append(tr)
    for old in template_rows:
        tbl.remove(old)


def _set_spans(tc, width: int, cell: Printed, continued: bool) -> None:
    """tcW, gridSpan and vMerge, in the schema's order at the head of tcPr."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = tc.get_or_add_tcPr()
    for name in ("tcW", "gridSpan", "vMerge", "hMerge"):
        for old in tc_pr.findall(_W + name):
            tc_pr.remove(old)
    properties = [OxmlElement("w:tcW", {qn("w:w"): str(width), qn("w:type"): "dxa"})]
    if cell.colspan > 1:
        properties.append(OxmlElement("w:gridSpan", {qn("w:val"): str(cell.colspan)}))
    if cell.rowspan > 1:
        properties.append(OxmlElement("w:vMerge", {qn("w:val"): "continue" if continued else "restart"}))
    for position, element in enumerate(properties):
        tc_pr.insert(position + (1 if tc_pr.find(_W + "cnfStyle") is not None else 0), element)


def _cells_by_column(tr) -> dict:
    cells, c = {}, 0
    for tc in tr.findall(_W + "tc"):
        cells[c] = tc
        c += tc.grid_span
    return cells


# --- text ------------------------------------------------------------------------------


def render_text(record: dict, layout: str = "tabs", **variants) -> str:
    """The report as extracted text, in the seeds' two layouts: "tabs" (001/003: one
    table row per line, cells tab-separated) or "cells" (002: one cell per line,
    each indented by a tab, rows separated by blank lines). Cells covered by a
    rowspan print empty; a colspan prints once per cell in "cells" and as the
    text plus empty entries in "tabs", as the seeds show."""
    if layout not in ("tabs", "cells"):
        raise ValueError(f"unknown text layout {layout!r}")
    v = Variants(**variants)
    tables = printed_tables(record, v)
    out = [line for title_line in v.title(record) for line in (title_line, "")] + [_intro(record), ""]
    for section in record["sections"]:
        no = section["no"]
        out += [_section_heading(section, v), ""]
        for line in filter(None, section["text"].split("\n")):
            out += [line, ""]
        if no in tables:
            out += _text_table(tables[no], layout) + [""]
    if record.get("published"):
        out += [record["organization"] or "", _chinese_date(record["published"])]
    return "\n".join(out) + "\n"


def word_rows(rows: list[list[Printed]]) -> list[list[tuple[Printed, bool]]]:
    """Rows as Word stores them: one entry per cell with its colspan, the cell
    above repeated with ``continued=True`` where it spans down (vMerge continue)."""
    covered: dict[tuple[int, int], Printed] = {}
    out = []
    for r, row in enumerate(rows):
        line: list[tuple[Printed, bool]] = []
        c = 0
        cells = iter(row)
        while True:
            if (r, c) in covered:
                above = covered[(r, c)]
                line.append((above, True))
                c += above.colspan
                continue
            cell = next(cells, None)
            if cell is None:
                break
            for dr in range(1, cell.rowspan):
                covered[(r + dr, c)] = cell
            line.append((cell, False))
            c += cell.colspan
        out.append(line)
    return out


def _text_table(rows: list[list[Printed]], layout: str) -> list[str]:
    out = []
    for line in word_rows(rows):
        texts = ["" if continued else cell.text for cell, continued in line]
        if layout == "tabs":
            # One entry per grid column: a colspan leaves empty entries, as in seeds 001/003.
            entries = []
            for (cell, _), text in zip(line, texts):
                entries += [text.replace("\n", " ")] + [""] * (cell.colspan - 1)
            out.append("\t".join(entries))
        else:
            out += ["\t" + t for t in texts] + [""]
    return out

"""The arithmetic checks of the spec, computed on a record's tables.

A check is data, not an error: ``{"code", "ok", "detail"}``. Many reports
print a zero as a blank cell, so a check reads a blank (``None``) as 0 and
its ``detail`` says how many blanks it read so. A check is left out only
when the rows it needs are absent (the table was not read, a row is
missing), or, for ``text_vs_table``, when the prose states no count.
"""

from __future__ import annotations

import re

from .model import APPLICANT_COLUMNS, OTHER_HANDLING_ROWS, OUTCOME_ROWS, REVIEW_COLUMNS

_SIX = [c for c in APPLICANT_COLUMNS if c != "total"]
_REVIEW_PARTS = [c for c in REVIEW_COLUMNS if c != "total"]

# Counts as printed in prose: Arabic digits (full-width too) or Chinese numerals (十二, 一百零五).
# At most 12 digits: int() of thousands of digits is refused, and no count is that long.
_NUMBER = r"([0-9０-９]{1,12}|[零〇一二两三四五六七八九十百千万]+)"
_UNIT = r"\s*[件条个份宗]"
# Words between a verb and its count: no sentence or clause break, no digits. An
# enumeration comma stays inside a phrase: 受理公民、法人和其他组织…提出的政府信息公开申请5件.
_WORDS = r"[^。；;，,\d]"
# Received: 共收到政府信息公开申请70件 / 受理…申请共计70件 / 新收…申请70件 / 共受理依申请公开21件 …
_PREFIX = "(?:共计?|累计|全年共?)?"
_RECEIVED = _PREFIX + "(?:收到|受理|接收|接到|新收)"
# … or the count before the word: 共收到70件申请.
_RECEIVED_FIRST = re.compile(_RECEIVED + _WORDS + "{0,6}?" + _NUMBER + _UNIT + _WORDS + "{0,10}?申请")
# A total word may stand before the count: …申请总数1件, …依申请公开信息合计12件.
_TOTAL = "(?:共计|合计|总计|总数|共)?"
_RECEIVED_AFTER = re.compile(_RECEIVED + "(" + _WORDS + "{0,40}?)" + _TOTAL + _NUMBER + _UNIT)
# Handled (results, 三(七)): 全年共办理依申请公开70件, 办结政府信息公开申请70件.
_HANDLED = re.compile(_PREFIX + "(?:办理|办结|答复)(" + _WORDS + "{0,40}?)" + _TOTAL + _NUMBER + _UNIT)
# None received: 未收到政府信息公开申请, 没有收到依申请公开申请, 未收到任何公民、法人和其他组织
#提出的公开政府信息的申请, 全年无依申请公开的情况.
_NONE = re.compile(
    "(?:(?:未|没有)(?:收到|受理|接到)" + _WORDS + "{0,30}申请"
    "|(?:全年|本年度?|今年)?(?:无|没有)(?:依申请公开|政府信息公开申请|信息公开申请))"
)

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int:
    """十二 -> 12, 一百零五 -> 105, 两千 -> 2000, 七十 -> 70; Arabic digits as int()."""
    if text[0].isdigit():
        return int(text)
    total = section = digit = 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            section += (digit or 1) * _UNITS[char]  # 十二: a leading 十 is one ten
            digit = 0
        else:  # 万
            total += (section + digit) * 10_000
            section = digit = 0
    return total + section + digit


def _fmt(value) -> str:
    return "blank" if value is None else str(value)


def _blanks_note(blanks: int) -> str:
    if not blanks:
        return ""
    return f"{blanks} blank cell{'s' if blanks > 1 else ''} read as 0"


def _detail(parts: list[str], blanks: int) -> str:
    return "; ".join(part for part in (*parts, _blanks_note(blanks)) if part)


def apps_balance(apps: dict) -> dict | None:
    rows = ("new_received", "carried_over", "results_total", "carried_forward")
    if not all(row in apps for row in rows):
        return None
    failures, blanks = [], 0
    for column in APPLICANT_COLUMNS:
        printed = [apps[row].get(column) for row in rows]
        blanks += printed.count(None)
        a, b, c, d = (value or 0 for value in printed)
        if a + b != c + d:
            failures.append("{}: 一 {} + 二 {} ≠ 三(七) {} + 四 {}".format(column, *map(_fmt, printed)))
    if failures:
        return {"code": "apps_balance", "ok": False, "detail": _detail(failures, blanks)}
    return {"code": "apps_balance", "ok": True, "detail": _detail(["every column: 一+二 = 三(七)+四"], blanks)}


def apps_results_sum(apps: dict) -> dict | None:
    """(七)总计 = the sum of the outcome rows; only when every outcome row of the
    template was read (a row left out would make any sum meaningless)."""
    other_rows = ("other",) if "other" in apps else OTHER_HANDLING_ROWS
    outcomes = [row for row in OUTCOME_ROWS if row not in ("other", *OTHER_HANDLING_ROWS)] + list(other_rows)
    if "results_total" not in apps or not all(row in apps for row in outcomes):
        return None
    lines = (
        (column, [apps[row].get(column) for row in outcomes], apps["results_total"].get(column))
        for column in APPLICANT_COLUMNS
    )
    return _sum_check("apps_results_sum", lines, "{name}: (七)总计 {total} ≠ sum of outcomes {found}")


def apps_row_totals(apps: dict) -> dict | None:
    lines = ((row, [cells.get(column) for column in _SIX], cells.get("total")) for row, cells in apps.items())
    return _sum_check("apps_row_totals", lines, "{name}: total {total} ≠ sum of applicants {found}")


def review_totals(reviews: dict) -> dict | None:
    lines = (
        (group, [cells.get(column) for column in _REVIEW_PARTS], cells.get("total"))
        for group, cells in reviews.items()
    )
    return _sum_check("review_totals", lines, "{name}: total {total} ≠ " + "+".join(_REVIEW_PARTS) + " {found}")


def _sum_check(code: str, lines, failure: str) -> dict | None:
    """Parts that must add up to their printed total, one ``(name, parts, total)`` per
    row or column, blanks read as 0; left out only when there is no line at all."""
    failures, blanks, evaluated = [], 0, 0
    for name, values, total in lines:
        evaluated += 1
        blanks += values.count(None) + (total is None)
        found = sum(value or 0 for value in values)
        if found != (total or 0):
            failures.append(failure.format(name=name, total=_fmt(total), found=found))
    if not evaluated:
        return None
    return {"code": code, "ok": not failures, "detail": _detail(failures, blanks)}


# Counts of other requests that share the verbs: 收到行政复议申请3件, 受理信访投诉12件.
_OTHER_REQUESTS = re.compile("复议|诉讼|信访|投诉|举报|听证|许可|赔偿")


def prose_count(texts: list[str]) -> tuple[str, str, int] | None:
    """The count of applications the prose states, as ``(row, phrase, count)``: row
    ``new_received`` for a count received (the first such statement), ``results_total``
    for a count handled (全年共办理依申请公开70件) where no count received is stated."""
    handled = None
    for text in texts:
        found = []
        for pattern in (_RECEIVED_FIRST, _RECEIVED_AFTER):
            found += [(m.start(), m.group(0), m.groups()[-1]) for m in pattern.finditer(text)
                      if (pattern is _RECEIVED_FIRST or "申请" in m.group(1))
                      and not _OTHER_REQUESTS.search(m.group(0))]
        found += [(m.start(), m.group(0), "0") for m in _NONE.finditer(text) if not _OTHER_REQUESTS.search(m.group(0))]
        if found:
            _, phrase, number = min(found)
            return "new_received", phrase, chinese_number(number)
        if handled is None:
            match = next((m for m in _HANDLED.finditer(text)
                          if "申请" in m.group(1) and not _OTHER_REQUESTS.search(m.group(0))), None)
            if match:
                handled = ("results_total", match.group(0), chinese_number(match.group(2)))
    return handled


def text_vs_table(apps: dict, texts: list[str]) -> dict | None:
    stated = prose_count(texts)
    if stated is None or stated[0] not in apps:
        return None
    row, phrase, count = stated
    table = apps[row].get("total")
    printed = "blank, read as 0" if table is None else str(table)
    return {
        "code": "text_vs_table",
        "ok": count == (table or 0),
        "detail": f"prose: {phrase}; table {row}.total = {printed}",
    }


def run_checks(record: dict) -> list[dict]:
    apps = record["applications"]
    texts = [section["text"] for section in record["sections"]]
    results = [
        apps_balance(apps),
        apps_results_sum(apps),
        apps_row_totals(apps),
        review_totals(record["reviews_litigation"]),
        text_vs_table(apps, texts),
    ]
    return [result for result in results if result is not None]

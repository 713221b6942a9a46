"""The arithmetic checks of the spec, computed on a record's tables.

A check is data, not an error: ``{"code", "ok", "detail"}``. A check that
cannot be evaluated (its rows are absent or printed blank, the prose states
no count) is left out of the list rather than reported as passed or failed.
"""

from __future__ import annotations

import re

from .model import APPLICANT_COLUMNS, OTHER_HANDLING_ROWS, OUTCOME_ROWS, REVIEW_COLUMNS

_SIX = [c for c in APPLICANT_COLUMNS if c != "total"]
_REVIEW_PARTS = [c for c in REVIEW_COLUMNS if c != "total"]

# "共受理依申请公开21件", "共收到政府信息公开申请100件", "未收到政府信息公开申请"
_PROSE_COUNT = re.compile(r"(?:共计?|累计|全年共?)?(?:收到|受理|接收|新收)[^。；;，,\d]{0,14}?(\d+)\s*[件条个]")
_PROSE_NONE = re.compile(r"(?:未|没有)(?:收到|受理)[^。；;，,\d]{0,14}申请")


def _fmt(value) -> str:
    return "blank" if value is None else str(value)


def apps_balance(apps: dict) -> dict | None:
    rows = ("new_received", "carried_over", "results_total", "carried_forward")
    if not all(row in apps for row in rows):
        return None
    failures, evaluated = [], 0
    for column in APPLICANT_COLUMNS:
        a, b, c, d = (apps[row].get(column) for row in rows)
        if None in (a, b, c, d):
            continue
        evaluated += 1
        if a + b != c + d:
            failures.append(f"{column}: 一 {a} + 二 {b} ≠ 三(七) {c} + 四 {d}")
    if not evaluated:
        return None
    if failures:
        return {"code": "apps_balance", "ok": False, "detail": "; ".join(failures)}
    scope = "every column" if evaluated == len(APPLICANT_COLUMNS) else f"{evaluated} columns with values"
    return {"code": "apps_balance", "ok": True, "detail": f"{scope}: 一+二 = 三(七)+四"}


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
    row or column; a line with a blank is skipped, and with none left the check is."""
    failures, evaluated = [], 0
    for name, values, total in lines:
        if total is None or None in values:
            continue
        evaluated += 1
        if sum(values) != total:
            failures.append(failure.format(name=name, total=total, found=sum(values)))
    if not evaluated:
        return None
    return {"code": code, "ok": not failures, "detail": "; ".join(failures)}


def prose_application_count(texts: list[str]) -> tuple[str, int] | None:
    """The number of applications the prose states, with the phrase stating it."""
    for text in texts:
        for match in _PROSE_COUNT.finditer(text):
            if "申请" in match.group(0):
                return match.group(0), int(match.group(1))
        if match := _PROSE_NONE.search(text):
            return match.group(0), 0
    return None


def text_vs_table(apps: dict, texts: list[str]) -> dict | None:
    table = apps.get("new_received", {}).get("total")
    stated = prose_application_count(texts)
    if table is None or stated is None:
        return None
    phrase, count = stated
    return {
        "code": "text_vs_table",
        "ok": count == table,
        "detail": f"prose: {phrase}; table new_received.total = {_fmt(table)}",
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

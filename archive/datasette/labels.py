"""Printed Chinese labels for the spec's codes, taken from ``parsers.model``.

Shared by the Datasette plugin (``nianbao_label()`` in SQL) and the CSV
export, so neither carries its own copy of the template's wording.
"""

from __future__ import annotations

from parsers import model


def _labels() -> dict[str, dict[str, str]]:
    applications = {
        # Numbered sub-rows read better with their group: "（三）不予公开 1.属于国家秘密".
        code: f"{group} {label}" if group and group.startswith("（") else label
        for code, (group, label) in model.APPLICATION_ROWS.items()
    }
    return {
        "applications": applications,
        "applicants": dict(model.APPLICANT_COLUMNS),
        "active_disclosure_rows": {code: printed[0] for code, (_, printed) in model.ACTIVE_DISCLOSURE_ROWS.items()},
        "active_disclosure_metrics": {code: printed[0] for code, printed in model.ACTIVE_DISCLOSURE_METRICS.items()},
        "review_groups": dict(model.REVIEW_GROUPS),
        "review_columns": dict(model.REVIEW_COLUMNS),
    }


LABELS = _labels()


def label(code: str | None) -> str | None:
    """The label of any code; row codes first, since a few codes (other, total) are also column codes."""
    if code is None:
        return None
    for kind in ("applications", "active_disclosure_rows", "review_groups", "active_disclosure_metrics",
                 "review_columns", "applicants"):
        if code in LABELS[kind]:
            return LABELS[kind][code]
    return code


# What each check means (shared/spec/report-model.md), in Chinese and English.
CHECKS = {
    "apps_balance": ("收支平衡：本年新收＋上年结转＝办理结果总计＋结转下年度继续办理",
                     "Balance: received + carried over = results total + carried forward"),
    "apps_results_sum": ("办理结果总计等于各项办理结果之和",
                         "The results total equals the sum of the outcome rows"),
    "apps_row_totals": ("每行的「总计」等于六类申请人之和",
                        "Each row's total equals the sum of the six applicant columns"),
    "review_totals": ("行政复议、行政诉讼各组的「总计」等于维持、纠正、其他、尚未审结之和",
                      "Each review and lawsuit group's total equals upheld + corrected + other + pending"),
    "text_vs_table": ("正文所述数字与表格一致",
                      "A count stated in the text equals the matching table cell"),
}

# reports.tables_status in words.
TABLES_STATUS = {
    "read": ("表格已读取", "The tables were read"),
    "images": ("表格为图片，未能读出数字（见原件）",
               "The tables are pictures: no figures could be read from them (see the original)"),
    "absent": ("报告中没有找到表格", "No tables were found in the report"),
}

# Columns whose values are spec codes: facets show the code's label beside it.
CODE_COLUMNS = {"row_code", "column_code", "group_code", "metric", "code", "reason"}


def check_label(code: str | None) -> tuple[str, str]:
    return CHECKS.get(code or "", (code or "", code or ""))


def code_label(column: str | None, value) -> str | None:
    """A facet value's label (检查项, row, column, metric), or None when it has none."""
    if column == "code" and value in CHECKS:
        return CHECKS[value][0]
    if column == "tables_status" and value in TABLES_STATUS:
        return TABLES_STATUS[value][0]
    if column == "column_code" and isinstance(value, str):
        return LABELS["applicants"].get(value) or LABELS["review_columns"].get(value)
    if column in CODE_COLUMNS and isinstance(value, str):
        printed = label(value)
        return printed if printed != value else None
    return None

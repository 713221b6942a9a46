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


# English for the code book, beside the template's printed Chinese.
ENGLISH = {
    "new_received": "I. New requests received this year",
    "carried_over": "II. Requests carried over from last year",
    "granted": "III.(1) Granted",
    "partially_granted": "III.(2) Partly granted (counted here only)",
    "denied_state_secret": "III.(3) Refused: 1. state secret",
    "denied_prohibited_by_law": "III.(3) Refused: 2. other laws and regulations forbid disclosure",
    "denied_security_stability": "III.(3) Refused: 3. endangers security or stability",
    "denied_third_party": "III.(3) Refused: 4. protects a third party's lawful rights",
    "denied_internal_affairs": "III.(3) Refused: 5. internal affairs information",
    "denied_process_info": "III.(3) Refused: 6. process information",
    "denied_enforcement_files": "III.(3) Refused: 7. administrative enforcement files",
    "denied_query_service": "III.(3) Refused: 8. administrative query matters",
    "unable_not_held": "III.(4) Cannot provide: 1. the body does not hold the information",
    "unable_needs_creation": "III.(4) Cannot provide: 2. would have to be created",
    "unable_unclear": "III.(4) Cannot provide: 3. still unclear after correction",
    "rejected_petition": "III.(5) Not handled: 1. petitions, reports, complaints",
    "rejected_duplicate": "III.(5) Not handled: 2. repeated request",
    "rejected_publication": "III.(5) Not handled: 3. asks for published material",
    "rejected_mass_repeat": "III.(5) Not handled: 4. mass repeated requests without good reason",
    "rejected_confirmation": "III.(5) Not handled: 5. asks to confirm or reissue information already obtained",
    "other_no_correction": "III.(6) Other: 1. applicant did not correct the request in time",
    "other_no_fee": "III.(6) Other: 2. applicant did not pay the fee in time",
    "other_misc": "III.(6) Other: 3. other",
    "other": "III.(6) Other handling (one row, 2019 template)",
    "results_total": "III.(7) Total of results",
    "carried_forward": "IV. Carried forward to next year",
    "natural_person": "Natural persons",
    "commercial": "Commercial enterprises",
    "research": "Research institutions",
    "social_org": "Public-interest organisations",
    "legal_services": "Legal service institutions",
    "other_org": "Other organisations",
    "total": "Total",
    "regulations": "Regulations (规章)",
    "normative_documents": "Normative documents",
    "licensing": "Administrative licensing",
    "other_services": "Other external management services",
    "penalty": "Administrative penalties",
    "coercion": "Administrative coercion",
    "fees": "Administrative fees",
    "procurement": "Centralised government procurement",
    "issued": "Issued this year (件)",
    "repealed": "Repealed this year (件)",
    "in_force": "In force (件)",
    "published_new": "Newly published this year",
    "published_total": "Published in total",
    "decisions": "Decisions this year",
    "previous_count": "Items last year",
    "change": "Change this year",
    "fee_amount": "Fees collected this year (万元, 10,000 yuan)",
    "procurement_count": "Procurement projects",
    "procurement_amount": "Procurement total (万元)",
    "review": "Administrative review",
    "litigation_direct": "Lawsuit without prior review",
    "litigation_after_review": "Lawsuit after review",
    "upheld": "Upheld",
    "corrected": "Corrected",
    "pending": "Not yet concluded",
}


def code_book() -> list[dict]:
    """Every code with its printed label and English, part by part in template order."""
    parts = [
        ("第三部分 行 · Section 三 rows (applications.row_code)", [
            (code, f"{group} {printed}" if group else printed) for code, (group, printed) in model.APPLICATION_ROWS.items()]),
        ("第三部分 列 · Section 三 columns (applications.column_code)", list(model.APPLICANT_COLUMNS.items())),
        ("第二部分 行 · Section 二 rows (active_disclosure.row_code)", [
            (code, f"第{item}项 {printed[0]}") for code, (item, printed) in model.ACTIVE_DISCLOSURE_ROWS.items()]),
        ("第二部分 指标 · Section 二 metrics (active_disclosure.metric)", [
            (code, " / ".join(printed)) for code, printed in model.ACTIVE_DISCLOSURE_METRICS.items()]),
        ("第四部分 组 · Section 四 groups (reviews_litigation.group_code)", list(model.REVIEW_GROUPS.items())),
        ("第四部分 列 · Section 四 columns (reviews_litigation.column_code)", list(model.REVIEW_COLUMNS.items())),
    ]
    book = [{"part": part, "codes": [{"code": code, "label": printed, "english": ENGLISH.get(code, "")}
                                     for code, printed in codes]} for part, codes in parts]
    book.append({"part": "核对 · Checks (checks.code)", "codes": [
        {"code": code, "label": zh, "english": en} for code, (zh, en) in CHECKS.items()]})
    book.append({"part": "表格读取 · How tables were read (reports.tables_status)", "codes": [
        {"code": code, "label": zh, "english": en} for code, (zh, en) in TABLES_STATUS.items()]})
    return book

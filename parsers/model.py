"""The canonical record's codes, as fixed in shared/spec/report-model.md.

One place for every name the parsers, the database, Datasette and the tests
share. Labels are the printed labels of the national template (2021 format,
with the 2019 variants); the template reader matches them with whitespace
removed and typo variants added in ``parsers.template``.
"""

from __future__ import annotations

SCHEMA = "nianbao.report/1"

SECTION_TITLES = {
    1: "总体情况",
    2: "主动公开政府信息情况",
    3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况",
    5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}

# --- section 二: active_disclosure -------------------------------------------------

# row code -> (item, printed labels)
ACTIVE_DISCLOSURE_ROWS = {
    "regulations": ("20(1)", ("规章",)),
    "normative_documents": ("20(1)", ("行政规范性文件", "规范性文件")),
    "licensing": ("20(5)", ("行政许可",)),
    "other_services": ("20(5)", ("其他对外管理服务事项",)),
    "penalty": ("20(6)", ("行政处罚",)),
    "coercion": ("20(6)", ("行政强制",)),
    "fees": ("20(8)", ("行政事业性收费",)),
    "procurement": ("20(9)", ("政府集中采购",)),
}

# metric code -> printed column headers
ACTIVE_DISCLOSURE_METRICS = {
    # 「本年制作数量」: a mix of the two that real reports print
    "issued": ("本年制发件数", "本年新制作数量", "本年制作数量"),
    "repealed": ("本年废止件数", "本年度止件数"),
    "in_force": ("现行有效件数",),
    "published_new": ("本年新公开数量",),
    "published_total": ("对外公开总数量",),
    "decisions": ("本年处理决定数量", "处理决定数量"),
    "previous_count": ("上一年项目数量",),
    # 「本年增/减量」: the header as WPS-made reports print it
    "change": ("本年增/减", "本年增/减量"),
    "fee_amount": ("本年收费金额（单位：万元）",),
    "procurement_count": ("采购项目数量",),
    "procurement_amount": ("采购总金额",),
}

# The columns each item prints, per template, in printed order.
ACTIVE_DISCLOSURE_LAYOUT = {
    "2021": {
        "20(1)": (("regulations", "normative_documents"), ("issued", "repealed", "in_force")),
        "20(5)": (("licensing",), ("decisions",)),
        "20(6)": (("penalty", "coercion"), ("decisions",)),
        "20(8)": (("fees",), ("fee_amount",)),
    },
    "2019": {
        "20(1)": (("regulations", "normative_documents"), ("issued", "published_new", "published_total")),
        "20(5)": (("licensing", "other_services"), ("previous_count", "change", "decisions")),
        "20(6)": (("penalty", "coercion"), ("previous_count", "change", "decisions")),
        "20(8)": (("fees",), ("previous_count", "change", "fee_amount")),
        "20(9)": (("procurement",), ("procurement_count", "procurement_amount")),
    },
}

# --- section 三: applications ------------------------------------------------------

APPLICANT_COLUMNS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_org": "社会公益组织",
    "legal_services": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}

# row code -> (group label printed before it or None, printed label), in template order.
APPLICATION_ROWS = {
    "new_received": (None, "一、本年新收政府信息公开申请数量"),
    "carried_over": (None, "二、上年结转政府信息公开申请数量"),
    "granted": ("三、本年度办理结果", "（一）予以公开"),
    "partially_granted": ("三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied_state_secret": ("（三）不予公开", "1.属于国家秘密"),
    "denied_prohibited_by_law": ("（三）不予公开", "2.其他法律行政法规禁止公开"),
    "denied_security_stability": ("（三）不予公开", "3.危及“三安全一稳定”"),
    "denied_third_party": ("（三）不予公开", "4.保护第三方合法权益"),
    "denied_internal_affairs": ("（三）不予公开", "5.属于三类内部事务信息"),
    "denied_process_info": ("（三）不予公开", "6.属于四类过程性信息"),
    "denied_enforcement_files": ("（三）不予公开", "7.属于行政执法案卷"),
    "denied_query_service": ("（三）不予公开", "8.属于行政查询事项"),
    "unable_not_held": ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable_needs_creation": ("（四）无法提供", "2.没有现成信息需要另行制作"),
    "unable_unclear": ("（四）无法提供", "3.补正后申请内容仍不明确"),
    "rejected_petition": ("（五）不予处理", "1.信访举报投诉类申请"),
    "rejected_duplicate": ("（五）不予处理", "2.重复申请"),
    "rejected_publication": ("（五）不予处理", "3.要求提供公开出版物"),
    "rejected_mass_repeat": ("（五）不予处理", "4.无正当理由大量反复申请"),
    "rejected_confirmation": ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other_no_correction": ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other_no_fee": ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other_misc": ("（六）其他处理", "3.其他"),
    "other": (None, "（六）其他处理"),
    "results_total": (None, "（七）总计"),
    "carried_forward": (None, "四、结转下年度继续办理"),
}

# The three-row （六） and the one-row `other` are alternatives: a report prints one or the other.
OTHER_HANDLING_ROWS = ("other_no_correction", "other_no_fee", "other_misc")
OUTCOME_ROWS = tuple(
    code
    for code in APPLICATION_ROWS
    if code not in ("new_received", "carried_over", "results_total", "carried_forward")
)

# --- section 四: reviews_litigation ------------------------------------------------

REVIEW_GROUPS = {
    "review": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_review": "复议后起诉",
}
REVIEW_COLUMNS = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

# --- checks ------------------------------------------------------------------------

CHECK_CODES = ("apps_balance", "apps_results_sum", "apps_row_totals", "review_totals", "text_vs_table")

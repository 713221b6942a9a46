"""The checks of parsers.checks: blanks read as 0 and counted, left out only when rows
are absent, and the prose counts of text_vs_table in the phrasings reports print."""

from __future__ import annotations

import pytest

from parsers.checks import apps_balance, apps_results_sum, chinese_number, prose_count, review_totals, run_checks
from parsers.model import APPLICANT_COLUMNS, APPLICATION_ROWS, OTHER_HANDLING_ROWS, REVIEW_GROUPS

from .test_template import applications_grid, report
from parsers.template import read_record


def row(values):
    return dict(zip(APPLICANT_COLUMNS, values))


def applications(**rows) -> dict:
    """Every row of the one-row （六） template at 0, with the rows given replaced."""
    codes = [code for code in APPLICATION_ROWS if code not in OTHER_HANDLING_ROWS]
    out = {code: row([0] * 7) for code in codes}
    out.update(rows)
    return out


def checks_of(record) -> dict:
    return {c["code"]: c for c in record["checks"]}


def test_blanks_are_read_as_zero_and_counted():
    apps = applications(
        new_received=row([5, None, None, None, None, None, 5]),
        carried_over=row([None] * 7),
        granted=row([5, None, None, None, None, None, 5]),
        results_total=row([5, None, None, None, None, None, 5]),
        carried_forward=row([None] * 7),
    )
    assert apps_balance(apps) == {
        "code": "apps_balance", "ok": True,
        "detail": "every column: 一+二 = 三(七)+四; 24 blank cells read as 0",
    }  # fmt: skip
    assert apps_results_sum(apps) == {"code": "apps_results_sum", "ok": True, "detail": "10 blank cells read as 0"}


def test_a_blank_that_hides_a_difference_fails_and_says_so():
    apps = applications(new_received=row([3, 0, 0, 0, 0, 0, 3]), results_total=row([3, 0, 0, 0, 0, 0, None]))
    result = apps_balance(apps)
    assert result["ok"] is False
    assert result["detail"] == "total: 一 3 + 二 0 ≠ 三(七) blank + 四 0; 1 blank cell read as 0"


def test_a_table_printed_all_blank_is_checked_not_left_out():
    reviews = {group: {"upheld": None, "corrected": None, "other": None, "pending": None, "total": None}
               for group in REVIEW_GROUPS}  # fmt: skip
    assert review_totals(reviews) == {"code": "review_totals", "ok": True, "detail": "15 blank cells read as 0"}


def test_checks_are_left_out_only_when_their_rows_are_absent():
    apps = applications()
    del apps["carried_forward"]
    del apps["denied_state_secret"]
    codes = [c["code"] for c in run_checks({"applications": apps, "reviews_litigation": {}, "sections": []})]
    assert codes == ["apps_row_totals"]  # balance needs 四, the sum needs every outcome row


def test_blank_cells_in_a_read_table_still_give_every_check():
    blank = [""] * 7
    lines = [
        ("", "一、本年新收政府信息公开申请数量", ["2", "", "", "", "", "", "2"]),
        ("", "二、上年结转政府信息公开申请数量", blank),
        ("三、本年度办理结果", "（一）予以公开", ["2", "", "", "", "", "", "2"]),
        ("", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", blank),
        ("", "（七）总计", ["2", "", "", "", "", "", "2"]),
        ("", "四、结转下年度继续办理", blank),
    ]
    record = read_record(report({3: [applications_grid(lines)]}, prose="全年共收到2件申请。"))
    checks = checks_of(record)
    assert checks["apps_balance"] == {
        "code": "apps_balance", "ok": True, "detail": "every column: 一+二 = 三(七)+四; 24 blank cells read as 0",
    }  # fmt: skip
    assert checks["apps_row_totals"]["detail"] == "36 blank cells read as 0"
    assert checks["text_vs_table"] == {
        "code": "text_vs_table", "ok": True, "detail": "prose: 全年共收到2件申请; table new_received.total = 2",
    }  # fmt: skip


@pytest.mark.parametrize(
    "prose, row, phrase, count",
    [
        ("本机关全年共收到70件申请，均按时答复。", "new_received", "全年共收到70件申请", 70),
        ("2023年，本局收到政府信息公开申请70件。", "new_received", "收到政府信息公开申请70件", 70),
        ("全年受理政府信息公开申请共计70件，其中自然人申请65件。", "new_received", "全年受理政府信息公开申请共计70件", 70),
        ("本年度新收政府信息公开申请70件，上年结转2件。", "new_received", "新收政府信息公开申请70件", 70),
        ("全年共办理依申请公开70件，按时办结率100%。", "results_total", "全年共办理依申请公开70件", 70),
        ("2023年，本机关未收到政府信息公开申请。", "new_received", "未收到政府信息公开申请", 0),
        ("全年共收到政府信息公开申请十二件。", "new_received", "全年共收到政府信息公开申请十二件", 12),
        ("共受理依申请公开一百零五件。", "new_received", "共受理依申请公开一百零五件", 105),
        # the seeds' own phrasings
        ("我局共受理政府信息公开申请1条,较去年增加1件", "new_received", "共受理政府信息公开申请1条", 1),
        ("我局未收到依申请公开申请信息", "new_received", "未收到依申请公开申请", 0),
        ("全区共收到政府信息公开申请100件，较去年增加26件", "new_received", "共收到政府信息公开申请100件", 100),
        # phrasings of real reports (parsers/README.md, "Real-world quirks"), with other counts
        ("受理公民、法人和其他组织向本局提出的政府信息公开申请8件，均按时答复。", "new_received",
         "受理公民、法人和其他组织向本局提出的政府信息公开申请8件", 8),
        ("全街共受理政府信息公开申请总数4件。", "new_received", "共受理政府信息公开申请总数4件", 4),
        ("累计办理公民、法人或其他组织通过网站、邮寄等途径依申请公开信息合计15件，已全部办结", "results_total",
         "累计办理公民、法人或其他组织通过网站、邮寄等途径依申请公开信息合计15件", 15),
        ("全年共收到和办理依申请公开6件，全部为自然人申请。", "new_received", "全年共收到和办理依申请公开6件", 6),
        ("街道未收到任何公民、法人和其他组织提出的公开政府信息的申请；未收取任何费用", "new_received",
         "未收到任何公民、法人和其他组织提出的公开政府信息的申请", 0),
        ("全年无依申请公开的情况。", "new_received", "全年无依申请公开", 0),
        ("全年未收到行政许可申请；全年未接到信息公开申请。", "new_received", "未接到信息公开申请", 0),
    ],
)  # fmt: skip
def test_prose_count_phrasings(prose, row, phrase, count):
    assert prose_count([prose]) == (row, phrase, count)


def test_prose_without_a_count_states_nothing():
    assert prose_count(["三、收到和处理政府信息公开申请情况", "申请数量较去年增加35.1%", "办理了3场培训"]) is None


def test_counts_of_other_requests_are_not_the_disclosure_applications():
    prose = ["本年度收到行政复议申请3件，未收到信访投诉申请。", "全年共收到政府信息公开申请12件。"]
    assert prose_count(prose) == ("new_received", "全年共收到政府信息公开申请12件", 12)
    assert prose_count(["受理行政许可申请1200件。"]) is None


def test_a_count_received_wins_over_a_count_handled():
    assert prose_count(["全年共办理依申请公开9件。", "全年共收到政府信息公开申请10件。"])[0] == "new_received"


@pytest.mark.parametrize("prose, row, table", [
    ("全年共办理依申请公开7件，按时办结。", "results_total", "7"),
    ("全年共收到政府信息公开申请十二件。", "new_received", "12"),
])  # fmt: skip
def test_text_vs_table_compares_the_row_the_prose_speaks_of(prose, row, table):
    lines = [
        ("", "一、本年新收政府信息公开申请数量", ["12", "0", "0", "0", "0", "0", "12"]),
        ("", "二、上年结转政府信息公开申请数量", ["0"] * 7),
        ("", "（七）总计", ["7", "0", "0", "0", "0", "0", "7"]),
        ("", "四、结转下年度继续办理", ["5", "0", "0", "0", "0", "0", "5"]),
    ]
    check = checks_of(read_record(report({3: [applications_grid(lines)]}, prose=prose)))["text_vs_table"]
    assert check["ok"] is True
    assert check["detail"].endswith(f"table {row}.total = {table}")


def test_text_vs_table_reads_a_blank_total_as_zero_for_none_received():
    lines = [("", "一、本年新收政府信息公开申请数量", [""] * 7)]
    check = checks_of(read_record(report({3: [applications_grid(lines)]}, prose="本机关未收到政府信息公开申请。")))
    assert check["text_vs_table"] == {
        "code": "text_vs_table", "ok": True,
        "detail": "prose: 未收到政府信息公开申请; table new_received.total = blank, read as 0",
    }  # fmt: skip


@pytest.mark.parametrize("numeral, value", [
    ("十", 10), ("十二", 12), ("二十", 20), ("七十", 70), ("一百零五", 105), ("两千零三十", 2030),
    ("一万二千", 12000), ("〇", 0), ("７０", 70),
])  # fmt: skip
def test_chinese_numerals(numeral, value):
    assert chinese_number(numeral) == value

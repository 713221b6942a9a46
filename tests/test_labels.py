"""Label normalisation, value reading, heading detection and row-label matching."""

import pytest

from parsers.labels import BLANK, DASH, NUMBER, TEXT, clean_text, normalise, read_value
from parsers.template import match_heading, resolve_application_row


@pytest.mark.parametrize(
    "printed, normal",
    [
        ("（四） 无法 提供", "(四)无法提供"),
        ("三、 本 年 度 办 理 结 果", "三、本年度办理结果"),
        ("没有现 成信息 需要另 行制作", "没有现成信息需要另行制作"),
        ("3.危及“三安全一稳定”", '3.危及三安全一稳定'),
        ("１．属于国家秘密", "1.属于国家秘密"),
        ("1、本机关不掌握相关政府信息", "1.本机关不掌握相关政府信息"),
        ("本年收费金额（单位：万元）", "本年收费金额(单位:万元)"),
        # the seeds' typos become the template's wording
        ("四、结转下半年度继续 办理", "四、结转下年度继续办理"),
        ("5.要求行 政机关 确认或 重新出 具以获 取信息", "5.要求行政机关确认或重新出具已获取信息"),
        ("本年度止件数", "本年废止件数"),
        ("政府信息公开行政复议、行政投诉情况", "政府信息公开行政复议、行政诉讼情况"),
        ("2.其他法律法规禁止公开", "2.其他法律行政法规禁止公开"),
        # a ruling line's stroke read as part of the label by OCR
        ("(七) 总计-", "(七)总计"),
        ("（三）不予公开——", "(三)不予公开"),
    ],
)
def test_normalise_makes_printed_variants_comparable(printed, normal):
    assert normalise(printed) == normal


def test_clean_text_keeps_words_but_drops_extraction_spaces():
    assert clean_text("西宁市湟中区统计局政府信息公开 工作年度报告") == "西宁市湟中区统计局政府信息公开工作年度报告"
    assert clean_text("  2024 年政府信息公开工作年度报告 ") == "2024年政府信息公开工作年度报告"
    assert clean_text("Hanweb  JCMS\u3000系统") == "Hanweb JCMS 系统"  # Latin words keep their space


@pytest.mark.parametrize(
    "printed, reading",
    [
        ("0", (NUMBER, 0)),
        ("０", (NUMBER, 0)),
        ("0件", (NUMBER, 0)),
        (" 21 ", (NUMBER, 21)),
        ("１２", (NUMBER, 12)),
        ("-3", (NUMBER, -3)),
        ("0.50", (NUMBER, 0.5)),
        ("1,200", (NUMBER, 1200)),
        ("", (BLANK, None)),
        ("  ", (BLANK, None)),
        ("—", (DASH, 0)),
        ("-", (DASH, 0)),
        ("／", (DASH, 0)),
        ("/", (DASH, 0)),
        ("规章", (TEXT, None)),
        ("1.属于国家秘密", (TEXT, None)),
        ("无", (TEXT, None)),
    ],
)
def test_read_value_reads_only_what_is_printed(printed, reading):
    assert read_value(printed) == reading


@pytest.mark.parametrize(
    "line, no",
    [
        ("一、总体情况", 1),
        ("一 、 总 体 情 况", 1),
        ("2、 主动公开政府信息情况", 2),
        (" 三、收到和处理政府信息公开申请情况", 3),
        ("四、政府信息公开行政复议、行政投诉情况", 4),
        ("五、存在的主要问题及改进情况", 5),
        ("五、其他需要报告的事项", 6),  # seed 001 numbers it 五 a second time
        ("六、其他需要报告的事项", 6),
        # not headings: sub-items, prose, unnumbered words
        ("（一）主动公开情况", None),
        ("(二) 依申请公开信息情况。截至 2022 年 12月28日，我局未收到依申请公开申请信息。", None),
        ("2.依申请公开工作方面。2024年，环翠区统计局未收到政府信息公开申请，较2023年少1件。", None),
        ("1.主动公开情况", None),  # a sub-item of section 一, not section 二
        ("2.依申请公开情况", None),
        ("总体情况", None),
        ("本报告内容包括：总体情况、主动公开政府信息情况", None),
    ],
)
def test_match_heading_names_the_part_by_its_words(line, no):
    assert match_heading(line) == no


@pytest.mark.parametrize(
    "fragments, group, code",
    [
        (["一、本年新收政府信息公开申请数量"], None, "new_received"),
        (["三、 本 年 度 办 理 结 果", "(一) 予以公开"], None, "granted"),
        (["(二)部分公开 (区分处理的，只计这一情形，不计其他情形)"], None, "partially_granted"),
        (["(三)不予公开", "1.属于国家秘密"], None, "denied_state_secret"),
        # seed 001: the group printed only as its number, the label cut short
        (["(四)", "1.本机关"], None, "unable_not_held"),
        (["2.没有现\n成信息需要另\n行制作"], "(四)无法提供", "unable_needs_creation"),
        (["5.要求行政机关确认或重新\n出具以获取信息"], "(五)不予处理", "rejected_confirmation"),
        (["(六)其他处理"], None, "other"),
        (["（六）其他处理", "3.其他"], None, "other_misc"),
        (["3.其他"], "(六)其他处理", "other_misc"),
        (["(七)总计"], None, "results_total"),
        (["四、结转下半年度继续 办理"], None, "carried_forward"),
        # header fragments before a label are dropped, the label still found
        (["申请人情况", "自然人", "一、本年新收政府信息公开申请数量"], None, "new_received"),
        # nothing a template row is called
        (["其他"], None, None),
        ([")无法提供", "不掌握 相关政 府信息"], "(四)无法提供", None),
        (["申请人情况"], None, None),
    ],
)
def test_application_labels_resolve_to_row_codes(fragments, group, code):
    assert resolve_application_row(fragments, group)[0] == code


def test_group_in_force_carries_to_the_next_row():
    _, group = resolve_application_row(["(四)", "1.本机关"], None)
    assert resolve_application_row(["3.补正后 申请内 容仍不 明确"], group)[0] == "unable_unclear"

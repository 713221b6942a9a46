"""The template reader on the real-world quirks of nianbao.testbed.quirks: each quirk was
seen in published reports (parsers/README.md, "Real-world quirks") and is reproduced here
with synthetic values, so every cell the reader returns is compared with the record."""

import pytest

from benchmarks.template_reader import table_cells
from nianbao.testbed.quirks import QUIRKS, render_quirk
from nianbao.testbed.synthetic import random_record
from parsers import parse_bytes

SHAPES = [("2021", 3), ("2019", 1), ("2021", 1)]
CASES = [(name, template, other_rows) for name, quirk in QUIRKS.items()
         for template, other_rows in SHAPES if template in quirk.templates]  # fmt: skip


def read(name: str, record: dict) -> dict:
    data, filename, _ = render_quirk(name, record)
    return parse_bytes(data, filename=filename)


@pytest.mark.parametrize("name, template, other_rows", CASES)
def test_each_quirk_reads_back_every_printed_cell(name, template, other_rows):
    record = random_record(11, template=template, other_rows=other_rows)
    data, filename, expected = render_quirk(name, record)
    got = parse_bytes(data, filename=filename)
    assert table_cells(got) == table_cells(expected)
    assert got["template"] == template


def test_a_province_row_outside_the_template_is_named_and_left_out():
    record = random_record(3, template="2019", other_rows=1)
    got = read("html, notes on labels", record)
    assert {c["row"] for c in got["active_disclosure"]} == {c["row"] for c in record["active_disclosure"]}
    assert any("其他主动公开文件" in w and "not recognised" in w and "7 7 31" in w for w in got["warnings"])
    # the notes name their headers: no header goes unrecognised
    assert not any("column header" in w for w in got["warnings"])


def test_signed_changes_are_read_with_their_sign():
    record = random_record(0, template="2019", other_rows=1)
    for cell in record["active_disclosure"]:
        if cell["metric"] == "change":
            cell["value"] = {"licensing": 2, "penalty": -1}.get(cell["row"], 0)
    data, filename, expected = render_quirk("pipe rows, notes on labels", record)
    assert "| +2 |" in data.decode() and "| -1 |" in data.decode()
    changes = {c["row"]: c["value"] for c in parse_bytes(data, filename=filename)["active_disclosure"]
               if c["metric"] == "change"}  # fmt: skip
    assert changes["licensing"] == 2 and changes["penalty"] == -1


def test_blank_rows_read_as_null_and_the_checks_count_them():
    record = random_record(5, template="2021", other_rows=3)
    got = read("pipe cells, blank rows", record)
    zero_rows = [row for row, cells in record["applications"].items() if not any(cells.values())]
    assert len(zero_rows) > 5
    for row in zero_rows:  # printed as rows of blank cells, one cell per line, no row end
        assert got["applications"][row] == dict.fromkeys(record["applications"][row])
    balance = next(c for c in got["checks"] if c["code"] == "apps_balance")
    assert balance["ok"] is True and "blank cells read as 0" in balance["detail"]


EMPTY_2019 = """某镇2022年政府信息公开工作年度报告
一、总体情况
本年度未收到政府信息公开申请。
二、主动公开政府信息情况
第二十条第（一）项
信息内容
本年新制作数量
本年新公开数量
对外公开总数量
规章
规范性文件
三、收到和处理政府信息公开申请情况
（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）
申请人情况
一、本年新收政府信息公开申请数量
二、上年结转政府信息公开申请数量
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
六、其他需要报告的事项
"""


def test_a_table_printed_without_values_says_so_and_reads_no_zeros():
    got = parse_bytes(EMPTY_2019.encode(), filename="report.txt")
    assert got["active_disclosure"] == [] and got["applications"] == {}
    warnings = got["warnings"]
    assert "section 二 (主动公开政府信息情况): the table is printed without values (every cell empty); no values read" in warnings
    assert any(w.startswith("section 三") and "printed without values" in w for w in warnings)
    assert not any("prints 0 values" in w for w in warnings)


def test_cut_and_bracketless_headers_are_named_and_a_lost_label_is_never_guessed():
    cut = read("html, headers cut short", random_record(2, template="2019", other_rows=1))["warnings"]
    assert "section 二: column header '本年增/' cut short; read as the only header it begins (change)" in cut
    assert "section 二: column header '本年新' not recognised" in cut  # begins two headers
    varied = read("html, 2021 headers varied", random_record(2, template="2021", other_rows=3))["warnings"]
    assert [w for w in varied if "column header" in w] == [
        "section 二: column header '现行有效件' cut short; read as the only header it begins (in_force)"
    ]
    lost = read("one cell per line, marks lost", random_record(2, template="2021", other_rows=3))
    assert "regulations" not in {c["row"] for c in lost["active_disclosure"]}
    assert any(w.startswith("section 二: label") and "not recognised" in w for w in lost["warnings"])
    assert not any("本年收费金额单位" in w for w in lost["warnings"])

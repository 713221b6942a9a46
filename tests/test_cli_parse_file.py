"""``nianbao parse-file``: the canonical record on stdout, one stderr line per unreadable file."""

import json
import subprocess

import pytest
from click.testing import CliRunner

from nianbao.cli import cli
from tests.conftest import NIANBAO, SEEDS, SPEC

SEED_002 = next(SEEDS.glob("002_*.txt"))


def run(*args):
    return CliRunner().invoke(cli, ["parse-file", *map(str, args)])


def test_json_record_of_a_seed_with_chinese_unescaped():
    result = run(SEED_002, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"organization": "聊城市统计局"' in result.stdout
    record = json.loads(result.stdout)
    expected = json.loads((SPEC / "example-liaocheng-2022.json").read_text(encoding="utf-8"))
    assert record["applications"] == expected["applications"]
    assert record["checks"] == expected["checks"]
    assert result.stderr == ""


def test_summary_names_the_report_totals_and_checks():
    result = run(SEED_002)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "title: 聊城市统计局2022年政府信息公开工作年度报告",
        "organization: 聊城市统计局 (山东省聊城市)",
        "year: 2022  published: 2023-01-28  template: 2021",
    ]
    assert "applications: 25 rows; totals: new_received 21, carried_over 1, results_total 22, carried_forward 0" in (
        result.stdout
    )
    assert "checks: 5 of 5 passed" in result.stdout


def test_summary_lists_warnings_of_a_report_with_image_tables():
    result = run(next(SEEDS.glob("004_*.txt")))
    assert result.exit_code == 0
    assert "applications: none read" in result.stdout
    assert "  - section 三 (收到和处理政府信息公开申请情况): the table is an image; no values read" in result.stdout


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("noise.bin", bytes(range(256)) * 40, "binary data of unknown type"),
        ("report.pdf", b"%PDF-1.4\n%broken beyond repair", "PDF"),
        ("report.docx", b"PK\x03\x04 not really a zip", "ZIP"),
    ],
)
def test_unreadable_files_exit_non_zero_with_one_stderr_line(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = run(path, "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"nianbao parse-file: {path}: ")
    assert reason in line
    assert "Traceback" not in result.stderr


def test_a_missing_path_is_named_and_the_other_files_are_still_read(tmp_path):
    missing = tmp_path / "gone.html"
    result = run(missing, SEED_002, "--json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"nianbao parse-file: {missing}: No such file or directory"]
    assert json.loads(result.stdout)["organization"] == "聊城市统计局"


def test_the_installed_command_in_a_real_process(tmp_path):
    command = NIANBAO
    assert command, "the nianbao console script is not installed beside this Python (pip install -e .)"
    done = subprocess.run([command, "parse-file", "--json", str(SEED_002)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout.decode("utf-8"))["year"] == 2022
    assert "聊城市统计局".encode() in done.stdout  # UTF-8, not \\u escapes
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    done = subprocess.run([command, "parse-file", str(empty)], capture_output=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [f"nianbao parse-file: {empty}: empty file"]


def test_a_directory_is_read_as_one_flip_book(tmp_path):
    """A FlipBuilder book's files/basic-html/pageN.html: one line per printed line or table cell."""
    import html

    from nianbao.testbed.synthetic import random_record, render_text

    record = random_record(6)
    lines = [line.strip() for line in render_text(record, "tabs").replace("\t", "\n").splitlines() if line.strip()]
    size = len(lines) // 3 + 1
    for n in range(3):
        text = html.escape("\n".join(lines[n * size : (n + 1) * size]))
        (tmp_path / f"page{n + 1}.html").write_text(
            f"<html><head><title>Page {n + 1} - {record['title']}</title></head><body>"
            f'<div class="text-container"><pre><code>{text}</code></pre></div></body></html>',
            encoding="utf-8",
        )
    result = run(tmp_path, "--json")
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    for key in ("title", "year", "active_disclosure", "applications", "reviews_litigation", "checks"):
        assert got[key] == record[key], key


def test_summary_names_failed_checks(tmp_path):
    lines = [
        "某局2023年政府信息公开工作年度报告",
        "一、总体情况",
        "2023年，本局共收到政府信息公开申请9件。",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量\t\t5\t0\t0\t0\t0\t0\t5",
        "二、上年结转政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0",
        "(七)总计\t\t4\t0\t0\t0\t0\t0\t4",
        "四、结转下年度继续办理\t\t0\t0\t0\t0\t0\t0\t0",
    ]
    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run(path)
    assert result.exit_code == 0
    assert "  FAILED apps_balance: natural_person: 一 5 + 二 0 ≠ 三(七) 4 + 四 0; total: 一 5 + 二 0 ≠ 三(七) 4 + 四 0" in (
        result.stdout
    )
    assert "  FAILED text_vs_table: prose: 共收到政府信息公开申请9件; table new_received.total = 5" in result.stdout

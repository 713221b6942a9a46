"""Bounded work per file: time and memory limits in a child process, failures recorded and not
retried, sizes checked before reading, text cut, hostile numbers and markers."""

import io
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from click.testing import CliRunner

import parsers
from archive import Archive
from archive.reparse import parse_reports
from nianbao.cli import cli
from parsers import limits
from parsers.detect import detect_format
from parsers.errors import ParseError
from parsers.labels import TEXT, read_value
from nianbao.testbed.zips import understate
from parsers.sandbox import Limits, LimitExceeded, Sandbox, parse_size
from tests.conftest import ROOT, SEEDS

SEED = next(SEEDS.glob("002_*.txt")).read_bytes()


def slow_html(attributes: int = 50_000) -> bytes:
    """A page lxml needs seconds for (its attribute check is quadratic): 50,000 attributes, 0.5 MB."""
    div = " ".join(f'a{i}="x"' for i in range(attributes))
    return f"<html><body><div {div}>政府信息公开工作年度报告</div></body></html>".encode()


def allocate(size: int) -> int:
    return len(bytearray(size))


def test_a_call_past_its_time_limit_is_stopped_and_the_next_one_runs():
    with Sandbox(Limits(time_limit=0.5, memory_limit=0)) as sandbox:
        started = time.monotonic()
        with pytest.raises(LimitExceeded, match=r"^stopped: took longer than the 0.5 s time limit$"):
            sandbox.call(time.sleep, 30)
        assert time.monotonic() - started < 5
        assert sandbox.call(sum, [1, 2, 3]) == 6


def test_a_call_past_its_memory_limit_is_stopped_and_the_next_one_runs():
    with Sandbox(Limits(time_limit=60, memory_limit=256 * 2**20)) as sandbox:
        with pytest.raises(LimitExceeded, match=r"^stopped: needed more than the [\d.]+ [GM]B memory limit$"):
            sandbox.call(allocate, 2**30)
        assert sandbox.call(allocate, 2**20) == 2**20
        with pytest.raises(ValueError, match="boom"):  # the reader's own errors come back as they were
            sandbox.call(int, "boom")


def test_sizes_on_the_command_line():
    assert parse_size("2G") == 2 * 2**30 and parse_size("512M") == 512 * 2**20 and parse_size("0") == 0
    with pytest.raises(ValueError):
        parse_size("lots")


def test_the_reader_dies_with_its_parent(tmp_path):
    script = (
        "import time\n"
        "from parsers.sandbox import Sandbox, Limits\n"
        "sandbox = Sandbox(Limits(60, 0))\n"
        "sandbox.call(print, 'started', flush=True)\n"
        "print(sandbox._process.pid, flush=True)\n"
        "sandbox.call(time.sleep, 60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout.readline().strip() == "started"
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_file_past_its_limit_is_recorded_and_not_retried_until_asked(tmp_path):
    with Archive(tmp_path / "data") as archive:
        archive.record_fetch(url="http://127.0.0.1/slow.html", status=200, body=slow_html(), role="report_page",
                             report_key="slow")
        archive.record_fetch(url="http://127.0.0.1/good.txt", status=200, body=SEED, role="attachment",
                             report_key="good")
        quick = Limits(time_limit=1, memory_limit=limits.PARSE_MEMORY_LIMIT)

        first = parse_reports(archive, limits=quick)
        assert first.loaded == ["good"]
        assert first.failed == {"slow": "stopped: took longer than the 1 s time limit"}
        assert list(archive.parse_failures("slow", parsers.PARSER_VERSION).values()) == [
            "stopped: took longer than the 1 s time limit"]

        again = parse_reports(archive, limits=quick)
        assert again.skipped == ["good", "slow"] and not again.failed

        retried = parse_reports(archive, limits=quick, retry_failed=True)
        assert list(retried.failed) == ["slow"] and retried.skipped == ["good"]


def test_parse_file_refuses_devices_fifos_and_huge_files_before_reading(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    huge = tmp_path / "huge.pdf"
    with open(huge, "wb") as out:
        out.truncate(3 * 2**30)  # sparse: 3 GB that take no disk
    slow = tmp_path / "slow.html"
    slow.write_bytes(slow_html())
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["parse-file", "--time-limit", "1", "/dev/zero", str(tmp_path / "pipe"),
                                      str(huge), str(slow)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "nianbao parse-file: /dev/zero: not a regular file (a character device)",
        f"nianbao parse-file: {tmp_path / 'pipe'}: not a regular file (a FIFO)",
        f"nianbao parse-file: {huge}: file of 3072 MB exceeds the 200 MB cap",
        f"nianbao parse-file: {slow}: stopped: took longer than the 1 s time limit",
    ]
    assert time.monotonic() - started < 30


def test_read_file_reads_no_more_than_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_INPUT_BYTES", 1000)
    (tmp_path / "big").write_bytes(b"x" * 2000)
    with pytest.raises(ParseError, match="exceeds the 0 MB cap"):
        limits.read_file(tmp_path / "big")
    with pytest.raises(ParseError, match=r"not a regular file \(a character device\)"):
        limits.read_file("/dev/zero")


def understated_docx(real_bytes: int, declared: int = 1000) -> bytes:
    """A DOCX whose ZIP directory (central and local headers) says document.xml is ``declared``
    bytes, while its deflated data inflates to ``real_bytes``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/document.xml", "w") as member:
            member.write(b"<w:document>")
            for _ in range(real_bytes // 2**20):
                member.write(b" " * 2**20)
    return understate(buffer.getvalue(), "word/document.xml", declared)


def test_a_zip_member_larger_than_its_directory_says_is_refused_by_what_it_inflates_to(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 8 * 2**20)
    bomb = understated_docx(40 * 2**20)
    with zipfile.ZipFile(io.BytesIO(bomb)) as package:  # what the directory claims: small
        assert sum(info.file_size for info in package.infolist()) < 2000
    with pytest.raises(ParseError, match=r"^real decompressed size \d+ MB exceeds the cap"):
        limits.check_zip(bomb)
    with pytest.raises(ParseError, match="real decompressed size"):
        parsers.parse_bytes(bomb, filename="bomb.docx")


def test_titles_and_warnings_are_cut_with_a_note():
    page = ("<html><head><title>" + "标题" * 1_000_000 + "</title></head><body>"
            "<img src=\"data:image/png;base64," + "A" * 2_000_000 + "\"></body></html>").encode()
    record = parsers.parse_bytes(page)
    assert len(record["title"]) <= limits.MAX_TITLE_CHARS and record["title"].endswith("[cut: 2,000,000 characters]")
    assert all(len(w) <= limits.MAX_WARNING_CHARS for w in record["warnings"])
    assert any("data:image/png" in w and "[cut:" in w for w in record["warnings"])


def test_an_html_report_mentioning_pdf_in_its_first_kilobyte_is_html():
    page = b"<html><head><script>var magic = '%PDF-1.4';</script></head><body><p>report</p></body></html>"
    assert detect_format(page) == "html"
    assert detect_format(b"\r\n\r\n%PDF-1.7\n...") == "pdf"
    assert detect_format(b"junk before%PDF-1.7\n...") == "pdf"  # readers accept up to 1 KB of junk


def test_thousands_of_digits_are_text_not_a_number_error():
    assert read_value("9" * 5000) == (TEXT, None)
    text = SEED.decode("utf-8").replace("收到", "收到" + "9" * 5000 + "件 ", 1).encode()
    record = parsers.parse_bytes(text, filename="digits.txt")
    assert record["applications"]


def test_a_reader_failing_an_allocation_in_c_is_named_a_memory_limit():
    """lxml reports a failed allocation as "unknown error"; past the limit it is the memory limit."""
    row = "<tr>" + "<td>1</td>" * 20 + "</tr>"
    table = f"<html><body><table>{row * 60_000}</table></body></html>".encode()  # 12 MB, ~600 MB parsed
    with Sandbox(Limits(time_limit=120, memory_limit=200 * 2**20)) as sandbox:
        with pytest.raises(LimitExceeded, match="memory limit"):
            sandbox.call(parsers.parse_bytes, table)

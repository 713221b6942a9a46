"""Hostile file names from URLs and Content-Disposition never escape the store."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.paths import (
    MAX_NAME_BYTES,
    UnsafePath,
    filename_from_content_disposition,
    filename_from_url,
    safe_filename,
    safe_join,
)


@pytest.mark.parametrize(
    "hostile, safe",
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("..", "file"),
        ("a\x00b.pdf", "ab.pdf"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("报告.pdf. ", "报告.pdf"),
        ('年报<2022>:"?*.pdf', "年报_2022_____.pdf"),
        ("\u202egnp.exe", "gnp.exe"),
        ("", "file"),
    ],
)
def test_safe_filename(hostile, safe):
    assert safe_filename(hostile) == safe


def test_overlong_names_are_cut_on_a_character_keeping_the_extension():
    name = safe_filename("年" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    name.encode("utf-8").decode("utf-8")  # no half character left


def test_safe_join_refuses_escapes(tmp_path):
    assert safe_join(tmp_path, "ab", "cd") == (tmp_path / "ab" / "cd").resolve()
    with pytest.raises(UnsafePath, match="escapes"):
        safe_join(tmp_path, "..", "outside")
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, "/etc/passwd")


def latin1(text: str, encoding: str) -> str:
    """A header value as the archive stores it: the raw bytes, read as latin-1."""
    return text.encode(encoding).decode("latin-1")


@pytest.mark.parametrize(
    "header, name",
    [
        ("attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf", "年报.pdf"),
        ("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf", "年报.pdf"),
        ("attachment; filename*=GBK''%C4%EA%B1%A8.doc", "年报.doc"),
        ("attachment; filename=%E5%B9%B4%E6%8A%A5.wps", "年报.wps"),
        (latin1('attachment; filename="年度报告.pdf"', "gbk"), "年度报告.pdf"),
        (latin1('attachment; filename="年度报告.pdf"', "utf-8"), "年度报告.pdf"),
        ('attachment; filename="../../../root/.ssh/authorized_keys"', "authorized_keys"),
        ("inline", None),
        (None, None),
    ],
)
def test_filename_from_content_disposition(header, name):
    assert filename_from_content_disposition(header) == name


def test_filename_from_url():
    assert filename_from_url("http://127.0.0.1/a/%C4%EA%B1%A8.pdf") == "年报.pdf"  # GBK-encoded path
    assert filename_from_url("http://127.0.0.1/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd") == "passwd"
    assert filename_from_url("http://127.0.0.1/") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_name_becomes_one_safe_component(tmp_path_factory, name):
    safe = safe_filename(name)
    assert safe and safe not in (".", "..")
    assert not any(ch in safe for ch in '/\\\x00<>:"|?*')
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    root = tmp_path_factory.getbasetemp()
    assert safe_join(root, safe).parent == root.resolve()

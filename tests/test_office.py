"""Legacy word-processor files through LibreOffice (slow: each starts soffice)."""

import os
import subprocess
import tempfile

import pytest

import parsers
from parsers.errors import MissingTool, ParseError
from parsers.office import convert, read_office
from nianbao.testbed.synthetic import random_record, render_docx
from tests import corpus

RTF = (
    rb"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil Noto Sans CJK SC;}}"
    rb"\f0 \u19968?\u12289?\u24635?\u20307?\u24773?\u20917?\par "  # 一、总体情况
    rb"\u26412?\u24180?\u20849?\u25910?\u21040?\u30003?\u35831?36\u20214?\u12290?\par}"  # 本年共收到申请36件。
)


def test_without_libreoffice_the_error_names_the_apt_package(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(MissingTool, match="apt-get install libreoffice-writer-nogui"):
        read_office(b"\xd0\xcf\x11\xe0" + b"\0" * 600, filename="report.doc")


@pytest.fixture(scope="module")
def legacy():
    record = random_record(11, template="2019", other_rows=1)
    return record, corpus.doc_bytes(record)


@pytest.mark.slow
def test_a_legacy_doc_reads_to_the_record_it_was_saved_from(legacy):
    record, doc_bytes = legacy
    assert doc_bytes.startswith(b"\xd0\xcf\x11\xe0")  # OLE2: a real Word 97 file
    result = parsers.parse_bytes(doc_bytes, filename="report.doc")
    correct, total, misses = corpus.score(record, result)
    assert misses == [] and total > 150
    assert result["template"] == "2019"


@pytest.mark.slow
def test_a_word_97_file_named_wps_goes_through_the_same_conversion(legacy):
    record, doc_bytes = legacy
    assert parsers.detect_format(doc_bytes, "年报.wps") == "wps"
    doc = parsers.read_document(doc_bytes, filename="年报.wps")
    assert doc.source_format == "wps"
    assert corpus.score(record, parsers.parse_document(doc))[2] == []


@pytest.mark.slow
def test_an_rtf_file_is_read_through_the_docx_reader():
    doc = parsers.read_document(RTF, filename="report.rtf")
    assert doc.source_format == "rtf"
    assert [p.text for p in doc.paragraphs()][:2] == ["一、总体情况", "本年共收到申请36件。"]


@pytest.mark.slow
def test_a_corrupt_doc_is_a_one_line_parse_error():
    with pytest.raises(ParseError) as error:
        read_office(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"garbage" * 100, filename="broken.doc")
    assert "\n" not in str(error.value)


@pytest.mark.slow
def test_a_conversion_past_its_timeout_is_stopped_and_leaves_no_process(tmp_path, monkeypatch):
    # This conversion's own temporary folder, so other LibreOffice runs on the machine do not count.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ParseError, match="timed out after 0 s"):
        convert(render_docx(random_record(1)), ".docx", target="pdf", timeout=0.3)
    mine = subprocess.run(["pgrep", "-f", f"{tmp_path}/nianbao-soffice-"], capture_output=True, text=True).stdout.split()
    assert [pid for pid in mine if int(pid) != os.getpid()] == []


@pytest.mark.slow
def test_parallel_conversions_do_not_share_a_profile():
    from concurrent.futures import ThreadPoolExecutor

    sources = [render_docx(random_record(seed)) for seed in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        pdfs = list(pool.map(lambda data: convert(data, ".docx", target="pdf"), sources))
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)


@pytest.mark.slow
def test_an_odt_reads_to_the_record_it_was_saved_from():
    record = random_record(14)
    odt = convert(render_docx(record), ".docx", target="odt")
    assert parsers.detect_format(odt, "report.odt") == "odt"
    result = parsers.parse_bytes(odt, filename="report.odt")
    assert corpus.score(record, result)[2] == []

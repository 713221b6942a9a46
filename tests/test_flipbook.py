"""Flip-books: FlipBuilder pageN.html pages joined into one report."""

import pytest

import parsers
from parsers.errors import ParseError
from parsers.flipbook import read_pages
from nianbao.testbed.synthetic import random_record, render_text
from tests import corpus


@pytest.fixture(scope="module")
def record():
    return random_record(3)


def test_pages_given_out_of_order_read_to_the_record_they_print(record):
    pages = corpus.flipbook_pages(record)
    assert len(pages) > 3
    doc = read_pages(list(reversed(pages)))
    assert doc.source_format == "flipbook"
    assert doc.page_title == record["title"]
    result = parsers.parse_document(doc)
    correct, total, misses = corpus.score(record, result)
    assert misses == [] and total > 150
    assert result["title"] == record["title"] and result["published"] == record["published"]


def test_wrapped_lines_are_merged_and_viewer_chrome_dropped(record):
    doc = read_pages(corpus.flipbook_pages(record))
    texts = [p.text for p in doc.paragraphs()]
    intro = next(t for t in texts if t.startswith("本报告根据"))
    printed = next(line for line in render_text(record, layout="cells").split("\n") if line.startswith("本报告根据"))
    assert intro == printed
    assert not any(t.startswith("Page ") or t.startswith("P. ") for t in texts)
    # Table cells stay one per line: a number never joins its label.
    assert "一、本年新收政府信息公开申请数量" in texts


def test_a_book_folder_is_found_from_its_root(record, tmp_path):
    root = corpus.write_flipbook(record, tmp_path / "2022dzs" / "tongji")
    from_root = read_pages(root)
    from_files = read_pages(sorted((root / "files" / "basic-html").glob("page*.html")))
    assert [p.text for p in from_root.paragraphs()] == [p.text for p in from_files.paragraphs()]


def test_a_page_without_text_or_image_is_named_in_warnings(record, tmp_path):
    root = corpus.write_flipbook(record, tmp_path / "book", blank_pages=(2,))
    doc = read_pages(root)
    assert "flip-book page 2 has no text and no page image" in doc.warnings


def test_missing_pages_are_named(record):
    pages = corpus.flipbook_pages(record)
    doc = read_pages([pages[0], pages[2]])
    assert doc.warnings == ["flip-book pages missing: 2"]


def test_an_empty_folder_is_a_parse_error(tmp_path):
    with pytest.raises(ParseError, match="no flip-book pages"):
        read_pages(tmp_path)


@pytest.mark.slow
def test_a_page_without_text_is_read_from_its_page_image(record, tmp_path):
    root = corpus.write_flipbook(record, tmp_path / "book", blank_pages=(1,), page_images=True)
    doc = read_pages(root)
    assert doc.source_format == "ocr"
    assert any(w.startswith("page 1: text read by OCR") for w in doc.warnings)
    result = parsers.parse_document(doc)
    assert result["title"] == record["title"]
    correct, total, misses = corpus.score(record, result)
    assert misses == []


def test_parse_file_reads_a_book_folder_or_its_page_files_as_one_report(record, tmp_path):
    import json

    from click.testing import CliRunner

    from nianbao.cli import cli

    root = corpus.write_flipbook(record, tmp_path / "book")
    pages = sorted((root / "files" / "basic-html").glob("page*.html"), key=lambda p: -len(p.name))
    runner = CliRunner()
    for args in ([str(root)], [str(p) for p in pages]):
        result = runner.invoke(cli, ["parse-file", "--json", *args])
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        assert printed["title"] == record["title"]
        assert corpus.score(record, printed)[2] == []


def test_page_files_of_other_kinds_stay_separate_files(tmp_path):
    from parsers.flipbook import BookPages, group_pages

    other = tmp_path / "page1.html"
    other.write_text("<html><title>通知</title><body>x</body></html>", encoding="utf-8")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4")
    assert group_pages([other, report]) == [other, report]
    assert not any(isinstance(item, BookPages) for item in group_pages([other]))


def test_a_page_given_twice_is_read_once(record):
    pages = corpus.flipbook_pages(record)
    doc = read_pages([pages[0], pages[1], pages[1], *pages[2:]])
    assert doc.warnings == ["flip-book pages given twice (first copy read): 2"]
    assert corpus.score(record, parsers.parse_document(doc))[2] == []

"""crawler/trs.py on saved pages shaped like TRS WCM's (tests/fixtures/families/)."""

from datetime import date
from pathlib import Path

from crawler import trs

FIXTURES = Path(__file__).parent / "fixtures" / "families"
CHANNEL = "http://www.example.gov.cn/zfxxgk/czj/gknb/index_1.htm"
ARTICLE = "http://www.example.gov.cn/zfxxgk/czj/gknb/202301/t20230120_80576.htm"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_channel_pages_come_from_the_createpagehtml_count_in_a_variable():
    pages = trs.list_pages(read("trs_channel_index_1.htm"), CHANNEL)
    folder = "http://www.example.gov.cn/zfxxgk/czj/gknb/"
    assert pages == [folder + "index.htm", folder + "index_1.htm", folder + "index_2.htm", folder + "index_3.htm"]


def test_createpagehtml_with_a_literal_count_and_a_single_page():
    assert trs.list_pages('<script>createPageHTML(3, 0, "index", "html");</script>', CHANNEL)[-1].endswith(
        "/gknb/index_2.html")
    assert trs.list_pages('<script>createPageHTML(1, 0, "index", "htm");</script>', CHANNEL) == []
    assert trs.list_pages('<script>createPageHTML(countPage, 0, "index", "htm");</script>', CHANNEL) == []


def test_channel_records_are_article_links_with_full_titles_and_dates():
    records = trs.list_records(read("trs_channel_index_1.htm"), CHANNEL)
    assert [r.url for r in records] == [
        "http://www.example.gov.cn/zfxxgk/czj/gknb/202301/t20230120_80576.htm",
        "http://www.example.gov.cn/zfxxgk/czj/gknb/202301/t20230118_80571.htm",
        "http://www.example.gov.cn/zfxxgk/czj/gknb/202201/t20220125_71234.htm",
    ]
    assert records[0].title == "某县财政局2022年政府信息公开工作年度报告"  # from title="", not the cut text
    assert records[1].title.startswith("图解：")
    assert records[2].date == date(2022, 1, 25)


def test_article_title_date_editor_and_script_written_p0_attachments():
    article = trs.parse_article(read("trs_article.htm"), ARTICLE)
    assert article.title == "某县财政局2022年政府信息公开工作年度报告"
    assert article.has_content  # TRS_UEDITOR, the newer editor's class
    folder = "http://www.example.gov.cn/zfxxgk/czj/gknb/202301/"
    assert [(a.url, a.text) for a in article.attachments] == [
        (folder + "P020230120385712644387.pdf", "某县财政局2022年政府信息公开工作年度报告.pdf"),
        (folder + "P020230120385716083392.xlsx", "附表.xlsx"),
    ]


def test_article_urls_and_fingerprint():
    assert trs.is_article_url(ARTICLE)
    assert not trs.is_article_url(CHANNEL)
    assert not trs.is_article_url("http://www.example.gov.cn/art/2023/1/20/art_1_2.html")
    assert trs.looks_like_trs(read("trs_article.htm"))
    assert not trs.looks_like_trs("<html><body><a href='/col/col1/index.html'>x</a></body></html>")


def test_a_page_without_editor_or_attachments():
    article = trs.parse_article("<html><head><title>通知</title></head><body><p>无</p></body></html>", ARTICLE)
    assert (article.title, article.has_content, article.attachments) == ("通知", False, [])

"""crawler/ucap.py on saved pages shaped like Ucap's (tests/fixtures/families/)."""

from datetime import date
from pathlib import Path

from crawler import ucap

FIXTURES = Path(__file__).parent / "fixtures" / "families"
SITE = "https://www.example.gov.cn"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_article_reads_ucap_elements_and_the_files_ucapcontent_links():
    url = SITE + "/zwgk/mzj/gknb/202301/3d2cf5e1b8e94b4a9d0a6f1b2c3d4e5f.shtml"
    article = ucap.parse_article(read("ucap_article.shtml"), url)
    assert article.title == "某区民政局2022年政府信息公开工作年度报告"  # <ucaptitle>, not the <title> suffixes
    assert article.has_content
    assert [(a.url, a.text) for a in article.attachments] == [
        (SITE + "/uploadfiles/202301/3b8fa30e29aa4d55a0bd1fe1d52cdc17.pdf", "某区民政局2022年政府信息公开工作年度报告.pdf")]
    assert ucap.looks_like_ucap(read("ucap_article.shtml"))


def test_static_list_records_and_pager():
    url = SITE + "/zwgk/cgj/gknb/index.shtml"
    html = read("ucap_static_list.shtml")
    records = ucap.list_records(html, url)
    assert [r.title for r in records] == ["某区城管局2022年政府信息公开工作年度报告", "某区城管局2021年政府信息公开工作年度报告"]
    assert records[0].date == date(2023, 1, 12)
    assert ucap.list_pages(html, url) == [SITE + "/zwgk/cgj/gknb/index_2.shtml", SITE + "/zwgk/cgj/gknb/index_3.shtml"]


def test_a_script_drawn_list_names_its_json_api_and_pages_by_its_parameter():
    url = SITE + "/zwgk/mzj/gknb/index.shtml"
    (api,) = ucap.list_apis(read("ucap_js_list.shtml"), url)  # the script file's ?v= is not a list
    assert api.page_param == "currpage"
    assert api.url == SITE + "/ucap/info/getInfoList?channelid=5057aeffb1a84a7e8aeded87728da48c&pagesize=15&currpage=1"
    assert api.page(3).endswith("pagesize=15&currpage=3")


def test_json_list_entries_and_page_count():
    page = ucap.parse_json_list(read("ucap_list.json"), SITE + "/ucap/info/getInfoList?currpage=1")
    assert [r.url for r in page.records] == [
        SITE + "/zwgk/mzj/gknb/202301/3d2cf5e1b8e94b4a9d0a6f1b2c3d4e5f.shtml",
        "https://www.example.gov.cn/zwgk/mzj/gknb/202301/aa2cf5e1b8e94b4a9d0a6f1b2c3d4e5f.shtml"]
    assert page.records[0].date == date(2023, 1, 16)
    assert page.total_pages == 3  # 32 entries, 15 a page
    assert not page.malformed


def test_json_list_without_count_malformed_and_empty():
    assert ucap.parse_json_list('{"data": {"list": [{"title": "t", "url": "/a.shtml"}]}}', SITE + "/").total_pages is None
    assert ucap.parse_json_list("<html>error</html>", SITE + "/").malformed
    assert ucap.parse_json_list('{"infolist": []}', SITE + "/").records == []


def test_article_urls():
    assert ucap.is_article_url(SITE + "/zwgk/mzj/gknb/202301/3d2cf5e1.shtml")
    assert not ucap.is_article_url(SITE + "/zwgk/mzj/gknb/index_2.shtml")
    assert not ucap.is_article_url(SITE + "/zwgk/mzj/gknb/202301/t20230120_1.htm")

"""``expected_reports`` is exactly what the pages link: walking the replica the way a
crawler would finds every listed report URL and file, and nothing else that looks
like a report on the allowed hosts."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from nianbao.testbed.replica import ReplicaPortal
from nianbao.testbed.replica.sites import build_site, uscc_is_valid
from tests.replica_http import fetch, hrefs


@pytest.fixture(scope="module")
def portal():
    with ReplicaPortal(seed=5, bodies_per_site=6, years=(2021, 2022, 2023), office=False) as portal:
        yield portal


def column_links(base: str, column_url: str) -> list[str]:
    """Records of a jpage column: the inline group, then the proxy until an empty recordset."""
    page = fetch(column_url).text
    links = hrefs(re.search(r"<recordset>(.*?)</recordset>", page, re.S).group(1))
    init = re.search(r"perPage:(\d+).*?proxyUrl:'([^']+)'.*?columnid:(\d+)", page)
    per_page, proxy, column_id = int(init.group(1)), init.group(2), init.group(3)
    group = 2
    while True:
        start, end = (group - 1) * per_page * 3 + 1, group * per_page * 3
        xml = fetch(f"{base}{proxy}?startrecord={start}&endrecord={end}&perpage={per_page}",
                    method="POST", data=f"col=1&appid=1&columnid={column_id}").body
        found = hrefs(xml.decode("gbk" if b'encoding="GBK"' in xml[:60] else "utf-8"))
        if not found:
            return links
        links += found
        group += 1


def directory_tree_links(base: str, model) -> list[str]:
    directory = fetch(f"{base}/col/col{model.xxgk_column}/index.html").text
    out = []
    for shell in (h for h in hrefs(directory) if "vc_xxgkarea=" in h):
        text = fetch(base + shell).text
        tree = re.search(r'<iframe id="tree" src="([^"]+)"', text).group(1).replace("&amp;", "&")
        out += [urljoin(base + "/", h) for h in hrefs(fetch(base + tree).text) if not h.startswith("javascript")]
    return out


def test_wendeng_lists_link_every_report_page_and_nothing_else(portal):
    base = portal.sites["wendeng"].base_url
    model = portal.sites["wendeng"].model
    found = set()
    home = fetch(base + "/").text
    summary = next(h for h in hrefs(home) if "uid=" in h)
    for link in column_links(base, base + summary):
        found.add(urljoin(base + "/", link))
    for column_url in directory_tree_links(base, model):
        found |= {urljoin(base + "/", h) for h in column_links(base, column_url)}
    expected = {u for r in portal.expected_reports if r["site"] == "wendeng" for u in r["urls"]}
    on_host = {u for u in found if u.startswith(base)}
    assert on_host == expected
    off_host = found - on_host
    assert off_host and all(u.startswith(portal.clone_url + "/art/") for u in off_host)


def test_huancui_trees_link_every_annual_report_and_the_home_page_the_alias(portal):
    base = portal.sites["huancui"].base_url
    linked = [u for u in directory_tree_links(base, portal.sites["huancui"].model) if "xxgkAnnualReport" in u]
    filed = {u for u in linked if fetch(u).text.count("<table") == 3}
    expected = [r for r in portal.expected_reports if r["form"] == "annual_report"]
    assert filed == {r["report_url"] for r in expected}
    assert len(linked) > len(filed)  # some bodies skipped a year: their links lead to empty pages
    aliased = [r for r in expected if len(r["urls"]) == 2]
    assert len(aliased) == 1
    alias = aliased[0]["urls"][1]
    assert alias.startswith(portal.sites["huancui"].alias_url) and "?fbtime=" in alias
    assert alias in hrefs(fetch(base + "/").text)
    assert fetch(alias).body == fetch(aliased[0]["report_url"]).body


def test_every_report_page_links_its_files(portal):
    for report in portal.expected_reports:
        if report["disallowed"] or not report["files"]:
            continue
        page = fetch(report["report_url"])
        assert page.status == 200, report["report_url"]
        links = [urljoin(report["report_url"], h) for h in hrefs(page.text) + re.findall(r'src="([^"]+)"', page.text)]
        if report["form"] == "flipbook":
            (book,) = [u for u in links if "/book/" in u]
            if book.endswith("/index.html") and "/files/" not in book:  # the viewer: its noscript leads on
                book = urljoin(book, hrefs(fetch(book).text)[0])
            listing = fetch(book).text
            if "<noscript>" in listing:  # a text page: its noscript lists every page
                listing = listing.split("<noscript>")[1]
            book_pages = [urljoin(book, h) for h in hrefs(listing)]
            root = book.split("/files/")[0]
            images = [f"{root}/files/mobile/{n}.jpg" for n in range(1, len(book_pages) + 1)]
            assert report["files"] == book_pages + images
            assert all(fetch(u).status == 200 for u in report["files"])
        else:
            assert set(report["files"]) <= set(links), report["report_url"]


def test_titles_on_pages_match_the_expected_titles(portal):
    for report in portal.expected_reports:
        body = fetch(report["report_url"]).body
        text = body.decode("gbk") if report["form"] == "gbk" else body.decode("utf-8")
        assert report["title"] in text


def test_report_keys_are_unique_and_duplicates_are_one_entry(portal):
    keys = [r["report_key"] for r in portal.expected_reports]
    assert len(keys) == len(set(keys))
    twice = [r for r in portal.expected_reports if r["site"] == "wendeng" and len(r["urls"]) == 2]
    assert len(twice) == 1
    first, second = (fetch(u).text for u in twice[0]["urls"])
    index_no = re.compile(r"<td>(\w{18}/\d{4}-\d{5})</td>")
    assert index_no.search(first).group(1) == index_no.search(second).group(1)  # one 索引号, two columns


def test_expected_reports_cover_every_form(portal):
    forms = {r["form"] for r in portal.expected_reports}
    assert forms == {"html", "old_template", "gbk", "attachment", "scan", "flipbook", "annual_report"}
    exts = {re.search(r"\.(\w+)(?:&|$)", f).group(1) for r in portal.expected_reports
            if r["form"] == "attachment" for f in r["files"]}
    assert exts == {"pdf", "docx", "doc", "wps"}
    assert sum(r["needs_js"] for r in portal.expected_reports) == 3


def test_credit_codes_are_valid_and_carry_the_county_code():
    for name, county in (("wendeng", "371003"), ("huancui", "371002")):
        site = build_site(name, seed=9, bodies_per_site=40, years=(2022,))
        codes = [b.uscc for b in site.bodies]
        assert len(set(codes)) == 40 and all(uscc_is_valid(c) and c[2:8] == county for c in codes)
    assert not uscc_is_valid("11371002565229128H")


def test_scale_builds_a_thousand_reports_quickly_and_deterministically():
    big = ReplicaPortal(seed=0, bodies_per_site=185, years=(2021, 2022, 2023))
    reports = [r for h in big.sites.values() for r in h.model.reports]
    assert len(reports) >= 1000
    again = ReplicaPortal(seed=0, bodies_per_site=185, years=(2021, 2022, 2023))
    assert [r.key for h in again.sites.values() for r in h.model.reports] == [r.key for r in reports]
    names = [b.organization for b in big.sites["wendeng"].model.bodies]
    assert len(set(names)) == 185


def test_one_town_report_slips_on_the_year_in_its_prose(portal):
    (slip,) = [r for r in portal.expected_reports if r["year_typo"]]
    text = fetch(slip["report_url"]).text
    assert f"{slip['year']}年政府信息公开工作年度报告" in text
    first_line = re.search(r"一、总体情况</strong></p>\s*<p[^>]*>(\d{4})年", text)
    assert first_line.group(1) == str(slip["year"] - 1)
    assert portal.record(slip["report_url"])["year"] == slip["year"]


def test_opt_in_weihai_site_mixes_both_publication_paths():
    with ReplicaPortal(seed=4, bodies_per_site=4, years=(2022, 2023), office=False,
                       sites=("wendeng", "huancui", "weihai")) as portal:
        weihai = portal.sites["weihai"]
        assert weihai.base_url.startswith("http://127.0.0.6:")
        found = set()
        for link in directory_tree_links(weihai.base_url, weihai.model):
            if "xxgkAnnualReport" in link:
                found.add(link)
            else:
                found |= {urljoin(weihai.base_url + "/", h) for h in column_links(weihai.base_url, link)}
        expected = [r for r in portal.expected_reports if r["site"] == "weihai"]
        assert found == {r["report_url"] for r in expected}
        assert {r["form"] for r in expected} == {"annual_report", "html"}
        assert all(r["organization"].startswith("威海市") and r["area"][2:8] == "371000" for r in expected)
        article = next(r for r in expected if r["form"] == "html")
        assert f"<td>内容分类：</td><td>{article['year']}年</td>" in fetch(article["report_url"]).text
    with pytest.raises(ValueError, match="sites must be wendeng and huancui"):
        ReplicaPortal(sites=("weihai",))

"""Registry, job journal and WAF challenge solving: the crawler's pieces that need no network."""

import hashlib
import json
import subprocess
import sys

import pytest

from crawler.journal import JobJournal
from crawler.middlewares import ChallengeError, solve_jsl
from crawler.registry import RegistryError, adhoc_site, load_sites, select_sites, site_from_entry


def test_packaged_registry_has_the_weihai_sites():
    sites = load_sites()
    assert {"wendeng", "huancui", "weihai", "rongcheng", "rushan"} <= set(sites)
    assert sites["wendeng"].region_code == "371003" and sites["huancui"].region_code == "371002"
    assert "180.76.149.248" in sites["wendeng"].allowed_domains  # the flip-book host, explicitly
    assert all(s.family == "hanweb" for s in sites.values())


def test_aliases_are_rewritten_to_the_canonical_base():
    weihai = load_sites()["weihai"]
    assert weihai.canonical_url("https://www.weihai.gov.cn:8443/module/xxgk/x.jsp?a=1#top") == (
        "https://www.weihai.gov.cn/module/xxgk/x.jsp?a=1")
    assert weihai.https_fallback
    assert weihai.allowed_domains == ("www.weihai.gov.cn",)


def test_registry_errors_name_the_site_and_the_reason(tmp_path):
    with pytest.raises(RegistryError, match="unknown family 'dedecms'"):
        site_from_entry("x", {"family": "dedecms", "base_urls": ["http://x.gov.cn/"]})
    with pytest.raises(RegistryError, match="not an http"):
        site_from_entry("x", {"family": "hanweb", "base_urls": ["ftp://x.gov.cn/"]})
    with pytest.raises(RegistryError, match="politeness"):
        site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"], "politeness": {"speed": 1}})
    with pytest.raises(RegistryError, match="unknown keys \\['render'\\]"):
        site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"], "render": True})
    with pytest.raises(RegistryError, match=r"probe_years must be \[first, last\]"):
        site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"], "probe_years": [2025, 2019]})
    assert site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"],
                                 "probe_years": [2019, 2021]}).probe_years == (2019, 2020, 2021)
    bad = tmp_path / "sites.toml"
    bad.write_text("[sites.x\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid TOML"):
        load_sites(bad)
    with pytest.raises(RegistryError, match="unknown site.*nowhere"):
        select_sites(["nowhere"], load_sites())


def test_registry_file_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "sites.toml"
    path.write_text('[sites.demo]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.2:8000"]\n'
                    'render_js = false\n[sites.demo.politeness]\ndelay = 3\n', encoding="utf-8")
    monkeypatch.setenv("NIANBAO_SITES_FILE", str(path))
    (demo,) = load_sites().values()
    assert demo.base_url == "http://127.0.0.2:8000/" and demo.politeness == {"delay": 3}
    assert demo.render_js is False


def test_adhoc_site_for_a_url():
    site = adhoc_site("http://www.rushan.gov.cn/", "hanweb")
    assert site.name == "www-rushan-gov-cn" and site.allowed_domains == ("www.rushan.gov.cn",)


def test_journal_resumes_what_was_scheduled_but_not_done(tmp_path):
    journal = JobJournal(tmp_path)
    journal.note_request("a" * 40, {"url": "http://x/1"})
    journal.note_request("b" * 40, {"url": "http://x/2"})
    journal.mark_done(["a" * 40])
    journal.save_run_id(7)
    assert not journal.resuming  # a fresh job: nothing from an earlier process
    # SIGKILL: nothing closed. A torn last line must not stop the restart.
    with open(tmp_path / "requests.journal", "a") as f:
        f.write("c" * 40 + " gAR")
    again = JobJournal(tmp_path)
    assert again.resuming and again.unfinished() == [{"url": "http://x/2"}]
    assert again.load_run_id() == 7


def test_jsl_first_round_cookie_from_concatenated_literals():
    page = ("<html><body><script>document.cookie=('__jsl_cle')+('arance=')+('1732237200.417|0|ab%3D')"
            "+(';max-age=3600;path=/');location.href=location.pathname+location.search</script></body></html>")
    assert solve_jsl(page) == {"__jsl_clearance": "1732237200.417|0|ab%3D"}


def test_jsl_obfuscated_numbers_follow_javascript_coercion():
    page = "<script>document.cookie=('_')+('_jsl_clearance_s=')+(-~[]+[]+~~[])+('x');location.href='/'</script>"
    assert solve_jsl(page) == {"__jsl_clearance_s": "10x"}


def test_jsl_second_round_finds_the_clearance_by_its_hash():
    clearance = "1650000000.1|0|AbXyZ"
    params = {"bts": ["1650000000.1|0|A", "yZ"], "chars": "abcXYZ", "ct": hashlib.sha1(clearance.encode()).hexdigest(),
              "ha": "sha1", "tn": "__jsl_clearance_s", "vt": "3600", "wt": "1500"}
    page = f"<script>;go({json.dumps(params)})</script>"
    assert solve_jsl(page) == {"__jsl_clearance_s": clearance}


def test_unanswerable_challenges_say_why():
    with pytest.raises(ChallengeError, match="no document.cookie"):
        solve_jsl("<html>blocked</html>")
    with pytest.raises(ChallengeError, match="unsupported script"):
        solve_jsl("<script>document.cookie=atob('eA==');location.href='/'</script>")


def test_crawl_command_rejects_unknown_sites_before_starting(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from nianbao.cli import cli; cli(prog_name='nianbao')", "crawl", "nowhere",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "unknown site(s) nowhere" in result.stderr


def test_spider_adapts_settings_to_its_sites(tmp_path):
    from scrapy.crawler import Crawler

    from crawler.run import crawl_settings
    from crawler.spiders.hanweb import HanwebSpider

    registry = tmp_path / "sites.toml"
    registry.write_text('[sites.demo]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.2:8000/", '
                        '"http://127.0.0.2:8443/"]\nextra_hosts = ["127.0.0.4"]\nrender_js = false\n'
                        '[sites.demo.politeness]\ndelay = 5\nconcurrency = 1\n', encoding="utf-8")
    settings = crawl_settings(data_dir=tmp_path / "data", sites_file=registry, jobdir=tmp_path / "job",
                              overrides=["NIANBAO_CONTACT_URL=https://example.org/contact"])
    crawler = Crawler(HanwebSpider, settings)
    spider = HanwebSpider.from_crawler(crawler, sites="demo")
    assert spider.allowed_domains == ["127.0.0.2", "127.0.0.4"]
    assert crawler.settings["USER_AGENT"].startswith("nianbao/") and "https://example.org/contact" in (
        crawler.settings["USER_AGENT"])
    assert crawler.settings.getdict("DOWNLOAD_SLOTS")["127.0.0.4"] == {"delay": 5, "concurrency": 1}
    # Scrapy's JOBDIR queues are replaced by the journal; no browser for render_js = false.
    assert crawler.settings["JOBDIR"] is None and crawler.settings["NIANBAO_JOBDIR"] == str(tmp_path / "job")
    assert not crawler.settings.getdict("DOWNLOAD_HANDLERS")
    assert crawler.settings.getbool("ROBOTSTXT_OBEY") and crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2


def test_https_failure_falls_back_to_http_for_that_host_from_then_on():
    from types import SimpleNamespace

    from scrapy.http import Request
    from scrapy.utils.test import get_crawler
    from twisted.internet.error import ConnectionLost

    from crawler.middlewares import HttpsFallbackMiddleware

    site = site_from_entry("weihai", {"family": "hanweb", "base_urls": ["https://www.weihai.gov.cn/"],
                                      "https_fallback": True})
    crawler = get_crawler()
    crawler.spider = SimpleNamespace(site_for=lambda request: site)
    middleware = HttpsFallbackMiddleware.from_crawler(crawler)
    failed = Request("https://www.weihai.gov.cn/col/col1/index.html", meta={"journal_fps": ["f" * 40]})
    retry = middleware.process_exception(failed, ConnectionLost())
    assert retry.url == "http://www.weihai.gov.cn/col/col1/index.html"
    assert retry.meta["journal_fps"] == ["f" * 40] and retry.dont_filter  # closes the original's entry
    later = middleware.process_request(Request("https://www.weihai.gov.cn/art/2025/3/7/art_1_2.html"))
    assert later.url == "http://www.weihai.gov.cn/art/2025/3/7/art_1_2.html"
    assert middleware.process_request(Request("https://other.gov.cn/")) is None


def test_families_are_the_spiders_scrapy_finds(tmp_path):
    from crawler.families import family_names, family_spider
    from crawler.spiders.base import FamilySpider

    assert "hanweb" in family_names()
    for name in family_names():
        assert issubclass(family_spider(name), FamilySpider) and family_spider(name).name == name
    with pytest.raises(RegistryError, match=r"unknown family 'nope' \(known: .*hanweb"):
        site_from_entry("x", {"family": "nope", "base_urls": ["http://x/"]})
    result = subprocess.run(
        [sys.executable, "-c", "from nianbao.cli import cli; cli(prog_name='nianbao')", "crawl", "--url",
         "http://127.0.0.1:9/", "--family", "nope", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "'nope' is not one of: " in result.stderr and "hanweb" in result.stderr


def test_page_budget_stops_a_site_and_counts_what_it_used():
    from types import SimpleNamespace

    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import Request
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import PageBudgetMiddleware, budget_use
    from crawler.run import budget_lines

    crawler = get_crawler()
    crawler.spider = SimpleNamespace(page_budget=lambda site: {"a": 2, "b": 5}[site])
    middleware = PageBudgetMiddleware.from_crawler(crawler)

    def ask(site, role="list", **meta):
        request = Request(f"http://{site}/{role}", meta={"site": site, "role": role, **meta})
        middleware.process_request(request)
        return request

    first = ask("a")
    ask("a", "report_page")
    ask("a", "attachment")  # files are not counted
    middleware.process_request(first)  # a retry of a counted request is not counted again
    with pytest.raises(IgnoreRequest, match="page budget of site a used"):
        ask("a")
    with pytest.raises(IgnoreRequest):
        ask("a", "report_page")
    ask("b")
    stats = crawler.stats.get_stats()
    assert budget_use(stats) == {"a": (2, 2, 2), "b": (1, 5, 0)}
    assert budget_lines(stats) == ["a: 2 of 2 pages of budget used, 2 pages over budget not requested",
                                   "b: 1 of 5 pages of budget used"]
    assert site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"], "page_budget": 40}).page_budget == 40
    with pytest.raises(RegistryError, match="page_budget must be a positive number"):
        site_from_entry("x", {"family": "hanweb", "base_urls": ["http://x/"], "page_budget": 0})


def test_probes_wait_for_the_site_s_first_probe(tmp_path):
    from types import SimpleNamespace

    from scrapy.crawler import Crawler

    from scrapy.statscollectors import MemoryStatsCollector

    from crawler.run import crawl_settings
    from crawler.spiders.hanweb import HanwebSpider

    registry = tmp_path / "sites.toml"
    registry.write_text('[sites.a]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.2:8000/"]\nrender_js = false\n'
                        '[sites.b]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.3:8000/"]\nrender_js = false\n'
                        '[sites.c]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.4:8000/"]\nrender_js = false\n',
                        encoding="utf-8")
    crawler = Crawler(HanwebSpider, crawl_settings(data_dir=tmp_path / "data", sites_file=registry))
    spider = HanwebSpider.from_crawler(crawler)
    scheduled = []
    crawler.engine = SimpleNamespace(crawl=scheduled.append)
    crawler.stats = MemoryStatsCollector(crawler)

    def probes(name, years):
        site = spider.site_by_name[name]
        return [r for year in years for r in spider.annual_report_request(
            f"{site.base_url}module/xxgk/xxgkAnnualReport.jsp?area=11371083MB0000000X&fbtime={year}", site,
            probe=True)]

    # a: the module answers 404 -> the waiting probes are dropped, later ones never made.
    (gate,) = probes("a", [2008, 2009, 2010])
    assert gate.meta["module_gate"] and list(spider.module_answered(gate, 404)) == []
    assert probes("a", [2011]) == [] and crawler.stats.get_value("nianbao/probing_stopped/a") == 3
    # b: the module answers -> the waiting probes go, later ones go at once.
    (gate,) = probes("b", [2008, 2009, 2010])
    assert [r.url[-4:] for r in spider.module_answered(gate, 200)] == ["2009", "2010"]
    assert [r.url[-4:] for r in probes("b", [2011])] == ["2011"]
    # c: the first probe was a duplicate of a year already asked: it never answers, so it
    # does not hold the others back.
    (gate,) = probes("c", [2008, 2009])
    spider.request_dropped(gate)
    assert [r.url[-4:] for r in scheduled] == ["2009"]

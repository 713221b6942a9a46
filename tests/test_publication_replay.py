"""Archived HTML pages replay from the archive: references resolve to the archived copies or
are marked not archived, scripts are gone, and a banner names the source."""

import asyncio
import re

import pytest

from archive.archive import Archive
from nianbao.serve import build_datasette

BASE = "http://127.0.0.2/art/2023/1/1/"
PAGE = b"""<html><head><meta charset="utf-8"><link rel="stylesheet" href="style/site.css">
<script>document.title = "ran"</script></head>
<body onload="steal()"><h1>\xe5\xb9\xb4\xe6\x8a\xa5</h1>
<img id="table" src="../images/table1.png"><img id="lost" src="http://127.0.0.2/missing.png">
<a id="attachment" href="/attach/report.pdf">attachment</a> <a id="next" href="page2.html#top">next page</a>
<a id="gone" href="page3.html">page 3</a> <a id="js" href="javascript:steal()">x</a>
<div id="bg" style="background:url('bg.png')"></div></body></html>"""
CSS = b"body { background: url(../img/bg2.png) } h1 { color: red }"


@pytest.fixture(scope="module")
def replay_site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("replay")
    digests = {}
    with Archive(data_dir) as archive:
        def fetch(url, body, content_type, role=None):
            result = archive.record_fetch(url=url, status=200, headers={"Content-Type": content_type}, body=body,
                                          role=role, report_key=BASE + "page1.html",
                                          fetched_at="2026-11-30T08:00:00+00:00")
            digests[url] = result.sha256

        fetch(BASE + "page1.html", PAGE, "text/html; charset=utf-8", "report_page")
        fetch("http://127.0.0.2/art/2023/1/images/table1.png", b"\x89PNG\r\n\x1a\nfake", "image/png", "image")
        fetch(BASE + "style/site.css", CSS, "text/css")
        fetch(BASE + "img/bg2.png", b"\x89PNG\r\n\x1a\nbg2", "image/png")
        fetch("http://127.0.0.2/attach/report.pdf", b"%PDF-1.4 fake", "application/pdf", "attachment")
        fetch(BASE + "page2.html", b"<html><body><p>page 2</p></body></html>", "text/html", "flipbook_page")
    ds = build_datasette(data_dir / "nianbao.db", data_dir / "originals")
    return ds, digests


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def element(page, element_id):
    return re.search(rf'<[^>]*id="{element_id}"[^>]*>', page).group(0)


def test_references_resolve_to_the_archived_copies(replay_site):
    ds, digests = replay_site
    response = get(ds, f"/-/replay/{digests[BASE + 'page1.html']}")
    assert response.status_code == 200
    page = response.text
    assert f'src="/-/originals/{digests["http://127.0.0.2/art/2023/1/images/table1.png"]}"' in element(page, "table")
    assert f'href="/-/originals/{digests["http://127.0.0.2/attach/report.pdf"]}"' in element(page, "attachment")
    # A flip-book page opens as a replay too, its fragment kept.
    assert f'href="/-/replay/{digests[BASE + "page2.html"]}#top"' in element(page, "next")
    assert f'href="/-/replay/{digests[BASE + "style/site.css"]}"' in page
    # The image the picture points at is the archived bytes.
    image = get(ds, f"/-/originals/{digests['http://127.0.0.2/art/2023/1/images/table1.png']}")
    assert image.content == b"\x89PNG\r\n\x1a\nfake"


def test_a_style_sheet_replays_with_its_own_references_resolved(replay_site):
    ds, digests = replay_site
    css = get(ds, f"/-/replay/{digests[BASE + 'style/site.css']}")
    assert css.headers["content-type"].startswith("text/css")
    assert f'url("/-/originals/{digests[BASE + "img/bg2.png"]}")' in css.text and "color: red" in css.text


def test_what_was_not_archived_is_marked(replay_site):
    ds, digests = replay_site
    page = get(ds, f"/-/replay/{digests[BASE + 'page1.html']}").text
    lost = element(page, "lost")
    assert 'data-nianbao="not-archived"' in lost and "http://127.0.0.2/missing.png" in lost
    assert "127.0.0.2/missing.png" not in lost.split("src=")[1].split('"')[1]  # no request to the portal
    gone = element(page, "gone")
    assert "/-/not-archived?url=" in gone and "page3.html" in gone
    assert "未存档" in get(ds, "/-/not-archived?url=http%3A%2F%2F127.0.0.2%2Fart%2F2023%2F1%2F1%2Fpage3.html").text
    assert "url(&#34;data:image/svg+xml" in element(page, "bg") or "url(\"data:image/svg+xml" in element(page, "bg")
    assert "2 处引用未存档" in page  # the picture and the page (the style's background is marked in place)


def test_scripts_stay_inert_and_a_banner_names_the_source(replay_site):
    ds, digests = replay_site
    sha256 = digests[BASE + "page1.html"]
    response = get(ds, f"/-/replay/{sha256}")
    page = response.text
    assert "<script" not in page and "onload" not in page and "javascript:" not in page
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script at all
    assert "sandbox" in response.headers["content-security-policy"]
    banner = re.search(r"<div id=\"nianbao-replay-banner\".*?</div>", page, re.S).group(0)
    assert BASE + "page1.html" in banner and "2026-11-30T08:00:00+00:00" in banner and sha256 in banner


def test_replay_refuses_what_is_not_a_digest_and_sends_other_formats_as_stored(replay_site):
    ds, digests = replay_site
    assert get(ds, "/-/replay/../../etc/passwd").status_code == 404
    assert get(ds, "/-/replay/" + "0" * 64).status_code == 404
    pdf = digests["http://127.0.0.2/attach/report.pdf"]
    redirect = get(ds, f"/-/replay/{pdf}")
    assert redirect.status_code == 302 and redirect.headers["location"] == f"/-/originals/{pdf}"

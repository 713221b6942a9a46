"""The crawler's contract: record_fetch / previous_fetch / runs, as the Scrapy pipeline uses them."""

import hashlib
import io
import json
import threading

from archive import Archive


def test_a_run_with_fetches_successes_and_failures(tmp_path):
    archive = Archive(tmp_path)
    run_id = archive.start_run(sites=["wendeng"])
    body = "<html>年度报告</html>".encode()

    page = archive.record_fetch(
        url="http://127.0.0.1/art/2023/1/28/art_1.html", status=200,
        headers={b"Content-Type": [b"text/html; charset=utf-8"], b"Set-Cookie": [b"a=1", b"b=2"]},
        body=body, crawl_run=run_id, role="report_page", report_key="wendeng:1",
    )
    again = archive.record_fetch(url="http://127.0.0.1/copy.html", status=200, body=body, crawl_run=run_id)
    failed = archive.record_fetch(url="http://127.0.0.1/gone.pdf", status=None, error="TimeoutError: took too long",
                                  crawl_run=run_id, role="attachment", report_key="wendeng:1")
    archive.finish_run(run_id, counts={"fetched": 2, "failed": 1}, status="partial")

    assert page.sha256 == again.sha256 == hashlib.sha256(body).hexdigest()
    assert (page.new_document, again.new_document, failed.sha256) == (True, False, None)
    row = archive.db["fetches"].get(page.fetch_id)
    assert json.loads(row["headers"]) == {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": ["a=1", "b=2"]}
    assert row["content_type"] == "text/html; charset=utf-8"
    assert archive.db["fetches"].get(failed.fetch_id)["error"] == "TimeoutError: took too long"
    assert archive.db["documents"].count == 1
    assert archive.db["documents"].get(page.sha256)["format"] == "html"  # parsers.detect_format, from content
    run = archive.db["crawl_runs"].get(run_id)
    assert (run["status"], json.loads(run["counts"]), json.loads(run["sites"])) == ("partial", {"fetched": 2, "failed": 1}, ["wendeng"])
    assert run["finished"] is not None


def test_previous_fetch_gives_validators_for_conditional_requests(tmp_path):
    archive = Archive(tmp_path)
    url = "http://127.0.0.1/report.pdf"
    assert archive.previous_fetch(url) is None
    archive.record_fetch(url=url, status=200, body=b"v1",
                         headers={"ETag": '"abc"', "Last-Modified": "Sat, 28 Jan 2023 01:00:00 GMT"})
    archive.record_fetch(url=url, status=500, body=b"server error page")

    previous = archive.previous_fetch(url)
    assert previous["sha256"] == hashlib.sha256(b"v1").hexdigest()
    assert (previous["etag"], previous["last_modified"], previous["status"]) == (
        '"abc"', "Sat, 28 Jan 2023 01:00:00 GMT", 200)

    not_modified = archive.record_fetch(url=url, status=304, not_modified=True)
    assert not_modified.sha256 == previous["sha256"]


def test_body_over_the_cap_is_an_error_row_not_a_file(tmp_path):
    archive = Archive(tmp_path, max_body_size=1000)
    for body in (b"x" * 1001, io.BytesIO(b"y" * 5000)):
        result = archive.record_fetch(url="http://127.0.0.1/huge.pdf", status=200, body=body)
        assert result.sha256 is None
        assert "cap" in archive.db["fetches"].get(result.fetch_id)["error"]
    assert list(archive.store) == []


def test_url_history_shows_changes_and_disappearance(tmp_path):
    archive = Archive(tmp_path)
    url = "http://127.0.0.1/art_9.html"
    archive.record_fetch(url=url, status=200, body=b"first", fetched_at="2024-01-01T00:00:00+00:00")
    archive.record_fetch(url=url, status=200, body=b"second", fetched_at="2024-02-01T00:00:00+00:00")
    # the portal's error page has a body of its own: not a version of the report
    archive.record_fetch(url=url, status=404, body=b"<h1>404</h1>", fetched_at="2024-03-01T00:00:00+00:00")

    (history,) = archive.db.query("SELECT * FROM url_history WHERE url = ?", [url])
    assert history["first_seen"] == "2024-01-01T00:00:00+00:00"
    assert history["last_seen"] == "2024-03-01T00:00:00+00:00"
    assert (history["latest_status"], history["distinct_sha256"], history["fetches"]) == (404, 2, 3)


def test_filenames_come_from_content_disposition_or_url_made_safe(tmp_path):
    archive = Archive(tmp_path)
    gbk_header = 'attachment; filename="..\\..\\年报.pdf"'.encode("gbk").decode("latin-1")
    by_header = archive.record_fetch(url="http://127.0.0.1/download?id=1", status=200, body=b"a",
                                     headers={"Content-Disposition": gbk_header})
    by_url = archive.record_fetch(url="http://127.0.0.1/files/%E5%B9%B4%E6%8A%A5.docx", status=200, body=b"b")
    assert archive.db["fetches"].get(by_header.fetch_id)["filename"] == "年报.pdf"
    assert archive.db["documents"].get(by_url.sha256)["filename"] == "年报.docx"


def test_fetches_may_be_recorded_from_several_threads(tmp_path):
    archive = Archive(tmp_path)
    errors = []

    def crawl(thread_no):
        try:
            for i in range(25):
                archive.record_fetch(url=f"http://127.0.0.1/{thread_no}/{i}", status=200, body=f"{i}".encode())
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=crawl, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert archive.db["fetches"].count == 100
    assert archive.db["documents"].count == 25


def test_scrapy_headers_are_kept_byte_for_byte(tmp_path):
    from scrapy.http.headers import Headers

    archive = Archive(tmp_path)
    raw_gbk = 'attachment; filename="年报.pdf"'.encode("gbk")
    headers = Headers({"Set-Cookie": ["a=1", "b=2"], "Content-Type": "application/pdf", "Content-Disposition": raw_gbk})
    result = archive.record_fetch(url="http://127.0.0.1/downfile.jsp?id=3", status=200, headers=headers, body=b"%PDF")

    row = archive.db["fetches"].get(result.fetch_id)
    stored = json.loads(row["headers"])
    assert stored["Set-Cookie"] == ["a=1", "b=2"]
    assert stored["Content-Disposition"].encode("latin-1") == raw_gbk  # the bytes the server sent
    assert row["filename"] == "年报.pdf"

"""WARC export read back with warcio: every payload matches the store and its WARC-Payload-Digest."""

import base64
import hashlib
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator

from archive import Archive
from archive.importer import import_paths
from archive.warc import write_warc


def test_warc_round_trip(tmp_path):
    archive = Archive(tmp_path / "data")
    page = "<html><body>聊城市统计局2022年政府信息公开工作年度报告</body></html>".encode()
    archive.record_fetch(
        url="http://127.0.0.1:8000/art/2023/1/28/art_1.html", status=200, body=page, referer="http://127.0.0.1:8000/",
        headers={b"Content-Type": [b"text/html; charset=utf-8"], b"Content-Encoding": [b"gzip"],
                 b"Set-Cookie": [b"a=1", b"b=2"], b"ETag": [b'"v1"']},
        role="report_page", report_key="k",
    )
    archive.record_fetch(url="http://127.0.0.1:8000/attach/report.pdf?id=7", status=200, body=b"%PDF-1.7 report",
                         headers={"Content-Type": "application/pdf"}, role="attachment", report_key="k")
    archive.record_fetch(url="http://127.0.0.1:8000/art/2023/1/28/art_1.html", status=304, not_modified=True)
    archive.record_fetch(url="http://127.0.0.1:8000/missing.pdf", status=404, error="HTTP 404")
    (tmp_path / "local.txt").write_text("本地文件", encoding="utf-8")
    import_paths(archive, [tmp_path / "local.txt"])

    target = tmp_path / "archive.warc.gz"
    written = write_warc(archive, target)

    seen = {}
    with target.open("rb") as stream:
        for record in ArchiveIterator(stream):
            kind = record.rec_type
            seen.setdefault(kind, []).append(record.rec_headers.get_header("WARC-Target-URI"))
            if kind in ("response", "resource"):
                payload = record.content_stream().read()
                sha256 = hashlib.sha256(payload).hexdigest()
                assert payload == archive.store.read_bytes(sha256)
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                assert digest == "sha256:" + base64.b32encode(bytes.fromhex(sha256)).decode()
            if kind == "response" and record.rec_headers.get_header("WARC-Target-URI").endswith("art_1.html"):
                headers = record.http_headers
                assert headers.get_statuscode() == "200"
                assert [v for k, v in headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
                assert headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
                assert headers.get_header("Content-Encoding") is None
            if kind == "request":
                assert record.rec_headers.get_header("WARC-Concurrent-To")
            assert record.rec_headers.get_header("WARC-Date")
            assert record.rec_headers.protocol == "WARC/1.1"

    # 2 request/response pairs, a revisit, a resource, a metadata record for each of those 4 fetches,
    # and one for the import run the local file came in with.
    assert written == 11
    metadata = [uri for uri in seen["metadata"] if not uri.startswith("urn:nianbao:crawl:")]
    assert len(metadata) == 4 and len(seen["metadata"]) == 5
    # warcio's own checker recomputes every block and payload digest.
    # Through the interpreter running the tests, never a warcio found on PATH (a fresh shell has none).
    check = subprocess.run([sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(target)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count("digest pass") >= 5, check.stdout + check.stderr
    assert sorted(seen) == ["metadata", "request", "resource", "response", "revisit"]
    assert len(seen["response"]) == len(seen["request"]) == 2
    assert seen["resource"][0].startswith("file:///")
    assert "http://127.0.0.1:8000/missing.pdf" not in sum(seen.values(), [])


def test_warc_export_imports_back_to_the_same_fetches(tmp_path):
    from archive.warc_import import import_warcs

    archive = Archive(tmp_path / "data")
    run = archive.start_run(sites=["wendeng"])
    page = "<html><body>聊城市统计局2022年政府信息公开工作年度报告</body></html>".encode()
    archive.record_fetch(url="http://127.0.0.1:8000/art/1.html", status=200, body=page, crawl_run=run,
                         headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                                  "Content-Length": "12", "Set-Cookie": ["a=1", "b=2"]},
                         role="report_page", report_key="k")
    archive.record_fetch(url="http://127.0.0.1:8000/module/download/downfile.jsp?id=7",
                         final_url="http://127.0.0.1:8000/attach/0/年报.pdf", status=200, body=b"%PDF-1.7 report",
                         crawl_run=run, headers={"Content-Type": "application/pdf"}, role="attachment",
                         report_key="k", filename="年报.pdf")
    archive.record_fetch(url="http://127.0.0.1:8000/art/1.html", status=304, not_modified=True, crawl_run=run)
    archive.finish_run(run, counts={"fetches": 3}, status="ok")
    (tmp_path / "local.txt").write_text("本地文件", encoding="utf-8")
    import_paths(archive, [tmp_path / "local.txt"])
    write_warc(archive, tmp_path / "a.warc.gz")

    copy = Archive(tmp_path / "copy")
    result = import_warcs(copy, [tmp_path / "a.warc.gz"])
    assert not result.errors and result.records == 4
    columns = "url, final_url, status, headers, role, report_key, filename, sha256, not_modified, fetched_at"
    query = f"SELECT {columns} FROM fetches WHERE sha256 IS NOT NULL ORDER BY id"
    assert copy.db.execute(query).fetchall() == archive.db.execute(query).fetchall()
    runs = "SELECT sites, status FROM crawl_runs ORDER BY id"
    assert copy.db.execute(runs).fetchall() == archive.db.execute(runs).fetchall()

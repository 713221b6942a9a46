"""``nianbao import FILE.warc.gz``: WARCs of nianbao's export and of other tools
(wget) load as a crawl would have recorded them; broken records are one error
each and the rest of the file still loads; importing a record twice changes nothing."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import Archive
from archive.warc_import import import_warcs
from crawler.replay import classify
from nianbao.testbed.replica import ReplicaPortal

from .archive_compare import archive_contents
from .test_crawl_end_to_end import CLI, crawl, write_registry

ROOT = Path(__file__).resolve().parent.parent
WGET = Path("/usr/bin/wget")
PAGE = "<html><head><title>x</title></head><body><p>第{n}页</p></body></html>"


def nianbao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def http_response(writer, uri: str, body: bytes, *, headers=(), digest: str | None = None):
    pairs = [("Content-Type", "text/html; charset=utf-8"), *headers]
    record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                       http_headers=StatusAndHeaders("200 OK", pairs, protocol="HTTP/1.1"))
    if digest:
        record.rec_headers.replace_header("WARC-Payload-Digest", digest)
    return record


def huge_member(uri: str) -> bytes:
    """One gzip member holding a response that declares a 5 GB payload (and has a few bytes)."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 the rest never came"
    head = ("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000005f>\r\n"
            f"WARC-Target-URI: {uri}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            "Content-Type: application/http; msgtype=response\r\nContent-Length: 5000000000\r\n\r\n").encode()
    return gzip.compress(head + http)


def write(path: Path, make) -> Path:
    with path.open("wb") as out:
        make(WARCWriter(out, gzip=True, warc_version="1.1"), out)
    return path


def rows(data_dir: Path, sql: str):
    db = sqlite3.connect(data_dir / "nianbao.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_broken_records_are_errors_and_the_rest_imports(tmp_path):
    base = "http://127.0.0.1:9/"

    def make(writer, out):
        writer.write_record(http_response(writer, base + "1.html", PAGE.format(n=1).encode()))
        writer.write_record(http_response(writer, base + "bad.html", b"<html>tampered</html>",
                                          digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        out.write(huge_member(base + "huge.pdf"))
        writer.write_record(writer.create_warc_record("dns:127.0.0.1", "response", payload=io.BytesIO(b"x A 1"),
                                                      length=5, warc_content_type="text/dns"))
        writer.write_record(writer.create_warc_record("urn:pageinfo:" + base, "resource",
                                                      payload=io.BytesIO(b"{}"), length=2,
                                                      warc_content_type="application/json"))
        body = gzip.compress(PAGE.format(n=2).encode())
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        writer.write_record(http_response(writer, base + "2.html", chunked,
                                          headers=[("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]))
        writer.write_record(http_response(writer, base + "3.html", PAGE.format(n=3).encode()))

    warc = write(tmp_path / "mixed.warc.gz", make)
    truncated = tmp_path / "cut.warc.gz"
    data = warc.read_bytes()
    truncated.write_bytes(data[: len(data) - 40])  # the last record's member loses its end

    archive = Archive(tmp_path / "data")
    result = import_warcs(archive, [warc, truncated], classify=classify)
    errors = "\n".join(result.errors)
    assert "bad.html" in errors and "digest mismatch" in errors
    assert "huge.pdf" in errors and "exceeds the" in errors
    assert "dns:" in errors and "urn:pageinfo" in errors
    assert "cut.warc.gz" in errors
    fetched = {url: (sha256, error) for url, sha256, error in archive.db.execute(
        "SELECT url, sha256, error FROM fetches")}
    # Good records of both files (the cut file's up to its cut), once each (same record ids).
    for n in (1, 2, 3):
        assert fetched[base + f"{n}.html"][0] and fetched[base + f"{n}.html"][1] is None
    assert archive.store.read_bytes(fetched[base + "2.html"][0]) == PAGE.format(n=2).encode()  # de-chunked, gunzipped
    # The broken responses are fetch rows with the error, and nothing of theirs is in the store.
    assert fetched[base + "bad.html"][0] is None and "digest" in fetched[base + "bad.html"][1]
    assert fetched[base + "huge.pdf"][0] is None
    tampered = hashlib.sha256(b"<html>tampered</html>").hexdigest()
    assert tampered not in archive.store
    assert len(fetched) == 5
    archive.close()


def test_importing_a_record_twice_changes_nothing(tmp_path):
    warc = write(tmp_path / "a.warc.gz", lambda writer, out: [
        writer.write_record(http_response(writer, f"http://127.0.0.1:9/{n}.html", PAGE.format(n=n).encode()))
        for n in range(3)])
    archive = Archive(tmp_path / "data")
    first = import_warcs(archive, [warc], classify=classify)
    counts = [archive.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("fetches", "documents", "crawl_runs", "warc_records")]
    again = import_warcs(archive, [warc, warc], classify=classify)
    assert (first.records, first.skipped) == (3, 0) and (again.records, again.skipped) == (0, 6)
    assert counts == [archive.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                      for t in ("fetches", "documents", "crawl_runs", "warc_records")]
    archive.close()


@pytest.fixture(scope="module")
def portal():
    with ReplicaPortal(seed=1, bodies_per_site=2, years=(2022, 2023), office=False) as p:
        yield p


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory):
    """A direct crawl of the replica, parsed: the archive the WARC ways must reproduce."""
    tmp = tmp_path_factory.mktemp("crawled")
    sites = write_registry(portal, tmp / "sites.toml")
    crawl(sites, tmp / "data")
    parsed = nianbao("parse", "--data-dir", str(tmp / "data"))
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    return tmp / "data", sites


@pytest.mark.slow
def test_export_then_import_gives_the_same_archive(crawled, tmp_path):
    data, _ = crawled
    exported = nianbao("export", "--data-dir", str(data), "--warc", str(tmp_path / "all.warc.gz"))
    assert exported.returncode == 0, exported.stderr
    imported = nianbao("import", "--data-dir", str(tmp_path / "copy"), str(tmp_path / "all.warc.gz"))
    assert imported.returncode == 0, imported.stderr[-2000:]
    original, copy = archive_contents(data), archive_contents(tmp_path / "copy")
    assert original["reports"] and copy == original
    fetch_sql = ("SELECT url, final_url, role, report_key, page_no, filename, sha256 FROM fetches "
                 "WHERE sha256 IS NOT NULL AND error IS NULL ORDER BY id")
    assert rows(tmp_path / "copy", fetch_sql) == rows(data, fetch_sql)
    run_sql = "SELECT sites, status, counts FROM crawl_runs"
    assert rows(tmp_path / "copy", run_sql) == rows(data, run_sql)


@pytest.mark.slow
def test_a_wget_warc_of_the_replica_finds_its_reports(portal, crawled, tmp_path):
    if not WGET.exists():
        pytest.skip("wget is not installed (apt-get install wget; bin/setup --test does)")
    data, sites = crawled
    hosts = sorted({urlsplit(u).hostname for u in (portal.sites["wendeng"].base_url, portal.flipbook_url)})
    made = subprocess.run(
        [str(WGET), "--recursive", "--level=inf", "--no-verbose", "--span-hosts", "--domains=" + ",".join(hosts),
         "--warc-file=" + str(tmp_path / "wget"), "--no-warc-keep-log", "--directory-prefix", str(tmp_path / "files"),
         portal.sites["wendeng"].base_url + "/"],
        capture_output=True, text=True, timeout=300)
    assert (tmp_path / "wget.warc.gz").exists(), made.stderr[-2000:]
    imported = nianbao("import", "--data-dir", str(tmp_path / "data"), "--sites-file", str(sites),
                       str(tmp_path / "wget.warc.gz"))
    assert "reports loaded" in imported.stdout, imported.stderr[-2000:]

    direct, from_wget = archive_contents(data), archive_contents(tmp_path / "data")
    # wget follows plain links only (no data proxy, no search.jsp forms): the reports it reached
    # are found, under the keys a crawl gives them, and read the same where it fetched every file.
    reached = {e["report_url"] for e in portal.expected_reports
               if e["site"] == "wendeng" and not e["disallowed"]
               and (tmp_path / "files" / urlsplit(e["report_url"]).netloc / urlsplit(e["report_url"]).path.lstrip("/")).exists()}
    assert reached, "wget reached no report"
    page_keys = dict(rows(tmp_path / "data", "SELECT url, report_key FROM fetches WHERE role = 'report_page'"))
    direct_keys = dict(rows(data, "SELECT url, report_key FROM fetches WHERE role = 'report_page'"))
    for url in reached:
        assert page_keys.get(url) == direct_keys[url], url
    assert set(from_wget["reports"]) <= set(direct["reports"])
    complete = [k for k in from_wget["reports"] if from_wget["sources"][k] == direct["sources"][k]]
    assert complete
    for key in complete:
        assert from_wget["reports"][key] == direct["reports"][key]

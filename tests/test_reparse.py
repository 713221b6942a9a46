"""Parse-and-load from the archive: per report_key, best candidate, failures recorded, re-parse on upgrade."""

import hashlib
import json

import pytest

import parsers
from archive import Archive
from archive.importer import import_paths
from archive.reparse import is_pending, parse_reports
from tests.conftest import SEEDS, SPEC

EXAMPLE = json.loads((SPEC / "example-liaocheng-2022.json").read_text(encoding="utf-8"))


def seed_bytes(prefix: str) -> bytes:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_bytes()


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "data") as archive:
        yield archive


@pytest.fixture
def images_read(monkeypatch):
    """What the reader is given: each parse appends its document's images as {src: bytes or None}."""
    seen = []
    real = parsers.parse_document

    def parse_document(document):
        seen.append({image.src: image.data for image in document.images()})
        return real(document)

    monkeypatch.setattr(parsers, "parse_document", parse_document)
    return seen


def applications(archive, report_id) -> dict:
    table: dict = {}
    for row in archive.db.query("SELECT row_code, column_code, value FROM applications WHERE report_id = ?",
                                [report_id]):
        table.setdefault(row["row_code"], {})[row["column_code"]] = row["value"]
    return table


def test_import_a_folder_loads_the_reports_and_records_the_corrupt_file(archive, tmp_path):
    folder = tmp_path / "reports"
    (folder / "2022").mkdir(parents=True)
    (folder / "2022" / "liaocheng.txt").write_bytes(seed_bytes("002"))
    (folder / "huangzhong.txt").write_bytes(seed_bytes("001"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 20)
    (folder / ".hidden").write_bytes(b"skipped")

    imported = import_paths(archive, [folder])
    summary = parse_reports(archive, [item.report_key for item in imported])

    assert sorted(p.name for p in (item.path for item in imported)) == ["broken.pdf", "huangzhong.txt", "liaocheng.txt"]
    assert len(summary.loaded) == 2
    (failed_key, reason), = summary.failed.items()
    assert failed_key.endswith("broken.pdf") and reason
    (error,) = archive.db.query("SELECT error, parser_version FROM parse_errors")
    assert error == {"error": reason, "parser_version": parsers.PARSER_VERSION}

    (report,) = archive.db.query("SELECT * FROM reports WHERE report_key LIKE '%liaocheng.txt'")
    assert report["organization"] == "聊城市统计局" and report["year"] == 2022
    assert report["source_url"].startswith("file:///")
    assert applications(archive, report["id"]) == EXAMPLE["applications"]
    # the batch's sections were added to the search index: a 2-character word finds both reports
    found = archive.db.execute(
        "SELECT DISTINCT s.report_id FROM sections_fts JOIN sections s ON s.id = sections_fts.rowid "
        "WHERE sections_fts MATCH '申请'").fetchall()
    assert len(found) == 2
    fetch = archive.db["fetches"].get(imported[0].result.fetch_id)
    assert fetch["role"] == "file" and fetch["url"].startswith("file:")
    # The originals are kept byte for byte.
    (liaocheng,) = [item for item in imported if item.path.name == "liaocheng.txt"]
    assert archive.store.read_bytes(liaocheng.result.sha256) == (folder / "2022" / "liaocheng.txt").read_bytes()


def test_on_a_tie_the_text_page_is_read_before_the_same_report_s_file(archive):
    key = "rushan:11371083MB0000000X:2022"
    same = seed_bytes("002")  # the same report as the page and (another file, same text) as its attachment
    archive.record_fetch(url="http://127.0.0.1/attach/report.txt", status=200, body=same + b"\n",
                         role="attachment", report_key=key, filename="report.txt")
    archive.record_fetch(url="http://127.0.0.1/art_2.html", status=200, body=same, role="report_page",
                         report_key=key)

    parse_reports(archive)

    (report,) = archive.db["reports"].rows
    assert report["source_url"] == "http://127.0.0.1/art_2.html"
    used = dict(archive.db.execute("SELECT role, used FROM report_documents").fetchall())
    assert used == {"report_page": 1, "attachment": 0}  # one report, both originals, the text one read


def test_the_candidate_with_most_table_values_wins_and_says_so(archive):
    key = "wendeng:2022:liaocheng"
    archive.record_fetch(url="http://127.0.0.1/art_1.html", status=200, body=seed_bytes("000"),
                         role="report_page", report_key=key)
    archive.record_fetch(url="http://127.0.0.1/attach/report.txt", status=200, body=seed_bytes("002"),
                         role="attachment", report_key=key)

    summary = parse_reports(archive)

    assert summary.loaded == [key]
    (report,) = archive.db["reports"].rows
    assert report["organization"] == "聊城市统计局"  # the attachment's tables, not the page's prose
    assert report["source_url"] == "http://127.0.0.1/art_1.html"
    assert any(w.startswith("record read from attachment report.txt") for w in json.loads(report["warnings"]))
    used = dict(archive.db.execute("SELECT role, used FROM report_documents").fetchall())
    assert used == {"attachment": 1, "report_page": 0}


def test_changed_original_makes_a_new_version_and_keeps_the_old(archive):
    url = "http://127.0.0.1/art_2.html"
    archive.record_fetch(url=url, status=200, body=seed_bytes("002"), role="report_page", report_key="k")
    parse_reports(archive)
    assert not is_pending(archive, "k")

    revised = seed_bytes("002").replace("共受理依申请公开21件".encode(), "共受理依申请公开21件（修订）".encode())
    assert revised != seed_bytes("002")
    archive.record_fetch(url=url, status=200, body=revised, role="report_page", report_key="k")
    assert is_pending(archive, "k")
    parse_reports(archive)

    versions = list(archive.db.query("SELECT version, is_latest, sources_digest FROM reports ORDER BY version"))
    assert [(v["version"], v["is_latest"]) for v in versions] == [(1, 0), (2, 1)]
    assert archive.db["sections"].count == 12  # both versions keep their sections
    assert len(list(archive.store)) == 2


def test_reparse_after_a_parser_upgrade_replaces_derived_rows_only(archive, monkeypatch):
    archive.record_fetch(url="http://127.0.0.1/a.txt", status=200, body=seed_bytes("002"),
                         role="attachment", report_key="a")
    archive.record_fetch(url="http://127.0.0.1/b.txt", status=200, body=seed_bytes("003"),
                         role="attachment", report_key="b")
    assert len(parse_reports(archive).loaded) == 2
    assert parse_reports(archive).skipped == ["a", "b"]  # nothing pending
    before = {t: archive.db[t].count for t in ("reports", "applications", "sections", "checks")}
    originals = {sha: archive.store.hash_file(sha) for sha in archive.store}

    monkeypatch.setattr(parsers, "PARSER_VERSION", "99.0.0")
    assert is_pending(archive, "a") and is_pending(archive, "b")
    summary = parse_reports(archive)

    assert summary.loaded == ["a", "b"]
    assert {t: archive.db[t].count for t in before} == before  # replaced, not duplicated
    assert {row["parser_version"] for row in archive.db["reports"].rows} == {"99.0.0"}
    assert {row["version"] for row in archive.db["reports"].rows} == {1}
    assert {sha: archive.store.hash_file(sha) for sha in archive.store} == originals == {s: s for s in originals}


def test_a_reader_crash_is_recorded_and_the_run_goes_on(archive, monkeypatch):
    crashing = seed_bytes("003")
    archive.record_fetch(url="http://127.0.0.1/x.txt", status=200, body=crashing, role="attachment", report_key="x")
    archive.record_fetch(url="http://127.0.0.1/y.txt", status=200, body=seed_bytes("002"), role="attachment",
                         report_key="y")
    real = parsers.read_document

    def read_document(data, **context):
        if data == crashing:
            raise RuntimeError("reader bug")
        return real(data, **context)

    monkeypatch.setattr(parsers, "read_document", read_document)
    summary = parse_reports(archive)

    assert summary.loaded == ["y"]
    assert summary.failed == {"x": "RuntimeError: reader bug"}
    assert not is_pending(archive, "x")  # failed under this parser version: not retried until it changes
    monkeypatch.setattr(parsers, "PARSER_VERSION", "99.0.0")
    assert is_pending(archive, "x")


def test_failed_fetches_and_lists_are_not_sources(archive):
    archive.record_fetch(url="http://127.0.0.1/list.html", status=200, body=b"<ul></ul>", role="list", report_key="k")
    archive.record_fetch(url="http://127.0.0.1/gone.txt", status=404, body=b"not found", role="attachment",
                         report_key="k")
    archive.record_fetch(url="http://127.0.0.1/ok.txt", status=200, body=seed_bytes("001"), role="attachment",
                         report_key="k")
    parse_reports(archive)
    digests = [row["sha256"] for row in archive.db["report_documents"].rows]
    assert digests == [hashlib.sha256(seed_bytes("001")).hexdigest()]


def test_a_report_page_reads_its_images_from_the_archive(archive, images_read):
    """<img src> relative, root-relative or absolute: the reader gets the archived image bytes."""
    page = """<html><head><title>年报</title></head><body><div id="zoom">
        <p>威海市文登区统计局2023年政府信息公开工作年度报告</p>
        <img src="table1.png"><img src="/picture/0/table2.png"><img src="http://127.0.0.1/picture/0/table3.png">
        </div></body></html>""".encode()
    key = "wendeng:art_1"
    archive.record_fetch(url="http://127.0.0.1/art/2024/1/22/art_1.html", status=200, body=page,
                         headers={"Content-Type": "text/html; charset=utf-8"}, role="report_page", report_key=key)
    images = {
        "http://127.0.0.1/art/2024/1/22/table1.png": b"\x89PNG first",
        "http://127.0.0.1/picture/0/table2.png": b"\x89PNG second",
        "http://127.0.0.1/picture/0/table3.png": b"\x89PNG third",
    }
    for url, data in images.items():
        archive.record_fetch(url=url, status=200, body=data, role="image", report_key=key)
    parse_reports(archive, limits=None)  # in this process: the spy sees the reads

    assert images_read == [{
        "table1.png": b"\x89PNG first",
        "/picture/0/table2.png": b"\x89PNG second",
        "http://127.0.0.1/picture/0/table3.png": b"\x89PNG third",
    }]
    (report,) = archive.db["reports"].rows
    assert report["tables_status"] == "images"  # pictures nobody could read as tables


def flipbook_page(number: int, lines: list[str]) -> bytes:
    """A FlipBuilder text page as the replica (and real books) serve it."""
    text = "\n".join(lines)
    return (f'<html><head><meta charset="utf-8"><title>Page {number} - 年报</title></head><body>'
            f'<div id="content-top2">P. {number}</div>'
            f'<div class="text-container"><pre><code style="white-space:pre-line">{text}</code></pre></div>'
            f"</body></html>").encode()


def test_flipbook_pages_are_joined_in_page_order(archive):
    lines = [line for line in seed_bytes("002").decode().splitlines() if line.strip() and "\t" not in line]
    thirds = [lines[: len(lines) // 3], lines[len(lines) // 3: 2 * len(lines) // 3], lines[2 * len(lines) // 3:]]
    base = "http://127.0.0.4/book/2023dzs/liaocheng/files/basic-html"
    for number in (3, 1, 2):  # fetched out of order
        archive.record_fetch(url=f"{base}/page{number}.html", status=200, body=flipbook_page(number, thirds[number - 1]),
                             role="flipbook_page", report_key="book", page_no=number)

    assert parse_reports(archive).loaded == ["book"]
    (report,) = archive.db["reports"].rows
    assert (report["organization"], report["year"]) == ("聊城市统计局", 2022)
    assert [row["no"] for row in archive.db["sections"].rows] == [1, 2, 3, 4, 5, 6]
    pages = list(archive.db.query("SELECT page_no, used FROM report_documents ORDER BY page_no"))
    assert pages == [{"page_no": 1, "used": 1}, {"page_no": 2, "used": 1}, {"page_no": 3, "used": 1}]


def test_a_saved_web_page_is_imported_as_one_report_with_its_images(archive, tmp_path, images_read):
    folder = tmp_path / "saved"
    (folder / "年报_files").mkdir(parents=True)
    (folder / "年报.html").write_text(
        '<html><body><div id="zoom"><p>威海市文登区统计局2023年政府信息公开工作年度报告</p>'
        '<img src="年报_files/table.png"></div></body></html>', encoding="utf-8")
    (folder / "年报_files" / "table.png").write_bytes(b"\x89PNG saved picture")
    (folder / "年报_files" / "style.css").write_text("p { margin: 0 }")
    imported = import_paths(archive, [folder])
    summary = parse_reports(archive, {item.report_key for item in imported}, limits=None)  # the spy sees the reads

    from archive.db import imported_url

    key = imported_url(str(folder / "年报.html"))  # the page's folder by digest: no local path published
    assert {item.report_key for item in imported} == {key}
    assert summary.loaded == [key] and not summary.failed
    roles = dict(archive.db.execute("SELECT filename, role FROM fetches").fetchall())
    assert roles == {"年报.html": "file", "table.png": "image", "style.css": None}
    assert images_read == [{"年报_files/table.png": b"\x89PNG saved picture"}]


def test_urls_that_clash_as_paths_still_parse(archive):
    # /report is a file and /report/attach.txt wants it as a folder; two downloads differ only by query.
    archive.record_fetch(url="http://127.0.0.1/report", status=200, body=seed_bytes("000"), role="report_page",
                         report_key="k")
    archive.record_fetch(url="http://127.0.0.1/report/attach.txt", status=200, body=seed_bytes("003"),
                         role="attachment", report_key="k")
    archive.record_fetch(url="http://127.0.0.1/downfile.jsp?filename=a.txt", status=200, body=seed_bytes("002"),
                         role="attachment", report_key="k")
    summary = parse_reports(archive)
    assert summary.loaded == ["k"] and archive.db["parse_errors"].count == 0
    (report,) = archive.db["reports"].rows
    assert json.loads(report["warnings"])[-1].count("values") == 3  # every candidate was read


def test_parsing_in_worker_processes_loads_the_same_reports(tmp_path):
    loaded = []
    for workers in (0, 2):
        with Archive(tmp_path / f"w{workers}") as archive:
            for prefix in ("001", "002", "003"):
                archive.record_fetch(url=f"http://127.0.0.1/{prefix}.txt", status=200, body=seed_bytes(prefix),
                                     role="attachment", report_key=prefix)
            archive.record_fetch(url="http://127.0.0.1/bad.pdf", status=200, body=b"%PDF-1.4 cut", role="attachment",
                                 report_key="bad")
            summary = parse_reports(archive, workers=workers)
            assert (summary.loaded, list(summary.failed)) == (["001", "002", "003"], ["bad"])
            loaded.append([
                {k: v for k, v in row.items() if k not in ("parsed_at",)}
                for row in archive.db.query("SELECT * FROM reports ORDER BY report_key")
            ] + list(archive.db.query("SELECT * FROM applications ORDER BY report_id, row_code, column_code"))
              + list(archive.db.query("SELECT * FROM sections ORDER BY id")))
    assert loaded[0] == loaded[1]

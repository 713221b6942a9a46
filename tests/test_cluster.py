"""``parse --cluster``: parsing on a local Dask cluster's worker processes, this process writing;
a worker killed mid-report; the originals read from S3 (a moto server on loopback)."""

import io
import logging
import os
import signal
import subprocess
import threading
import time

import pytest

from archive import Archive
from archive.reparse import is_pending, parse_reports
from archive.s3 import S3Store
from tests.conftest import NIANBAO, SEEDS
from tests.s3_server import CREDENTIALS, FaultProxy, moto_server

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # a cluster's worker processes start in seconds; OCR in some tests

SEED_FILES = sorted(SEEDS.glob("00[0-3]_*.txt"))


@pytest.fixture(scope="module")
def s3_env():
    """Credentials for the local S3 server, set before the cluster's workers start (they inherit them)."""
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def cluster(s3_env):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def s3():
    with moto_server() as endpoint:
        yield endpoint


def scan_jpeg(seed: int, lines: int = 25) -> bytes:
    """A photographed page of a synthetic report: read by OCR, a few seconds of work."""
    from nianbao.testbed import synthetic
    from tests import corpus

    text = [line.strip() for line in synthetic.render_text(synthetic.random_record(seed)).split("\n") if line.strip()]
    out = io.BytesIO()
    corpus.page_image(text[:lines]).save(out, format="JPEG", quality=85)
    return out.getvalue()


def fill(archive: Archive, scans: int = 0) -> list[str]:
    """The seeds as attachments, a truncated PDF, and ``scans`` scanned pages; returns the report keys."""
    for path in SEED_FILES:
        archive.record_fetch(url=f"http://127.0.0.1/{path.name}", status=200, body=path.read_bytes(),
                             role="attachment", report_key=path.name[:3])
    archive.record_fetch(url="http://127.0.0.1/bad.pdf", status=200, body=b"%PDF-1.4 cut", role="attachment",
                         report_key="bad")
    for n in range(scans):
        archive.record_fetch(url=f"http://127.0.0.1/scan{n}.jpg", status=200, body=scan_jpeg(n), role="attachment",
                             report_key=f"scan{n}")
    return sorted(archive.report_keys())


def loaded_rows(archive: Archive) -> list:
    rows = [{k: v for k, v in row.items() if k not in ("id", "parsed_at")}
            for row in archive.db.query("SELECT * FROM reports ORDER BY report_key")]
    keyed = "SELECT r.report_key, t.* FROM {} t JOIN reports r ON r.id = t.report_id ORDER BY r.report_key, {}"
    for table, order in (("applications", "row_code, column_code"), ("sections", "no"),
                         ("checks", "code"), ("parse_errors", None)):
        if order is None:
            rows += [{k: v for k, v in row.items() if k != "failed_at"}
                     for row in archive.db.query("SELECT * FROM parse_errors ORDER BY report_key, sha256")]
        else:
            rows += [{k: v for k, v in row.items() if k not in ("id", "report_id")}
                     for row in archive.db.query(keyed.format(table, order))]
    return rows


@pytest.fixture(scope="module")
def expected(tmp_path_factory):
    """What parsing in this one process loads, scans included."""
    with Archive(tmp_path_factory.mktemp("single") / "data") as archive:
        fill(archive, scans=2)
        parse_reports(archive)
        return loaded_rows(archive)


def without_scans(rows: list) -> list:
    return [row for row in rows if not str(row.get("report_key", "")).startswith("scan")]


def test_the_cluster_loads_what_one_process_loads(cluster, tmp_path, expected):
    with Archive(tmp_path / "data") as archive:
        keys = fill(archive)
        summary = parse_reports(archive, cluster=cluster.scheduler_address)
        assert sorted(summary.loaded) == [k for k in keys if k != "bad"]
        assert list(summary.failed) == ["bad"] and "PDF" in summary.failed["bad"]
        assert loaded_rows(archive) == without_scans(expected)
        # Written once: parsing again finds nothing pending and the cluster is not asked.
        again = parse_reports(archive, cluster="tcp://127.0.0.1:9")  # nothing listens there
        assert sorted(again.skipped) == keys and not again.loaded


def busy_workers(dask_worker):
    """On each worker: its process id and the tasks it is executing now."""
    return os.getpid(), [str(ts.key) for ts in dask_worker.state.executing]


def test_a_worker_killed_mid_report_loses_nothing_and_the_report_is_written_once(cluster, tmp_path, expected):
    killed: list[tuple[int, str]] = []
    done = threading.Event()

    def kill_one_mid_scan():
        with distributed.Client(cluster.scheduler_address, timeout="30s") as client:
            while not done.is_set() and not killed:
                for pid, executing in client.run(busy_workers).values():
                    scans = [key for key in executing if key.startswith("nianbao-read-scan")]
                    if scans:
                        os.kill(pid, signal.SIGKILL)
                        killed.append((pid, scans[0]))
                        break
                time.sleep(0.05)

    with Archive(tmp_path / "data") as archive:
        keys = fill(archive, scans=2)
        killer = threading.Thread(target=kill_one_mid_scan)
        killer.start()
        try:
            summary = parse_reports(archive, cluster=cluster.scheduler_address)
        finally:
            done.set()
            killer.join()
        assert killed, "no worker was caught parsing a scan"
        assert sorted(summary.loaded) == [k for k in keys if k != "bad"] and list(summary.failed) == ["bad"]
        # Every report once, each as one process reads it; the killed worker's scan among them.
        assert loaded_rows(archive) == expected
        assert archive.db.execute("SELECT count(*) FROM reports").fetchone()[0] == len(keys) - 1


def test_workers_read_each_file_under_the_limits_and_record_one_past_them_as_locally(cluster, tmp_path):
    """A hostile page (lxml takes a minute of CPU on its attributes) and a table needing 600 MB
    once parsed: stopped on the worker at their limits, recorded as ``parse_errors`` rows exactly
    as ``parse`` records them in one process, while the other report loads."""
    from archive.reparse import sources
    from parsers.sandbox import Limits
    from tests.test_parse_limits import slow_html

    row = "<tr>" + "<td>1</td>" * 20 + "</tr>"
    hostile = {"slow": slow_html(200_000), "huge": f"<html><body><table>{row * 60_000}</table></body></html>".encode()}
    # One limit at a time, so that neither waits on the other: a short time limit for the slow
    # page; for the table a memory limit, with all the time a loaded machine may need to reach it.
    runs = [(["slow"], Limits(time_limit=2, memory_limit=0)),
            (["huge", "good"], Limits(time_limit=60, memory_limit=150 * 2**20))]
    errors = {}
    for where in ("cluster", "local"):
        failed, loaded = {}, []
        with Archive(tmp_path / where) as archive:
            for name, body in hostile.items():
                archive.record_fetch(url=f"http://127.0.0.1/{name}.html", status=200, body=body, role="report_page",
                                     report_key=name)
            archive.record_fetch(url="http://127.0.0.1/good.txt", status=200, body=SEED_FILES[0].read_bytes(),
                                 role="attachment", report_key="good")
            address = cluster.scheduler_address if where == "cluster" else None
            for keys, limits in runs:
                summary = parse_reports(archive, keys, cluster=address, limits=limits)
                failed.update(summary.failed)
                loaded += summary.loaded
            assert loaded == ["good"]
            assert failed == {"slow": "stopped: took longer than the 2 s time limit",
                              "huge": "stopped: needed more than the 150 MB memory limit"}
            errors[where] = [{k: v for k, v in row.items() if k != "failed_at"}
                             for row in archive.db.query("SELECT * FROM parse_errors ORDER BY report_key")]
            assert not any(is_pending(archive, key, sources(archive, key)) for key in hostile)
    assert errors["cluster"] == errors["local"] and len(errors["cluster"]) == 2


def test_workers_read_the_originals_from_s3(cluster, s3, tmp_path, expected):
    store = S3Store("s3://originals/nianbao", endpoint_url=s3)
    store.fs.mkdir("originals")
    with Archive(tmp_path / "data") as archive:
        keys = fill(archive)
        summary = parse_reports(archive, cluster=cluster.scheduler_address, store=store)
        assert sorted(summary.loaded) == [k for k in keys if k != "bad"] and list(summary.failed) == ["bad"]
        assert loaded_rows(archive) == without_scans(expected)
        # The bucket holds the originals under their sha256, byte for byte.
        stored = sorted(key.rsplit("/", 1)[1] for key in store.fs.find("originals/nianbao"))
        assert stored == sorted(archive.store)
        assert all(store.read_bytes(sha) == archive.store.read_bytes(sha) for sha in stored)


def test_an_s3_store_that_keeps_failing_fails_the_reports_and_leaves_them_pending(cluster, s3, tmp_path):
    proxy = FaultProxy(s3)
    try:
        store = S3Store("s3://failing/nianbao", endpoint_url=proxy.url, attempts=3, backoff=0.01)
        store.fs.mkdir("failing")
        proxy.fail(1000)
        with Archive(tmp_path / "data") as archive:
            keys = fill(archive)
            summary = parse_reports(archive, cluster=cluster.scheduler_address, store=store)
            assert not summary.loaded and sorted(summary.failed) == keys
            assert all("failed 3 times" in reason and "HTTP 500" in reason
                       for reason in summary.failed.values())
            # Nothing written: no report, no parse error (it is not the files' fault), all still pending.
            assert archive.db["reports"].count == 0 and archive.db["parse_errors"].count == 0
            assert all(is_pending(archive, key) for key in keys)
        assert S3Store("s3://failing/nianbao", endpoint_url=s3).fs.find("failing") == []
    finally:
        proxy.close()


def test_nianbao_parse_cluster_from_the_command_line(cluster, tmp_path):
    with Archive(tmp_path / "data") as archive:
        keys = fill(archive)
    run = subprocess.run([NIANBAO, "parse", "--data-dir", str(tmp_path / "data"), "--cluster",
                          cluster.scheduler_address], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr  # the truncated PDF
    assert run.stdout.strip().endswith(f"{len(keys) - 1} reports loaded, 1 failed, 0 unchanged")
    assert run.stderr.startswith("nianbao: bad: corrupt or truncated PDF")
    misuse = subprocess.run([NIANBAO, "parse", "--data-dir", str(tmp_path / "data"), "--store", "s3://b/p"],
                            capture_output=True, text=True, timeout=60)
    assert misuse.returncode == 2 and "give --cluster too" in misuse.stderr


def test_a_report_that_kills_every_worker_it_is_given_fails_alone(s3_env, tmp_path):
    import dask

    killed = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                     silence_logs=logging.CRITICAL) as one:

        def kill_the_worker_mid_scan():
            with distributed.Client(one.scheduler_address, timeout="30s") as client:
                while not killed:
                    for pid, executing in client.run(busy_workers).values():
                        if any(key.startswith("nianbao-read-scan0") for key in executing):
                            os.kill(pid, signal.SIGKILL)
                            killed.append(pid)
                    time.sleep(0.05)

        with Archive(tmp_path / "data") as archive:
            keys = fill(archive, scans=1)
            killer = threading.Thread(target=kill_the_worker_mid_scan)
            killer.start()
            summary = parse_reports(archive, cluster=one.scheduler_address)
            killer.join()
            assert sorted(summary.loaded) == [k for k in keys if k not in ("bad", "scan0")]
            assert "every worker that parsed it died" in summary.failed["scan0"]
            (error,) = archive.db.query("SELECT error FROM parse_errors WHERE report_key = 'scan0'")
            assert "KilledWorker" in error["error"]
            assert not is_pending(archive, "scan0")  # recorded like an unreadable file, until the parser changes


def test_readings_of_workers_with_another_parser_version_are_refused(cluster, tmp_path, monkeypatch):
    import parsers

    monkeypatch.setattr(parsers, "PARSER_VERSION", "writer-version")
    with Archive(tmp_path / "data") as archive:
        keys = fill(archive)
        summary = parse_reports(archive, cluster=cluster.scheduler_address)
        assert not summary.loaded and sorted(summary.failed) == keys
        assert all("parser version" in reason and "writer-version" in reason for reason in summary.failed.values())
        assert archive.db["reports"].count == 0 and archive.db["parse_errors"].count == 0

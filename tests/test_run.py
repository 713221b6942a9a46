"""``nianbao run`` as cron runs it: a subprocess crawling the replica portal
(Scrapy's reactor starts once per process), then ``nianbao demo --no-serve``."""

import os
import re
import sqlite3
import subprocess
import sys
import time

import pytest

from nianbao.demo import POLITENESS_OFF, replica_sites_toml
from nianbao.run import EXIT_LOCKED, run_lock
from nianbao.testbed.replica import ReplicaPortal

# Real crawls in subprocesses: about a minute and a half in all.
pytestmark = pytest.mark.slow

SUMMARY = re.compile(r"nianbao run (ok|FAILED): (\d+) new, (\d+) changed, (\d+) unchanged, (\d+) failed reports")


def nianbao(*args, timeout=240):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", "from nianbao.cli import cli; cli()", *args],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def summary(result):
    match = SUMMARY.search(result.stdout)
    assert match, result.stdout + result.stderr
    status, *counts = match.groups()
    return status, tuple(int(n) for n in counts)


@pytest.fixture(scope="module")
def portal():
    with ReplicaPortal(seed=3, bodies_per_site=1, years=(2022, 2023)) as served:
        yield served


@pytest.fixture(scope="module")
def sites_file(portal, tmp_path_factory):
    path = tmp_path_factory.mktemp("registry") / "sites.toml"
    path.write_text(replica_sites_toml(portal), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cron")


def run_args(data_dir, sites_file):
    args = ["run", "--data-dir", str(data_dir), "--sites-file", str(sites_file)]
    for override in POLITENESS_OFF:
        args += ["-s", override]
    return args


@pytest.fixture(scope="module")
def first_run(data_dir, sites_file):
    return nianbao(*run_args(data_dir, sites_file))


def test_a_first_run_crawls_parses_and_loads_every_report(first_run, data_dir, portal):
    assert first_run.returncode == 0, first_run.stderr[-2000:]
    status, (new, changed, unchanged, failed) = summary(first_run)
    conn = sqlite3.connect(data_dir / "nianbao.db")
    loaded = conn.execute("select count(*) from reports where is_latest = 1").fetchone()[0]
    assert status == "ok" and new == loaded and (changed, unchanged) == (0, 0)
    reachable = [r for r in portal.expected_reports if not r["disallowed"] and not r["deleted"]]
    assert new + failed >= len(reachable) - sum(r["needs_js"] for r in reachable)
    assert conn.execute("select status from crawl_runs").fetchall() == [("ok",)]


def test_the_run_logs_to_a_file_under_the_data_dir(first_run, data_dir):
    (log_file,) = (data_dir / "logs").glob("run-*.log")
    text = log_file.read_text(encoding="utf-8")
    assert "run started" in text and SUMMARY.search(text)
    assert f"log: {log_file}" in first_run.stdout
    assert "parsing" not in first_run.stderr  # no progress bar when stderr is not a terminal


def test_a_second_run_finds_everything_unchanged(first_run, data_dir, sites_file):
    _, (new, *_rest) = summary(first_run)
    # What a killed write left a day ago goes; a younger one may be a crawl writing now, and stays.
    old, young = data_dir / "originals" / ".tmp-old", data_dir / "originals" / ".tmp-young"
    old.write_bytes(b"half"), young.write_bytes(b"half")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))

    again = nianbao(*run_args(data_dir, sites_file))
    assert again.returncode == 0, again.stderr[-2000:]
    assert summary(again) == ("ok", (0, 0, new, 0))
    assert (old.exists(), young.exists()) == (False, True)


def test_a_revised_report_is_counted_as_changed(first_run, data_dir, sites_file, portal):
    revisable = [r for r in portal.expected_reports
                 if r["form"] == "html" and not (r["disallowed"] or r["needs_js"] or r["deleted"])]
    assert revisable, "the replica publishes plain HTML reports"
    portal.change_report(revisable[0]["report_url"])
    again = nianbao(*run_args(data_dir, sites_file))
    status, (new, changed, unchanged, failed) = summary(again)
    assert (status, new, changed) == ("ok", 0, 1)


def test_a_second_run_while_one_holds_the_lock_exits_75(data_dir, sites_file, portal):
    before = len(portal.requests)
    with run_lock(data_dir):
        blocked = nianbao(*run_args(data_dir, sites_file))
    assert blocked.returncode == EXIT_LOCKED
    assert "another nianbao run holds" in blocked.stderr and str(os.getpid()) in blocked.stderr
    assert len(portal.requests) == before  # it crawled nothing


def test_an_unknown_site_fails_the_run_with_a_clear_message(data_dir, sites_file):
    failed = nianbao(*run_args(data_dir, sites_file), "nosuchsite")
    assert failed.returncode == 1
    status, _ = summary(failed)
    assert status == "FAILED" and "nosuchsite" in failed.stdout


def test_an_unreachable_portal_fails_the_run(tmp_path):
    sites = tmp_path / "sites.toml"
    # 127.0.0.9:9 (discard) has no listener on this machine: every request is refused.
    sites.write_text('[sites.gone]\nfamily = "hanweb"\nbase_urls = ["http://127.0.0.9:9/"]\n', encoding="utf-8")
    failed = nianbao(*run_args(tmp_path / "data", sites), "-s", "RETRY_TIMES=0")
    assert failed.returncode == 1, failed.stdout + failed.stderr[-2000:]
    assert "crawl run 1 failed" in failed.stdout


def test_demo_without_serving_loads_the_replica(tmp_path):
    # --replica-port 0: free ports the system picks, so suites running at once do not collide.
    demo = nianbao("demo", "--data-dir", str(tmp_path), "--no-serve", "--replica-port", "0",
                   "--bodies-per-site", "1")
    assert demo.returncode == 0, demo.stderr[-2000:]
    status, (new, *_rest) = summary(demo)
    assert status == "ok" and new > 0
    conn = sqlite3.connect(tmp_path / "demo" / "nianbao.db")
    assert conn.execute("select count(*) from reports").fetchone()[0] == new
    registry = (tmp_path / "demo" / "replica-sites.toml").read_text(encoding="utf-8")
    ports = {int(p) for p in re.findall(r"http://127\.0\.0\.\d+:(\d+)/", registry)}
    assert ports and 8780 not in ports and 0 not in ports
    # The demo's archive is DATA_DIR/demo: it says the exact command that serves it.
    assert f"nianbao serve --data-dir {tmp_path / 'demo'}" in demo.stdout

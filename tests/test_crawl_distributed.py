"""Crawl processes sharing one frontier in a real Redis (crawler/frontier.py),
each writing WARC files (crawler/warc_writer.py), then imported with
``nianbao import``: the result must equal a single-process crawl of the same
replica, with the per-host delay held across processes, and nothing lost when
a process is killed with SIGKILL or Redis goes away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import Archive, warc_import
from crawler.replay import classify
from nianbao.testbed.redis_server import RedisServer
from nianbao.testbed.replica import ReplicaPortal

from .archive_compare import archive_contents
from .test_crawl_end_to_end import CLI, crawl, write_registry

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(bool(RedisServer.missing()), reason=RedisServer.missing() or "")
DELAY = 0.3  # seconds between two requests to one host, whichever processes send them


def nianbao(*args: str, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def shared_crawl(sites: Path, redis_url: str, warc_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", CLI, "crawl", "--sites-file", str(sites), "--data-dir", str(warc_dir.parent / "central"),
            "--redis", redis_url, "--warc-dir", str(warc_dir),
            "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0",
            "-s", "NIANBAO_REDIS_LEASE_SECONDS=2", "-s", "NIANBAO_GATE_HOLD_SECONDS=2", "-s", "NIANBAO_WARC_MAX_BYTES=250000", *extra]


def start(command: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)


@pytest.fixture(scope="module")
def portal():
    # office=False: no LibreOffice-made documents, whose parsing would only slow the tests down.
    with ReplicaPortal(seed=3, bodies_per_site=4, years=(2021, 2022, 2023), office=False) as p:
        yield p


@pytest.fixture(scope="module")
def reference(portal, tmp_path_factory):
    """One process, straight into an archive, then parsed: what every other way must give."""
    tmp = tmp_path_factory.mktemp("reference")
    sites = write_registry(portal, tmp / "sites.toml")
    crawl(sites, tmp / "data")
    parsed = nianbao("parse", "--data-dir", str(tmp / "data"))
    assert parsed.returncode == 0, parsed.stderr[-2000:]
    contents = archive_contents(tmp / "data")
    assert len(contents["reports"]) >= 15 and contents["rows"]
    return contents


def import_warcs(warc_dir: Path, data_dir: Path, sites: Path) -> subprocess.CompletedProcess:
    files = sorted(str(p) for p in warc_dir.iterdir() if ".warc" in p.name)
    return nianbao("import", "--data-dir", str(data_dir), "--sites-file", str(sites), *files)


def min_gap_per_host(requests) -> dict[str, float]:
    """The shortest time between two requests the replica received on each host."""
    times = defaultdict(list)
    for request in requests:
        times[request.host].append(request.at)
    return {host: min(b - a for a, b in zip(sorted(ts), sorted(ts)[1:])) for host, ts in times.items() if len(ts) > 1}


def warc_records(warc_dir: Path) -> list:
    seen = []
    for path in sorted(warc_dir.iterdir()):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                seen.append((path.name, record.rec_type, record.rec_headers.get_header("WARC-Target-URI")))
    return seen


@pytest.mark.slow
def test_three_processes_one_killed_equal_a_single_process_crawl(portal, reference, tmp_path):
    redis = RedisServer().start()
    try:
        sites = write_registry(portal, tmp_path / "sites.toml")
        warc_dir = tmp_path / "warc"
        portal.clear_requests()
        processes = [start(shared_crawl(sites, redis.url, warc_dir), tmp_path / f"crawl{n}.log") for n in range(3)]
        victim = processes[1]
        client = redis.client()
        # Midway: a third of the replica's requests served, and the victim holding leased requests.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            held = [v for v in client.hvals("nianbao:hanweb:leases") if f"-{victim.pid}-".encode() in v.split(b"|")[0]]
            written = [p for p in warc_dir.glob("*.open") if f"-{victim.pid}-" in p.name] if warc_dir.exists() else []
            if len(portal.requests) >= 35 and written and held:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the crawl never got midway with the victim holding leases")
        began = time.monotonic()
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        for process in (processes[0], processes[2]):
            out, _ = process.communicate(timeout=300)
            assert process.returncode == 0, (tmp_path / "crawl0.log").read_text()[-3000:]
        print(f"survivors finished {time.monotonic() - began:.1f} s after the kill")
        logs = "".join((tmp_path / f"crawl{n}.log").read_text() for n in (0, 2))
        assert "taken back" in logs  # the killed process's leases went back to the queue
        # The frontier is drained: nothing queued, nothing leased.
        assert client.zcard("nianbao:hanweb:requests") == 0
        assert client.hlen("nianbao:hanweb:leases") == 0

        assert not (tmp_path / "central").exists()  # nothing written to a central archive
        # Every process wrote its own files; the killed one left its last one .open (imported below).
        names = sorted(p.name for p in warc_dir.iterdir())
        assert any(n.endswith(".warc.gz.open") and f"-{victim.pid}-" in n for n in names), names
        assert len({n.split("-")[-2] for n in names if n.endswith(".warc.gz")}) >= 2  # rotated at the size limit
        records = warc_records(warc_dir)
        assert {kind for _, kind, _ in records} >= {"warcinfo", "request", "response", "metadata"}

        # Politeness across the three processes, as the replica saw it (robots.txt included):
        # a request reaches a host at least the delay after the one before it did.
        gaps = min_gap_per_host(portal.requests)
        assert gaps and min(gaps.values()) >= DELAY, gaps

        imported = import_warcs(warc_dir, tmp_path / "data", sites)
        assert imported.returncode == 0, imported.stderr[-3000:]
        contents = archive_contents(tmp_path / "data")
        assert contents["reports"].keys() == reference["reports"].keys()  # none lost, none twice (keys are unique)
        # Year probes: the spider stops probing a site after enough empty years, a count each
        # process keeps for itself, so processes sharing a crawl ask more years. Every probe of
        # the single process is there; the others found years not filed.
        probes, reference_probes = contents.pop("probes"), reference["probes"]
        assert probes >= reference_probes and {p[3] for p in probes - reference_probes} <= {"not_filed"}
        assert contents == {k: v for k, v in reference.items() if k != "probes"}
        print(f"victim held {len(held)} leases when killed; shortest gap per host: "
              + ", ".join(f"{h} {g * 1000:.0f} ms" for h, g in sorted(gaps.items())))
    finally:
        redis.stop()


@pytest.mark.slow
def test_redis_going_away_stops_cleanly_and_a_restart_resumes(portal, reference, tmp_path):
    redis = RedisServer(data_dir=tmp_path / "redis").start()
    try:
        sites = write_registry(portal, tmp_path / "sites.toml")
        warc_dir = tmp_path / "warc"
        portal.clear_requests()
        # search.jsp answers a second late: Redis goes away while such a request is leased.
        portal.set_fault("slow", paths=["/module/xxgk/search.jsp"], seconds=1.0)
        command = shared_crawl(sites, redis.url, warc_dir, "-s", "NIANBAO_REDIS_WAIT_SECONDS=3")
        first = start(command, tmp_path / "first.log")
        deadline = time.monotonic() + 120
        while not any("search.jsp" in r.path for r in portal.requests) and time.monotonic() < deadline:
            time.sleep(0.01)
        redis.stop()
        first.communicate(timeout=120)
        log = (tmp_path / "first.log").read_text()
        assert first.returncode == 75, log[-3000:]
        assert "Redis unavailable" in log
        # Stopped cleanly: every file complete (renamed), the last one ending with the reason.
        assert not [p for p in warc_dir.iterdir() if p.name.endswith(".open")]
        ends = [r for r in warc_records(warc_dir) if r[1] == "metadata" and r[2].startswith("urn:nianbao:crawl:")]
        assert ends

        redis.start()  # the same data (append-only file): the crawl resumes
        assert redis.client().hlen("nianbao:hanweb:leases")  # what the stopped process had taken and not recorded
        portal.set_fault("slow", on=False)
        second = nianbao(*command[3:], timeout=300)
        assert second.returncode == 0, second.stderr[-3000:]
        assert "taken back" in second.stderr  # what the first process held when it stopped
        # Every report with every original, as the single process fetched them (the parse of
        # the same originals is the other test's; not repeated here).
        with Archive(tmp_path / "data") as archive:
            result = warc_import.import_warcs(archive, sorted(warc_dir.iterdir()), classify=classify)
            runs = archive.crawl_run_rows()
        assert not result.errors
        # Both processes' files are one crawl run, complete: the second one drained the frontier.
        assert [row[4] for row in runs] == ["ok"]  # (id, started, finished, sites, status, counts)
        assert archive_contents(tmp_path / "data")["sources"] == reference["sources"]
    finally:
        redis.stop()

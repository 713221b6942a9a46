"""Switchable hostile behaviours, and a clean start/stop."""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from nianbao.testbed.replica import ReplicaPortal
from tests.replica_http import fetch


@pytest.fixture(scope="module")
def portal():
    with ReplicaPortal(seed=1, bodies_per_site=3, years=(2022, 2023), office=False) as portal:
        yield portal


@pytest.fixture
def faults(portal):
    """Switch faults on inside one test; all are off again afterwards."""
    names = []

    def switch(name, **options):
        names.append(name)
        portal.set_fault(name, **options)

    yield switch
    for name in names:
        portal.set_fault(name, on=False)


def report_url(portal, form="html"):
    return next(r["report_url"] for r in portal.expected_reports if r["form"] == form)


def test_error_then_ok_fails_each_url_once(portal, faults):
    faults("error_then_ok", paths=["/art/"])
    url = report_url(portal)
    assert [fetch(url).status for _ in range(3)] == [500, 200, 200]
    other = report_url(portal, "annual_report")
    assert fetch(other).status == 200  # not under /art/
    assert fetch(portal.sites["wendeng"].base_url + "/robots.txt").status == 200


def test_error_then_ok_times_and_full_url_prefixes(portal, faults):
    url = report_url(portal, "annual_report")
    faults("error_then_ok", paths=[url], times=2)
    assert [fetch(url).status for _ in range(3)] == [500, 500, 200]


def test_reset_closes_the_connection_with_rst_then_serves(portal, faults):
    faults("reset", paths=["/art/"])
    url = report_url(portal)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        fetch(url)
    assert fetch(url).status == 200


def test_slow_delays_responses(portal, faults):
    faults("slow", seconds=0.4, hosts="huancui")
    started = time.monotonic()
    assert fetch(portal.sites["huancui"].base_url + "/").status == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    fetch(portal.sites["wendeng"].base_url + "/")
    assert time.monotonic() - started < 0.4  # other hosts are not slowed


def jsl_cookie_from(script_page: str) -> str:
    """What a browser does with round 1: evaluate the expression assigned to document.cookie (in node)."""
    if not shutil.which("node"):
        pytest.skip("node is not installed: cannot evaluate the challenge script")
    expression = re.search(r"document\.cookie=(.*?);location", script_page).group(1)
    result = subprocess.run(["node", "-e", f"process.stdout.write({expression})"], capture_output=True,
                            text=True, timeout=10, check=True)
    return result.stdout.split(";")[0]


def jsl_go_cookie(script_page: str) -> str:
    """Round 2: find the two characters whose insertion gives the clearance with the given hash."""
    params = json.loads(re.search(r"go\((\{.*?\})\)", script_page).group(1))
    prefix, suffix = params["bts"]
    for a, b in itertools.product(params["chars"], repeat=2):
        candidate = prefix + a + b + suffix
        if hashlib.new(params["ha"], candidate.encode()).hexdigest() == params["ct"]:
            return f"{params['tn']}={candidate}"
    raise AssertionError("no clearance matches the go() hash")


def test_waf_521_challenge_then_200_with_the_clearance_cookie(portal, faults):
    faults("waf_521")
    url = report_url(portal)
    challenge = fetch(url)
    assert challenge.status == 521
    assert challenge.header("Set-Cookie").startswith("__jsluid_h=")
    assert "location.href=location.pathname+location.search" in challenge.text
    assert "-~[]" in challenge.text  # digits are obfuscated as JS arithmetic
    cookie = jsl_cookie_from(challenge.text)
    assert cookie.startswith("__jsl_clearance=1732237200.")
    tracking = challenge.header("Set-Cookie").split(";")[0]
    passed = fetch(url, headers={"Cookie": f"{tracking}; {cookie}"})
    assert passed.status == 200 and "<div id=\"zoom\">" in passed.text
    assert fetch(url, headers={"Cookie": tracking}).status == 521  # the tracking cookie alone is not enough


def test_waf_521_second_round_asks_for_the_go_hash(portal, faults):
    faults("waf_521", rounds=2)
    url = report_url(portal)
    provisional = jsl_cookie_from(fetch(url).text)
    second = fetch(url, headers={"Cookie": provisional})
    assert second.status == 521 and "go({" in second.text
    final = jsl_go_cookie(second.text)
    assert final != provisional
    assert fetch(url, headers={"Cookie": final}).status == 200


def test_waf_412_for_cookieless_clients(portal, faults):
    faults("waf_412", paths=["/module/"])
    url = report_url(portal, "annual_report")
    refused = fetch(url)
    assert refused.status == 412
    cookie = refused.header("Set-Cookie").split(";")[0]
    assert fetch(url, headers={"Cookie": cookie}).status == 200


def test_truncated_body_is_shorter_than_its_content_length(portal, faults):
    faults("truncated", paths=["/art/"])
    with pytest.raises(http.client.IncompleteRead):
        fetch(report_url(portal))


def test_https_fails_where_http_works(portal, faults):
    faults("https_fail", hosts="wendeng")
    handle = portal.sites["wendeng"]
    assert handle.https_url.startswith("https://127.0.0.2:")
    host, port = handle.base_url.split("//")[1].split(":")
    context = ssl.create_default_context()
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with pytest.raises((ConnectionResetError, ssl.SSLError)):
            context.wrap_socket(raw, server_hostname="www.wendeng.gov.cn")
    assert fetch(handle.base_url + "/").status == 200


def test_faults_can_be_named_at_construction_and_switched_off():
    with ReplicaPortal(seed=2, bodies_per_site=1, years=(2023,), faults=["error_then_ok"]) as portal:
        url = portal.sites["wendeng"].base_url + "/"
        assert fetch(url).status == 500
        portal.set_fault("error_then_ok", on=False)
        assert fetch(url + "index.html").status == 200
    with pytest.raises(ValueError, match="unknown fault 'flaky'"):
        ReplicaPortal(faults=["flaky"])


def test_delete_and_change_report_for_recrawls(portal):
    url = report_url(portal, "annual_report")
    before = fetch(url)
    original = portal.record(url)
    portal.change_report(url)
    after = fetch(url)
    assert after.status == 200 and after.body != before.body
    assert after.header("Last-Modified") != before.header("Last-Modified")
    assert fetch(url, headers={"If-None-Match": before.header("ETag")}).status == 200
    assert f"共收到政府信息公开申请{portal.record(url)['applications']['new_received']['total']}件" in after.text
    assert portal.record(url)["applications"] != original["applications"]
    entry = next(r for r in portal.expected_reports if r["report_url"] == url)
    assert entry["revision"] == 1
    article = report_url(portal)
    portal.delete_report(article)
    assert fetch(article).status == 404
    assert next(r for r in portal.expected_reports if r["report_url"] == article)["deleted"]
    with pytest.raises(KeyError):
        portal.delete_report("http://127.0.0.2:1/nowhere.html")


def test_stop_closes_every_socket_and_thread_even_with_open_connections():
    before = set(threading.enumerate())
    portal = ReplicaPortal(seed=3, bodies_per_site=1, years=(2023,)).start()
    url = portal.sites["wendeng"].base_url
    host, port = url.split("//")[1].split(":")
    idle = socket.create_connection((host, int(port)))  # a keep-alive client that never speaks
    portal.set_fault("slow", seconds=30)
    outcome = []

    def sleepy_client():
        try:
            outcome.append(fetch(url + "/").status)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    sleeper = threading.Thread(target=sleepy_client)
    sleeper.start()
    time.sleep(0.2)
    started = time.monotonic()
    portal.stop()
    sleeper.join(5)
    assert time.monotonic() - started < 5 and outcome  # the slow request ended with the portal
    assert not [t for t in threading.enumerate() if t not in before]  # servers and connection threads
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2)
    idle.close()


def test_fixed_ports_put_the_alias_443_higher():
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    try:
        portal = ReplicaPortal(bodies_per_site=1, years=(2023,), port=port).start()
    except OSError:
        pytest.skip(f"port {port} or {port + 443} taken meanwhile")
    with portal:
        assert portal.sites["wendeng"].base_url == f"http://127.0.0.2:{port}"
        assert portal.flipbook_url == f"http://127.0.0.4:{port}"
        assert portal.sites["huancui"].alias_url == f"http://127.0.0.3:{port + 443}"


def test_a_failing_renderer_answers_500_with_its_reason_and_the_server_goes_on(portal, monkeypatch, capfd):
    def broken(report, ext, part=0):
        raise RuntimeError("LibreOffice conversion to pdf timed out after 120 s")

    monkeypatch.setattr(portal.content, "file", broken)
    report = next(r for r in portal.expected_reports if r["form"] == "attachment")
    hop = fetch(report["files"][0])
    failed = fetch(report["report_url"].split("/art/")[0] + hop.header("Location"))
    assert failed.status == 500 and b"RuntimeError: LibreOffice conversion to pdf timed out" in failed.body
    assert "failed: RuntimeError: LibreOffice conversion" in capfd.readouterr().err
    assert fetch(report["report_url"]).status == 200

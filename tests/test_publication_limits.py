"""A public site cannot be stalled or made to reveal the server (issue 13, "the site holds
under load"): bounded values, results and Python functions, the time limit on every
query, other pages served while slow queries run, no absolute paths, SIGTERM obeyed."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest

from nianbao.serve import build_datasette

# A query that never ends by itself: only the time limit stops it.
ENDLESS = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"


@pytest.fixture
def ds(sample_archive):
    datasette = build_datasette(sample_archive / "nianbao.db", sample_archive / "originals")
    yield datasette
    for database in datasette.databases.values():
        database.close()


def sql(ds, query, **settings):
    ds._settings.update(settings)
    if "sql_time_limit_ms" in settings:
        ds.sql_time_limit_ms = settings["sql_time_limit_ms"]  # read once at start into this attribute
    return asyncio.run(ds.client.get("/nianbao.json?sql=" + urllib.parse.quote(query)))


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_huge_value_is_refused_at_once(ds):
    response, seconds = timed(lambda: sql(ds, "select length(randomblob(1000000000))"))
    assert response.status_code == 400 and "too big" in response.json()["error"]
    assert seconds < 2


def test_many_large_values_in_one_result_are_refused(ds):
    query = "with recursive n(i) as (select 1 union all select i + 1 from n limit 40) select randomblob(8000000) from n"
    response, seconds = timed(lambda: sql(ds, query))
    assert response.status_code == 400 and "result too large" in response.json()["error"]
    assert seconds < 10


def test_jieba_query_refuses_long_input_instead_of_running_unbounded(ds):
    response, seconds = timed(lambda: sql(ds, "select jieba_query(hex(randomblob(500000)))"))
    assert response.status_code == 400
    assert seconds < 2
    assert sql(ds, "select jieba_query('依申请公开') as q").json()["rows"] == [['"依" "申请" "公开"']]


def test_the_time_limit_stops_queries_that_call_python_functions(ds):
    query = ("with recursive n(i) as (select 1 union all select i + 1 from n) "
             "select count(jieba_query('申请公开')), count(nianbao_label('granted')) from n")
    response, seconds = timed(lambda: sql(ds, query, sql_time_limit_ms=500))
    assert response.status_code == 400 and "interrupted" in response.text.lower()
    assert seconds < 3


def test_other_pages_are_served_while_slow_queries_run(ds):
    ds.sql_time_limit_ms = 3000

    async def scenario():
        slow = [asyncio.ensure_future(ds.client.get("/nianbao.json?sql=" + urllib.parse.quote(ENDLESS)))
                for _ in range(3)]
        await asyncio.sleep(0.3)
        times = []
        for path in ("/", "/nianbao/reports", "/-/search?q=复议", "/nianbao/report_totals"):
            started = time.monotonic()
            response = await ds.client.get(path)
            times.append(time.monotonic() - started)
            assert response.status_code == 200, path
        still_running = sum(not task.done() for task in slow)
        await asyncio.gather(*slow)
        return times, still_running

    times, still_running = asyncio.run(scenario())
    assert still_running == 3  # the pages were answered while all three were running
    assert max(times) < 2.5


def test_no_absolute_path_is_revealed(ds, sample_archive):
    rows = sql(ds, "select * from pragma_database_list").json()["rows"]
    assert rows and all(row[2] is None for row in rows)
    for path in ("/-/databases.json", "/-/metadata.json", "/-/settings.json", "/-/plugins.json", "/-/about",
                 "/-/downloads", "/nianbao.json"):
        text = asyncio.run(ds.client.get(path)).text
        assert str(sample_archive) not in text and str(sample_archive.resolve()) not in text, path


@pytest.mark.slow
def test_serve_exits_on_sigterm_within_seconds_even_during_a_slow_query(sample_archive, tmp_path):
    import shutil
    import socket

    data_dir = tmp_path / "data"
    shutil.copytree(sample_archive, data_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from nianbao.cli import cli; cli()", "serve", "--data-dir", str(data_dir),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()[-2000:]
                time.sleep(0.2)
        # Slow queries in flight (the 5 s time limit would end them; SIGTERM must not wait that long).
        for _ in range(3):
            threading.Thread(target=lambda: _ignore(urllib.request.urlopen, base + "/nianbao.json?sql="
                                                    + urllib.parse.quote(ENDLESS), timeout=30),
                             daemon=True).start()
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - started < 4.5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _ignore(call, *args, **kwargs):
    try:
        call(*args, **kwargs).read()
    except OSError:
        pass


def test_the_serve_settings_give_slow_queries_threads_of_their_own():
    from nianbao.serve import SETTINGS

    assert SETTINGS["num_sql_threads"] > 3 and SETTINGS["sql_time_limit_ms"] <= 5000
    assert json.dumps(SETTINGS)  # plain settings Datasette accepts

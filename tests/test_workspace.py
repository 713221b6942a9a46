"""Processes clean up: temporary folders under the data dir, swept when their owner is gone;
killed runs marked interrupted; pool workers die with their parent."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from archive import Archive, workspace
from tests.conftest import ROOT


def test_temporary_files_and_caches_go_under_the_data_dir_and_leave_with_the_process(tmp_path):
    data = tmp_path / "data"
    dead = data / "tmp" / "999999999-12345"  # no such process
    (dead / "nianbao-parse-x").mkdir(parents=True)
    folder = workspace.use(data)
    assert folder == data.absolute() / "tmp" / workspace.process_token()
    assert not dead.exists()  # swept: its owner is gone
    assert tempfile.gettempdir() == str(folder) and os.environ["TMPDIR"] == str(folder)
    assert os.environ["XDG_CACHE_HOME"] == str(data.absolute() / "cache")
    assert workspace.sweep(data) == []  # a live owner's folder stays
    workspace.leave()
    assert not folder.exists() and tempfile.gettempdir() != str(folder)


def test_a_command_leaves_nothing_in_tmpdir_or_home(tmp_path):
    home, tmp, data = tmp_path / "home", tmp_path / "tmp", tmp_path / "data"
    home.mkdir()
    tmp.mkdir()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_text("<html><body><p>政府信息公开工作年度报告</p></body></html>")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp)}
    subprocess.run([sys.executable, "-c", "from nianbao.cli import cli; cli()", "import", "--data-dir", str(data),
                    str(tmp_path / "in")], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert list(home.iterdir()) == [] and list(tmp.iterdir()) == []
    assert list((data / "tmp").iterdir()) == []  # removed on exit


def test_a_killed_run_is_marked_interrupted_at_the_next_start(tmp_path):
    data = tmp_path / "data"
    script = ("import os, signal\nfrom archive import Archive\n"
              f"archive = Archive({str(data)!r})\narchive.start_run(['import'])\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60)
    with Archive(data) as archive:
        live = archive.start_run(["wendeng"])  # this process's own run is not touched
    with Archive(data) as archive:
        assert archive.runs_since(0) == [(1, "interrupted", {}), (2, "running", {"owner": workspace.owner()})]
        archive.finish_run(live, counts={"fetched": 0})
        assert archive.mark_interrupted_runs() == []


def test_pool_workers_die_with_their_parent():
    script = (
        "import json, os, time\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from parsers.sandbox import die_with_parent\n"
        "def pid(_):\n    time.sleep(0.2)\n    return os.getpid()\n"
        "if __name__ == '__main__':\n"
        "    pool = ProcessPoolExecutor(2, initializer=die_with_parent)\n"
        "    print(json.dumps(sorted(set(pool.map(pid, range(6))))), flush=True)\n"
        "    pool.submit(time.sleep, 60)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    workers = json.loads(parent.stdout.readline())
    assert workers and parent.pid not in workers
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)


def _running(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False

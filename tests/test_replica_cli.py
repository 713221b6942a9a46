"""``python3 -m nianbao.testbed.replica`` serves in the foreground and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.replica_http import fetch

ROOT = Path(__file__).resolve().parent.parent


def test_foreground_server_prints_its_urls_serves_and_stops_on_sigterm():
    process = subprocess.Popen([sys.executable, "-m", "nianbao.testbed.replica", "--port", "0", "--bodies", "2",
                                "--years", "2022,2023"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        wendeng = lines[0].split()[1]
        assert wendeng.startswith("http://127.0.0.2:")
        assert "alias http://127.0.0.3:" in lines[1]
        assert lines[3].split()[0].isdigit()  # "N reports; Ctrl-C to stop"
        assert fetch(wendeng + "robots.txt").status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_taken_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.2", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "nianbao.testbed.replica", "--port", str(port)], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"cannot listen on port {port} of 127.0.0.2, 127.0.0.3, 127.0.0.4, "
                                     "127.0.0.5: Address already in use")


def test_bad_years_are_refused_by_the_argument_parser():
    result = subprocess.run([sys.executable, "-m", "nianbao.testbed.replica", "--years", "2022,soon"], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "not a comma-separated list of years: '2022,soon'" in result.stderr

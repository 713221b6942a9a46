"""A real redis-server for the tests and benchmarks, on 127.0.0.1 and a free
port, with no persistence unless asked.

Debian's package (``bin/setup --test`` installs it) puts the server at
/usr/bin/redis-server; ``RedisServer.missing()`` says why there is none."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

REDIS_SERVER = Path("/usr/bin/redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, data_dir: Path | None = None):
        """``data_dir``: keep the data in an append-only file there, so a restart finds it again."""
        if self.missing():
            raise FileNotFoundError(self.missing())
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    @staticmethod
    def missing() -> str | None:
        if REDIS_SERVER.exists():
            return None
        return "redis-server is not installed (apt-get install redis-server; bin/setup --test does)"

    def start(self) -> "RedisServer":
        persistence = ["--appendonly", "no"]
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            persistence = ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.data_dir)]
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

"""A private redis-server on a free loopback port: for the embedded demo store and for tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisUnavailableError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class RedisProcess:
    """Starts ``redis-server`` with its own port and data dir; ``stop()`` ends it and cleans up.

    Persistence is off: the store is a cache rebuilt by materialization. ``extra_args`` lets a
    test ask for cluster mode and the like.
    """

    def __init__(self, data_dir: Path | None = None, port: int | None = None,
                 extra_args: list[str] | None = None, persist: bool = False):
        binary = redis_server_binary()
        if binary is None:
            raise RedisUnavailableError("redis-server is not on PATH")
        self.port = port or free_port()
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="featureguard-redis-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.persist = persist
        args = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--save", "", "--appendonly", "no", "--protected-mode", "yes",
            "--logfile", str(self.data_dir / "redis.log"), *(extra_args or []),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def feast_connection_string(self) -> str:
        return f"127.0.0.1:{self.port}"

    #: the first reply to PING that counts as "started" (a subclass may wait for another)
    READY_REPLY = b"+PONG"

    def _wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RedisUnavailableError(f"redis-server exited at start: {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(self.READY_REPLY):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RedisUnavailableError(f"redis-server did not answer {self.READY_REPLY.decode()} on port {self.port} "
                                    f"within {timeout}s")

    def kill(self) -> None:
        """SIGKILL, as a crash would; the data dir is kept so a restart on the same port works."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def _save(self) -> None:
        """Writes dump.rdb so the next run of the embedded store starts with the same data."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                sock.sendall(b"SAVE\r\n")
                sock.recv(64)
        except OSError:
            pass

    def stop(self) -> None:
        if self.persist and self.process.poll() is None:
            self._save()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "RedisProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

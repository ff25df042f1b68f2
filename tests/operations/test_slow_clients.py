"""Clients that send their request a byte a second do not stall the site.

The review's attack: two connections trickling their headers at 1 byte/s left the site (gunicorn,
two sync workers) unanswered for the whole 12 s window. Here more such connections trickle for
the same window, on loopback only, while a normal visitor's requests must still be answered
quickly: against the development server (what ``runstack`` starts), and against production's
front, nginx with ``deploy/nginx/courseportal.conf``, before a gunicorn with a single thread.
Every loop is bounded; the slow clients stop by themselves at the end of the window.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from courseportal.operations.broker import free_port, port_is_listening
from courseportal.operations.processes import web_server_argv
from tests.stack import REPO_ROOT, wait_until

SLOW_CLIENTS = 6  # three times the review's two: half trickle their headers, half a form's body
WINDOW_S = 12.0
QUICK_S = 3.0  # a normal request's answer, on a loaded two-core machine
# Requests that never end within the window: headers sent a byte a second, or headers at once
# and then the body a byte a second.
SLOW_HEADERS = (b"", b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 64)
# (With a CSRF cookie, Django reads the body for the form's token before it answers.)
SLOW_BODY = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 +
             b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", b"a" * 1000)
NGINX_CONF = REPO_ROOT / "deploy" / "nginx" / "courseportal.conf"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@contextmanager
def running(argv: list[str], *, port: int, log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """``argv`` running until the block ends (its whole process group is stopped then)."""
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: process.poll() is not None or port_is_listening(port), timeout_s=60,
                   what=f"{argv[0]} to listen")
        assert process.poll() is None, log.read_text()
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def web_server(folder: Path, *, workers: int = 2, threads: int | None = None) -> Iterator[int]:
    """The development web server (the command line runstack uses) on a free loopback port."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_ENV", "MEDIA_ROOT")}
    env.update(COURSEPORTAL_VAR_DIR=str(folder), PYTHONUNBUFFERED="1")
    sizes = {"workers": workers} if threads is None else {"workers": workers, "threads": threads}
    with running(web_server_argv(bind=f"127.0.0.1:{port}", **sizes), port=port, log=folder / "web.log", env=env):
        wait_until(lambda: _answers(port), timeout_s=60, what="gunicorn to serve a page")
        yield port


def _answers(port: int) -> bool:
    try:
        return _get(port) == 200
    except OSError:
        return False


def _get(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=QUICK_S + 5) as response:
        return response.status


def trickle(port: int, request: tuple[bytes, bytes], stop: threading.Event, outcome: list[str]) -> None:
    """Send ``request``'s first part at once, then its second a byte a second until the window
    ends; note whether the server hung up."""
    started = time.monotonic()
    at_once, slowly = request
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(at_once)
        for byte in slowly:
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                outcome.append(f"closed by the server after {time.monotonic() - started:.0f} s")
                return
            if stop.wait(1.0):
                break
        connection.setblocking(False)
        with suppress(BlockingIOError):
            answer = connection.recv(64)
            outcome.append(f"closed by the server after {time.monotonic() - started:.0f} s: {answer[:12]!r}")
            return
        outcome.append("still open")


def slow_client_attack(port: int) -> tuple[list[float], list[str]]:
    """Trickle ``SLOW_CLIENTS`` requests for the window while a visitor loads a page every second.

    Returns how long each of the visitor's requests took, and what each slow client saw.
    """
    stop, outcome = threading.Event(), []
    requests = [SLOW_HEADERS, SLOW_BODY] * (SLOW_CLIENTS // 2)
    slow = [threading.Thread(target=trickle, args=(port, request, stop, outcome), daemon=True) for request in requests]
    for client in slow:
        client.start()
    answer_times = []
    try:
        time.sleep(2.0)  # every slow client is connected and has sent its first bytes
        deadline = time.monotonic() + WINDOW_S - 2.0
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert _get(port) == 200
            answer_times.append(time.monotonic() - started)
            time.sleep(1.0)
    finally:
        stop.set()
        for client in slow:
            client.join(timeout=5)
    return answer_times, outcome


def test_slow_clients_do_not_keep_a_visitor_of_the_development_server_waiting(tmp_path):
    with web_server(tmp_path) as port:
        answer_times, slow_clients = slow_client_attack(port)
    assert len(answer_times) >= 5 and max(answer_times) < QUICK_S, answer_times
    assert slow_clients == ["still open"] * SLOW_CLIENTS  # they were trickling the whole time


@pytest.fixture
def nginx() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        # `make test` installs it, so on CI a missing nginx is a broken install, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed: `make test` installs Debian's nginx-light")
        pytest.skip("nginx is not installed here (apt-get install nginx-light); the compose tests check its file")
    return binary


def nginx_in_front_of(upstream_port: int, *, folder: Path) -> tuple[list[str], int]:
    """The command line of an nginx running production's server block, on loopback, in ``folder``."""
    listen_port = free_port()
    server_block = NGINX_CONF.read_text()
    assert server_block.count("server web:8000;") == 1 and server_block.count("listen 8080;") == 1
    server_block = server_block.replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
    server_block = server_block.replace("listen 8080;", f"listen 127.0.0.1:{listen_port};")
    temp_paths = "".join(f"    {kind}_temp_path {folder}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        f"events {{}}\nhttp {{\n    access_log off;\n{temp_paths}{server_block}\n}}\n")
    return ["-p", str(folder), "-c", str(folder / "nginx.conf")], listen_port


def test_behind_productions_nginx_even_one_gunicorn_thread_is_not_stalled(tmp_path, nginx):
    with web_server(tmp_path, workers=1, threads=1) as upstream:
        arguments, port = nginx_in_front_of(upstream, folder=tmp_path)
        subprocess.run([nginx, "-t", *arguments], check=True, capture_output=True)
        with running([nginx, *arguments], port=port, log=tmp_path / "nginx.log"):
            answer_times, slow_clients = slow_client_attack(port)
    assert len(answer_times) >= 5 and max(answer_times) < QUICK_S, answer_times
    # nginx kept the slow uploads to itself (gunicorn's one thread never waited on them), and gave
    # up on the slow headers once client_header_timeout (10 s) had passed.
    closed = [seen for seen in slow_clients if seen.startswith("closed by the server")]
    assert len(closed) == SLOW_CLIENTS // 2, slow_clients

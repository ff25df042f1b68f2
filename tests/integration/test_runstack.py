"""``manage.py runstack`` brings up broker, worker, beat and web, and leaves nothing behind when stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from courseportal.operations.broker import free_port
from tests.stack import REPO_ROOT, scratch_database, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A development environment of its own: database (on the session's PostgreSQL server in that
    pass), broker port, web port; migrated and seeded."""
    var = tmp_path_factory.mktemp("runstack-var")
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_ENV", "MEDIA_ROOT")}
    env.update(COURSEPORTAL_VAR_DIR=str(var), EMBEDDED_REDIS_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    with scratch_database("runstack") as database_url:
        if database_url:
            env["DATABASE_URL"] = database_url
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=REPO_ROOT, env=env, check=True,
                           capture_output=True)
        yield env


class Stack:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runstack", "--bind", f"127.0.0.1:{self.port}"],
                cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_running(self) -> None:
        wait_until(lambda: "courseportal is running" in self.output() or self.process.poll() is not None,
                   timeout_s=60, what="runstack to report the stack running")
        assert self.process.poll() is None, self.output()
        wait_until(lambda: " ready." in self.output(), timeout_s=30, what="the worker to be ready")

    def child_pids(self) -> dict[str, int]:
        return {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", self.output())}

    def get(self, path: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return response.status

    def kill_everything(self) -> None:
        for pid in [self.process.pid, *self.child_pids().values()]:
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.process.wait()


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@pytest.fixture
def stack(stack_env, tmp_path):
    running = Stack(stack_env, tmp_path / "runstack.log")
    yield running
    running.kill_everything()


def test_stack_serves_pages_and_static_files_and_ctrl_c_stops_every_process_of_it(stack):
    stack.wait_until_running()
    assert stack.get("/accounts/login/") == 200
    assert stack.get("/static/admin/css/base.css") == 200
    assert re.search(r"student\s+310510123\s+/ \S+", stack.output())  # the demo logins
    children = stack.child_pids()
    assert set(children) == {"broker", "worker", "beat", "web"}

    stack.process.send_signal(signal.SIGINT)

    assert stack.process.wait(timeout=60) == 0, stack.output()
    assert {name: group_members(pid) for name, pid in children.items()} == {name: [] for name in children}


def test_killing_the_supervisor_outright_still_leaves_no_orphans(stack):
    stack.wait_until_running()
    children = stack.child_pids()

    stack.process.kill()
    stack.process.wait()

    wait_until(lambda: not any(group_members(pid) for pid in children.values()), timeout_s=30,
               what="the children to follow their supervisor")

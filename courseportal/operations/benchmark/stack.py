"""A throwaway copy of the real stack for the benchmark: the same programs ``runstack`` starts.

Broker (embedded valkey-server), Celery worker and beat, gunicorn, all on temporary state (its own
``COURSEPORTAL_VAR_DIR``, SQLite database or the ``DATABASE_URL`` it is given, media, cache and
mail) and free loopback ports, so the benchmark never touches the development data or a running
``runstack``. ``stop()`` ends every process it started, their children included.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from courseportal.celery import ALL_QUEUES
from courseportal.operations.broker import EmbeddedBroker, free_port, port_is_listening
from courseportal.operations.processes import (
    celery_beat_argv,
    celery_worker_argv,
    web_server_argv,
)
from courseportal.operations.supervisor import _die_with_parent

# Settings the benchmark sets itself: the developer's values must not leak into the throwaway stack.
OWN_SETTINGS = ("DATABASE_URL", "REDIS_URL", "COURSEPORTAL_VAR_DIR", "MEDIA_ROOT", "GRADER_CACHE_DIR",
                "EMAIL_BACKEND", "EMAIL_FILE_PATH", "SITE_URL", "DEBUG", "DJANGO_ENV", "LOG_LEVEL",
                "GRADER_EXTRA_CHECKER_MODULES", "SANDBOX_BASE_UID", "EMBEDDED_REDIS_PORT", "TRAINING_DATA_DIR",
                "TRAINING_SLOTS")
# The benchmark's worker slots run student code as other uids than a development worker's slots.
SANDBOX_UID_SHIFT = 500
READY_TIMEOUT_S = 120.0


class StackFailed(RuntimeError):
    pass


@dataclass
class BenchmarkStack:
    root: Path
    repository: Path
    sandbox_base_uid: int
    database_url: str | None = None
    concurrency: int = 2
    web_workers: int = 2
    web_port: int = field(default_factory=free_port)
    broker: EmbeddedBroker | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def environment(self) -> dict[str, str]:
        """The environment of every process of the stack and of each ``stack_tasks`` run."""
        var = self.root / "var"
        inherited = {name: value for name, value in os.environ.items() if name not in OWN_SETTINGS}
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "courseportal.settings",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_ENV": "development",
            "DEBUG": "false",  # as served in production: no query log, no debug pages
            "COURSEPORTAL_VAR_DIR": str(var),
            "DATABASE_URL": self.database_url or f"sqlite:///{var / 'benchmark.sqlite3'}",
            "REDIS_URL": self.broker.url if self.broker else "redis://127.0.0.1:1/0",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.root / "mail"),
            "SITE_URL": self.base_url,
            "SANDBOX_BASE_UID": str(self.sandbox_base_uid),
            "LOG_LEVEL": "WARNING",
            # Training runs take one grading process; the other stays free for pre-checks and the rest.
            "TRAINING_SLOTS": str(max(1, self.concurrency - 1)),
        }

    def prepare(self) -> None:
        """Create the state folders and the database's tables."""
        for folder in (self.logs, self.root / "var", self.root / "mail"):
            folder.mkdir(parents=True, exist_ok=True)
        self._run_to_end("migrate", [sys.executable, "manage.py", "migrate", "--no-input"])

    def run_task(self, task: str, arguments: dict) -> dict:
        """Run one ``stack_tasks`` task in its own process on the stack's state; return its answer."""
        argv = [sys.executable, "-m", "courseportal.operations.benchmark.stack_tasks", task]
        output = self._run_to_end(task, argv, stdin=json.dumps(arguments))
        return json.loads(output.strip().splitlines()[-1])

    def run_load(self, plan: dict) -> dict:
        """Run the load generator (a separate process, plain HTTP) with ``plan``; return its outcome."""
        plan = {"base_url": self.base_url, **plan}
        argv = [sys.executable, "-m", "courseportal.operations.benchmark.load_generator"]
        return json.loads(self._run_to_end(f"load-{plan['scenario']}", argv, stdin=json.dumps(plan)))

    def start_load_session(self, plan: dict) -> LoadSession:
        """The load generator left running, for a scenario that takes its steps one line at a time
        (the saturation mode); the caller closes it."""
        plan = {"base_url": self.base_url, **plan}
        argv = [sys.executable, "-m", "courseportal.operations.benchmark.load_generator"]
        log = open(self.logs / f"load-{plan['scenario']}.log", "ab")  # noqa: SIM115 - closed with the session
        process = subprocess.Popen(argv, cwd=self.repository, env=self.environment(), stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent)
        session = LoadSession(process=process, log=log, log_tail=lambda: self.log_tail(f"load-{plan['scenario']}"))
        session.send(plan)
        return session

    def process_ids(self) -> dict[str, int]:
        """The main process of each running part of the stack: part -> pid."""
        found = {name: process.pid for name, process in self.processes.items() if process.poll() is None}
        if self.broker is not None and self.broker.process is not None:
            found["broker"] = self.broker.process.pid
        return found

    def start(self) -> None:
        """Start broker, worker, beat and web server; return once each serves."""
        self.broker = EmbeddedBroker(data_dir=self.root / "broker").start()
        run = self.root / "run"
        run.mkdir(exist_ok=True)
        self._spawn("worker", celery_worker_argv(hostname="benchmark@%h", queues=ALL_QUEUES,
                                                 concurrency=self.concurrency))
        self._spawn("beat", celery_beat_argv(schedule=run / "celerybeat-schedule", loglevel="WARNING"))
        self._spawn("web", web_server_argv(bind=f"127.0.0.1:{self.web_port}", workers=self.web_workers))
        self._wait_for("web", lambda: port_is_listening(self.web_port))
        self._wait_for("worker", self._worker_is_ready)

    def stop(self) -> None:
        """Stop the web server first and the broker last; kill whatever of each process group is left."""
        for name in reversed(list(self.processes)):
            process = self.processes.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if self.broker is not None:
            self.broker.close()
            self.broker = None

    def log_tail(self, name: str, characters: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-characters:] if path.exists() else ""

    def _spawn(self, name: str, argv: list[str]) -> None:
        with open(self.logs / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                argv, cwd=self.repository, env=self.environment(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
            )

    def _worker_is_ready(self) -> bool:
        # Logged (at INFO) once the worker is connected, after its sandbox check passed.
        return " ready." in self.log_tail("worker", 100_000)

    def _wait_for(self, name: str, is_ready) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not is_ready():
            process = self.processes[name]
            if process.poll() is not None:
                raise StackFailed(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise StackFailed(f"{name} did not start within {READY_TIMEOUT_S:g} s:\n{self.log_tail(name)}")
            time.sleep(0.1)

    def _run_to_end(self, name: str, argv: list[str], *, stdin: str | None = None) -> str:
        with open(self.logs / f"{name}.log", "ab") as log:
            finished = subprocess.run(argv, cwd=self.repository, env=self.environment(), input=(stdin or "").encode(),
                                      stdout=subprocess.PIPE, stderr=log, preexec_fn=_die_with_parent)
        if finished.returncode != 0:
            raise StackFailed(f"{name} failed with exit code {finished.returncode}:\n{self.log_tail(name)}")
        return finished.stdout.decode("utf-8", "replace")


@dataclass
class LoadSession:
    """A running load generator spoken to in lines of JSON (see ``saturation_load``)."""

    process: subprocess.Popen
    log: IO[bytes]
    log_tail: Callable[[], str]

    def send(self, message: dict) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict:
        """The next answer; raises ``StackFailed`` if the load generator ended instead."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise StackFailed(f"the load generator ended with {self.process.returncode}:\n{self.log_tail()}")
        return json.loads(line)

    def close(self) -> None:
        with suppress(OSError, ValueError):
            self.send({"stop": True})
        with suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

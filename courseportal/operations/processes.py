"""Command lines of the stack's long-running processes, shared by ``runstack`` and the tests.

Production runs the same programs from ``docker-compose.yml``; keep the two in step.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from courseportal.celery import ALL_QUEUES

CELERY_APP = "courseportal"


def celery_worker_argv(
    *,
    hostname: str,
    queues: Iterable[str] = ALL_QUEUES,
    concurrency: int = 2,
    beat_schedule: Path | None = None,
    loglevel: str = "INFO",
) -> list[str]:
    """A Celery worker consuming ``queues``; with ``beat_schedule`` it also runs beat in-process."""
    argv = [
        sys.executable, "-m", "celery", "--app", CELERY_APP, "worker",
        "--queues", ",".join(queues),
        "--concurrency", str(concurrency),
        "--hostname", hostname,
        "--loglevel", loglevel,
        # One host: nothing to synchronise with, and mingle alone costs a second per start.
        "--without-mingle", "--without-gossip",
    ]
    if beat_schedule is not None:
        argv += ["--beat", "--schedule", str(beat_schedule)]
    return argv


def celery_beat_argv(*, schedule: Path, loglevel: str = "INFO") -> list[str]:
    """Celery beat, which publishes the periodic sweep (``submissions.sweep``)."""
    return [sys.executable, "-m", "celery", "--app", CELERY_APP, "beat", "--schedule", str(schedule),
            "--loglevel", loglevel]


# Threads per web process. A client that sends its request slowly (a phone on a bad link, or on
# purpose, a byte a second) holds one thread until its request is complete; with sync workers two
# such clients stalled the whole site. Production puts nginx in front, which buffers whole
# requests before gunicorn sees them (docker-compose.yml, docs/deployment.md).
WEB_THREADS = 16


def web_server_argv(*, bind: str, workers: int = 2, threads: int = WEB_THREADS, reload: bool = False) -> list[str]:
    """Gunicorn serving the portal with ``workers`` processes of ``threads`` threads each; WhiteNoise
    serves the static files (from the app folders in DEBUG)."""
    argv = [
        sys.executable, "-m", "gunicorn", "courseportal.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--timeout", "120",  # large uploads on slow links
        "--access-logfile", "-",
        # Gunicorn's control socket sits at one path shared by every gunicorn of this user: a
        # second stack (the benchmark beside runstack) would take it over. Nothing here uses it.
        "--no-control-socket",
    ]
    if reload:
        argv.append("--reload")
    return argv

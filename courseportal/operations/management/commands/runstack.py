"""``manage.py runstack``: the whole service on one machine, in the foreground, until Ctrl-C.

Starts the embedded broker (when ``REDIS_URL`` is unset), a Celery worker, Celery beat (the
periodic sweep) and gunicorn, relays their output line by line, and stops all of them on Ctrl-C,
SIGTERM or SIGHUP.
"""

from __future__ import annotations

import socket
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from courseportal.celery import ALL_QUEUES
from courseportal.operations.broker import broker_wait_ready, port_is_listening, valkey_server_argv
from courseportal.operations.processes import (
    celery_beat_argv,
    celery_worker_argv,
    web_server_argv,
)
from courseportal.operations.services import DEMO_ACCOUNTS, DEMO_COURSE_SLUG
from courseportal.operations.supervisor import ProcessSpec, Supervisor


class Command(BaseCommand):
    help = "Run broker (embedded unless REDIS_URL is set), Celery worker and beat, and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="web server address (default 127.0.0.1:8000)")
        parser.add_argument("--concurrency", type=int, default=2, help="grading processes in the worker")
        parser.add_argument("--reload", action="store_true", help="restart the web server when code changes")

    def handle(self, *args, bind: str, concurrency: int, reload: bool, **options):
        self._refuse_unless_migrated()
        host, _, port = bind.rpartition(":")
        if port_is_listening(int(port), host or "127.0.0.1"):
            raise CommandError(f"{bind} is already in use: is another runstack running? Stop it first.")
        run_dir = settings.VAR_DIR / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        specs = [*self._broker_specs(run_dir)]
        specs += [
            ProcessSpec("worker", celery_worker_argv(hostname="worker@%h", queues=ALL_QUEUES,
                                                     concurrency=concurrency)),
            ProcessSpec("beat", celery_beat_argv(schedule=run_dir / "celerybeat-schedule")),
            ProcessSpec("web", web_server_argv(bind=bind, reload=reload),
                        wait_ready=lambda: _wait_for_port(bind, timeout_s=60)),
        ]
        exit_code = Supervisor(specs, out=self.stdout, cwd=str(settings.BASE_DIR)).run(
            on_ready=lambda: self._announce(bind)
        )
        if exit_code:
            raise CommandError("the stack stopped on an error; the output above says which process failed")

    def _broker_specs(self, run_dir) -> list[ProcessSpec]:
        if not settings.USING_EMBEDDED_REDIS:
            self.stdout.write(f"Using the broker at REDIS_URL ({_redacted(settings.REDIS_URL)}).")
            return []
        port = settings.EMBEDDED_REDIS_PORT
        if port_is_listening(port):
            raise CommandError(
                f"Port {port} (EMBEDDED_REDIS_PORT) is in use: another runstack, or another server. Stop it, "
                "or set REDIS_URL to use a running Redis."
            )
        data_dir = run_dir / "broker"
        data_dir.mkdir(exist_ok=True)
        return [ProcessSpec("broker", valkey_server_argv(port=port, data_dir=data_dir),
                            wait_ready=lambda: broker_wait_ready(settings.REDIS_URL, timeout_s=15))]

    def _refuse_unless_migrated(self) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `python manage.py migrate` "
                               "(`make dev` does it for you).")

    def _announce(self, bind: str) -> None:
        from courseportal.courses.models import Course

        lines = [f"courseportal is running at http://{bind}/  (Ctrl-C stops everything)"]
        if settings.SANDBOX == "unsafe-dev":
            lines.append("WARNING: SANDBOX=unsafe-dev runs uploaded code WITHOUT isolation.")
        if Course.objects.filter(slug=DEMO_COURSE_SLUG).exists():
            lines.append("Demo logins (username / password):")
            lines += [f"  {a.role:<10} {a.username:<10} / {a.password}" for a in DEMO_ACCOUNTS]
        else:
            lines.append("No demo data: run `python manage.py seed_demo` for a course and accounts.")
        for line in lines:
            self.stdout.write(line)
        self.stdout.flush()


def _wait_for_port(bind: str, *, timeout_s: float) -> None:
    host, _, port = bind.rpartition(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the web server did not listen on {bind} within {timeout_s:g} s")


def _redacted(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    return f"{scheme}://***@{location}" if at else url

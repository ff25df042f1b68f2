"""A Celery worker keeps its database connection from task to task, as a web thread does from request
to request, and drops it by the same rules: older than CONN_MAX_AGE, or left unusable by an error.

Celery's Django fix-up (the one a real worker installs) is driven here as the worker drives it around
each task, with the portal's own handlers of the same signals. Closes are counted (a close of the
in-memory test database of SQLite keeps it open).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.contrib.auth.models import User
from django.db import connection, connections

from courseportal.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class Task:
    request = SimpleNamespace(is_eager=False)


@pytest.fixture
def closes(monkeypatch) -> list[float]:
    # As fresh as a worker's first task's: this test process may have opened its connection longer
    # than CONN_MAX_AGE ago (a whole suite ago), which the rules would rightly close.
    connection.ensure_connection()
    monkeypatch.setattr(connections["default"], "close_at", time.monotonic() + 3600)
    closed: list[float] = []
    close = connection.close

    def counted_close() -> None:
        closed.append(time.monotonic())
        close()

    monkeypatch.setattr(connection, "close", counted_close)
    return closed


def run_tasks(count: int) -> None:
    fixup = DjangoWorkerFixup(app)
    task = Task()
    for _ in range(count):
        fixup.on_task_prerun(task)
        task_prerun.send(sender=task)
        User.objects.exists()
        fixup.on_task_postrun(task)
        task_postrun.send(sender=task)


def test_tasks_share_the_connection_the_first_one_opened(closes):
    run_tasks(6)
    assert closes == []


def test_a_connection_older_than_its_max_age_is_closed(closes):
    run_tasks(1)
    connection.close_at = time.monotonic() - 1
    run_tasks(1)
    assert closes


def test_a_connection_an_error_left_unusable_is_closed(closes, monkeypatch):
    run_tasks(1)
    connection.errors_occurred = True
    monkeypatch.setattr(type(connection._connections["default"]), "is_usable", lambda self: False)
    run_tasks(1)
    assert closes

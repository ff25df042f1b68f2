"""The portal's Celery application: the queues, the periodic sweep, and a worker's start-up.

Queues: the grading engine's checker queues (``checks`` for CPU checks, ``gpu`` for training
runs, declared by ``grader.CHECKER_QUEUES``) and the portal's own ``maintenance`` queue, where beat
sends the sweep and the portal sends bookkeeping (publishing a regrade, release e-mails). Tasks live
in each app's ``tasks.py`` and are found by ``autodiscover_tasks``.

Priority: a whole-assignment regrade goes to the same checker queue as fresh uploads, at
``BACKGROUND_PRIORITY``. The Redis transport keeps one list per priority step and a worker asks for
the lists of every queue it consumes in priority order, so a fresh upload is always taken before any
waiting regrade, yet regrades need no queue (and no consumer in ``docker-compose.yml``) of their own.
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_init, worker_process_init
from kombu import Queue

from grader import CHECKER_QUEUES, CHECKS_QUEUE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")

MAINTENANCE_QUEUE = "maintenance"
ALL_QUEUES = (*CHECKER_QUEUES, MAINTENANCE_QUEUE)
# On Redis, 0 is served first and 9 last (kombu's priority steps; settings.CELERY_BROKER_TRANSPORT_OPTIONS).
FOREGROUND_PRIORITY = 0
BACKGROUND_PRIORITY = 9
# The sweeps' task names; courseportal/submissions/tasks.py registers them under these names.
SWEEP_TASK = "submissions.sweep"
TRAINING_SWEEP_TASK = "submissions.training_sweep"

app = Celery("courseportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name) for name in ALL_QUEUES)
# Every publish names its queue (the checker's, or maintenance); this only catches a task sent without one.
app.conf.task_default_queue = CHECKS_QUEUE
app.autodiscover_tasks()


@app.on_after_configure.connect
def schedule_the_sweep(sender: Celery, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        "sweep-forgotten-submissions": {
            "task": SWEEP_TASK,
            "schedule": float(settings.GRADING_SWEEP_INTERVAL_S),
            "options": {"queue": MAINTENANCE_QUEUE, "expires": 60},
        },
        "sweep-training-jobs": {
            "task": TRAINING_SWEEP_TASK,
            "schedule": float(settings.GRADING_SWEEP_INTERVAL_S),
            "options": {"queue": MAINTENANCE_QUEUE, "expires": 60},
        },
    }


@worker_init.connect
def refuse_to_start_without_a_working_sandbox(**kwargs) -> None:
    # Celery logs and swallows exceptions from signal handlers; SystemExit is not swallowed.
    import django

    django.setup()
    from grader.sandbox.health import require_working_sandbox

    require_working_sandbox()


@worker_process_init.connect
def start_this_slots_sandbox(**kwargs) -> None:
    # The zygote imports torch in the background now, not during the first grading.
    from django.conf import settings

    if settings.SANDBOX == "unsafe-dev":
        return
    from grader.sandbox import get_sandbox

    try:
        get_sandbox().prestart()
    except Exception:  # the first run will try again and report properly
        logging.getLogger(__name__).exception("could not prestart this slot's sandbox")


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(**kwargs) -> None:
    # What Django does around every request: a connection older than CONN_MAX_AGE, or one an error
    # left unusable, is closed, and the next query opens another. Celery's own closing of every
    # connection around every task is off (settings.CELERY_DB_REUSE_MAX).
    from django.db import close_old_connections

    close_old_connections()

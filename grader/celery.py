"""The Celery application: queues ``checks`` (CPU checks) and ``gpu`` (training runs)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")

app = Celery("courseportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("checks"), Queue("gpu"), Queue("maintenance"))
app.conf.beat_schedule = {
    "sweep-forgotten-submissions": {
        "task": "grader.sweep_submissions",
        "schedule": float(os.environ.get("GRADING_SWEEP_INTERVAL_S", "10")),
        "options": {"queue": "maintenance", "expires": 60},
    },
}
app.autodiscover_tasks(["grader"])


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
    import logging

    from django.conf import settings

    if settings.SANDBOX == "unsafe-dev":
        return
    from grader.sandbox import get_sandbox

    try:
        get_sandbox().prestart()
    except Exception:  # the first run will try again and report properly
        logging.getLogger(__name__).exception("could not prestart this slot's sandbox")

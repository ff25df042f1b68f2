"""The Celery application: queues ``checks`` (CPU checks) and ``gpu`` (training runs)."""

from __future__ import annotations

import os

from celery import Celery
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

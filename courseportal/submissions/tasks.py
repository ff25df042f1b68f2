"""Celery tasks of the grading pipeline: thin interfaces that take an id and call one service.

The services publish by task name (``GRADE_TASK``, ``REGRADE_PUBLISH_TASK``, ``RELEASE_NOTIFY_TASK``),
never by importing this module, so the dependency runs one way: tasks → services.
"""

from __future__ import annotations

from celery import shared_task

from courseportal.celery import SWEEP_TASK, TRAINING_SWEEP_TASK
from courseportal.submissions.services import (
    GRADE_TASK,
    regrade_publish,
    release_notify,
    submission_grade,
    submission_sweep,
)
from courseportal.submissions.services.notify import RELEASE_NOTIFY_TASK
from courseportal.submissions.services.regrades import REGRADE_PUBLISH_TASK
from courseportal.submissions.services.training import training_job_run, training_sweep
from courseportal.submissions.services.training_queue import TRAIN_TASK


@shared_task(name=GRADE_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def grade_submission(submission_id: int) -> None:
    submission_grade(submission_id=submission_id)


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_submissions() -> None:
    submission_sweep()


@shared_task(name=REGRADE_PUBLISH_TASK, ignore_result=True)
def publish_regrade(regrade_id: int) -> None:
    regrade_publish(regrade_id=regrade_id)


@shared_task(name=RELEASE_NOTIFY_TASK, ignore_result=True)
def notify_release(assignment_id: int) -> None:
    release_notify(assignment_id=assignment_id)


@shared_task(name=TRAIN_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def train_submission(self, job_id: int) -> None:
    hard_limit_s, _soft = self.request.timelimit or (None, None)
    training_job_run(job_id=job_id, worker=self.request.hostname or "", published_hard_limit_s=hard_limit_s)


@shared_task(name=TRAINING_SWEEP_TASK, ignore_result=True)
def sweep_training_jobs() -> None:
    training_sweep()

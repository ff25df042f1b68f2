"""Celery tasks: thin interfaces that take an id and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="grader.grade_submission", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def grade_submission(submission_id: int) -> None:
    from courseportal.submissions.services import submission_grade

    submission_grade(submission_id=submission_id)


@shared_task(name="grader.sweep_submissions", ignore_result=True)
def sweep_submissions() -> None:
    from courseportal.submissions.services import submission_sweep

    submission_sweep()

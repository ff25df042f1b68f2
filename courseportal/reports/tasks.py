"""Celery tasks of report grading: thin interfaces that take an id and call one service."""

from __future__ import annotations

from celery import shared_task

from courseportal.reports.services.similarity_runs import SIMILARITY_TASK, similarity_run_execute


@shared_task(name=SIMILARITY_TASK, ignore_result=True)
def run_similarity(run_id: int) -> None:
    similarity_run_execute(run_id=run_id)

"""Handing the portal's own bookkeeping tasks to the broker (grading tasks: ``pipeline.grading_task_send``)."""

from __future__ import annotations

import logging

from courseportal.celery import MAINTENANCE_QUEUE
from courseportal.celery import app as celery_app

logger = logging.getLogger(__name__)


def maintenance_task_send(*, task: str, args: list) -> bool:
    """Publish ``task`` to the maintenance queue; returns whether the broker took it.

    A broker outage is logged, not raised: every such task's work is also done by the periodic sweep.
    """
    try:
        celery_app.send_task(task, args=args, queue=MAINTENANCE_QUEUE, retry=False)
    except Exception as error:  # kombu/redis raise many types for one outage
        logger.warning("task %s%s not sent, left for the sweep: %s", task, args, error)
        return False
    return True

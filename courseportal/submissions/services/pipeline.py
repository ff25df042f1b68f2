"""The grading pipeline: hand a submission to the broker, claim and grade it, regrade, sweep.

Every state change is a conditional update, so a task delivered twice, a sweep racing a
worker, or a regrade racing a grade does no harm.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.celery import app as celery_app
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.selectors import grading_size_limit
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.services.training_queue import TRAINING_QUEUE, training_job_wait
from courseportal.submissions.storage import blob_read
from grader import grade_file, precheck_file
from grader.registry import UnknownChecker, get_checker
from grader.results import GradeResult
from grader.sandbox import get_sandbox
from grader.sandbox.types import SandboxFailure

logger = logging.getLogger(__name__)
Status = Submission.Status
# The grading task's name; courseportal/submissions/tasks.py registers it under this name.
GRADE_TASK = "submissions.grade"
SWEEP_BATCH = 500
STORED_FILE_UNREADABLE = (
    "The stored copy of this file cannot be read on the server. Course staff see it marked as a "
    "grader error; the file you uploaded is not at fault."
)


def submission_enqueue(*, submission_id: int, queue: str) -> bool:
    """Hand the submission to the broker; if the broker is down, leave it for the sweep.

    A student has at most one grading in flight per assignment, so one student uploading again
    and again cannot fill the queue ahead of the class: a later upload waits, queued, until the
    earlier one is graded (``submission_result_store`` then sends the next).

    Returns whether the broker took the message. Never raises, for a broker outage or a busy
    database alike: the upload has already succeeded, the student sees "queued", and the sweep
    sends whatever this call could not.
    """
    return _publish(submission_id=submission_id, queue=queue) == "sent"


def _publish(*, submission_id: int, queue: str) -> Literal["sent", "waiting", "broker_down"]:
    now = timezone.now()
    try:
        # Reserve first, in one statement: two uploads committing at once cannot both go.
        reserved = _sendable(now=now).filter(pk=submission_id).update(enqueued_at=now)
    except DatabaseError as error:
        logger.warning("submission %s not sent (database busy), left for the sweep: %s", submission_id, error)
        return "waiting"
    if reserved != 1:
        return "waiting"
    try:
        grading_task_send(submission_id=submission_id, queue=queue)
    except Exception as error:  # kombu/redis raise many types for one outage
        logger.warning("broker unavailable, submission %s left for the sweep: %s", submission_id, error)
        # If even this fails, the reservation goes stale and the sweep sends it then.
        with contextlib.suppress(DatabaseError):
            Submission.objects.filter(pk=submission_id, enqueued_at=now).update(enqueued_at=None)
        return "broker_down"
    return "sent"


def grading_task_send(*, submission_id: int, queue: str) -> None:
    """Publish one grading task to ``queue``; raises whatever the broker client raises when it is down."""
    celery_app.send_task(GRADE_TASK, args=[submission_id], queue=queue, retry=False)


def _sendable(*, now) -> QuerySet[Submission]:
    """Queued submissions not with the broker (or handed over so long ago the broker lost them)
    whose student has no other grading of the same assignment in flight."""
    stale = now - timedelta(seconds=settings.GRADING_REQUEUE_AFTER_S)
    sibling_in_flight = (
        Submission.objects.filter(student_id=OuterRef("student_id"), assignment_id=OuterRef("assignment_id"))
        .exclude(pk=OuterRef("pk"))
        .filter(Q(status=Status.RUNNING) | Q(status=Status.QUEUED, enqueued_at__gte=stale))
    )
    return (
        Submission.objects.filter(status=Status.QUEUED)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .exclude(Exists(sibling_in_flight))
    )


def submission_grade(*, submission_id: int) -> Result | None:
    """Claim, grade and store the result of one submission.

    Returns the stored result, or None when another worker holds the claim or the submission
    is already graded (a redelivered task). A worker killed mid-grade leaves a claim that
    expires; ``submission_sweep`` then queues the submission again. A sandbox that breaks (not the
    student's doing) hands the submission straight back to the queue.
    """
    submission = Submission.objects.select_related("assignment", "blob").filter(pk=submission_id).first()
    if submission is None:
        return None
    checker = get_checker(submission.assignment.checker_slug)
    claimed_at = timezone.now()
    lease = timedelta(seconds=checker.limits.wall_seconds + settings.GRADING_LEASE_MARGIN_S)
    claimed = Submission.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.RUNNING, lease_expires_at__lt=claimed_at), pk=submission_id
    ).update(status=Status.RUNNING, claimed_at=claimed_at, lease_expires_at=claimed_at + lease,
             attempts=F("attempts") + 1)
    if claimed != 1:
        return None
    started = timezone.now()
    try:
        data = blob_read(submission.blob_id)
    except OSError as error:  # missing or no longer matching its digest
        logger.error("submission %s: stored file unreadable: %r", submission_id, error)
        grade = GradeResult.error(STORED_FILE_UNREADABLE, max_score=checker.points)
        return submission_result_store(submission_id=submission_id, claimed_at=claimed_at, grade=grade, seconds=0)
    max_bytes = grading_size_limit(submission=submission, checker=checker, size=len(data))
    try:
        if checker.queue == TRAINING_QUEUE:
            # Only the pre-check runs here; a file that passes waits for a GPU (training_queue.py).
            precheck = precheck_file(checker, filename=submission.filename, data=data, sandbox=get_sandbox(),
                                     max_bytes=max_bytes)
            if precheck.passed:
                training_job_wait(submission_id=submission_id, claimed_at=claimed_at, precheck=precheck.result)
                submission_send_next_waiting(submission_id=submission_id)
                return None
            grade = precheck.result
        else:
            grade = grade_file(checker, filename=submission.filename, data=data, sandbox=get_sandbox(),
                               max_bytes=max_bytes)
    except SandboxFailure as failure:
        logger.error("submission %s: sandbox failed, handing it back to the queue: %s", submission_id, failure)
        _claim_release(submission_id=submission_id, claimed_at=claimed_at)
        return None
    seconds = (timezone.now() - started).total_seconds()
    return submission_result_store(submission_id=submission_id, claimed_at=claimed_at, grade=grade, seconds=seconds,
                                   manual_grading=checker.manual_grading)


def _claim_release(*, submission_id: int, claimed_at) -> None:
    """Give a claim back so the sweep sends the submission again (its attempt still counts)."""
    Submission.objects.filter(pk=submission_id, status=Status.RUNNING, claimed_at=claimed_at).update(
        status=Status.QUEUED, enqueued_at=None, lease_expires_at=None
    )


@transaction.atomic
def submission_result_store(
    *, submission_id: int, claimed_at, grade: GradeResult, seconds: float, manual_grading: bool = False
) -> Result | None:
    """Store the one result of a submission still claimed at ``claimed_at`` (running, or training on
    a GPU); None when someone else holds it now. Sends the student's next upload and the email."""
    now = timezone.now()
    final_status = Status.FAILED if grade.status == "error" else Status.GRADED
    still_ours = Submission.objects.filter(pk=submission_id, status__in=[Status.RUNNING, Status.TRAINING],
                                           claimed_at=claimed_at).update(
        status=final_status, graded_at=now, lease_expires_at=None
    )
    if still_ours != 1:
        logger.info("submission %s was taken over while grading; result discarded", submission_id)
        return None
    graded_by_hand = Result.objects.filter(submission_id=submission_id, manually_graded_at__isnull=False).first()
    if graded_by_hand is not None:
        # A TA's grade is never replaced by a machine check (a regrade refuses it, and this covers
        # one queued just before the TA saved): the submission keeps the TA's grade.
        Submission.objects.filter(pk=submission_id).update(status=Status.GRADED)
        logger.info("submission %s was graded by hand; automatic result discarded", submission_id)
        transaction.on_commit(lambda: submission_send_next_waiting(submission_id=submission_id))
        return graded_by_hand
    result, _ = Result.objects.update_or_create(
        submission_id=submission_id,
        defaults={
            "status": grade.status,
            "score": round(grade.score, 2),
            "max_score": round(grade.max_score, 2),
            "message": grade.message,
            "checks": [check.to_dict() for check in grade.checks],
            "output": grade.output,
            "grading_seconds": seconds,
            "graded_at": now,
            "notified_at": None,
            # The automatic check of a hand-graded report only validates the file: no grade yet.
            "awaits_manual_grading": manual_grading and grade.status == "graded",
        },
    )
    # The next waiting upload first: a failing email must not hold back the student's next grading.
    transaction.on_commit(lambda: submission_send_next_waiting(submission_id=submission_id))
    transaction.on_commit(lambda: result_notify(submission_id=submission_id))
    return result


def submission_send_next_waiting(*, submission_id: int) -> None:
    """Send the student's next upload of the same assignment that waited for this one."""
    finished = Submission.objects.select_related("assignment").get(pk=submission_id)
    waiting = (
        Submission.objects.filter(student_id=finished.student_id, assignment_id=finished.assignment_id,
                                  status=Status.QUEUED, enqueued_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if waiting is not None:
        queue = get_checker(finished.assignment.checker_slug).upload_queue
        submission_enqueue(submission_id=waiting.pk, queue=queue)


class RegradeRefused(Refused):
    """The submission was not queued again; ``message`` tells staff why."""


@transaction.atomic
def submission_regrade(*, submission: Submission) -> bool:
    """Queue a graded (or failed) submission again; False if it is already waiting or running.

    Raises ``RegradeRefused`` for a submission a TA graded by hand: a machine check would replace
    the TA's grade (staff change that grade with the grading form instead).
    """
    updated = (
        Submission.objects.filter(pk=submission.pk, status__in=[Status.GRADED, Status.FAILED])
        .exclude(result__manually_graded_at__isnull=False)
        .update(status=Status.QUEUED, attempts=0, enqueued_at=None, claimed_at=None, lease_expires_at=None)
    )
    if updated != 1:
        if Result.objects.filter(submission_id=submission.pk, manually_graded_at__isnull=False).exists():
            raise RegradeRefused(_("A TA graded this report by hand, so it is not regraded automatically: "
                                   "a regrade would replace their grade. Change the grade with the grading form."))
        return False
    queue = get_checker(submission.assignment.checker_slug).upload_queue
    transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, queue=queue))
    return True


def submission_sweep() -> dict[str, int]:
    """Recover submissions the pipeline lost track of; safe to run any time, from anywhere.

    - queued but never handed to the broker (it was down), or handed over long ago and still
      unclaimed (the broker lost it): send again, stopping at the first sign the broker is down;
    - running past its claim (the worker died): queue again, or give up after
      ``GRADING_MAX_ATTEMPTS`` with an error result staff can see and regrade.

    A submission whose checker is gone (renamed, or failing to import) is logged and skipped, so
    it cannot stop the recovery of everyone else's.
    """
    now = timezone.now()
    counts = {"resent": 0, "requeued": 0, "failed": 0, "broker_down": 0}
    expired = Submission.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now).select_related("assignment")
    for submission in expired[:SWEEP_BATCH]:
        if submission.attempts >= settings.GRADING_MAX_ATTEMPTS:
            counts["failed"] += _give_up(submission=submission)
            continue
        requeued = Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, claimed_at=submission.claimed_at
        ).update(status=Status.QUEUED, enqueued_at=None, lease_expires_at=None)
        counts["requeued"] += requeued
    for submission in _sendable(now=now).select_related("assignment").order_by("created_at", "id")[:SWEEP_BATCH]:
        queue = _queue_of(submission)
        if queue is None:
            continue
        outcome = _publish(submission_id=submission.pk, queue=queue)
        if outcome == "broker_down":
            counts["broker_down"] = 1
            break
        counts["resent"] += outcome == "sent"
    if any(counts.values()):
        logger.info("sweep: %s", counts)
    return counts


def _queue_of(submission: Submission) -> str | None:
    try:
        return get_checker(submission.assignment.checker_slug).upload_queue
    except UnknownChecker:
        logger.error("submission %s: no checker %r is registered; it stays queued until one is",
                     submission.pk, submission.assignment.checker_slug)
        return None


def _give_up(*, submission: Submission) -> int:
    try:
        max_score = get_checker(submission.assignment.checker_slug).points
    except UnknownChecker:
        max_score = 0.0
    grade = GradeResult.error(
        _("Grading stopped %(count)d times before finishing (the grader crashed or was restarted). "
          "Course staff see it marked as a grader error and will regrade it.") % {"count": submission.attempts},
        max_score=max_score,
    )
    stored = submission_result_store(submission_id=submission.pk, claimed_at=submission.claimed_at, grade=grade,
                                     seconds=0)
    return 1 if stored else 0

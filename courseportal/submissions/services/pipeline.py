"""The grading pipeline: hand a submission to the broker, claim and grade it, regrade, sweep.

Every state change is a conditional update, so a task delivered twice, a sweep racing a
worker, or a regrade racing a grade does no harm.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.storage import blob_read
from grader.grading import grade_file
from grader.registry import get_checker
from grader.results import GradeResult

logger = logging.getLogger(__name__)
Status = Submission.Status


def submission_enqueue(*, submission_id: int, queue: str) -> bool:
    """Hand the submission to the broker; if the broker is down, leave it for the sweep.

    A student has at most one grading in flight per assignment, so one student uploading again
    and again cannot fill the queue ahead of the class: a later upload waits, queued, until the
    earlier one is graded (``_result_store`` then sends the next).

    Returns whether the broker took the message. Never raises for a broker outage: the upload has
    already succeeded and the student sees "queued".
    """
    from grader.tasks import grade_submission

    if _sibling_in_flight(submission_id=submission_id):
        return False
    try:
        grade_submission.apply_async(args=[submission_id], queue=queue, retry=False)
    except Exception as error:  # kombu/redis raise many types for one outage
        logger.warning("broker unavailable, submission %s left for the sweep: %s", submission_id, error)
        return False
    Submission.objects.filter(pk=submission_id, status=Status.QUEUED).update(enqueued_at=timezone.now())
    return True


def submission_grade(*, submission_id: int) -> Result | None:
    """Claim, grade and store the result of one submission.

    Returns the stored result, or None when another worker holds the claim or the submission
    is already graded (a redelivered task). A worker killed mid-grade leaves a claim that
    expires; ``submission_sweep`` then queues the submission again.
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
    from grader.sandbox import get_sandbox

    started = timezone.now()
    grade = grade_file(
        checker,
        filename=submission.filename,
        data=blob_read(submission.blob_id),
        sandbox=get_sandbox(),
        max_bytes=submission.assignment.max_upload_bytes,
    )
    seconds = (timezone.now() - started).total_seconds()
    return _result_store(submission_id=submission_id, claimed_at=claimed_at, grade=grade, seconds=seconds,
                         manual_grading=checker.manual_grading)


@transaction.atomic
def _result_store(
    *, submission_id: int, claimed_at, grade: GradeResult, seconds: float, manual_grading: bool = False
) -> Result | None:
    now = timezone.now()
    final_status = Status.FAILED if grade.status == "error" else Status.GRADED
    still_ours = Submission.objects.filter(pk=submission_id, status=Status.RUNNING, claimed_at=claimed_at).update(
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
        transaction.on_commit(lambda: _send_next_waiting(submission_id=submission_id))
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
    transaction.on_commit(lambda: result_notify(submission_id=submission_id))
    transaction.on_commit(lambda: _send_next_waiting(submission_id=submission_id))
    return result


def _sibling_in_flight(*, submission_id: int) -> bool:
    """Whether another submission of the same student and assignment is with the broker or a worker."""
    mine = Submission.objects.filter(pk=submission_id).values("student_id", "assignment_id").first()
    if mine is None:
        return False
    return (
        Submission.objects.filter(**mine)
        .exclude(pk=submission_id)
        .filter(Q(status=Status.RUNNING) | Q(status=Status.QUEUED, enqueued_at__isnull=False))
        .exists()
    )


def _send_next_waiting(*, submission_id: int) -> None:
    finished = Submission.objects.select_related("assignment").get(pk=submission_id)
    waiting = (
        Submission.objects.filter(student_id=finished.student_id, assignment_id=finished.assignment_id,
                                  status=Status.QUEUED, enqueued_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if waiting is not None:
        queue = get_checker(finished.assignment.checker_slug).queue
        submission_enqueue(submission_id=waiting.pk, queue=queue)


class RegradeRefused(ValueError):
    """The submission was not queued again; ``message`` tells staff why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    queue = get_checker(submission.assignment.checker_slug).queue
    transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, queue=queue))
    return True


def submission_sweep() -> dict[str, int]:
    """Recover submissions the pipeline lost track of; safe to run any time, from anywhere.

    - queued but never handed to the broker (it was down), or handed over long ago and still
      unclaimed (the broker lost it): send again;
    - running past its claim (the worker died): queue again, or give up after
      ``GRADING_MAX_ATTEMPTS`` with an error result staff can see and regrade.
    """
    now = timezone.now()
    counts = {"resent": 0, "requeued": 0, "failed": 0}
    stale = now - timedelta(seconds=settings.GRADING_REQUEUE_AFTER_S)
    forgotten = Submission.objects.filter(status=Status.QUEUED).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    ).select_related("assignment")
    for submission in forgotten.order_by("created_at")[:500]:
        queue = get_checker(submission.assignment.checker_slug).queue
        counts["resent"] += submission_enqueue(submission_id=submission.pk, queue=queue)
    expired = Submission.objects.filter(status=Status.RUNNING, lease_expires_at__lt=now).select_related("assignment")
    for submission in expired[:500]:
        if submission.attempts >= settings.GRADING_MAX_ATTEMPTS:
            counts["failed"] += _give_up(submission=submission, now=now)
            continue
        requeued = Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, claimed_at=submission.claimed_at
        ).update(status=Status.QUEUED, enqueued_at=None, lease_expires_at=None)
        if requeued:
            counts["requeued"] += 1
            queue = get_checker(submission.assignment.checker_slug).queue
            submission_enqueue(submission_id=submission.pk, queue=queue)
    if any(counts.values()):
        logger.info("sweep: %s", counts)
    return counts


def _give_up(*, submission: Submission, now) -> int:
    checker = get_checker(submission.assignment.checker_slug)
    grade = GradeResult.error(
        _("Grading stopped %(count)d times before finishing (the grader crashed or was restarted). "
          "Course staff have been told and will regrade it.") % {"count": submission.attempts},
        max_score=checker.points,
    )
    stored = _result_store(submission_id=submission.pk, claimed_at=submission.claimed_at, grade=grade, seconds=0)
    return 1 if stored else 0

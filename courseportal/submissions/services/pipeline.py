"""The grading pipeline: hand a submission to the broker, claim and grade it, store its result, sweep.

Every state change is a conditional update, so a task delivered twice, a sweep racing a
worker, or a regrade racing a grade does no harm. Results are stored through
``scores.result_change``, so every score the checker gives is in the grade history, and the late
penalty is applied from the time rules when the result is stored.

Fresh uploads go to their checker's queue at normal priority; submissions queued again by a
whole-assignment regrade go at ``BACKGROUND_PRIORITY``, so a regrade of the class never delays a
student's upload (see ``courseportal.celery``).
"""

from __future__ import annotations

import contextlib
import logging
import math
from datetime import timedelta
from typing import Any, Literal

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, DataError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from courseportal.celery import BACKGROUND_PRIORITY, FOREGROUND_PRIORITY
from courseportal.celery import app as celery_app
from courseportal.submissions.models import GradeChange, Regrade, RegradeItem, Result, Submission
from courseportal.submissions.selectors import grading_size_limit
from courseportal.submissions.services.documents import document_reading_store
from courseportal.submissions.services.notify import released_scores_sweep, result_emails_sweep, result_notify
from courseportal.submissions.services.reading_checks import reading_checks_carried
from courseportal.submissions.services.scores import (
    LockedResult,
    result_change,
    result_lateness_apply,
    result_locked,
)
from courseportal.submissions.services.settled import submission_settled_announce
from courseportal.submissions.services.training_queue import TRAINING_QUEUE, training_job_wait
from courseportal.submissions.storable import result_fields
from courseportal.submissions.storage import blob_read
from courseportal.submissions.time_limits import grading_time_limits
from grader import Checker, grade_file, precheck_file
from grader.documents import PdfReading
from grader.messages import Message
from grader.registry import UnknownChecker, get_checker
from grader.results import GradeResult
from grader.sandbox import get_sandbox
from grader.sandbox.types import SandboxFailure

logger = logging.getLogger(__name__)
Status = Submission.Status
# The grading task's name; courseportal/submissions/tasks.py registers it under this name.
GRADE_TASK = "submissions.grade"
SWEEP_BATCH = 500
STORED_FILE_UNREADABLE = Message(
    "The stored copy of this file cannot be read on the server. Course staff see it marked as a "
    "grader error; the file you uploaded is not at fault."
)


def submission_enqueue(*, submission_id: int, checker: Checker, background: bool = False) -> bool:
    """Hand the submission to the broker; if the broker is down, leave it for the sweep.

    A student has at most one grading in flight per assignment, so one student uploading again
    and again cannot fill the queue ahead of the class: a later upload waits, queued, until the
    earlier one is graded (``submission_result_store`` then sends the next).

    ``background``: behind every fresh upload (a whole-assignment regrade).

    Returns whether the broker took the message. Never raises, for a broker outage or a busy
    database alike: the upload has already succeeded, the student sees "queued", and the sweep
    sends whatever this call could not.
    """
    return submission_publish(submission_id=submission_id, checker=checker, background=background) == "sent"


def submission_publish(
    *, submission_id: int, checker: Checker, background: bool = False
) -> Literal["sent", "waiting", "broker_down"]:
    """``submission_enqueue``, saying what happened: sent, waiting (another grading of the student's
    is in flight, or it was sent already), or broker_down."""
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
        grading_task_send(submission_id=submission_id, checker=checker, background=background)
    except Exception as error:  # kombu/redis raise many types for one outage
        logger.warning("broker unavailable, submission %s left for the sweep: %s", submission_id, error)
        # If even this fails, the reservation goes stale and the sweep sends it then.
        with contextlib.suppress(DatabaseError):
            Submission.objects.filter(pk=submission_id, enqueued_at=now).update(enqueued_at=None)
        return "broker_down"
    return "sent"


def grading_task_send(*, submission_id: int, checker: Checker, background: bool = False) -> None:
    """Publish one grading task to the checker's queue, with the time limits of its gradings;
    raises whatever the broker client raises when it is down."""
    limits = grading_time_limits(checker)
    celery_app.send_task(GRADE_TASK, args=[submission_id], queue=checker.upload_queue, retry=False,
                         soft_time_limit=limits.soft_s, time_limit=limits.hard_s,
                         priority=BACKGROUND_PRIORITY if background else FOREGROUND_PRIORITY)


def is_background(submission: Submission) -> bool:
    """Queued by a whole-assignment regrade: graded behind fresh uploads (select ``regrade`` with it)."""
    return submission.regrade_id is not None and submission.regrade.whole_assignment


def _sendable(*, now) -> QuerySet[Submission]:
    """Queued submissions not with the broker (or handed over so long ago the broker lost them)
    whose student has no other grading of the same assignment in flight."""
    stale = now - timedelta(seconds=settings.GRADING_REQUEUE_AFTER_S)
    # Background regrades do not hold back the student's fresh upload (they wait at low priority).
    sibling_in_flight = (
        Submission.objects.filter(student_id=OuterRef("student_id"), assignment_id=OuterRef("assignment_id"))
        .exclude(pk=OuterRef("pk"))
        .filter(Q(status=Status.RUNNING) | Q(status=Status.QUEUED, enqueued_at__gte=stale))
        .filter(Q(regrade__isnull=True) | Q(regrade__whole_assignment=False))
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
    student's doing) hands the submission straight back to the queue. A grading that runs past its
    soft time limit (``time_limits``) is a stall: the submission is queued again, or failed with an
    error staff can see once it has been tried ``GRADING_MAX_ATTEMPTS`` times.
    """
    submission = Submission.objects.select_related("assignment").filter(pk=submission_id).first()
    if submission is None:
        return None
    checker = get_checker(submission.assignment.checker_slug)
    claimed_at = timezone.now()
    lease = timedelta(seconds=grading_time_limits(checker).lease_s)
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
                                     max_bytes=max_bytes, interruptions=(SoftTimeLimitExceeded,))
            if precheck.passed:
                training_job_wait(submission_id=submission_id, claimed_at=claimed_at, precheck=precheck.result)
                submission_send_next_waiting(submission_id=submission_id)
                return None
            grade = precheck.result
        else:
            grade = grade_file(checker, filename=submission.filename, data=data, sandbox=get_sandbox(),
                               max_bytes=max_bytes, interruptions=(SoftTimeLimitExceeded,),
                               options=submission.assignment.grading_options())
    except SandboxFailure as failure:
        logger.error("submission %s: sandbox failed, handing it back to the queue: %s", submission_id, failure)
        _claim_release(submission_id=submission_id, claimed_at=claimed_at)
        return None
    except SoftTimeLimitExceeded:
        return _stall_record(submission_id=submission_id, claimed_at=claimed_at, checker=checker)
    seconds = (timezone.now() - started).total_seconds()
    return submission_result_store(submission_id=submission_id, claimed_at=claimed_at, grade=grade, seconds=seconds,
                                   manual_grading=checker.manual_grading)


def _stall_record(*, submission_id: int, claimed_at, checker: Checker) -> Result | None:
    """The grading ran past its soft time limit: stop this slot's sandbox (its run was cut off
    midway), then queue the submission again, behind the others, or fail it if it has had its tries."""
    sandbox_discard()
    attempts = Submission.objects.filter(pk=submission_id).values_list("attempts", flat=True).first() or 0
    seconds = grading_time_limits(checker).soft_s
    logger.error("submission %s: grading stalled (over %.0f s, attempt %d)", submission_id, seconds, attempts)
    if attempts < settings.GRADING_MAX_ATTEMPTS:
        _claim_release(submission_id=submission_id, claimed_at=claimed_at)
        return None
    grade = GradeResult.error(
        Message("Grading this file was stopped because it took longer than %(seconds)d s; it was tried %(count)d "
                "times. Your submission is kept; course staff see it marked as a grader error and will look at it.",
                seconds=seconds, count=attempts),
        max_score=checker.points,
    )
    return submission_result_store(submission_id=submission_id, claimed_at=claimed_at, grade=grade, seconds=seconds)


def sandbox_discard() -> None:
    # A warm sandbox whose run was interrupted may still be running it: the next grading in this
    # process must start from a fresh one (close() stops it; get_sandbox() starts another).
    close = getattr(get_sandbox(), "close", None)
    if close is not None:
        close()


def _claim_release(*, submission_id: int, claimed_at) -> None:
    """Give a claim back so the sweep sends the submission again (its attempt still counts)."""
    Submission.objects.filter(pk=submission_id, status=Status.RUNNING, claimed_at=claimed_at).update(
        status=Status.QUEUED, enqueued_at=None, lease_expires_at=None
    )


def submission_result_store(
    *, submission_id: int, claimed_at, grade: GradeResult, seconds: float, manual_grading: bool = False
) -> Result | None:
    """Store ``grade`` as the submission's one result, if the claim made at ``claimed_at`` still holds
    (running, or training on a GPU); None when someone else holds it now. Sends the student's next
    upload and the e-mail.

    Every value is made storable first (``storable.result_fields``); should the database still
    refuse the result, a grader error is stored in its place, so that a submission never stays
    ``running`` because of what a run printed or a checker wrote.
    """
    try:
        # Not a busy database (OperationalError goes up: the sweep retries), but what no replacement
        # foresaw: a value the database refuses, or a checker's object that is no check at all.
        return _result_write(submission_id=submission_id, claimed_at=claimed_at, fields=result_fields(grade),
                             seconds=seconds, manual_grading=manual_grading, document=grade.document)
    except (DataError, ValueError, TypeError, AttributeError):
        logger.exception("submission %s: its result could not be stored; storing a grader error instead",
                         submission_id)
    fallback = GradeResult.error(
        Message("The grader's result for this file could not be stored. Your submission is kept; course staff "
                "see it marked as a grader error and will regrade it."), max_score=grade.max_score)
    return _result_write(submission_id=submission_id, claimed_at=claimed_at, fields=result_fields(fallback),
                         seconds=seconds, manual_grading=False)


@transaction.atomic
def _result_write(
    *, submission_id: int, claimed_at, fields: dict[str, Any], seconds: float, manual_grading: bool,
    document: PdfReading | None = None,
) -> Result | None:
    now = timezone.now()
    final_status = Status.FAILED if fields["status"] == "error" else Status.GRADED
    still_ours = Submission.objects.filter(pk=submission_id, status__in=[Status.RUNNING, Status.TRAINING],
                                           claimed_at=claimed_at).update(
        status=final_status, graded_at=now, lease_expires_at=None
    )
    if still_ours != 1:
        logger.info("submission %s was taken over while grading; result discarded", submission_id)
        return None
    # First of the commit's follow-ups: the student's open result page shows the result at once.
    transaction.on_commit(lambda: submission_settled_announce(submission_id=submission_id))
    # The student's profile too: the result e-mail is written in their language.
    submission = Submission.objects.select_related("assignment__course", "student__profile", "regrade").get(
        pk=submission_id)
    if document is not None:
        # What the checker read of a report, kept with the stored file so that nothing reads it again.
        document_reading_store(blob_id=submission.blob_id, reading=document)
    # Read once, locked, for the whole store: the result_change and late penalty below write this object.
    locked = result_locked(submission_id=submission_id)
    previous = locked.result
    if previous is not None and previous.is_manually_graded:
        # A TA's grade is never replaced by a machine check (a regrade refuses it, and this covers
        # one queued just before the TA saved): the submission keeps the TA's grade.
        Submission.objects.filter(pk=submission_id).update(status=Status.GRADED)
        logger.info("submission %s was graded by hand; automatic result discarded", submission_id)
        _regrade_item_finish(submission=submission, result=previous, outcome=RegradeItem.Outcome.HAND_GRADE_KEPT)
        transaction.on_commit(lambda: submission_send_next_waiting(submission_id=submission_id))
        return previous
    regraded_by = submission.regrade if previous is not None else None
    previous_counted = previous.counted_score if previous is not None else None
    fields = {
        **fields,
        "grading_seconds": seconds if math.isfinite(seconds) else 0.0,
        "graded_at": now,
        # The automatic check of a hand-graded report only validates the file: no grade yet.
        "awaits_manual_grading": manual_grading and fields["status"] == "graded",
        # New checks, read anew: a TA's check of the previous reading applies only where it still fits.
        "reading_checked_at": None,
        "reading_checked_by": None,
    }
    fields = reading_checks_carried(previous=previous, fields=fields)
    result = result_change(
        submission_id=submission_id, fields=fields,
        reason=GradeChange.Reason.REGRADE if previous is not None else GradeChange.Reason.AUTOGRADER,
        changed_by=regraded_by.started_by if regraded_by else None,
        details={"regrade": regraded_by.pk} if regraded_by else None, locked=locked,
    )
    # A second change in the trail, with its own reason, when the file came in late.
    result = result_lateness_apply(submission=submission, locked=LockedResult(submission_id, result)) or result
    outcome = (RegradeItem.Outcome.ERROR if result.status == Result.Status.ERROR
               else RegradeItem.Outcome.OVERRIDE_KEPT if result.is_overridden else RegradeItem.Outcome.GRADED)
    _regrade_item_finish(submission=submission, result=result, outcome=outcome)
    # A background regrade that changed nothing is not worth an e-mail to the whole class.
    unchanged = previous is not None and is_background(submission) and previous_counted == result.counted_score
    if previous is not None and not unchanged:  # a first result was just made, not yet e-mailed
        Result.objects.filter(pk=submission_id).update(notified_at=None)
    # The next waiting upload first: a failing email must not hold back the student's next grading.
    transaction.on_commit(lambda: _next_waiting_send(finished=submission))
    result.submission = submission  # as loaded above: the e-mail needs its student and assignment
    transaction.on_commit(lambda: result_notify(submission_id=submission_id, stored=result))
    return result


def _regrade_item_finish(*, submission: Submission, result: Result, outcome: str) -> None:
    """Count the submission as done in the regrade that queued it, and the regrade as finished with its last."""
    if submission.regrade_id is None:
        return
    now = timezone.now()
    RegradeItem.objects.filter(regrade_id=submission.regrade_id, submission_id=submission.pk,
                               finished_at__isnull=True).update(new_score=result.counted_score, outcome=outcome,
                                                                finished_at=now)
    if not RegradeItem.objects.filter(regrade_id=submission.regrade_id, finished_at__isnull=True).exists():
        Regrade.objects.filter(pk=submission.regrade_id, finished_at__isnull=True).update(finished_at=now)


def submission_send_next_waiting(*, submission_id: int) -> None:
    """Send the student's next upload of the same assignment that waited for this one."""
    _next_waiting_send(finished=Submission.objects.select_related("assignment").get(pk=submission_id))


def _next_waiting_send(*, finished: Submission) -> None:
    # ``finished`` as loaded (its student and assignment never change): storing a result, which
    # has it at hand, does not read it again.
    # Two values, not a model with its regrade: this runs after every grading, and mostly finds none.
    waiting = (
        Submission.objects.filter(student_id=finished.student_id, assignment_id=finished.assignment_id,
                                  status=Status.QUEUED, enqueued_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", "regrade__whole_assignment")
        .first()
    )
    if waiting is not None:
        waiting_id, whole_assignment_regrade = waiting  # None without a regrade: as is_background() says
        submission_enqueue(submission_id=waiting_id, checker=get_checker(finished.assignment.checker_slug),
                           background=bool(whole_assignment_regrade))


def submission_sweep() -> dict[str, int]:
    """Recover submissions the pipeline lost track of; safe to run any time, from anywhere.

    - queued but never handed to the broker (it was down), or handed over long ago and still
      unclaimed (the broker lost it): send again, stopping at the first sign the broker is down;
    - running past its claim (the worker died, or Celery killed a grading at its hard time limit):
      queue again, or give up after ``GRADING_MAX_ATTEMPTS`` with an error result staff can see
      and regrade;
    - released scores whose e-mails were never sent, and result e-mails that failed: send them.

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
    sendable = _sendable(now=now).select_related("assignment", "regrade").order_by("created_at", "id")
    for submission in sendable[:SWEEP_BATCH]:
        checker = checker_of(submission)
        if checker is None:
            continue
        outcome = submission_publish(submission_id=submission.pk, checker=checker,
                                     background=is_background(submission))
        if outcome == "broker_down":
            counts["broker_down"] = 1
            break
        counts["resent"] += outcome == "sent"
    counts["release_emails"] = released_scores_sweep()
    counts["result_emails"] = result_emails_sweep()
    if any(counts.values()):
        logger.info("sweep: %s", counts)
    return counts


def checker_of(submission: Submission) -> Checker | None:
    """The submission's checker; None (logged) when no such checker is registered."""
    try:
        return get_checker(submission.assignment.checker_slug)
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
        Message("Grading stopped %(count)d times before finishing (the grader crashed, was restarted or took too "
                "long). Course staff see it marked as a grader error and will regrade it.", count=submission.attempts),
        max_score=max_score,
    )
    stored = submission_result_store(submission_id=submission.pk, claimed_at=submission.claimed_at, grade=grade,
                                     seconds=0)
    return 1 if stored else 0

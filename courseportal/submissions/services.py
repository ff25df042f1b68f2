"""Writes for submissions: upload, grade, regrade, sweep, notify.

The only place a submission's status changes. Every state change is a conditional update, so a
task delivered twice, a sweep racing a worker, or a regrade racing a grade does no harm.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment, Membership
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.storage import blob_read, blob_store
from grader.checker import ManualProblem
from grader.content import RejectedUpload, file_extension, human_size, read_submission
from grader.grading import grade_file
from grader.registry import get_checker
from grader.results import GradeResult

logger = logging.getLogger(__name__)
Status = Submission.Status


class UploadRefused(ValueError):
    """The upload was not stored; ``message`` tells the student why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def expected_filename(*, user: User, assignment: Assignment, extension: str) -> str:
    return f"{user.username}_{assignment.slug}{extension}"


@transaction.atomic
def submission_create(*, student: User, assignment: Assignment, upload: UploadedFile) -> Submission:
    """Store an upload whole and queue it for grading, or raise ``UploadRefused`` storing nothing."""
    checker = get_checker(assignment.checker_slug)
    filename = os.path.basename((upload.name or "").replace("\\", "/"))
    _refuse_unless_member(student=student, assignment=assignment)
    _refuse_unless_open(assignment=assignment)
    _refuse_unless_named(student=student, assignment=assignment, filename=filename,
                         accepted=checker.accepted_extensions)
    _refuse_if_flooding(student=student)
    limit = assignment.max_upload_bytes or checker.upload_limit(file_extension(filename))
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            _("The file is %(size)s; this assignment accepts at most %(limit)s.")
            % {"size": human_size(upload.size), "limit": human_size(limit)}
        )
    data = _read_at_most(upload, limit)
    try:
        read_submission(filename, data, accepted_extensions=checker.accepted_extensions, max_bytes=limit)
    except RejectedUpload as refusal:
        raise UploadRefused(refusal.message) from None
    blob = blob_store(data)
    submission = Submission.objects.create(
        assignment=assignment, student=student, filename=filename, blob=blob, status=Status.QUEUED
    )
    queue = checker.queue
    transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, queue=queue))
    return submission


def _refuse_unless_member(*, student: User, assignment: Assignment) -> None:
    if not Membership.objects.filter(user=student, course_id=assignment.course_id).exists():
        raise UploadRefused(_("You are not enrolled in this course."))


def _refuse_unless_open(*, assignment: Assignment) -> None:
    now = timezone.now()
    local = assignment.course.zone
    if not assignment.is_published or now < assignment.opens_at:
        raise UploadRefused(
            _("This assignment opens for uploads at %(when)s.")
            % {"when": date_format(assignment.opens_at.astimezone(local), "DATETIME_FORMAT")}
        )
    if now > assignment.due_at:
        raise UploadRefused(
            _("This assignment closed at %(when)s; uploads are no longer accepted.")
            % {"when": date_format(assignment.due_at.astimezone(local), "DATETIME_FORMAT")}
        )


def _refuse_unless_named(*, student: User, assignment: Assignment, filename: str, accepted: tuple[str, ...]) -> None:
    extension = file_extension(filename)
    expected = [expected_filename(user=student, assignment=assignment, extension=ext) for ext in accepted]
    if extension in accepted and filename == expected_filename(user=student, assignment=assignment, extension=extension):
        return
    raise UploadRefused(
        _("The file must be named %(expected)s (your account, an underscore, the assignment); you uploaded %(got)s.")
        % {"expected": _(" or ").join(expected), "got": filename or _("a file without a name")}
    )


def _refuse_if_flooding(*, student: User) -> None:
    limit = settings.UPLOADS_PER_MINUTE_PER_STUDENT
    recent = Submission.objects.filter(student=student, created_at__gte=timezone.now() - timedelta(minutes=1))
    if limit and recent.count() >= limit:
        raise UploadRefused(
            _("You uploaded %(count)d files in the last minute. Wait a minute and upload again; your "
              "latest upload is being graded.") % {"count": limit}
        )


def _read_at_most(upload: UploadedFile, limit: int) -> bytes:
    chunks, total = [], 0
    upload.seek(0)
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise UploadRefused(_("The file is larger than %(limit)s.") % {"limit": human_size(limit)})
        chunks.append(chunk)
    return b"".join(chunks)


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


def result_notify(*, submission_id: int) -> bool:
    """Email the student their result once; returns whether this call sent it."""
    claimed = Result.objects.filter(submission_id=submission_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if claimed != 1:
        return False
    result = Result.objects.select_related("submission__student", "submission__assignment").get(pk=submission_id)
    submission = result.submission
    if not submission.student.email:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:detail", args=[submission.pk])
    score = f"{float(result.score):g}/{float(result.max_score):g}"
    if result.awaits_manual_grading:
        score = _("received, awaiting TA grading")
    subject = f"[{submission.assignment.title}] {score}"
    body = f"{submission.filename}: {result.get_status_display()} {score}\n\n"
    body += (result.message + "\n\n" if result.message else "")
    if result.is_manually_graded:
        body += "".join(f"{check['name']}: {check['points']:g}/{check['max_points']:g}"
                        + (f"\n  {check['feedback']}" if check["feedback"] else "") + "\n"
                        for check in result.checks) + "\n"
    body += url + "\n"
    try:
        send_mail(subject, body, None, [submission.student.email])
    except OSError as error:
        logger.warning("result email for submission %s not sent: %s", submission_id, error)
        Result.objects.filter(pk=submission_id).update(notified_at=None)
        return False
    return True


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


class GradeRefused(ValueError):
    """The grade was not stored; ``message`` tells the TA why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def result_grade_manually(
    *,
    submission: Submission,
    grader: User,
    points: Mapping[str, Decimal | float | int],
    feedback: Mapping[str, str],
    comment: str = "",
) -> Result:
    """Store a TA's grade of a hand-graded report and email the student.

    ``points`` and ``feedback`` are keyed by the checker's problem names
    (``Checker.hand_graded_problems``); each problem becomes one check of the result, the score is
    their sum and ``comment`` its message. Grading again replaces the previous hand grade. The
    caller checks that ``grader`` may grade the course.

    Raises ``GradeRefused`` (storing nothing) when the assignment is not graded by hand, a problem's
    points are missing or outside 0..its maximum, or the submission is being checked or was rejected.
    """
    checker = get_checker(submission.assignment.checker_slug)
    if not checker.manual_grading:
        raise GradeRefused(_("This assignment is graded automatically; its submissions cannot be graded by hand."))
    problems = checker.hand_graded_problems()
    unknown = sorted(set(points) - {problem.name for problem in problems})
    if unknown:
        raise GradeRefused(_("This assignment has no problem named %(names)s.") % {"names": ", ".join(unknown)})
    earned = {problem.name: _points_within(problem=problem, points=points.get(problem.name)) for problem in problems}
    # Held: not queued or running, so no machine check can store a result over this grade.
    held = Submission.objects.filter(pk=submission.pk, status__in=[Status.GRADED, Status.FAILED]).update(
        status=Status.GRADED
    )
    if held != 1:
        raise GradeRefused(_("The file is being checked again; grade it once the check has finished."))
    checks = [
        {"name": problem.name, "passed": earned[problem.name] > 0, "points": float(earned[problem.name]),
         "max_points": float(problem.points), "feedback": str(feedback.get(problem.name, "")).strip()}
        for problem in problems
    ]
    now = timezone.now()
    stored = Result.objects.filter(submission_id=submission.pk).exclude(status=Result.Status.REJECTED).update(
        status=Result.Status.GRADED, score=sum(earned.values()), max_score=Decimal(str(checker.points)),
        message=comment.strip(), checks=checks, graded_at=now, manually_graded_at=now, graded_by=grader,
        awaits_manual_grading=False, notified_at=None,
    )
    if stored != 1:
        raise GradeRefused(_("This file was rejected (it is not a readable report), so there is nothing to grade."))
    transaction.on_commit(lambda: result_notify(submission_id=submission.pk))
    return Result.objects.get(submission_id=submission.pk)


def _points_within(*, problem: ManualProblem, points: Decimal | float | int | None) -> Decimal:
    """``points`` as a Decimal of two places, or ``GradeRefused`` unless it lies in 0..the problem's maximum."""
    try:
        value = Decimal(str(points)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        value = None
    if points is None or isinstance(points, bool) or value is None or not value.is_finite() \
            or not 0 <= value <= Decimal(str(problem.points)):
        raise GradeRefused(
            _("%(problem)s: enter points from 0 to %(max)s.") % {"problem": problem.title, "max": f"{problem.points:g}"}
        )
    return value

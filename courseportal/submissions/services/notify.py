"""Posting results back to students by e-mail, and releasing held scores.

Each e-mail is written in its recipient's language (the one they chose in the portal), the
grader's feedback included.

A result is e-mailed once (``Result.notified_at``); one the mail server failed is sent by the sweep
later (``result_emails_sweep``). While its assignment's scores are held
(``selectors.scores_visible`` says no), a result that carries a score is not e-mailed: it waits,
unclaimed, until the instructor releases the assignment; then ``release_notify`` sends each student
one e-mail for the whole assignment and marks every held result of theirs as sent. A file refused as
unreadable is always e-mailed at once, so the student can upload a readable one.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courseportal.accounts.selectors import user_language
from courseportal.courses.deadlines import late_description, local_time_text
from courseportal.courses.models import Assignment
from courseportal.points import points_text
from courseportal.submissions.feedback import engine_text, feedback_text
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.selectors import counted_results, result_has_score, scores_visible
from courseportal.submissions.services.publishing import maintenance_task_send

logger = logging.getLogger(__name__)
Status = Submission.Status
# The task that e-mails the students of a released assignment; courseportal/submissions/tasks.py registers it.
RELEASE_NOTIFY_TASK = "submissions.release_notify"
# Result e-mails the sweep sends at most per run (``result_emails_sweep``).
RESULT_EMAIL_SWEEP_BATCH = 100
# After a failed try, the process's sweeps leave the result e-mails alone this long: the sweep runs
# in a grading slot, which a silent mail server would otherwise hold for EMAIL_TIMEOUT every sweep.
MAIL_SERVER_REST_S = 300.0
_mail_server_rests_until = 0.0


def result_notify(*, submission_id: int, stored: Result | None = None) -> bool:
    """E-mail the student their result once; returns whether this call sent it.

    Sends nothing (and leaves the result for the release) while the assignment's scores are held.
    ``stored``: the result as the caller has just committed it, its submission (student, assignment
    and course) loaded, so that it is not read again; once claimed, the e-mail is written from it.
    """
    result = stored
    if result is None or (result_has_score(result)
                          and not scores_visible(assignment=result.submission.assignment, teaches=False)):
        # Read afresh: scores held when the caller read them may have been released since.
        result = Result.objects.select_related("submission__student", "submission__assignment__course").filter(
            pk=submission_id, notified_at__isnull=True).first()
    if result is None:
        return False
    submission = result.submission
    if result_has_score(result) and not scores_visible(assignment=submission.assignment, teaches=False):
        return False
    claimed = Result.objects.filter(submission_id=submission_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if claimed != 1 or not submission.student.email:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:detail", args=[submission.pk])
    with translation.override(user_language(submission.student)):
        if result.awaits_manual_grading:
            # Not "Graded": the automatic check only found the report readable; no score yet.
            subject = _("Received, awaiting TA grading")
            headline = _("%(file)s was received and is awaiting TA grading. You are e-mailed again with your "
                         "points once a TA has graded it.") % {"file": submission.filename}
        else:
            subject = score_text(result)
            headline = f"{submission.filename}: {result.get_status_display()} {subject}"
        subject = f"[{submission.assignment.title}] {subject}"
        body = headline + "\n\n"
        body += _penalty_line(result, submission.assignment)
        message = feedback_text(result.message_i18n, result.message)
        body += (message + "\n\n" if message else "")
        if result.awaits_reading_check:
            body += _("Some answers could not be read with confidence: %(checks)s. They are not marked wrong; a TA "
                      "will check how they were read.") % {
                "checks": ", ".join(check["name"] for check in result.uncertain_checks)} + "\n\n"
        if result.is_manually_graded:
            body += problem_lines(result)
        body += url + "\n"
    if not email_send(subject=subject, body=body, to=submission.student.email, what=f"submission {submission_id}"):
        Result.objects.filter(pk=submission_id).update(notified_at=None)
        return False
    return True


def problem_lines(result: Result) -> str:
    """A hand-graded report's points per problem, each with its feedback (the rubric items applied
    and the grader's comment) indented below it; empty for any other result."""
    if not result.is_manually_graded:
        return ""
    lines = []
    for check in result.checks:
        lines.append(f"{engine_text(check.get('title') or check['name'])}: {points_text(check['points'])}/{points_text(check['max_points'])}")
        lines.extend(f"  {line}" for line in str(check.get("feedback", "")).splitlines() if line.strip())
    return "\n".join(lines) + "\n\n"


def _penalty_line(result: Result, assignment: Assignment) -> str:
    """ "10 -> 9 (1 day late, 10%/day)" when a late penalty took points off; empty otherwise."""
    if not result.late_penalty_percent or result.is_overridden or result.counted_score == result.score:
        return ""
    why = late_description(periods=result.late_periods, per_hour=assignment.late_policy == Assignment.LatePolicy.PER_HOUR,
                           percent_per_period=assignment.late_penalty_percent)
    return f"{points_text(result.score)} -> {points_text(result.counted_score)} ({why})\n\n"


def score_text(result: Result) -> str:
    """ "22.5/25": what the submission counts for, out of its maximum."""
    counted = result.counted_score if result.counted_score is not None else result.score
    return f"{points_text(counted)}/{points_text(result.max_score)}"


@transaction.atomic
def assignment_scores_release(*, assignment: Assignment) -> bool:
    """Show ``assignment``'s held scores to its students and e-mail each of them once.

    Returns False (changing nothing) when they were released already. The e-mails go from a worker
    (``release_notify``); if the broker is down, the sweep sends them. The caller checks that the
    person releasing is an instructor of the course.
    """
    released = Assignment.objects.filter(pk=assignment.pk, scores_released_at__isnull=True).update(
        scores_released_at=timezone.now())
    if released != 1:
        return False
    transaction.on_commit(lambda: maintenance_task_send(task=RELEASE_NOTIFY_TASK, args=[assignment.pk]))
    return True


def release_notify(*, assignment_id: int) -> int:
    """E-mail every student whose scores of a released assignment were held: one message each, with
    the score that counts. Returns how many were sent; safe to run again (sent results are marked)."""
    assignment = Assignment.objects.select_related("course").get(pk=assignment_id)
    if assignment.scores_released_at is None:
        return 0
    held = _held_results(assignment)
    by_student: dict[int, list[int]] = defaultdict(list)
    for submission_id, student_id in held.values_list("submission_id", "submission__student_id"):
        by_student[student_id].append(submission_id)
    counted = counted_results(assignments=[assignment], student_ids=list(by_student), with_receipt_times=True)
    sent = 0
    for student in User.objects.filter(pk__in=list(by_student)).order_by("pk"):
        sent += _release_mail(assignment=assignment, student=student, submission_ids=by_student[student.pk],
                              counted=counted.get((student.pk, assignment.pk)))
    return sent


def result_emails_sweep(*, now: datetime | None = None) -> int:
    """Send the result e-mails owed and never sent: the mail server failed or timed out, or the
    worker stopped between storing the result and sending it. Returns how many were sent.

    Owed: ``notified_at`` empty, except the results whose score is held (the release e-mails them,
    ``release_notify``). Only results stored a while ago (``RESULT_EMAIL_RETRY_AFTER_S``): the first
    try, right after the result was stored, has had its chance; the claim in ``result_notify`` keeps
    the two from both sending. At most ``RESULT_EMAIL_SWEEP_BATCH`` a sweep, oldest first, stopping
    at the first that fails: a mail server that is down costs each sweep one try (``EMAIL_TIMEOUT``),
    not one per student, and this process's sweeps then leave them alone for ``MAIL_SERVER_REST_S``.
    """
    global _mail_server_rests_until
    if time.monotonic() < _mail_server_rests_until:
        return 0
    now = now or timezone.now()
    owed = (Result.objects.filter(notified_at__isnull=True,
                                  graded_at__lte=now - timedelta(seconds=settings.RESULT_EMAIL_RETRY_AFTER_S))
            .exclude(_THE_RELEASES | _STILL_HELD).order_by("graded_at", "submission_id")
            .values_list("submission_id", flat=True)[:RESULT_EMAIL_SWEEP_BATCH])
    sent = 0
    for submission_id in list(owed):
        if result_notify(submission_id=submission_id):
            sent += 1
        elif Result.objects.filter(pk=submission_id, notified_at__isnull=True).exists():
            _mail_server_rests_until = time.monotonic() + MAIL_SERVER_REST_S
            logger.warning("sweep: result e-mails not sent (the mail server failed); tried again in %d s",
                           MAIL_SERVER_REST_S)
            break
    return sent


def released_scores_sweep() -> int:
    """Send the release e-mails a worker never sent (the broker was down, the mail server failed)."""
    pending = _held_results(None).values_list("submission__assignment_id", flat=True).distinct()
    return sum(release_notify(assignment_id=assignment_id) for assignment_id in list(pending))


# What the release e-mails (``release_notify``): a score, not yet sent, stored before the release.
_THE_RELEASES = Q(status=Result.Status.GRADED, awaits_manual_grading=False,
                  graded_at__lte=F("submission__assignment__scores_released_at"))
# A score still held (``result_has_score`` and ``scores_released`` as one filter): the release's too.
_STILL_HELD = (Q(override_score__isnull=False) | Q(status=Result.Status.GRADED, awaits_manual_grading=False)) & Q(
    submission__assignment__holds_scores=True, submission__assignment__scores_released_at__isnull=True)


def _held_results(assignment: Assignment | None):
    """Results the release e-mail covers: a score, not yet sent, stored before the release."""
    held = Result.objects.filter(_THE_RELEASES, notified_at__isnull=True)
    return held.filter(submission__assignment=assignment) if assignment is not None else held


def _release_mail(*, assignment: Assignment, student: User, submission_ids: list[int], counted) -> int:
    claimed = Result.objects.filter(submission_id__in=submission_ids, notified_at__isnull=True).update(
        notified_at=timezone.now())
    if not claimed or not student.email:
        return 0
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:assignment",
                                                  args=[assignment.course.slug, assignment.slug])
    with translation.override(user_language(student)):
        subject = _("[%(assignment)s] scores released") % {"assignment": assignment.title}
        body = _("The scores of %(assignment)s are released.") % {"assignment": assignment.title} + "\n\n"
        if counted is not None and not counted.awaiting_grading:
            body += _("Your score that counts: %(score)s/%(max)s (the submission received %(when)s).") % {
                "score": counted.display, "max": points_text(counted.max_score),
                "when": local_time_text(counted.received_at, assignment.course.zone)} + "\n\n"
            body += problem_lines(Result.objects.get(submission_id=counted.submission_id))
        body += url + "\n"
    if not email_send(subject=subject, body=body, to=student.email, what=f"release of assignment {assignment.pk}"):
        Result.objects.filter(submission_id__in=submission_ids).update(notified_at=None)
        return 0
    return 1


def email_send(*, subject: str, body: str, to: str, what: str) -> bool:
    """Send one e-mail; False (logged, naming ``what``) when the mail server failed and it is worth
    trying again later. An e-mail the server refuses for good (5xx: the address does not exist, the
    message is refused) is logged and counted as done: sent again it would fail again, and the
    sweep, which stops at the first failure, would stop at it every time."""
    try:
        send_mail(subject, body, None, [to])
    except OSError as error:  # smtplib's errors included
        if _refused_for_good(error):
            logger.warning("e-mail for %s refused by the mail server for good, not sent again: %s", what, error)
            return True
        logger.warning("e-mail for %s not sent: %s", what, error)
        return False
    return True


def _refused_for_good(error: OSError) -> bool:
    """A permanent (5xx) refusal of this e-mail's recipient or content, not a mail server that is
    down, busy (4xx) or refusing the sender (which would refuse every e-mail: worth trying again)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500

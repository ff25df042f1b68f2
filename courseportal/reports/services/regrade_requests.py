"""Regrade requests: after release, a student asks for one problem of their report to be looked at
again, with a reason, until the moment the instructor set; a TA answers in the portal, changing the
grade or not. A change goes into the grade history (reason: regrade request answered, the TA's answer
as its note), and the student is e-mailed the answer."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courseportal.accounts.selectors import user_language
from courseportal.courses.deadlines import regrade_requests_open
from courseportal.courses.models import Assignment
from courseportal.reports.models import GradingSetup, ProblemGrade, RegradeRequest
from courseportal.reports.services.grades import GradeRefused, ProblemInput, report_grade_save
from courseportal.submissions.feedback import engine_text
from courseportal.submissions.models import GradeChange, Submission
from courseportal.submissions.selectors import scores_visible
from courseportal.submissions.services.notify import email_send
from courseportal.submissions.services.refusals import Refused
from grader.registry import get_checker

REASON_MAX_CHARACTERS = 2000


class RequestRefused(Refused):
    """Nothing was stored; ``message`` says why."""


@transaction.atomic
def regrade_request_file(*, submission: Submission, student: User, problem: str, reason: str) -> RegradeRequest:
    """``student`` asks for ``problem`` of their report to be graded again, for ``reason``.

    Raises ``RequestRefused`` for someone else's report, before the grades are released, after the
    instructor's last moment for requests (or when none is set), for a problem not graded, without
    a reason, or while a request for the same problem waits for its answer.
    """
    reason = reason.strip()
    setup = GradingSetup.objects.filter(assignment_id=submission.assignment_id).first()
    if submission.student_id != student.pk:
        raise RequestRefused(_("You can ask for a regrade of your own report only."))
    # Read now, not from the caller's copy: the release may have happened since it was loaded.
    if not scores_visible(assignment=Assignment.objects.get(pk=submission.assignment_id), teaches=False):
        raise RequestRefused(_("The grades are not released yet; you can ask for a regrade once they are."))
    if setup is None or not regrade_requests_open(until=setup.regrade_requests_until):
        raise RequestRefused(_("Regrade requests for this assignment are closed."))
    if not ProblemGrade.objects.filter(submission=submission, problem=problem).exists():
        raise RequestRefused(_("This problem has not been graded, so there is nothing to regrade yet."))
    if not reason or len(reason) > REASON_MAX_CHARACTERS:
        raise RequestRefused(_("Say what should be looked at again and why (at most %(count)d characters).")
                             % {"count": REASON_MAX_CHARACTERS})
    if RegradeRequest.objects.filter(submission=submission, problem=problem, state=RegradeRequest.State.OPEN).exists():
        raise RequestRefused(_("Your request for this problem is waiting for a TA's answer already."))
    points = ProblemGrade.objects.get(submission=submission, problem=problem).points
    return RegradeRequest.objects.create(submission=submission, problem=problem, reason=reason, points_before=points)


@transaction.atomic
def regrade_request_answer(
    *, request: RegradeRequest, answered_by: User, answer: str, grade: ProblemInput | None = None,
) -> RegradeRequest:
    """A grader answers an open request: ``answer`` for the student and, with ``grade``, the problem's
    new grade (recorded with the answer as its note). The caller checks ``answered_by`` is on the staff.

    Raises ``RequestRefused`` for a request answered already or an empty answer, and whatever
    ``report_grade_save`` refuses for the new grade.
    """
    answer = answer.strip()
    request = RegradeRequest.objects.select_for_update().select_related("submission__assignment__course",
                                                                        "submission__student").get(pk=request.pk)
    if request.state != RegradeRequest.State.OPEN:
        raise RequestRefused(_("This request was answered already."))
    if not answer:
        raise RequestRefused(_("Write an answer: the student reads it."))
    if grade is not None and not _same_grade(request, grade):
        report_grade_save(submission=request.submission, grader=answered_by, grades={request.problem: grade},
                          reason=GradeChange.Reason.REGRADE_REQUEST, note=answer)
    request.points_after = ProblemGrade.objects.get(submission=request.submission, problem=request.problem).points
    request.state, request.answer = RegradeRequest.State.ANSWERED, answer
    request.answered_by, request.answered_at = answered_by, timezone.now()
    request.save()
    transaction.on_commit(lambda: _answer_mail(request))
    return request


@transaction.atomic
def report_grades_submit(
    *, submission: Submission, grader: User, grades: Mapping[str, ProblemInput], answers: Mapping[int, str],
) -> None:
    """What a grader saves from the grading page: ``grades`` of problems and ``answers`` to regrade
    requests on them (request id -> answer). A problem with an answered request changes (if it does) as
    that answer's regrade; the rest as a hand grade. Raises ``RequestRefused`` or ``GradeRefused``,
    saving nothing, as ``regrade_request_answer`` and ``report_grade_save`` do; ``GradeRefused`` when
    there is nothing to save."""
    remaining = dict(grades)
    requests = RegradeRequest.objects.filter(submission=submission, pk__in=list(answers))
    for request in requests:
        regrade_request_answer(request=request, answered_by=grader, answer=answers[request.pk],
                               grade=remaining.pop(request.problem, None))
    if remaining:
        report_grade_save(submission=submission, grader=grader, grades=remaining)
    elif not requests:
        raise GradeRefused(_("There is nothing to save: apply a rubric item first."))


def _same_grade(request: RegradeRequest, grade: ProblemInput) -> bool:
    current = ProblemGrade.objects.prefetch_related("items").get(submission_id=request.submission_id,
                                                                 problem=request.problem)
    return (frozenset(item.pk for item in current.items.all()), current.adjustment, current.comment) == (
        grade.item_ids, grade.adjustment, grade.comment.strip())


def _answer_mail(request: RegradeRequest) -> bool:
    submission = request.submission
    if not submission.student.email:
        return False
    titles = {problem.name: problem.title for problem in
              get_checker(submission.assignment.checker_slug).hand_graded_problems()}
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:detail", args=[submission.pk])
    # In the student's language, not the answering TA's (this runs after the TA's request commits).
    with translation.override(user_language(submission.student)):
        subject = _("[%(assignment)s] your regrade request was answered") % {"assignment": submission.assignment.title}
        body = (f"{engine_text(titles.get(request.problem, request.problem))}: {float(request.points_before):g} → "
                f"{float(request.points_after):g}"
                f"\n\n{request.answer}\n\n{url}\n")
    return email_send(subject=subject, body=body, to=submission.student.email,
                      what=f"answer to regrade request {request.pk}")

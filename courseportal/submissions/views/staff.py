"""Pages and actions for a course's staff: overriding, regrading, the lists (reports are graded in
``courseportal.reports``).

Anyone who is not on the course's staff gets 404, as for every staff page: the page's existence is
nobody else's business.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from courseportal.courses.models import Assignment, Membership
from courseportal.courses.selectors import user_can_regrade, user_teaches
from courseportal.submissions.forms import OverrideForm, ReadingCheckForm
from courseportal.submissions.models import Regrade, Submission
from courseportal.submissions.selectors import (
    checker_for,
    result_of,
    submissions_awaiting_reading_check,
)
from courseportal.submissions.selectors.pages import (
    assignment_students,
    regrade_progress,
    regrades_of,
    student_history,
)
from courseportal.submissions.services import (
    OverrideRefused,
    ReadingCheckRefused,
    RegradeRefused,
    assignment_regrade,
    result_override,
    result_reading_check,
    submission_regrade,
)
from courseportal.submissions.views.student import (
    assignment_or_404,
    form_action,
    submission_or_404,
    submission_page,
)


def _taught_assignment_or_404(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    assignment = assignment_or_404(request, course_slug, assignment_slug)
    if not user_teaches(user=request.user, course=assignment.course):
        raise Http404
    return assignment


def _gradable_submission_or_404(request: HttpRequest, pk: int) -> Submission:
    """The submission, for a TA or instructor of its course who may grade it; 404 for anyone else."""
    submission = submission_or_404(request, pk)
    if not user_can_regrade(user=request.user, course=submission.assignment.course):
        raise Http404
    return submission


@login_required
@require_POST
def submission_regrade_view(request: HttpRequest, pk: int) -> HttpResponse:
    submission = submission_or_404(request, pk)
    if not user_can_regrade(user=request.user, course=submission.assignment.course):
        raise PermissionDenied
    try:
        queued = submission_regrade(submission=submission, requested_by=request.user)
    except RegradeRefused as refusal:
        messages.warning(request, refusal.message)
        return redirect("submissions:detail", submission.pk)
    if queued:
        messages.success(request, _("The submission is queued for grading again."))
    else:
        messages.info(request, _("The submission is already waiting or being graded."))
    return redirect("submissions:detail", submission.pk)


@login_required
@form_action("submissions:detail")
def submission_override_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff set (or remove) the score that counts for a submission, with a reason."""
    submission = _gradable_submission_or_404(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        return submission_page(request, submission, override_form=form, status=400)
    score = None if form.cleaned_data["remove"] else form.cleaned_data["score"]
    try:
        result_override(submission=submission, changed_by=request.user, score=score,
                        reason=form.cleaned_data["reason"])
    except OverrideRefused as refusal:
        return submission_page(request, submission, override_form=form, override_refusal=refusal.message,
                               status=400)
    messages.success(request, _("The override is removed; the graded score counts again.") if score is None
                     else _("The score is overridden; the change is in the grade history."))
    return redirect("submissions:detail", submission.pk)


@login_required
@form_action("submissions:detail")
def submission_reading_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A TA confirms or corrects how the grader read uncertain answers; 404 for anyone who may not grade."""
    submission = _gradable_submission_or_404(request, pk)
    result = result_of(submission=submission)
    form = ReadingCheckForm(request.POST, checks=result.uncertain_checks if result else [])
    if not form.is_valid():
        return submission_page(request, submission, reading_form=form, status=400)
    try:
        result_reading_check(submission=submission, checked_by=request.user, points=form.points(),
                             chosen=form.chosen_readings(), note=form.cleaned_data["note"])
    except ReadingCheckRefused as refusal:
        return submission_page(request, submission, reading_form=form, reading_refusal=refusal.message, status=400)
    messages.success(request, _("The check is saved and in the grade history; the submission has left the "
                                "list of answers to check."))
    return redirect("submissions:reading_checks", submission.assignment.course.slug, submission.assignment.slug)


@login_required
@require_GET
def assignment_reading_checks_view(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """The "check how it was read" list: submissions with answers the grader could not read with confidence."""
    assignment = _taught_assignment_or_404(request, course_slug, assignment_slug)
    context = {"assignment": assignment, "course": assignment.course,
               "submissions": submissions_awaiting_reading_check(assignment=assignment)}
    return render(request, "submissions/reading_checks.html", context)


@login_required
@require_GET
def assignment_submission_list(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """Every student of the course on one assignment, one row each, those who submitted nothing too."""
    assignment = _taught_assignment_or_404(request, course_slug, assignment_slug)
    checker = checker_for(assignment=assignment)
    hand_graded = checker is not None and checker.manual_grading
    account = request.GET.get("student", "").strip()
    to_grade = hand_graded and request.GET.get("to_grade") == "1"
    page, rows = assignment_students(assignment=assignment, account=account, awaiting_grading_only=to_grade,
                                     page_number=request.GET.get("page"))
    context = {"assignment": assignment, "course": assignment.course, "page": page, "rows": rows,
               "account": account, "hand_graded": hand_graded, "to_grade": to_grade,
               "can_regrade": user_can_regrade(user=request.user, course=assignment.course),
               "regrades": regrades_of(assignment=assignment),
               "reading_checks": submissions_awaiting_reading_check(assignment=assignment).count()}
    return render(request, "submissions/assignment_submissions.html", context)


@login_required
@require_GET
def student_history_view(request: HttpRequest, course_slug: str, assignment_slug: str,
                         student_id: int) -> HttpResponse:
    """One student's every upload of an assignment, their extension, and every change of their scores."""
    assignment = _taught_assignment_or_404(request, course_slug, assignment_slug)
    student = get_object_or_404(get_user_model(), pk=student_id, memberships__course_id=assignment.course_id,
                                memberships__role=Membership.Role.STUDENT)
    context = {"assignment": assignment, "course": assignment.course, "student": student,
               "history": student_history(assignment=assignment, student=student)}
    return render(request, "submissions/student_history.html", context)


@login_required
@require_POST
def assignment_regrade_view(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """Start a background regrade of every submission of the assignment (after a checker fix)."""
    assignment = _taught_assignment_or_404(request, course_slug, assignment_slug)
    if not user_can_regrade(user=request.user, course=assignment.course):
        raise PermissionDenied
    try:
        regrade = assignment_regrade(assignment=assignment, started_by=request.user)
    except RegradeRefused as refusal:
        messages.warning(request, refusal.message)
        return redirect("submissions:assignment_list", assignment.course.slug, assignment.slug)
    return redirect("submissions:regrade_progress", regrade.pk)


def _regrade_or_404(request: HttpRequest, pk: int) -> Regrade:
    regrade = Regrade.objects.select_related("assignment__course", "started_by").filter(pk=pk).first()
    if regrade is None or not user_teaches(user=request.user, course=regrade.assignment.course):
        raise Http404
    return regrade


@login_required
@require_GET
def regrade_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    regrade = _regrade_or_404(request, pk)
    context = {"progress": regrade_progress(regrade=regrade), "assignment": regrade.assignment,
               "course": regrade.assignment.course}
    return render(request, "submissions/regrade_progress.html", context)


@never_cache
@login_required
@require_GET
def regrade_progress_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, for the page's poller."""
    regrade = _regrade_or_404(request, pk)
    context = {"progress": regrade_progress(regrade=regrade), "course": regrade.assignment.course}
    return render(request, "submissions/_regrade_status.html", context)

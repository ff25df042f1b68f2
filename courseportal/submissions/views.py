from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from courseportal.courses.deadlines import upload_window
from courseportal.courses.models import Assignment
from courseportal.courses.selectors import (
    assignment_for_viewer,
    course_for_member,
    user_can_regrade,
    user_teaches,
)
from courseportal.submissions.forms import ManualGradeForm, UploadForm
from courseportal.submissions.models import Submission
from courseportal.submissions.selectors import (
    assignment_submissions,
    checker_for,
    largest_upload_bytes,
    result_of,
    submission_for_viewer,
    submission_history,
    submissions_awaiting_grading,
)
from courseportal.submissions.services import (
    GradeRefused,
    RegradeRefused,
    UploadRefused,
    expected_filename,
    result_grade_manually,
    submission_create,
    submission_regrade,
)
from courseportal.submissions.services.training_queue import training_queue_overview, training_status
from courseportal.submissions.storage import blob_path
from courseportal.submissions.upload_guard import (
    UploadSizeGuard,
    declared_body_too_large,
    install_upload_guard,
)
from grader.content import human_size

STAFF_PAGE_SIZE = 50
UNREADABLE_BODY = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _assignment_or_404(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    assignment = assignment_for_viewer(user=request.user, course_slug=course_slug, assignment_slug=assignment_slug)
    if assignment is None:
        raise Http404
    return assignment


def _submission_or_404(request: HttpRequest, pk: int) -> Submission:
    submission = submission_for_viewer(user=request.user, submission_id=pk)
    if submission is None:
        raise Http404
    return submission


def _assignment_page(
    request: HttpRequest, assignment: Assignment, *, form: UploadForm, refusal: str = "", status: int = 200
) -> HttpResponse:
    checker = checker_for(assignment=assignment)
    context = {
        "assignment": assignment,
        "course": assignment.course,
        "window": upload_window(assignment=assignment, student=request.user),
        "checker": checker,
        "form": form,
        "refusal": refusal,
        "history": submission_history(student=request.user, assignment=assignment),
        "teaches": user_teaches(user=request.user, course=assignment.course),
    }
    if checker is not None:
        context["expected_names"] = [
            expected_filename(user=request.user, assignment=assignment, extension=extension)
            for extension in checker.accepted_extensions
        ]
        context["upload_limit"] = human_size(largest_upload_bytes(assignment=assignment, checker=checker))
    return render(request, "submissions/assignment_detail.html", context, status=status)


@login_required
@require_GET
def assignment_detail(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _assignment_or_404(request, course_slug, assignment_slug)
    return _assignment_page(request, assignment, form=UploadForm())


@csrf_exempt  # CSRF is checked inside, once the size guard is in place (see upload_guard)
@login_required
@require_POST
def submission_upload(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _assignment_or_404(request, course_slug, assignment_slug)
    checker = checker_for(assignment=assignment)
    if checker is None:
        raise Http404
    limit = largest_upload_bytes(assignment=assignment, checker=checker)
    if declared_body_too_large(request):
        return _refused(request, assignment, _("The file is larger than %(limit)s.") % {"limit": human_size(limit)})
    guard = install_upload_guard(request, limit=limit)
    try:
        return _submission_upload_checked(request, assignment=assignment, guard=guard)
    except UNREADABLE_BODY:
        return _refused(request, assignment, _("The upload could not be read; upload a single file with the form."))


@csrf_protect
def _submission_upload_checked(request: HttpRequest, *, assignment: Assignment, guard: UploadSizeGuard):
    form = UploadForm(request.POST, request.FILES)
    if guard.exceeded:
        return _refused(request, assignment, _("The file is larger than %(limit)s.") % {"limit": human_size(guard.limit)})
    if not form.is_valid():
        return _assignment_page(request, assignment, form=form, status=400)
    try:
        submission = submission_create(student=request.user, assignment=assignment, upload=form.cleaned_data["file"])
    except UploadRefused as refusal:
        return _assignment_page(request, assignment, form=form, refusal=refusal.message, status=400)
    return redirect("submissions:detail", submission.pk)


def _refused(request: HttpRequest, assignment: Assignment, message: str) -> HttpResponse:
    return _assignment_page(request, assignment, form=UploadForm(), refusal=message, status=400)


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _submission_page(request, _submission_or_404(request, pk))


def _submission_page(
    request: HttpRequest, submission: Submission, *, grade_form: ManualGradeForm | None = None,
    grade_refusal: str = "", status: int = 200,
) -> HttpResponse:
    course = submission.assignment.course
    result = result_of(submission=submission)
    can_regrade = user_can_regrade(user=request.user, course=course)
    checker = checker_for(assignment=submission.assignment)
    # The form is offered once the file was checked and found readable (the service refuses the rest).
    gradable = result is not None and result.status != result.Status.REJECTED and not submission.is_pending
    if grade_form is None and gradable and can_regrade and checker is not None and checker.manual_grading:
        initial = ManualGradeForm.initial_from(checks=result.checks, comment=result.message) \
            if result.is_manually_graded else {}
        grade_form = ManualGradeForm(problems=checker.hand_graded_problems(), initial=initial)
    context = {
        "submission": submission,
        "result": result,
        "assignment": submission.assignment,
        "course": course,
        "teaches": user_teaches(user=request.user, course=course),
        "can_regrade": can_regrade,
        "grade_form": grade_form,
        "grade_refusal": grade_refusal,
        "training": training_status(submission=submission),
    }
    return render(request, "submissions/submission_detail.html", context, status=status)


@never_cache
@login_required
@require_GET
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and result block of the submission page alone, for the page's poller."""
    submission = _submission_or_404(request, pk)
    context = {"submission": submission, "result": result_of(submission=submission),
               "course": submission.assignment.course, "training": training_status(submission=submission)}
    return render(request, "submissions/_status.html", context)


@login_required
@require_GET
def submission_download(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded file as an attachment: never rendered by the browser, never from a public URL."""
    submission = _submission_or_404(request, pk)
    try:
        handle = blob_path(submission.blob_id).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=submission.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def submission_regrade_view(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission_or_404(request, pk)
    if not user_can_regrade(user=request.user, course=submission.assignment.course):
        raise PermissionDenied
    try:
        queued = submission_regrade(submission=submission)
    except RegradeRefused as refusal:
        messages.warning(request, refusal.message)
        return redirect("submissions:detail", submission.pk)
    if queued:
        messages.success(request, _("The submission is queued for grading again."))
    else:
        messages.info(request, _("The submission is already waiting or being graded."))
    return redirect("submissions:detail", submission.pk)


@login_required
@require_POST
def submission_grade_manually_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A TA's hand grade of a report; 404 for anyone who may not grade it (as for every staff page)."""
    submission = _submission_or_404(request, pk)
    checker = checker_for(assignment=submission.assignment)
    if not user_can_regrade(user=request.user, course=submission.assignment.course):
        raise Http404
    if checker is None or not checker.manual_grading:
        raise Http404
    form = ManualGradeForm(request.POST, problems=checker.hand_graded_problems())
    if not form.is_valid():
        return _submission_page(request, submission, grade_form=form, status=400)
    try:
        result_grade_manually(submission=submission, grader=request.user, points=form.points(),
                              feedback=form.feedback(), comment=form.cleaned_data["comment"])
    except GradeRefused as refusal:
        return _submission_page(request, submission, grade_form=form, grade_refusal=refusal.message, status=400)
    messages.success(request, _("The grade is saved; the student can see it and has been emailed."))
    return redirect("submissions:detail", submission.pk)


@login_required
@require_GET
def assignment_submission_list(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """Every student's submissions of one assignment, for its course's staff."""
    assignment = _assignment_or_404(request, course_slug, assignment_slug)
    if not user_teaches(user=request.user, course=assignment.course):
        raise Http404
    submissions = assignment_submissions(assignment=assignment)
    account = request.GET.get("student", "").strip()
    if account:
        submissions = submissions.filter(student__username__icontains=account)
    checker = checker_for(assignment=assignment)
    hand_graded = checker is not None and checker.manual_grading
    to_grade = hand_graded and request.GET.get("to_grade") == "1"
    if to_grade:
        submissions = submissions_awaiting_grading(submissions=submissions)
    page = Paginator(submissions, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"assignment": assignment, "course": assignment.course, "page": page, "account": account,
               "can_regrade": user_can_regrade(user=request.user, course=assignment.course),
               "hand_graded": hand_graded, "to_grade": to_grade}
    return render(request, "submissions/assignment_submissions.html", context)


@never_cache
@login_required
@require_GET
def training_queue_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The GPU line for a course's staff: who trains, who waits, since when; 404 for anyone else."""
    course = course_for_member(user=request.user, course_slug=course_slug)
    if course is None or not user_teaches(user=request.user, course=course):
        raise Http404
    context = {"course": course, "overview": training_queue_overview(course_id=course.pk)}
    return render(request, "submissions/training_queue.html", context)

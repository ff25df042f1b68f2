"""The pages every member sees: an assignment, uploading to it, a submission's result."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from courseportal.courses.models import Assignment
from courseportal.courses.selectors import (
    assignment_for_viewer,
    course_for_member,
    user_can_regrade,
    user_is_instructor,
    user_teaches,
)
from courseportal.reports.selectors import StudentReport, student_report
from courseportal.security_headers import file_download_policy
from courseportal.submissions.forms import OverrideForm, ReadingCheckForm, UploadForm
from courseportal.submissions.models import Submission
from courseportal.submissions.selectors import (
    checker_for,
    largest_upload_bytes,
    result_of,
    submission_for_viewer,
)
from courseportal.submissions.selectors.pages import status_facts, student_assignment, submission_facts
from courseportal.submissions.services import (
    UploadRefused,
    UploadWindowRefused,
    expected_filename,
    submission_create,
    upload_refusal_record,
)
from courseportal.submissions.services.settled import SettledWait, submission_settled_wait
from courseportal.submissions.services.training_queue import training_queue_overview, training_status
from courseportal.submissions.storage import blob_path
from courseportal.submissions.upload_guard import (
    UploadSizeGuard,
    declared_body_too_large,
    install_upload_guard,
)
from grader.content import human_size

UNREADABLE_BODY = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
# How often the page's poller asks when the server did not hold its last request (portal.js's default),
# and when it could not because every waiting place was taken: a server that far behind grades more if
# the pages waiting for it ask less often (at a 25/s overload, polls every 2 s took a core and cut the
# results per second from about 19 to 12).
POLL_INTERVAL_MS = 2000
BUSY_POLL_INTERVAL_MS = 5000


def assignment_or_404(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    assignment = assignment_for_viewer(user=request.user, course_slug=course_slug, assignment_slug=assignment_slug)
    if assignment is None:
        raise Http404
    return assignment


def submission_or_404(request: HttpRequest, pk: int) -> Submission:
    submission = submission_for_viewer(user=request.user, submission_id=pk)
    if submission is None:
        raise Http404
    return submission


def _assignment_page(
    request: HttpRequest, assignment: Assignment, *, form: UploadForm | None = None, refusal: str = "",
    window_refusal: bool = False, status: int = 200,
) -> HttpResponse:
    checker = checker_for(assignment=assignment)
    teaches = user_teaches(user=request.user, course=assignment.course)
    standing = student_assignment(assignment=assignment, student=request.user, teaches=teaches)
    context = {
        "assignment": assignment,
        "course": assignment.course,
        "standing": standing,
        "window": standing.window,
        "checker": checker,
        "refusal": refusal,
        # The refusal says what the page would say about the deadline: it alone is shown (one message).
        "window_refusal": window_refusal,
        "teaches": teaches,
        "is_instructor": teaches and user_is_instructor(user=request.user, course=assignment.course),
        "can_regrade": teaches and user_can_regrade(user=request.user, course=assignment.course),
    }
    if checker is not None:
        context["expected_names"] = [
            expected_filename(user=request.user, assignment=assignment, extension=extension)
            for extension in checker.accepted_extensions
        ]
        context["upload_limit"] = human_size(largest_upload_bytes(assignment=assignment, checker=checker))
        context["late_notice"] = standing.window.late_notice(max_score=checker.points)
    # The penalty shown is the one the student accepts by uploading (see submission_create).
    shown_penalty = standing.window.lateness_now.penalty_percent if standing.window.is_late else Decimal(0)
    context["form"] = form or UploadForm()
    context["shown_penalty"] = f"{shown_penalty.normalize():f}"
    return render(request, "submissions/assignment_detail.html", context, status=status)


@login_required
@require_GET
def assignment_detail(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    return _assignment_page(request, assignment_or_404(request, course_slug, assignment_slug))


def form_action(page: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A POST-only action whose address GET sends to the page of its form (``page``, a URL name taking
    the same arguments). A refused form is shown again at the action's address, so the address bar
    keeps it: Enter there, a reload without resending or a language switch lands on the page, never
    on a blank "405 Method Not Allowed"."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def action(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                return redirect(page, *args, **kwargs)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        return action

    return decorate


@csrf_exempt  # CSRF is checked inside, once the size guard is in place (see upload_guard)
@login_required
@form_action("submissions:assignment")
def submission_upload(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    # First, before anything reads the body: the deadline judges when the request arrived, not
    # when a large file finished arriving (courseportal.courses.deadlines).
    received_at = timezone.now()
    assignment = assignment_or_404(request, course_slug, assignment_slug)
    checker = checker_for(assignment=assignment)
    if checker is None:
        raise Http404
    limit = largest_upload_bytes(assignment=assignment, checker=checker)
    if declared_body_too_large(request):
        return _refused(request, assignment, _("The file is larger than %(limit)s.") % {"limit": human_size(limit)})
    guard = install_upload_guard(request, limit=limit)
    try:
        return _submission_upload_checked(request, assignment=assignment, guard=guard, received_at=received_at)
    except UNREADABLE_BODY:
        return _refused(request, assignment, _("The upload could not be read; upload a single file with the form."))


@csrf_protect
def _submission_upload_checked(request: HttpRequest, *, assignment: Assignment, guard: UploadSizeGuard, received_at):
    form = UploadForm(request.POST, request.FILES)
    if guard.exceeded:
        return _refused(request, assignment, _("The file is larger than %(limit)s.") % {"limit": human_size(guard.limit)})
    if not form.is_valid():
        return _assignment_page(request, assignment, form=form, status=400)
    try:
        submission = submission_create(student=request.user, assignment=assignment, upload=form.cleaned_data["file"],
                                       received_at=received_at,
                                       accepted_penalty_percent=form.accepted_penalty_percent())
    except UploadRefused as refusal:
        # Recorded by the service already (or, for a flood, deliberately not): shown, not recorded again.
        return _assignment_page(request, assignment, refusal=refusal.message,
                                window_refusal=isinstance(refusal, UploadWindowRefused), status=400)
    return redirect("submissions:detail", submission.pk)


def _refused(request: HttpRequest, assignment: Assignment, message: str) -> HttpResponse:
    """The upload form again with ``message``, for an upload refused before the service saw it
    (too large, unreadable); recorded, so that it counts towards the student's uploads per minute."""
    upload_refusal_record(student=request.user, assignment=assignment, reason=message)
    return _assignment_page(request, assignment, refusal=message, status=400)


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Opened right after the upload, the page usually shows the result itself (settled.py).
    waited = submission_settled_wait(submission=submission_or_404(request, pk), timeout_s=settings.RESULT_PAGE_WAIT_S)
    return submission_page(request, waited.submission, poll_after_ms=_poll_after_ms(waited))


def submission_page(
    request: HttpRequest, submission: Submission, *, override_form: OverrideForm | None = None,
    override_refusal: str = "", reading_form: ReadingCheckForm | None = None, reading_refusal: str = "",
    status: int = 200, poll_after_ms: int = POLL_INTERVAL_MS,
) -> HttpResponse:
    course = submission.assignment.course
    result = result_of(submission=submission)
    teaches = user_teaches(user=request.user, course=course)
    can_regrade = teaches and user_can_regrade(user=request.user, course=course)
    if reading_form is None and can_regrade and result is not None and result.awaits_reading_check \
            and not submission.is_pending:
        reading_form = ReadingCheckForm(checks=result.uncertain_checks)
    if override_form is None and can_regrade and result is not None:
        override_form = OverrideForm(initial={"score": result.override_score})
    facts = submission_facts(submission=submission, result=result, teaches=teaches)
    context = {
        "submission": submission,
        "result": result,
        "facts": facts,
        "assignment": submission.assignment,
        "course": course,
        "teaches": teaches,
        "can_regrade": can_regrade,
        "override_form": override_form,
        "override_refusal": override_refusal,
        "reading_form": reading_form,
        "reading_refusal": reading_refusal,
        "training": training_status(submission=submission),
        "report": _report_of(submission, result, facts),
        "poll_after_ms": poll_after_ms,
    }
    return render(request, "submissions/submission_detail.html", context, status=status)


def _poll_after_ms(waited: SettledWait) -> int:
    """When the page's poller asks next: at once after a request the server held (the next one
    waits on the server too), later than usual when it could not hold it for being busy, else after
    the usual interval."""
    return 0 if waited.held else BUSY_POLL_INTERVAL_MS if waited.busy else POLL_INTERVAL_MS


def _report_of(submission: Submission, result, facts) -> StudentReport | None:
    """A hand-graded report's own result block (grading, hints, regrade requests), or None for a file
    graded automatically, refused, or not checked yet."""
    checker = checker_for(assignment=submission.assignment)
    if checker is None or not checker.manual_grading or result is None or result.status == result.Status.REJECTED:
        return None
    return student_report(submission=submission, result=result, show_scores=facts.show_scores)


@never_cache
@login_required
@require_GET
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status and result block of the submission page alone, for the page's poller; with
    ``?wait=1``, a pending submission's block waits for the result first (settled.py)."""
    waited = submission_settled_wait(submission=submission_or_404(request, pk),
                                     timeout_s=settings.RESULT_POLL_WAIT_S if request.GET.get("wait") else 0)
    submission = waited.submission
    result = result_of(submission=submission)
    teaches = user_teaches(user=request.user, course=submission.assignment.course)
    # Polls while the file waits read only the status block's facts; the last poll, with the
    # result, shows all of it (which submission counts included).
    facts = (submission_facts if result is not None else status_facts)(submission=submission, result=result,
                                                                      teaches=teaches)
    context = {"submission": submission, "result": result, "course": submission.assignment.course,
               "facts": facts, "teaches": teaches, "training": training_status(submission=submission),
               "report": _report_of(submission, result, facts), "poll_after_ms": _poll_after_ms(waited)}
    return render(request, "submissions/_status.html", context)


@file_download_policy
@login_required
@require_GET
def submission_download(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded file as an attachment: never rendered by the browser, never from a public URL."""
    submission = submission_or_404(request, pk)
    try:
        handle = blob_path(submission.blob_id).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=submission.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


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

"""Pages and actions of grading reports.

Staff pages answer 404 to anyone not on the course's staff (as every staff page does), and 403 to a
TA where only instructors may act (the grading setup, the split, the similarity check). A student
reaches one action here: asking for a regrade of their own released report.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courseportal.courses.models import Assignment
from courseportal.courses.selectors import user_can_regrade, user_is_instructor, user_teaches
from courseportal.reports import selectors
from courseportal.reports.forms import (
    GradingSetupForm,
    GradingSplitForm,
    RegradeRequestForm,
    ReportGradeForm,
    RubricItemForm,
)
from courseportal.reports.models import GradingSetup, RubricItem
from courseportal.reports.services import (
    GradeRefused,
    RequestRefused,
    RubricRefused,
    RunRefused,
    SetupRefused,
    grading_setup_ensure,
    grading_setup_update,
    grading_split,
    regrade_request_file,
    report_claim,
    report_grades_submit,
    report_locks_release,
    report_locks_renew,
    rubric_item_create,
    rubric_item_delete,
    rubric_item_update,
    similarity_run_start,
)
from courseportal.security_headers import content_security_policy
from courseportal.submissions.models import Submission
from courseportal.submissions.selectors import checker_for, scores_released
from courseportal.submissions.storage import blob_path
from courseportal.submissions.views.student import assignment_or_404, submission_or_404

# PDF.js renders the report in a module worker loaded from our own static files; the page needs
# nothing else beyond the site-wide policy (its fetch of the PDF is same-origin).
grading_page_policy = content_security_policy(worker_src=["'self'"])
# The PDF itself: shown only inside the grading page's viewer (fetched, never framed); opened on its
# own, it runs and loads nothing.
report_document_policy = content_security_policy(default_src=["'none'"], sandbox=[], frame_ancestors=["'none'"])


# --- Who may do what ----------------------------------------------------------------------------------

def _report_assignment(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    """The hand-graded assignment, for its course's staff; 404 for everyone else and other assignments."""
    assignment = assignment_or_404(request, course_slug, assignment_slug)
    checker = checker_for(assignment=assignment)
    if not user_teaches(user=request.user, course=assignment.course) or checker is None \
            or not checker.manual_grading:
        raise Http404
    return assignment


def _graders_assignment(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    assignment = _report_assignment(request, course_slug, assignment_slug)
    if not user_can_regrade(user=request.user, course=assignment.course):
        raise PermissionDenied
    return assignment


def _instructors_assignment(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    assignment = _report_assignment(request, course_slug, assignment_slug)
    if not user_is_instructor(user=request.user, course=assignment.course):
        raise PermissionDenied
    return assignment


def _report(request: HttpRequest, pk: int) -> Submission:
    """A report of a hand-graded assignment, for its course's staff; 404 for everyone else."""
    submission = submission_or_404(request, pk)
    checker = checker_for(assignment=submission.assignment)
    if not user_teaches(user=request.user, course=submission.assignment.course) or checker is None \
            or not checker.manual_grading:
        raise Http404
    return submission


def _graded_report(request: HttpRequest, pk: int) -> Submission:
    submission = _report(request, pk)
    if not user_can_regrade(user=request.user, course=submission.assignment.course):
        raise PermissionDenied
    return submission


# --- The overview: progress, the queue, setup ------------------------------------------------------------

@login_required
@require_GET
def grading_overview(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _report_assignment(request, course_slug, assignment_slug)
    setup = grading_setup_ensure(assignment=assignment)
    return _overview_page(request, assignment, setup)


def _overview_page(request: HttpRequest, assignment: Assignment, setup: GradingSetup, *,
                   setup_form: GradingSetupForm | None = None, split_form: GradingSplitForm | None = None,
                   refusal: str = "", status: int = 200) -> HttpResponse:
    rows = selectors.assignment_reports(assignment=assignment, setup=setup)
    problems = selectors.report_problems(assignment=assignment)
    is_instructor = user_is_instructor(user=request.user, course=assignment.course)
    if is_instructor:
        setup_form = setup_form or GradingSetupForm(instance=setup)
        split_form = split_form or GradingSplitForm(assignment=assignment, problems=problems,
                                                    initial=selectors.split_initial(setup=setup))
    context = {
        "assignment": assignment, "course": assignment.course, "setup": setup, "rows": rows, "problems": problems,
        "progress": selectors.grading_progress(assignment=assignment, rows=rows),
        "my_remaining": selectors.my_remaining(rows=rows, grader=request.user),
        "requests": selectors.open_regrade_requests(assignment=assignment),
        "is_instructor": is_instructor, "setup_form": setup_form, "split_form": split_form, "refusal": refusal,
        "released": scores_released(assignment=assignment),
    }
    return render(request, "reports/overview.html", context, status=status)


@login_required
@require_POST
def grading_setup_view(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _instructors_assignment(request, course_slug, assignment_slug)
    setup = grading_setup_ensure(assignment=assignment)
    form = GradingSetupForm(request.POST, instance=GradingSetup.objects.get(pk=setup.pk))
    if not form.is_valid():
        return _overview_page(request, assignment, setup, setup_form=form, status=400)
    grading_setup_update(assignment=assignment, anonymous=form.cleaned_data["anonymous"],
                         regrade_requests_until=form.cleaned_data["regrade_requests_until"],
                         similarity_threshold=form.cleaned_data["similarity_threshold"])
    messages.success(request, _("Grading settings saved."))
    return redirect("reports:overview", course_slug, assignment_slug)


@login_required
@require_POST
def grading_split_view(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _instructors_assignment(request, course_slug, assignment_slug)
    setup = grading_setup_ensure(assignment=assignment)
    problems = selectors.report_problems(assignment=assignment)
    form = GradingSplitForm(request.POST, assignment=assignment, problems=problems)
    if not form.is_valid():
        return _overview_page(request, assignment, setup, split_form=form, status=400)
    try:
        grading_split(assignment=assignment, split=form.cleaned_data["split"], graders=form.cleaned_data["graders"],
                      problem_graders=form.problem_graders())
    except SetupRefused as refusal:
        return _overview_page(request, assignment, setup, split_form=form, refusal=refusal.message, status=400)
    messages.success(request, _("The reports are shared out. Each grader's “Next ungraded” brings their own."))
    return redirect("reports:overview", course_slug, assignment_slug)


@login_required
@require_GET
def next_ungraded(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """The grader's next (or previous) ungraded report after ``?after=<id>``, or the overview if none is left."""
    assignment = _graders_assignment(request, course_slug, assignment_slug)
    after = int(request.GET["after"]) if request.GET.get("after", "").isdigit() else None
    if after is not None:
        # The grader moves on from that report (saved, or passed over): others may take it at once,
        # even when no report is left for this grader to claim instead.
        report_locks_release(submission_id=after, grader=request.user)
    rows = selectors.assignment_reports(assignment=assignment)
    row = selectors.next_report(rows=rows, grader=request.user, after=after,
                                backwards=request.GET.get("back") == "1", problem=request.GET.get("problem", ""))
    if row is None:
        messages.info(request, _("No ungraded report is left for you. Thank you!"))
        return redirect("reports:overview", course_slug, assignment_slug)
    return redirect("reports:grade", row.submission.pk)


# --- The grading page -----------------------------------------------------------------------------------

@grading_page_policy
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def grading_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The report beside its rubric. Opening it locks the grader's problems of it; saving grades them."""
    submission = _graded_report(request, pk)
    assignment = submission.assignment
    setup = grading_setup_ensure(assignment=assignment)
    rows = selectors.assignment_reports(assignment=assignment, setup=setup)
    row = selectors.report_row_of(rows=rows, submission_id=submission.pk)
    problems = [problem.name for problem in selectors.report_problems(assignment=assignment)]
    claim = report_claim(submission=submission, grader=request.user,
                         problems=(row.problems_for(request.user.pk) if row else []) or problems)
    views = selectors.problem_views(submission=submission, row=row, grader=request.user, held=claim.held,
                                    taken=claim.taken)
    form = ReportGradeForm(request.POST or None, problems=views)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            report_grades_submit(submission=submission, grader=request.user, grades=form.grades(),
                                 answers=form.answers())
        except (GradeRefused, RequestRefused) as refused:
            refusal = refused.message
        else:
            if request.POST.get("then") == "next":
                return redirect(reverse("reports:next", args=[assignment.course.slug, assignment.slug])
                                + f"?after={submission.pk}")
            messages.success(request, _("Saved."))
            return redirect("reports:grade", submission.pk)
    context = {
        "submission": submission, "assignment": assignment, "course": assignment.course, "setup": setup,
        "row": row, "form": form, "refusal": refusal,
        "problem_rows": [(view, form.problem_fields(view) if view.editable else None) for view in views],
        "report_number": selectors.report_numbers(assignment=assignment).get(submission.student_id, 0),
        "hints": selectors.report_hints(submission=submission),
        "my_remaining": selectors.my_remaining(rows=rows, grader=request.user),
        "released": scores_released(assignment=assignment),
        "newer_upload": row is None or row.submission.pk != submission.pk,
        "anything_to_save": any(view.editable for view in views),
    }
    return render(request, "reports/grade.html", context, status=400 if form.errors or refusal else 200)


@never_cache
@login_required
@require_POST
def lock_renew(request: HttpRequest, pk: int) -> JsonResponse:
    """The grading page's heartbeat: keep the grader's locks while the page stays open."""
    submission = _graded_report(request, pk)
    until = report_locks_renew(submission=submission, grader=request.user)
    return JsonResponse({"held": until is not None, "until": until.isoformat() if until else None})


@report_document_policy
@login_required
@require_GET
def report_document(request: HttpRequest, pk: int) -> FileResponse:
    """The report's PDF for the grading page's viewer: staff of its course only, shown inline.

    Never from a public URL: every request is signed in and checked. Fetches from another site are
    refused (``Sec-Fetch-Site``), so that no other page can read a student's report with a grader's
    session; opening it directly (the address bar) still works.
    """
    submission = _report(request, pk)
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise PermissionDenied
    try:
        handle = blob_path(submission.blob_id).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf", filename=_report_filename(submission))
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline", 1)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _report_filename(submission: Submission) -> str:
    """The name a grader's copy of the report is saved under: under anonymous grading its number,
    since students name their uploads after their account."""
    if not GradingSetup.objects.filter(assignment_id=submission.assignment_id, anonymous=True).exists():
        return submission.filename
    number = selectors.report_numbers(assignment=submission.assignment).get(submission.student_id, 0)
    return f"report-{number}.pdf"


# --- The rubric -----------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def rubric_page(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """The assignment's rubric, per problem; staff add items here and change or remove them."""
    assignment = _report_assignment(request, course_slug, assignment_slug)
    grading_setup_ensure(assignment=assignment)
    problems = selectors.report_problems(assignment=assignment)
    form = RubricItemForm(request.POST or None, problems=problems, prefix="new")
    refusal = ""
    if request.method == "POST":
        if not user_can_regrade(user=request.user, course=assignment.course):
            raise PermissionDenied
        if form.is_valid():
            try:
                rubric_item_create(assignment=assignment, problem=form.cleaned_data["problem"],
                                   points=form.cleaned_data["points"], comment=form.cleaned_data["comment"])
            except RubricRefused as refused:
                refusal = refused.message
            else:
                messages.success(request, _("Rubric item added."))
                return redirect("reports:rubric", course_slug, assignment_slug)
    return _rubric_page(request, assignment, form=form, refusal=refusal, status=400 if form.errors or refusal else 200)


def _rubric_page(request: HttpRequest, assignment: Assignment, *, form: RubricItemForm, refusal: str = "",
                 status: int = 200) -> HttpResponse:
    context = {"assignment": assignment, "course": assignment.course, "rubric": selectors.rubric_of(assignment=assignment),
               "form": form, "refusal": refusal,
               "can_edit": user_can_regrade(user=request.user, course=assignment.course)}
    return render(request, "reports/rubric.html", context, status=status)


def _rubric_item(request: HttpRequest, course_slug: str, assignment_slug: str, pk: int) -> RubricItem:
    assignment = _graders_assignment(request, course_slug, assignment_slug)
    return get_object_or_404(RubricItem.objects.select_related("assignment__course"), pk=pk, assignment=assignment)


@login_required
@require_POST
def rubric_item_edit(request: HttpRequest, course_slug: str, assignment_slug: str, pk: int) -> HttpResponse:
    """Change an item's points or comment: every report it is applied to follows, in its grade history."""
    item = _rubric_item(request, course_slug, assignment_slug, pk)
    problems = selectors.report_problems(assignment=item.assignment)
    form = RubricItemForm(request.POST, instance=RubricItem.objects.get(pk=item.pk), problems=problems,
                          prefix=f"item{item.pk}")
    if form.is_valid():
        try:
            changed = rubric_item_update(item=item, changed_by=request.user, points=form.cleaned_data["points"],
                                         comment=form.cleaned_data["comment"])
        except RubricRefused as refused:
            messages.warning(request, refused.message)
        else:
            messages.success(request, _("Rubric item saved; %(count)d report scores changed with it (each in its "
                                        "grade history).") % {"count": changed})
    else:
        messages.warning(request, _("The item was not saved: %(problems)s")
                         % {"problems": " ".join(error for errors in form.errors.values() for error in errors)})
    return redirect("reports:rubric", course_slug, assignment_slug)


@login_required
@require_POST
def rubric_item_remove(request: HttpRequest, course_slug: str, assignment_slug: str, pk: int) -> HttpResponse:
    item = _rubric_item(request, course_slug, assignment_slug, pk)
    changed = rubric_item_delete(item=item, changed_by=request.user)
    messages.success(request, _("Rubric item removed; %(count)d report scores changed with it (each in its grade "
                                "history).") % {"count": changed})
    return redirect("reports:rubric", course_slug, assignment_slug)


# --- Regrade requests -----------------------------------------------------------------------------------

@login_required
@require_POST
def regrade_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A student asks for a problem of their own released report to be looked at again."""
    submission = submission_or_404(request, pk)
    if submission.student_id != request.user.pk:
        raise Http404
    form = RegradeRequestForm(request.POST)
    if not form.is_valid():
        messages.warning(request, _("Say what should be looked at again and why."))
        return redirect("submissions:detail", submission.pk)
    try:
        regrade_request_file(submission=submission, student=request.user, problem=form.cleaned_data["problem"],
                             reason=form.cleaned_data["reason"])
    except RequestRefused as refused:
        messages.warning(request, refused.message)
    else:
        messages.success(request, _("Your request was sent. A TA answers it here, and you are e-mailed the answer."))
    return redirect("submissions:detail", submission.pk)


# --- Similar reports ------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def similarity_page(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """Pairs of reports sharing text above the instructor's threshold, side by side; start a comparison."""
    assignment = _instructors_assignment(request, course_slug, assignment_slug)
    setup = grading_setup_ensure(assignment=assignment)
    if request.method == "POST":
        try:
            similarity_run_start(assignment=assignment, started_by=request.user)
        except RunRefused as refused:
            messages.info(request, refused.message)
        else:
            messages.success(request, _("The comparison runs in the background; this page shows its results when "
                                        "it ends."))
        return redirect("reports:similarity", course_slug, assignment_slug)
    run = selectors.latest_similarity_run(assignment=assignment)
    context = {"assignment": assignment, "course": assignment.course, "setup": setup, "run": run,
               "pairs": selectors.similar_pairs_of(run=run, threshold=setup.similarity_threshold) if run else [],
               "not_compared": list(Submission.objects.filter(pk__in=run.not_compared).select_related("student"))
               if run else []}
    return render(request, "reports/similarity.html", context)

"""Course pages: home, starter files, and the pages where staff run a course.

Staff pages answer 404 to anyone not on the course's staff, and 403 to a TA where only instructors
may act (rules, release, extensions, roster).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courseportal.accounts.services import password_reset_send
from courseportal.courses.forms import AssignmentRulesForm, ExtensionForm, RosterImportForm
from courseportal.courses.models import Assignment, Course, Extension
from courseportal.courses.selectors import (
    assignment_for_viewer,
    course_assignments_for_staff,
    course_for_staff,
    course_overviews_for,
    course_students,
    courses_for_site_admin,
    user_is_course_student,
    user_is_instructor,
)
from courseportal.courses.services import (
    RULE_FIELDS,
    RulesRefused,
    assignment_rules_update,
    extension_grant,
    extension_revoke,
    roster_import,
)
from courseportal.security_headers import file_download_policy
from courseportal.submissions.selectors import checker_for
from courseportal.submissions.services import assignment_scores_release


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/home.html", {"overviews": course_overviews_for(user=request.user),
                                                 "site_courses": courses_for_site_admin(user=request.user)})


@file_download_policy
@login_required
def starter_download(request: HttpRequest, course_slug: str, assignment_slug: str, name: str) -> FileResponse:
    """A starter file of the assignment's checker, for members of its course only."""
    assignment = assignment_for_viewer(user=request.user, course_slug=course_slug, assignment_slug=assignment_slug)
    checker = checker_for(assignment=assignment) if assignment else None
    if checker is None:
        raise Http404
    try:
        path = checker.starter_path(name)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _taught_course_or_404(request: HttpRequest, course_slug: str) -> Course:
    course = course_for_staff(user=request.user, course_slug=course_slug)
    if course is None:
        raise Http404
    return course


def _instructed_course(request: HttpRequest, course_slug: str) -> Course:
    course = _taught_course_or_404(request, course_slug)
    if not user_is_instructor(user=request.user, course=course):
        raise PermissionDenied
    return course


def _instructed_assignment(request: HttpRequest, course_slug: str, assignment_slug: str) -> Assignment:
    course = _instructed_course(request, course_slug)
    assignment = get_object_or_404(Assignment.objects.select_related("course"), course=course, slug=assignment_slug)
    return assignment


@login_required
@require_GET
def course_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Running the course: every assignment's rules and release, and the staff's pages."""
    course = _taught_course_or_404(request, course_slug)
    context = {"course": course, "rows": course_assignments_for_staff(course=course),
               "is_instructor": user_is_instructor(user=request.user, course=course)}
    return render(request, "courses/course.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_rules(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """An instructor sets an assignment's dates, weight, late policy, what counts, and release."""
    assignment = _instructed_assignment(request, course_slug, assignment_slug)
    form = AssignmentRulesForm(request.POST or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if name in RULE_FIELDS}
        assignment_rules_update(assignment=assignment, changed_by=request.user, changes=changes)
        messages.success(request, _("Saved. Late penalties follow the new rules; any score that changed is in "
                                    "its grade history."))
        return redirect("courses:assignment_rules", course_slug, assignment_slug)
    context = {"course": assignment.course, "assignment": Assignment.objects.get(pk=assignment.pk), "form": form}
    return render(request, "courses/assignment_rules.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def assignment_release(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    assignment = _instructed_assignment(request, course_slug, assignment_slug)
    if assignment_scores_release(assignment=assignment):
        messages.success(request, _("Scores released: students see them now, and each is e-mailed once."))
    else:
        messages.info(request, _("These scores were released already."))
    # Released from the rules page or from the grading page: back to where it was asked.
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("courses:assignment_rules", course_slug, assignment_slug)


@login_required
@require_http_methods(["GET", "POST"])
def extensions_page(request: HttpRequest, course_slug: str, assignment_slug: str) -> HttpResponse:
    """An instructor gives students later deadlines, with reasons; and withdraws them."""
    assignment = _instructed_assignment(request, course_slug, assignment_slug)
    form = ExtensionForm(request.POST or None, assignment=assignment)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            extension_grant(assignment=assignment, student=form.cleaned_data["student"],
                            due_at=form.cleaned_data["due_at"], reason=form.cleaned_data["reason"],
                            granted_by=request.user)
        except RulesRefused as refused:
            refusal = refused.message
        else:
            messages.success(request, _("Extension saved. The student sees their new deadline and the reason."))
            return redirect("courses:extensions", course_slug, assignment_slug)
    extensions = Extension.objects.filter(assignment=assignment).select_related("student", "granted_by")
    context = {"course": assignment.course, "assignment": assignment, "form": form, "refusal": refusal,
               "extensions": extensions}
    return render(request, "courses/extensions.html", context, status=400 if form.errors or refusal else 200)


@login_required
@require_POST
def extension_revoke_view(request: HttpRequest, course_slug: str, assignment_slug: str, pk: int) -> HttpResponse:
    assignment = _instructed_assignment(request, course_slug, assignment_slug)
    extension = get_object_or_404(Extension, pk=pk, assignment=assignment)
    extension_revoke(extension=extension, revoked_by=request.user)
    messages.success(request, _("Extension withdrawn: the class deadline applies to this student again."))
    return redirect("courses:extensions", course_slug, assignment_slug)


@login_required
@require_GET
def students_page(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's students for its staff: send one a password reset link; instructors import a roster."""
    course = _taught_course_or_404(request, course_slug)
    is_instructor = user_is_instructor(user=request.user, course=course)
    context = {"course": course, "students": course_students(course=course), "is_instructor": is_instructor,
               "roster_form": RosterImportForm() if is_instructor else None}
    return render(request, "courses/students.html", context)


@login_required
@require_POST
def roster_import_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _instructed_course(request, course_slug)
    form = RosterImportForm(request.POST, request.FILES)
    if form.is_valid():
        outcome = roster_import(course=course, csv_text=form.cleaned_data["roster"],
                                initial_password=form.cleaned_data["initial_password"] or None)
        if not outcome.errors:
            messages.success(request, _("Enrolled %(enrolled)d students (%(created)d new accounts).")
                             % {"enrolled": outcome.enrolled, "created": outcome.created})
            return redirect("courses:students", course_slug)
        for error in outcome.errors:
            form.add_error("roster", error)
    context = {"course": course, "students": course_students(course=course), "is_instructor": True,
               "roster_form": form}
    return render(request, "courses/students.html", context, status=400)


@login_required
@require_POST
def student_password_reset(request: HttpRequest, course_slug: str, student_id: int) -> HttpResponse:
    """Staff e-mail one of their students a link to choose a new password."""
    course = _taught_course_or_404(request, course_slug)
    student = get_object_or_404(get_user_model(), pk=student_id)
    if not user_is_course_student(user=student, course=course):
        raise Http404  # staff reset their own students' passwords only, never a colleague's
    if password_reset_send(user=student):
        messages.success(request, _("A link to choose a new password was e-mailed to %(account)s.")
                         % {"account": student.get_username()})
    else:
        messages.warning(request, _("%(account)s has no e-mail address; nothing was sent.")
                         % {"account": student.get_username()})
    return redirect("courses:students", course_slug)

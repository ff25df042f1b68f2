"""Who may see which submission, and the reads of submissions and checkers around an upload."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from courseportal.courses.models import Assignment, Membership
from courseportal.courses.selectors import membership_role_read
from courseportal.submissions.models import Result, Submission
from grader.checker import Checker
from grader.content import file_extension
from grader.registry import UnknownChecker, get_checker

STAFF_ROLES = [Membership.Role.TA, Membership.Role.INSTRUCTOR]


def submissions_visible_to(*, user: User | AnonymousUser) -> QuerySet[Submission]:
    """Every submission ``user`` may open: their own, plus all of the courses they teach."""
    if not user.is_authenticated:
        return Submission.objects.none()
    visible = Q(student=user)
    if user.has_perm("submissions.view_course_submissions"):
        taught = Membership.objects.filter(user=user, role__in=STAFF_ROLES).values("course_id")
        visible |= Q(assignment__course_id__in=taught)
    return Submission.objects.filter(visible)


def submission_for_viewer(*, user: User | AnonymousUser, submission_id: int) -> Submission | None:
    """The submission if ``user`` may see it, else None (callers answer 404, never 403).

    A student's own is looked up first: the poll of a waiting student's result page asks every
    few seconds, and needs no permission of theirs loaded for it.

    What every page of a submission reads is read with it, and no more: Django's building of the
    SQL costs several times what the database spends on it (the student, their role as a
    subquery, the file's record and the TA who graded it made a student's read cost 3.3 ms instead
    of 1.7 on the benchmark's machine). A student's own submission takes the viewer as its
    student; the role is a small query of its own; the grader, shown only for a hand-graded
    report, is read when shown."""
    if not user.is_authenticated:
        return None
    own = (Submission.objects.filter(student=user, pk=submission_id)
           .select_related("assignment__course", "result").first())
    if own is not None:
        own.student = user
        membership_role_read(user=user, course_id=own.assignment.course_id)
        return own
    related = ("assignment__course", "student", "result")
    return submissions_visible_to(user=user).select_related(*related).filter(pk=submission_id).first()


def submission_history(*, student: User, assignment: Assignment) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(student=student, assignment=assignment)
        .select_related("result")
        .order_by("-created_at", "-id")
    )


def assignment_submissions(*, assignment: Assignment) -> QuerySet[Submission]:
    """All submissions of an assignment, for staff pages (callers check permission first)."""
    return (
        Submission.objects.filter(assignment=assignment)
        .select_related("student", "result")
        .order_by("-created_at", "-id")
    )


def submissions_awaiting_grading(*, submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """Those of ``submissions`` whose report was checked and awaits a TA's grade."""
    return submissions.filter(status=Submission.Status.GRADED, result__awaits_manual_grading=True)


def submissions_awaiting_reading_check(*, assignment: Assignment) -> QuerySet[Submission]:
    """The TA's "check how it was read" list of ``assignment``: graded submissions with answers the
    grader could not read with confidence, oldest first (callers check permission first)."""
    return (Submission.objects.filter(assignment=assignment, status=Submission.Status.GRADED,
                                      result__awaits_reading_check=True)
            .select_related("student", "result").order_by("received_at", "id"))


def result_of(*, submission: Submission) -> Result | None:
    """The submission's result, or None while it waits or runs: as loaded with the submission
    (``submission_for_viewer`` does) if it was, else read; ``submission.result`` is then the same
    object, so a template that reads it asks the database nothing more."""
    if Submission.result.related.is_cached(submission):
        return getattr(submission, "result", None)
    result = Result.objects.filter(submission_id=submission.pk).select_related("graded_by").first()
    if result is not None:
        result.submission = submission  # and the other way: the result's page needs its submission too
        Submission.result.related.set_cached_value(submission, result)
    return result


def checker_for(*, assignment: Assignment) -> Checker | None:
    """The assignment's checker, or None when it is not registered (the page says uploads are off)."""
    try:
        return get_checker(assignment.checker_slug)
    except UnknownChecker:
        return None


def upload_limit(*, assignment: Assignment, checker: Checker, filename: str) -> int:
    """The most bytes a file named ``filename`` may have to be accepted for ``assignment``."""
    return assignment.max_upload_bytes or checker.upload_limit(file_extension(filename))


def grading_size_limit(*, submission: Submission, checker: Checker, size: int) -> int:
    """The size limit a stored file is graded under: accepted once under the limit of its day, it is
    never rejected by a later, lower one."""
    return max(upload_limit(assignment=submission.assignment, checker=checker, filename=submission.filename), size)


def largest_upload_bytes(*, assignment: Assignment, checker: Checker) -> int:
    """The most bytes any accepted file of ``assignment`` may have (the upload service checks each)."""
    return assignment.max_upload_bytes or max(checker.upload_limit(ext) for ext in checker.accepted_extensions)

"""Reads of submissions, always scoped to what the viewer may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from courseportal.courses.models import Assignment, Membership
from courseportal.submissions.models import Submission

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
    """The submission if ``user`` may see it, else None (callers answer 404, never 403)."""
    return (
        submissions_visible_to(user=user)
        .select_related("assignment__course", "student", "blob")
        .filter(pk=submission_id)
        .first()
    )


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

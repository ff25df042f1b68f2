"""Reads about courses and who may do what in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from courseportal.courses.deadlines import UploadWindow, upload_window
from courseportal.courses.models import Assignment, Course, Membership

if TYPE_CHECKING:
    from courseportal.submissions.models import Submission


def user_teaches(*, user: User | AnonymousUser, course: Course) -> bool:
    """True for a TA or instructor of ``course`` whose group grants viewing submissions."""
    if not user.is_authenticated or not user.has_perm("submissions.view_course_submissions"):
        return False
    return Membership.objects.filter(
        user=user, course=course, role__in=[Membership.Role.TA, Membership.Role.INSTRUCTOR]
    ).exists()


def user_can_regrade(*, user: User | AnonymousUser, course: Course) -> bool:
    return user_teaches(user=user, course=course) and user.has_perm("submissions.regrade_submission")


def assignments_visible_to(*, user: User, course: Course) -> QuerySet[Assignment]:
    assignments = Assignment.objects.filter(course=course)
    if not user_teaches(user=user, course=course):
        assignments = assignments.filter(is_published=True)
    return assignments


def user_is_instructor(*, user: User | AnonymousUser, course: Course) -> bool:
    """True for an instructor of ``course``: the gradebook is theirs (TAs see submissions only)."""
    return user_teaches(user=user, course=course) and Membership.objects.filter(
        user=user, course=course, role=Membership.Role.INSTRUCTOR
    ).exists()


def course_for_member(*, user: User | AnonymousUser, course_slug: str) -> Course | None:
    """The course if ``user`` is enrolled in it in any role, else None (callers answer 404)."""
    if not user.is_authenticated:
        return None
    return Course.objects.filter(slug=course_slug, memberships__user=user).first()


def assignment_for_viewer(
    *, user: User | AnonymousUser, course_slug: str, assignment_slug: str
) -> Assignment | None:
    """The assignment if ``user`` is enrolled in its course and may see it, else None.

    Students see published assignments only; staff of the course see all of them.
    """
    course = course_for_member(user=user, course_slug=course_slug)
    if course is None:
        return None
    assignment = assignments_visible_to(user=user, course=course).filter(slug=assignment_slug).first()
    if assignment is not None:
        assignment.course = course  # already fetched: spare the templates a query
    return assignment


@dataclass(frozen=True)
class AssignmentOverview:
    assignment: Assignment
    window: UploadWindow
    latest_submission: Submission | None


@dataclass(frozen=True)
class CourseOverview:
    """One course on a member's home page: their role and the assignments they may see."""

    course: Course
    role: str
    teaches: bool
    is_instructor: bool
    assignments: tuple[AssignmentOverview, ...]


def course_overviews_for(*, user: User) -> list[CourseOverview]:
    """Every course ``user`` is enrolled in, with the assignments they may see and their own latest
    submission of each; a constant number of queries however many courses and assignments.
    """
    from courseportal.submissions.models import Submission

    memberships = list(Membership.objects.filter(user=user).select_related("course").order_by("course__title"))
    may_view = user.has_perm("submissions.view_course_submissions")
    assignments: dict[int, list[Assignment]] = {membership.course_id: [] for membership in memberships}
    for assignment in Assignment.objects.filter(course_id__in=assignments).order_by("due_at", "slug"):
        assignments[assignment.course_id].append(assignment)
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(student=user).select_related("result").order_by("created_at", "id"):
        latest[submission.assignment_id] = submission
    now = timezone.now()
    overviews = []
    for membership in memberships:
        teaches = may_view and membership.is_staff_role
        rows = []
        for assignment in assignments[membership.course_id]:
            if teaches or assignment.is_published:
                assignment.course = membership.course  # already fetched: spare the templates a query
                window = upload_window(assignment=assignment, student=user, at=now)
                rows.append(AssignmentOverview(assignment=assignment, window=window,
                                               latest_submission=latest.get(assignment.pk)))
        overviews.append(CourseOverview(
            course=membership.course, role=membership.get_role_display(), teaches=teaches,
            is_instructor=teaches and membership.role == Membership.Role.INSTRUCTOR, assignments=tuple(rows),
        ))
    return overviews

"""Reads about courses and who may do what in them."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from courseportal.courses.models import Assignment, Course, Membership


def courses_for_user(*, user: User) -> QuerySet[Course]:
    return Course.objects.filter(memberships__user=user).distinct()


def membership_for(*, user: User | AnonymousUser, course: Course) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, course=course).first()


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

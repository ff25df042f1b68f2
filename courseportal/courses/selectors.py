"""Reads about courses and who may do what in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from courseportal.courses.deadlines import UploadWindow, upload_window
from courseportal.courses.models import Assignment, Course, Extension, Membership
from grader.registry import UnknownChecker, get_checker

if TYPE_CHECKING:
    from courseportal.submissions.models import Submission
    from courseportal.submissions.selectors import CountedResult


STAFF_ROLE_CACHE = "_courseportal_staff_roles"
MEMBER_CACHE = "_courseportal_member_of"
STAFF_ROLES = (Membership.Role.TA, Membership.Role.INSTRUCTOR)


def staff_role(*, user: User | AnonymousUser, course: Course) -> str | None:
    """``user``'s staff role in ``course`` (TA or instructor) if their group grants viewing
    submissions, else None. One query per user object and course, like Django's permission cache:
    a page that asks several times (teaches? may regrade? instructor?) asks the database once.
    The membership is asked first: a student, who asks on every page and poll, then costs one
    query instead of loading every permission of theirs."""
    if not user.is_authenticated:
        return None
    roles = user.__dict__.setdefault(STAFF_ROLE_CACHE, {})
    if course.pk not in roles:
        roles[course.pk] = Membership.objects.filter(
            user=user, course=course, role__in=STAFF_ROLES
        ).values_list("role", flat=True).first()
    if roles[course.pk] is None or not user.has_perm("submissions.view_course_submissions"):
        return None
    return roles[course.pk]


def membership_role_read(*, user: User, course_id: int) -> None:
    """Read ``user``'s role in the course once and remember it (``membership_role_remember``).

    A query of its own rather than a subquery of the caller's: Django spent about 1.5 ms building
    and compiling that subquery on every result page and poll, this query about 0.4 ms in all."""
    role = Membership.objects.filter(user=user, course_id=course_id).values_list("role", flat=True).first()
    membership_role_remember(user=user, course_id=course_id, role=role)


def membership_role_remember(*, user: User, course_id: int, role: str | None) -> None:
    """What a query found of ``user``'s role in the course (None: not a member): ``staff_role`` and
    ``is_member`` then ask the database nothing for it, for the rest of this request."""
    user.__dict__.setdefault(STAFF_ROLE_CACHE, {})[course_id] = role if role in STAFF_ROLES else None
    user.__dict__.setdefault(MEMBER_CACHE, {})[course_id] = role is not None


def is_member(*, user: User, course_id: int) -> bool:
    """Whether ``user`` is enrolled in the course in any role."""
    known = user.__dict__.setdefault(MEMBER_CACHE, {})
    if course_id not in known:
        known[course_id] = Membership.objects.filter(user=user, course_id=course_id).exists()
    return known[course_id]


def user_teaches(*, user: User | AnonymousUser, course: Course) -> bool:
    """True for a TA or instructor of ``course`` whose group grants viewing submissions."""
    return staff_role(user=user, course=course) is not None


def user_can_regrade(*, user: User | AnonymousUser, course: Course) -> bool:
    return user_teaches(user=user, course=course) and user.has_perm("submissions.regrade_submission")


def assignments_visible_to(*, user: User, course: Course) -> QuerySet[Assignment]:
    assignments = Assignment.objects.filter(course=course)
    if not user_teaches(user=user, course=course):
        assignments = assignments.filter(is_published=True)
    return assignments


def user_is_instructor(*, user: User | AnonymousUser, course: Course) -> bool:
    """True for an instructor of ``course``: they set its rules, release its scores, grant extensions."""
    return staff_role(user=user, course=course) == Membership.Role.INSTRUCTOR


def course_for_member(*, user: User | AnonymousUser, course_slug: str) -> Course | None:
    """The course if ``user`` is enrolled in it in any role, else None (callers answer 404)."""
    if not user.is_authenticated:
        return None
    course = (Course.objects.filter(slug=course_slug, memberships__user=user)
              .annotate(viewer_role=F("memberships__role")).first())
    if course is not None:
        membership_role_remember(user=user, course_id=course.pk, role=course.viewer_role)
    return course


def course_for_staff(*, user: User | AnonymousUser, course_slug: str) -> Course | None:
    """The course if ``user`` is on its staff (TA or instructor), else None (callers answer 404)."""
    course = course_for_member(user=user, course_slug=course_slug)
    return course if course is not None and user_teaches(user=user, course=course) else None


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
    counted: CountedResult | None = None  # the student's submission that counts, if any
    show_scores: bool = True  # the release rule, for this member


@dataclass(frozen=True)
class CourseOverview:
    """One course on a member's home page: their role and the assignments they may see."""

    course: Course
    role: str
    teaches: bool
    is_instructor: bool
    assignments: tuple[AssignmentOverview, ...]


def courses_for_site_admin(*, user: User) -> list[Course] | None:
    """Every course with its number of members, for a site administrator's home (``is_staff``: they
    run the site in the admin, enrolled or not); None for anyone else."""
    if not user.is_staff:
        return None
    return list(Course.objects.annotate(member_count=Count("memberships")).order_by("title"))


def course_overviews_for(*, user: User) -> list[CourseOverview]:
    """Every course ``user`` is enrolled in, with the assignments they may see, their own latest
    submission of each and the one that counts; a constant number of queries however many courses
    and assignments.
    """
    from courseportal.submissions.models import Submission
    from courseportal.submissions.selectors import counted_results, scores_visible

    memberships = list(Membership.objects.filter(user=user).select_related("course").order_by("course__title"))
    may_view = user.has_perm("submissions.view_course_submissions")
    assignments: dict[int, list[Assignment]] = {membership.course_id: [] for membership in memberships}
    # The member's own extensions come with the assignments (an unsaved copy is all the time rules read).
    theirs = Extension.objects.filter(assignment=OuterRef("pk"), student=user)
    extensions: dict[int, Extension] = {}
    for assignment in Assignment.objects.filter(course_id__in=assignments).annotate(
            extension_due_at=Subquery(theirs.values("due_at")[:1]),
            extension_reason=Subquery(theirs.values("reason")[:1])).order_by("due_at", "slug"):
        assignments[assignment.course_id].append(assignment)
        if assignment.extension_due_at is not None:
            extensions[assignment.pk] = Extension(assignment=assignment, student=user, due_at=assignment.extension_due_at,
                                                  reason=assignment.extension_reason)
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(student=user).select_related("result").order_by("created_at", "id"):
        latest[submission.assignment_id] = submission
    counted = counted_results(assignments=[a for listed in assignments.values() for a in listed], student_ids=[user.pk])
    now = timezone.now()
    overviews = []
    for membership in memberships:
        teaches = may_view and membership.is_staff_role
        rows = []
        for assignment in assignments[membership.course_id]:
            if teaches or assignment.is_published:
                assignment.course = membership.course  # already fetched: spare the templates a query
                window = upload_window(assignment=assignment, student=user, at=now,
                                       extension=extensions.get(assignment.pk))
                rows.append(AssignmentOverview(
                    assignment=assignment, window=window, latest_submission=latest.get(assignment.pk),
                    counted=counted.get((user.pk, assignment.pk)),
                    show_scores=scores_visible(assignment=assignment, teaches=teaches)))
        overviews.append(CourseOverview(
            course=membership.course, role=membership.get_role_display(), teaches=teaches,
            is_instructor=teaches and membership.role == Membership.Role.INSTRUCTOR, assignments=tuple(rows),
        ))
    return overviews


def user_is_course_student(*, user: User, course: Course) -> bool:
    return Membership.objects.filter(user=user, course=course, role=Membership.Role.STUDENT).exists()


@dataclass(frozen=True)
class AssignmentRules:
    """One assignment on the staff's course page: its rules now, its extensions, whether scores are held."""

    assignment: Assignment
    window: UploadWindow
    extensions: int
    hand_graded: bool = False  # reports TAs grade on the grading page
    reading_checks: int = 0  # graded submissions whose answers a TA must check the reading of

    @property
    def held(self) -> bool:
        return self.assignment.holds_scores and self.assignment.scores_released_at is None


def course_assignments_for_staff(*, course: Course) -> list[AssignmentRules]:
    """Every assignment of ``course`` with its class-wide time rules now and what waits for its staff; two queries."""
    from courseportal.submissions.models import Submission

    now = timezone.now()
    rows = []
    to_check = Q(submissions__status=Submission.Status.GRADED, submissions__result__awaits_reading_check=True)
    for assignment in Assignment.objects.filter(course=course).annotate(
            extension_count=Count("extensions", distinct=True),
            reading_check_count=Count("submissions", filter=to_check, distinct=True)).order_by("due_at", "slug"):
        assignment.course = course
        rows.append(AssignmentRules(assignment=assignment, extensions=assignment.extension_count,
                                    reading_checks=assignment.reading_check_count,
                                    window=upload_window(assignment=assignment, at=now, extension=None),
                                    hand_graded=graded_by_hand(checker_slug=assignment.checker_slug)))
    return rows


def graded_by_hand(*, checker_slug: str) -> bool:
    """Whether ``checker_slug``'s files are reports TAs grade by hand (False for an unknown checker)."""
    try:
        return get_checker(checker_slug).manual_grading
    except UnknownChecker:
        return False


def course_students(*, course: Course) -> QuerySet[User]:
    """The students of ``course`` by account, for its staff's pages."""
    return User.objects.filter(memberships__course=course, memberships__role=Membership.Role.STUDENT) \
        .order_by("username")

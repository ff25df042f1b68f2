"""Writes for courses, memberships and assignments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from courseportal.courses.models import Assignment, Course, Membership
from grader.registry import all_checkers, get_checker

STAFF_GROUPS = {Membership.Role.TA: "Teaching assistants", Membership.Role.INSTRUCTOR: "Instructors"}


def course_create(*, slug: str, title: str, time_zone: str | None = None) -> Course:
    course = Course(slug=slug, title=title)
    if time_zone:
        course.time_zone = time_zone
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def membership_set(*, course: Course, user: User, role: str = Membership.Role.STUDENT) -> Membership:
    """Enrol ``user`` in ``course`` with ``role`` (idempotent); staff roles join their group."""
    membership, _ = Membership.objects.update_or_create(course=course, user=user, defaults={"role": role})
    if role in STAFF_GROUPS:
        user.groups.add(staff_group(role=role))
    return membership


def staff_group(*, role: str) -> Group:
    """The group of a staff role, created with its permissions on first use."""
    group, created = Group.objects.get_or_create(name=STAFF_GROUPS[role])
    if created:
        codenames = ["view_course_submissions", "regrade_submission"]
        group.permissions.set(Permission.objects.filter(content_type__app_label="submissions", codename__in=codenames))
    return group


@dataclass(frozen=True)
class RosterImport:
    created: int
    enrolled: int
    errors: tuple[str, ...]


@transaction.atomic
def roster_import(*, course: Course, csv_text: str, initial_password: str | None = None) -> RosterImport:
    """Enrol every row of a roster CSV (``account,name,email``; a header row is optional).

    Unknown accounts are created without a usable password unless ``initial_password`` is given;
    rows that cannot be read are reported, not guessed at. All or nothing: an error row leaves the
    course unchanged.
    """
    users = get_user_model()
    created = enrolled = 0
    errors: list[str] = []
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    if rows and [cell.strip().lower() for cell in rows[0][:1]] in (["account"], ["username"], ["帳號"]):
        rows = rows[1:]
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        account, name, email = ([cell.strip() for cell in row] + ["", "", ""])[:3]
        if not account or not account.replace("_", "").replace(".", "").isalnum():
            errors.append(f"row {number}: account {account!r} must be letters and digits")
            continue
        user, was_created = users.objects.get_or_create(
            username=account, defaults={"first_name": name[:150], "email": email}
        )
        if was_created:
            created += 1
            if initial_password:
                user.set_password(initial_password)
            else:
                user.set_unusable_password()
            user.save()
        membership_set(course=course, user=user, role=Membership.Role.STUDENT)
        enrolled += 1
    if errors:
        transaction.set_rollback(True)
        return RosterImport(created=0, enrolled=0, errors=tuple(errors))
    return RosterImport(created=created, enrolled=enrolled, errors=())


def assignment_sync(*, course: Course, due_at: datetime, opens_at: datetime | None = None) -> list[Assignment]:
    """Make sure ``course`` has an assignment for every registered checker (idempotent).

    Existing assignments keep their dates and titles: staff may have edited them in the admin.
    """
    assignments = []
    for slug in sorted(all_checkers()):
        checker = get_checker(slug)
        defaults = {"checker_slug": slug, "title": checker.title, "due_at": due_at,
                    "description": checker.description, "weight_percent": checker.weight_percent}
        if opens_at is not None:
            defaults["opens_at"] = opens_at
        assignment, _ = Assignment.objects.get_or_create(course=course, slug=slug, defaults=defaults)
        assignments.append(assignment)
    return assignments

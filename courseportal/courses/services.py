"""Writes for courses, memberships and assignments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.deadlines import extension_problem
from courseportal.courses.models import Assignment, Course, Extension, Membership
from courseportal.courses.selectors import STAFF_ROLE_CACHE
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
    user.__dict__.pop(STAFF_ROLE_CACHE, None)  # this user object's remembered roles are out of date
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

    Existing assignments keep their dates and titles: staff may have edited them in the portal. A
    new assignment graded by hand holds its scores until the instructor releases them.
    """
    assignments = []
    for slug in sorted(all_checkers()):
        checker = get_checker(slug)
        defaults = {"checker_slug": slug, "title": checker.title, "due_at": due_at,
                    "description": checker.description, "weight_percent": checker.weight_percent,
                    "holds_scores": checker.manual_grading}
        if opens_at is not None:
            defaults["opens_at"] = opens_at
        assignment, _ = Assignment.objects.get_or_create(course=course, slug=slug, defaults=defaults)
        assignments.append(assignment)
    return assignments


# --- Running an assignment: its rules, extensions and release ------------------------------------

# Fields whose change can make a stored submission late, or on time, or change its penalty.
TIME_RULE_FIELDS = ("opens_at", "due_at", "grace_minutes", "cutoff_at", "late_policy", "late_penalty_percent")
RULE_FIELDS = ("title", "description", "weight_percent", "is_published", "counted_submission", "holds_scores",
               *TIME_RULE_FIELDS)


class RulesRefused(ValueError):
    """Nothing was changed; ``message`` tells the instructor why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def assignment_rules_update(*, assignment: Assignment, changed_by: User, changes: dict[str, Any]) -> Assignment:
    """Save an instructor's changes to ``assignment``'s dates, weight, policies and release setting.

    When a time rule changed, every stored result's late penalty is brought in line with the new
    rules and each score that changes is recorded in the grade history (reason: late penalty).
    Turning holding off releases the held scores (students are e-mailed once); turning it on holds
    scores again until the next release. The caller validated the values (``AssignmentRulesForm``).
    """
    from courseportal.submissions.models import GradeChange
    from courseportal.submissions.services import assignment_lateness_apply, assignment_scores_release

    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"not an assignment rule: {sorted(unknown)}")
    # Compared with what is stored: a model form has already written the new values onto its instance.
    stored = Assignment.objects.select_for_update().get(pk=assignment.pk)
    time_changed = any(getattr(stored, name) != changes[name] for name in TIME_RULE_FIELDS if name in changes)
    holding_now = stored.holds_scores and stored.scores_released_at is None
    releasing = holding_now and changes.get("holds_scores") is False
    holding_again = changes.get("holds_scores") is True and not holding_now
    for name, value in changes.items():
        setattr(assignment, name, value)
    assignment.scores_released_at = None if holding_again else stored.scores_released_at
    assignment.save()
    if releasing:
        assignment_scores_release(assignment=assignment)
        assignment.refresh_from_db()
    if time_changed:
        assignment_lateness_apply(assignment=assignment, reason=GradeChange.Reason.LATE_PENALTY,
                                  changed_by=changed_by, details={"rules_changed": True})
    return assignment


@transaction.atomic
def extension_grant(*, assignment: Assignment, student: User, due_at: datetime, reason: str,
                    granted_by: User) -> Extension:
    """Give ``student`` a later deadline for ``assignment``, for ``reason`` (they and staff see it).

    Replaces an earlier extension of theirs. Their stored submissions are judged again against the
    new deadline (an upload that was late may now be on time); each score that changes is recorded
    in the grade history (reason: extension). Raises ``RulesRefused`` for a deadline not after the
    class's, an empty reason, or someone who is not a student of the course.
    """
    from courseportal.submissions.models import GradeChange
    from courseportal.submissions.services import assignment_lateness_apply

    reason = reason.strip()
    problem = extension_problem(assignment=assignment, due_at=due_at)
    if not reason:
        problem = _("Give a reason: the student sees it with their new deadline.")
    if not Membership.objects.filter(course_id=assignment.course_id, user=student,
                                     role=Membership.Role.STUDENT).exists():
        problem = _("%(account)s is not a student of this course.") % {"account": student.get_username()}
    if problem:
        raise RulesRefused(problem)
    extension, _created = Extension.objects.update_or_create(
        assignment=assignment, student=student,
        defaults={"due_at": due_at, "reason": reason, "granted_by": granted_by, "granted_at": timezone.now()})
    assignment_lateness_apply(assignment=assignment, student=student, reason=GradeChange.Reason.EXTENSION,
                              changed_by=granted_by, note=reason)
    return extension


@transaction.atomic
def extension_revoke(*, extension: Extension, revoked_by: User) -> None:
    """Withdraw an extension: the student's submissions are judged against the class deadline again."""
    from courseportal.submissions.models import GradeChange
    from courseportal.submissions.services import assignment_lateness_apply

    assignment, student = extension.assignment, extension.student
    extension.delete()
    assignment_lateness_apply(assignment=assignment, student=student, reason=GradeChange.Reason.EXTENSION,
                              changed_by=revoked_by, details={"extension_withdrawn": True})

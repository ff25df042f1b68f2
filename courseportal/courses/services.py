"""Writes for courses, memberships and assignments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.deadlines import extension_problem
from courseportal.courses.models import Assignment, Course, Extension, Membership
from courseportal.courses.selectors import STAFF_ROLE_CACHE, graded_by_hand
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


@dataclass(frozen=True)
class RosterRow:
    number: int  # the row's line in the file, as a spreadsheet numbers it
    account: str
    name: str
    email: str


ACCOUNT_HEADERS = (["account"], ["username"], ["帳號"])


@transaction.atomic
def roster_import(*, course: Course, csv_text: str, initial_password: str | None = None) -> RosterImport:
    """Enrol every row of a roster CSV (``account,name,email``; a header row is optional) as a student.

    Every row is checked before anyone is enrolled: an account that is not letters and digits, an
    empty name, a missing or invalid e-mail, an account listed twice, and an account that is on the
    staff of this course (a roster never changes a TA's or instructor's role) or is a site
    administrator are all reported, with their line numbers, and then nothing is imported. Unknown
    accounts are created without a usable password unless ``initial_password`` is given (their
    owners set one through "forgot password"); existing accounts keep their name and e-mail.
    """
    rows = _roster_rows(csv_text)
    errors = _roster_problems(course=course, rows=rows)
    if errors:
        return RosterImport(created=0, enrolled=0, errors=tuple(errors))
    users = get_user_model()
    existing = {user.username: user for user in users.objects.filter(username__in=[row.account for row in rows])}
    created = 0
    for row in rows:
        user = existing.get(row.account)
        if user is None:
            user = users(username=row.account, first_name=row.name[:150], email=row.email)
            if initial_password:
                user.set_password(initial_password)
            else:
                user.set_unusable_password()
            user.save()
            created += 1
        membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    return RosterImport(created=created, enrolled=len(rows), errors=())


def _roster_rows(csv_text: str) -> list[RosterRow]:
    lines = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    rows = []
    for number, cells in enumerate(lines, start=1):
        if number == 1 and [cell.strip().lower() for cell in cells[:1]] in ACCOUNT_HEADERS:
            continue
        if not any(cell.strip() for cell in cells):
            continue
        account, name, email = ([cell.strip() for cell in cells] + ["", "", ""])[:3]
        rows.append(RosterRow(number=number, account=account, name=name, email=email))
    return rows


def _roster_problems(*, course: Course, rows: list[RosterRow]) -> list[str]:
    """Every problem of every row, in the order of the file; empty when all can be enrolled."""
    problems: list[tuple[int, str]] = []
    if not rows:
        problems.append((0, _("The roster has no rows.")))
    first_row_of: dict[str, int] = {}
    for row in rows:
        for problem in _row_problems(row):
            problems.append((row.number, _("row %(number)d: %(problem)s") % {"number": row.number,
                                                                             "problem": problem}))
        key = row.account.lower()
        if key in first_row_of:
            problems.append((row.number, _("row %(number)d: account %(account)s is also on row %(first)d; "
                                           "list each student once.")
                             % {"number": row.number, "account": row.account, "first": first_row_of[key]}))
        else:
            first_row_of[key] = row.number
    accounts = [row.account for row in rows]
    staff = dict(Membership.objects.filter(course=course, user__username__in=accounts)
                 .exclude(role=Membership.Role.STUDENT).values_list("user__username", "role"))
    administrators = set(get_user_model().objects.filter(username__in=accounts)
                         .filter(Q(is_staff=True) | Q(is_superuser=True)).values_list("username", flat=True))
    for row in rows:
        if row.account in staff:
            problems.append((row.number, _("row %(number)d: %(account)s is a %(role)s of this course; a roster "
                                           "enrols students only and never changes a staff member's role.")
                             % {"number": row.number, "account": row.account,
                                "role": Membership.Role(staff[row.account]).label}))
        elif row.account in administrators:
            problems.append((row.number, _("row %(number)d: %(account)s is a site administrator account, not a "
                                           "student.") % {"number": row.number, "account": row.account}))
    return [message for _number, message in sorted(problems, key=lambda problem: problem[0])]


def _row_problems(row: RosterRow) -> list[str]:
    problems = []
    if not row.account or not row.account.replace("_", "").replace(".", "").isalnum():
        problems.append(_("account %(account)s must be letters and digits") % {"account": repr(row.account)})
    if not row.name:
        problems.append(_("the name is empty"))
    try:
        validate_email(row.email)
    except ValidationError:
        problems.append(_("%(email)s is not a valid e-mail address") % {"email": repr(row.email)} if row.email
                        else _("the e-mail address is missing (students need it to reset their password)"))
    return problems


def holds_scores_by_default(*, checker_slug: str) -> bool:
    """Whether a new assignment graded by ``checker_slug`` holds its scores until released: reports
    TAs grade by hand do (a class's grades go out together), automatic checks do not."""
    return graded_by_hand(checker_slug=checker_slug)


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
                    "holds_scores": holds_scores_by_default(checker_slug=slug)}
        if opens_at is not None:
            defaults["opens_at"] = opens_at
        assignment, _ = Assignment.objects.get_or_create(course=course, slug=slug, defaults=defaults)
        assignments.append(assignment)
    return assignments


# --- Running an assignment: its rules, extensions and release ------------------------------------

# Fields whose change can make a stored submission late, or on time, or change its penalty.
TIME_RULE_FIELDS = ("opens_at", "due_at", "grace_minutes", "cutoff_at", "late_policy", "late_penalty_percent")
RULE_FIELDS = ("title", "description", "weight_percent", "is_published", "counted_submission", "holds_scores",
               "follow_through_credit_percent", *TIME_RULE_FIELDS)


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

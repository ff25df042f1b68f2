"""Sharing the grading of an assignment's reports between graders, and the locks that keep two of
them from grading the same problem of the same report at once.

Shares say who is expected to grade what: every report (first come, first served), one student's
whole report (shared evenly), or one problem for everyone. They decide what "next ungraded" brings a
grader; any grader of the course may still open and grade any report. Locks decide who may save: a
grader opening a report claims its problems for ``LOCK_DURATION``, renewed while their page stays
open; others see who holds it and until when, and "next" passes it by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment, Membership
from courseportal.reports.models import GraderShare, GradingLock, GradingSetup
from courseportal.reports.services.rubric import grading_setup_ensure
from courseportal.submissions.models import Submission
from courseportal.submissions.services.refusals import Refused
from grader.registry import get_checker

LOCK_DURATION = timedelta(minutes=10)
Split = GradingSetup.Split


class SetupRefused(Refused):
    """The setup was not changed; ``message`` says why."""


@dataclass(frozen=True)
class Claim:
    """What a grader's claim on a report came to: the problems they hold now, and those another
    grader holds (problem name -> (who, until when))."""

    held: frozenset[str]
    taken: Mapping[str, tuple[User, datetime]]


@transaction.atomic
def report_claim(*, submission: Submission, grader: User, problems: Iterable[str]) -> Claim:
    """Lock ``problems`` of ``submission``'s report for ``grader`` (renewing their own locks), unless
    another grader's lock on a problem has not expired. A grader works on one report at a time:
    their locks on other reports of the assignment are given back."""
    now = timezone.now()
    GradingLock.objects.filter(holder=grader, submission__assignment_id=submission.assignment_id) \
        .exclude(submission=submission).delete()
    held, taken = set(), {}
    for problem in problems:
        if _claimed(submission=submission, problem=problem, grader=grader, now=now):
            held.add(problem)
        else:
            lock = GradingLock.objects.select_related("holder").get(submission=submission, problem=problem)
            taken[problem] = (lock.holder, lock.expires_at)
    return Claim(held=frozenset(held), taken=taken)


def _claimed(*, submission: Submission, problem: str, grader: User, now: datetime) -> bool:
    """One problem's lock, taken with a conditional update (or created): True if ``grader`` holds it now."""
    renewed = GradingLock.objects.filter(submission=submission, problem=problem).filter(
        Q(holder=grader) | Q(expires_at__lte=now)).update(holder=grader, expires_at=now + LOCK_DURATION)
    if renewed:
        return True
    try:
        with transaction.atomic():
            GradingLock.objects.create(submission=submission, problem=problem, holder=grader,
                                       expires_at=now + LOCK_DURATION)
    except IntegrityError:  # someone else's, and not expired
        return False
    return True


def report_locks_release(*, submission_id: int, grader: User) -> int:
    """Give back ``grader``'s locks on the report (they moved on); returns how many."""
    deleted, _by_model = GradingLock.objects.filter(submission_id=submission_id, holder=grader).delete()
    return deleted


@transaction.atomic
def grading_setup_update(
    *, assignment: Assignment, anonymous: bool, regrade_requests_until: datetime | None,
    similarity_threshold: Decimal,
) -> GradingSetup:
    """An instructor's choices for grading ``assignment``: anonymous grading, the end of regrade
    requests, the similarity threshold. The caller validated the values."""
    setup = GradingSetup.objects.select_for_update().get(pk=grading_setup_ensure(assignment=assignment).pk)
    setup.anonymous = anonymous
    setup.regrade_requests_until = regrade_requests_until
    setup.similarity_threshold = similarity_threshold
    setup.save()
    return setup


@transaction.atomic
def grading_split(
    *, assignment: Assignment, split: str, graders: Sequence[User] = (),
    problem_graders: Mapping[str, User] | None = None,
) -> GradingSetup:
    """Share the reports of ``assignment`` between graders; earlier shares are replaced, grades kept.

    - first come, first served: no shares;
    - by student: every student of the course to one of ``graders`` in turn (by account), so each has
      as many reports as the others, give or take one;
    - by problem: each problem to its grader in ``problem_graders`` (a problem left out is anyone's).

    Raises ``SetupRefused`` for a grader who is not on the course's staff, or a split without graders.
    """
    staff = set(Membership.objects.filter(course_id=assignment.course_id, role__in=[
        Membership.Role.TA, Membership.Role.INSTRUCTOR]).values_list("user_id", flat=True))
    chosen = list(graders) if split == Split.BY_STUDENT else list((problem_graders or {}).values())
    if any(grader.pk not in staff for grader in chosen):
        raise SetupRefused(_("Only TAs and instructors of this course can grade its reports."))
    if split != Split.FIRST_COME and not chosen:
        raise SetupRefused(_("Choose at least one grader."))
    problems = {problem.name for problem in get_checker(assignment.checker_slug).hand_graded_problems()}
    if set(problem_graders or {}) - problems:
        raise SetupRefused(_("This assignment has no problem named %(names)s.")
                           % {"names": ", ".join(sorted(set(problem_graders or {}) - problems))})
    setup = GradingSetup.objects.select_for_update().get(pk=grading_setup_ensure(assignment=assignment).pk)
    GraderShare.objects.filter(assignment=assignment).delete()
    if split == Split.BY_STUDENT:
        students = Membership.objects.filter(course_id=assignment.course_id, role=Membership.Role.STUDENT) \
            .order_by("user__username").values_list("user_id", flat=True)
        GraderShare.objects.bulk_create([
            GraderShare(assignment=assignment, grader=chosen[index % len(chosen)], student_id=student_id)
            for index, student_id in enumerate(students)])
    elif split == Split.BY_PROBLEM:
        GraderShare.objects.bulk_create([GraderShare(assignment=assignment, grader=grader, problem=problem)
                                         for problem, grader in (problem_graders or {}).items()])
    setup.split = split
    setup.save(update_fields=["split"])
    return setup


def report_locks_renew(*, submission: Submission, grader: User) -> datetime | None:
    """Keep ``grader``'s locks on the report while their page is open; returns until when (None:
    they hold none, e.g. it expired and another grader took it)."""
    until = timezone.now() + LOCK_DURATION
    renewed = GradingLock.objects.filter(submission=submission, holder=grader).update(expires_at=until)
    return until if renewed else None

"""Scores and their history: the one way a submission's score changes.

Every write of a ``Result`` goes through ``result_change``: the grading pipeline storing what the
checker found (first grading or regrade), a TA's hand grade, a staff override, and the late penalty
when a deadline, a late policy or an extension changes. It recomputes what the submission counts for
(``Result.counted_score``) and, when that or the score underneath it changed, records a
``GradeChange``: who (None for the system), when, old → new, why (``GradeChange.Reason``), a note
and details. So a grade never changes without an author and a reason, and the history pages, the
gradebook and the e-mails all read the same numbers.

To add a kind of change (a rubric item's points edited, a regrade request answered, a TA
correcting how an answer was read): add a member to ``GradeChange.Reason`` and call
``result_change`` with it from the service that makes the change; nothing else is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from courseportal.courses.deadlines import Lateness, TimeRules, penalized_score, time_rules
from courseportal.courses.deadlines import lateness as lateness_of
from courseportal.courses.models import Assignment, Extension
from courseportal.points import score_quantized
from courseportal.submissions.models import GradeChange, Result, Submission

Reason = GradeChange.Reason
DECIMAL_FIELDS = ("score", "max_score", "override_score", "late_penalty_percent")


def counted_score(result: Result) -> Decimal | None:
    """What ``result`` is worth in the gradebook: the override, else the score less the late penalty;
    None while it is worth nothing yet (a grader error, a report awaiting its TA)."""
    if result.override_score is not None:
        return result.override_score
    if result.status == Result.Status.ERROR or result.awaits_manual_grading:
        return None
    return penalized_score(score=result.score, max_score=result.max_score,
                           penalty_percent=result.late_penalty_percent)


@dataclass(frozen=True)
class LockedResult:
    """A submission's result (None: it has none yet) as read under a row lock in the transaction
    that is writing it (``result_locked``): ``result_change`` given it does not read it again."""

    submission_id: int
    result: Result | None


def result_locked(*, submission_id: int) -> LockedResult:
    """Read the submission's result under a row lock, in the caller's transaction, for a write
    through ``result_change(..., locked=)``."""
    return LockedResult(submission_id, Result.objects.select_for_update().filter(submission_id=submission_id).first())


def result_change(
    *,
    submission_id: int,
    reason: str,
    fields: Mapping[str, Any],
    changed_by: User | None = None,
    note: str = "",
    details: Mapping[str, Any] | None = None,
    record_unchanged: bool = False,
    locked: LockedResult | None = None,
) -> Result:
    """Write ``fields`` to the submission's result (created if it has none) and record the change.

    ``fields`` are ``Result`` field names; a new result needs at least ``status`` and ``graded_at``.
    ``counted_score`` is always recomputed here, never given. A ``GradeChange`` with ``reason``,
    ``changed_by`` (None: the system), ``note`` and ``details`` is recorded when the counted score,
    the score underneath it or the override changed; a write that changes no score records nothing,
    unless ``record_unchanged`` (a TA's judgement that leaves the score as it was is on the record too).
    ``locked``: the result as the caller's transaction read it with ``result_locked`` (that object is
    changed and saved); otherwise it is read here, locked. Returns the saved result.
    """
    if "counted_score" in fields:
        raise ValueError("counted_score is computed by result_change, not given")
    if locked is not None and locked.submission_id != submission_id:
        raise ValueError("the locked result is another submission's")
    # No savepoint of its own: a failed write fails the caller's whole transaction, as it should.
    with transaction.atomic(savepoint=False):
        result = (locked or result_locked(submission_id=submission_id)).result
        before = _scores(result)
        created = result is None
        if result is None:
            result = Result(submission_id=submission_id)
        for name, value in fields.items():
            setattr(result, name, _decimal(value) if name in DECIMAL_FIELDS and value is not None else value)
        result.counted_score = counted_score(result)
        if created:  # inserted at once, not an update that finds no row first
            result.save(force_insert=True)
        else:  # only what changed: the rest of the row is as it was read, under the lock
            result.save(update_fields=[*fields, "counted_score"])
        after = _scores(result)
        if after != before or record_unchanged:
            GradeChange.objects.create(
                submission_id=submission_id, changed_by=changed_by, reason=str(reason), old_score=before[0],
                new_score=after[0], max_score=result.max_score, note=note.strip(),
                details={**_explained(before, after, result), **(details or {})},
            )
    return result


def result_lateness_apply(
    *, submission: Submission, reason: str = Reason.LATE_PENALTY, changed_by: User | None = None, note: str = "",
    details: Mapping[str, Any] | None = None, locked: LockedResult | None = None,
) -> Result | None:
    """Bring the result's late penalty in line with the time rules as they stand (a new grading, a
    changed deadline or policy, an extension); returns the result, or None when it has none yet.
    ``locked``: as in ``result_change`` (the result just written in this transaction, say)."""
    late = lateness_of(assignment=submission.assignment, student=submission.student,
                       received_at=submission.received_at)
    return _lateness_store(submission_id=submission.pk, late=late, reason=reason, changed_by=changed_by, note=note,
                           details=details, locked=locked)


def assignment_lateness_apply(
    *, assignment: Assignment, reason: str, changed_by: User | None, note: str = "", student: User | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Apply the current time rules to every graded submission of ``assignment`` (of ``student`` only, if
    given); returns how many results changed. Each change is recorded with ``reason`` and ``note``."""
    submissions = Submission.objects.filter(assignment=assignment, result__isnull=False).select_related(
        "result").order_by("id")
    extensions = Extension.objects.filter(assignment=assignment)
    if student is not None:
        submissions = submissions.filter(student=student)
        extensions = extensions.filter(student=student)
    extension_by_student = {extension.student_id: extension for extension in extensions}
    rules_by_student: dict[int, TimeRules] = {}
    changed = 0
    for submission in submissions:
        rules = rules_by_student.get(submission.student_id)
        if rules is None:
            rules = rules_by_student[submission.student_id] = time_rules(
                assignment=assignment, student=submission.student,
                extension=extension_by_student.get(submission.student_id))
        late = rules.lateness(submission.received_at)
        if (late.periods, late.penalty_percent) != (submission.result.late_periods,
                                                    submission.result.late_penalty_percent):
            _lateness_store(submission_id=submission.pk, late=late, reason=reason, changed_by=changed_by, note=note,
                            details=details)
            changed += 1
    return changed


def _lateness_store(*, submission_id: int, late: Lateness, reason: str, changed_by: User | None,
                    note: str, details: Mapping[str, Any] | None, locked: LockedResult | None = None) -> Result | None:
    result = locked.result if locked is not None else Result.objects.filter(submission_id=submission_id).first()
    if result is None:
        return None
    if (result.late_periods, result.late_penalty_percent) == (late.periods, late.penalty_percent):
        return result
    return result_change(
        submission_id=submission_id, reason=reason, changed_by=changed_by, note=note, locked=locked,
        fields={"late_periods": late.periods, "late_penalty_percent": late.penalty_percent},
        details={"late": {"periods": late.periods, "per_hour": late.per_hour,
                          "percent_per_period": float(late.percent_per_period)}, **(details or {})},
    )


def _decimal(value: Any) -> Decimal:
    return score_quantized(value)


def _scores(result: Result | None) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(counted, the score underneath while it counts, the override): what a change is judged by."""
    if result is None:
        return (None, None, None)
    counts = result.status != Result.Status.ERROR and not result.awaits_manual_grading
    return (result.counted_score, result.score if counts else None, result.override_score)


def _explained(before: tuple, after: tuple, result: Result) -> dict[str, Any]:
    """What the history shows beside old → new: the score before penalty and override, the penalty."""
    details: dict[str, Any] = {}
    if before[1] != after[1]:
        details["score"] = [_number(before[1]), _number(after[1])]
    if result.late_penalty_percent:
        details["penalty_percent"] = _number(result.late_penalty_percent)
    if result.override_score is not None:
        details["override"] = _number(result.override_score)
    return details


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)

"""A grader's grade of a report, problem by problem, and the one way it becomes the report's score.

A problem's points are its full points plus the rubric items applied and the grader's own
adjustment, kept within 0..full (``problem_points``). When every problem of a report has a grade,
``report_result_store`` writes their sum to the report's ``Result`` through ``result_change`` (so it is
in the grade history, with who and why), and the release rule decides when the student sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.reports.models import GradingLock, ProblemGrade, RubricItem
from courseportal.submissions.feedback import engine_text
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services import result_change, result_notify
from courseportal.submissions.services.refusals import Refused
from grader.checker import Checker, ManualProblem
from grader.registry import get_checker

Status = Submission.Status
CENT = Decimal("0.01")
GRADABLE_SUBMISSION = (Status.GRADED, Status.FAILED)


class GradeRefused(Refused):
    """Nothing was saved; ``message`` tells the grader why and what to do."""


@dataclass(frozen=True)
class ProblemInput:
    """What a grader entered for one problem: the rubric items applied, an adjustment, a comment."""

    item_ids: frozenset[int]
    adjustment: Decimal = Decimal(0)
    comment: str = ""


def problem_points(*, full: Decimal, adjustments: Iterable[Decimal]) -> Decimal:
    """Full points plus every adjustment (rubric items and the grader's own), within 0..full."""
    return min(full, max(Decimal(0), full + sum(adjustments, Decimal(0)))).quantize(CENT)


def full_points(problem: ManualProblem) -> Decimal:
    return Decimal(str(problem.points)).quantize(CENT)


@transaction.atomic
def report_grade_save(
    *, submission: Submission, grader: User, grades: Mapping[str, ProblemInput],
    reason: str = GradeChange.Reason.HAND_GRADE, note: str = "",
) -> Result | None:
    """Save ``grader``'s grades of some problems of ``submission``'s report.

    Returns the report's result when every problem now has a grade (its score, in the grade history
    with ``reason`` and ``note``), else None (the report still awaits its other problems). The caller
    checks that ``grader`` is on the course's staff.

    Raises ``GradeRefused`` (saving nothing) for an assignment not graded by hand, an unknown
    problem, a report rejected or being checked, a problem another grader holds the lock of, a
    rubric item of another problem (the rubric changed meanwhile), an adjustment beyond the
    problem's points, or a problem given neither an item nor an adjustment.
    """
    checker = get_checker(submission.assignment.checker_slug)
    if not checker.manual_grading:
        raise GradeRefused(_("This assignment is graded automatically; its submissions cannot be graded by hand."))
    problems = {problem.name: problem for problem in checker.hand_graded_problems()}
    unknown = sorted(set(grades) - set(problems))
    if unknown or not grades:
        raise GradeRefused(_("This assignment has no problem named %(names)s.") % {"names": ", ".join(unknown)}
                           if unknown else _("There is nothing to save."))
    _report_gradable_or_refuse(submission)
    _locks_free_or_refuse(submission=submission, grader=grader, problems=grades)
    items = {item.pk: item for item in RubricItem.objects.filter(
        assignment_id=submission.assignment_id, pk__in={pk for given in grades.values() for pk in given.item_ids})}
    now = timezone.now()
    for name, given in grades.items():
        applied = _items_of_problem(given.item_ids, items=items, problem=problems[name])
        adjustment = _adjustment_within(given.adjustment, problem=problems[name])
        if not applied and not adjustment:
            raise GradeRefused(_("%(problem)s: apply at least one rubric item (the first is usually "
                                 "“Correct”) or enter a point adjustment.") % {"problem": engine_text(problems[name].title)})
        grade, _created = ProblemGrade.objects.update_or_create(
            submission=submission, problem=name,
            defaults={"adjustment": adjustment, "comment": given.comment.strip(), "graded_by": grader,
                      "graded_at": now, "points": problem_points(
                          full=full_points(problems[name]), adjustments=[*(i.points for i in applied), adjustment])})
        grade.items.set(applied)
    return report_result_store(submission_id=submission.pk, checker=checker, changed_by=grader, reason=reason,
                               note=note, details={"problems": sorted(grades)})


def report_result_store(
    *, submission_id: int, checker: Checker, changed_by: User | None, reason: str, note: str = "",
    details: Mapping | None = None,
) -> Result | None:
    """Write the sum of a report's problem grades to its result, once every problem has one.

    The first time (the report awaited its TA) the result becomes a grade: the student is e-mailed
    now or, while the assignment's scores are held, at their release. Later changes (a grader's, a
    rubric item's, an answered regrade request) change the score in the grade history, no e-mail.
    Returns the result, or None while a problem still has no grade. Call inside a transaction.
    """
    grades = {grade.problem: grade for grade in ProblemGrade.objects.filter(submission_id=submission_id)
              .prefetch_related("items")}
    problems = checker.hand_graded_problems()
    if any(problem.name not in grades for problem in problems):
        return None
    current = Result.objects.select_for_update().get(submission_id=submission_id)
    first = current.awaits_manual_grading or current.status != Result.Status.GRADED
    now = timezone.now()
    fields = {"status": Result.Status.GRADED, "awaits_manual_grading": False,
              "score": sum((grades[problem.name].points for problem in problems), Decimal(0)),
              "max_score": Decimal(str(checker.points)),
              "checks": [_check_of(problem, grades[problem.name]) for problem in problems]}
    if reason != GradeChange.Reason.RUBRIC_CHANGE:
        fields.update(manually_graded_at=now, graded_by=changed_by)
    if first:
        fields.update(graded_at=now, notified_at=None)
    result = result_change(submission_id=submission_id, reason=reason, changed_by=changed_by, note=note,
                           fields=fields, details=details)
    Submission.objects.filter(pk=submission_id, status=Status.FAILED).update(status=Status.GRADED)
    if first:
        transaction.on_commit(lambda: result_notify(submission_id=submission_id))
    return result


def _check_of(problem: ManualProblem, grade: ProblemGrade) -> dict:
    """One problem as a check of the result (what e-mails and exports read): its points, and as
    feedback the comments of the rubric items applied and the grader's own."""
    items = sorted(grade.items.all(), key=lambda item: (item.position, item.pk))
    lines = [f"{float(item.points):+g}: {item.comment}" for item in items]
    if grade.adjustment:
        lines.append(f"{float(grade.adjustment):+g}")
    if grade.comment:
        lines.append(grade.comment)
    return {"name": problem.name, "title": problem.title, "passed": grade.points > 0,
            "points": float(grade.points), "max_points": problem.points, "feedback": "\n".join(lines)}


def _report_gradable_or_refuse(submission: Submission) -> None:
    # Locked: a regrade cannot queue the file again while this grade is being saved.
    checked = Submission.objects.select_for_update().filter(pk=submission.pk, status__in=GRADABLE_SUBMISSION)
    if not checked.exists():
        raise GradeRefused(_("The file is being checked again; grade it once the check has finished."))
    result = Result.objects.filter(submission_id=submission.pk).values_list("status", flat=True).first()
    if result is None or result == Result.Status.REJECTED:
        raise GradeRefused(_("This file was rejected (it is not a readable report), so there is nothing to grade."))


def _locks_free_or_refuse(*, submission: Submission, grader: User, problems: Iterable[str]) -> None:
    held = (GradingLock.objects.filter(submission=submission, problem__in=list(problems),
                                       expires_at__gt=timezone.now())
            .filter(~Q(holder=grader)).select_related("holder").first())
    if held is not None:
        raise GradeRefused(_("%(grader)s is grading this problem now; nothing was saved. Move on to another "
                             "report.") % {"grader": held.holder.get_username()})


def _items_of_problem(item_ids: Iterable[int], *, items: Mapping[int, RubricItem],
                      problem: ManualProblem) -> list[RubricItem]:
    applied = [items.get(pk) for pk in item_ids]
    if any(item is None or item.problem != problem.name for item in applied):
        raise GradeRefused(_("The rubric changed while you were grading; reload the page and grade again."))
    return applied


def _adjustment_within(value: Decimal | float | int | str, *, problem: ManualProblem) -> Decimal:
    try:
        adjustment = Decimal(str(value or 0)).quantize(CENT)
    except (InvalidOperation, ValueError):
        adjustment = None
    full = full_points(problem)
    if adjustment is None or not adjustment.is_finite() or not -full <= adjustment <= full:
        raise GradeRefused(_("%(problem)s: a point adjustment lies between -%(max)s and %(max)s.")
                           % {"problem": engine_text(problem.title), "max": f"{problem.points:g}"})
    return adjustment

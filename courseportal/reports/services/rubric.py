"""An assignment's rubric: seeded from its checker, edited by its staff.

Changing an item's points (or deleting an item) changes every report it was applied to: each
problem grade is computed again and each report's score that changes is recorded in its grade
history (reason: rubric item changed), with who changed the item and how.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment
from courseportal.reports.models import GradingSetup, ProblemGrade, RubricItem
from courseportal.reports.services.grades import CENT, full_points, problem_points, report_result_store
from courseportal.submissions.feedback import engine_text
from courseportal.submissions.models import GradeChange
from courseportal.submissions.services.refusals import Refused
from grader.checker import RUBRIC_COMMENT_MAX_CHARACTERS, Checker
from grader.registry import get_checker

# A problem the checker declares no rubric for starts with this one item, so that a grader can say
# "full marks" with one key (a problem is graded only once an item or an adjustment is applied).
DEFAULT_ITEM_COMMENT = "Correct and complete."


class RubricRefused(Refused):
    """The rubric was not changed; ``message`` says why."""


@transaction.atomic
def grading_setup_ensure(*, assignment: Assignment) -> GradingSetup:
    """The assignment's grading setup; the first time, it is made and its rubric seeded from the
    checker's (``Checker.rubric``; a problem without items gets "Correct and complete." at 0)."""
    setup, created = GradingSetup.objects.get_or_create(assignment=assignment)
    if created and not RubricItem.objects.filter(assignment=assignment).exists():
        checker = get_checker(assignment.checker_slug)
        declared = [(item.problem, item.points, item.comment) for item in checker.rubric]
        for problem in checker.hand_graded_problems():
            if not any(name == problem.name for name, _points, _comment in declared):
                declared.append((problem.name, 0, DEFAULT_ITEM_COMMENT))
        counts: dict[str, int] = {}
        items = []
        for name, points, comment in declared:
            position = counts[name] = counts.get(name, -1) + 1
            items.append(RubricItem(assignment=assignment, problem=name, points=Decimal(str(points)).quantize(CENT),
                                    comment=comment, position=position))
        RubricItem.objects.bulk_create(items)
    return setup


@transaction.atomic
def rubric_item_create(*, assignment: Assignment, problem: str, points: Decimal | str, comment: str) -> RubricItem:
    """A new item at the end of ``problem``'s rubric. Raises ``RubricRefused`` for an unknown problem,
    points beyond the problem's, or an empty or overlong comment."""
    checker = get_checker(assignment.checker_slug)
    value, comment = _checked(checker=checker, problem=problem, points=points, comment=comment)
    last = RubricItem.objects.filter(assignment=assignment, problem=problem).aggregate(last=Max("position"))["last"]
    return RubricItem.objects.create(assignment=assignment, problem=problem, points=value, comment=comment,
                                     position=0 if last is None else last + 1)


@transaction.atomic
def rubric_item_update(*, item: RubricItem, changed_by: User, points: Decimal | str, comment: str) -> int:
    """Change an item's points and comment; every report it is applied to follows. Returns how many
    reports' scores changed (each in its grade history). Raises ``RubricRefused`` as ``rubric_item_create``."""
    checker = get_checker(item.assignment.checker_slug)
    value, comment = _checked(checker=checker, problem=item.problem, points=points, comment=comment)
    item = RubricItem.objects.select_for_update().get(pk=item.pk)
    before, item.points, item.comment = item.points, value, comment
    item.save(update_fields=["points", "comment"])
    note = f"{comment} {float(before):+g} → {float(value):+g}" if before != value else comment
    return _grades_follow(item=item, checker=checker, changed_by=changed_by, note=note)


@transaction.atomic
def rubric_item_delete(*, item: RubricItem, changed_by: User) -> int:
    """Remove an item from the rubric and from every grade it was applied to; returns how many
    reports' scores changed. A problem left with no item and no adjustment keeps its grade (full points)."""
    checker = get_checker(item.assignment.checker_slug)
    item = RubricItem.objects.select_for_update().get(pk=item.pk)
    grades = list(ProblemGrade.objects.filter(items=item).values_list("pk", flat=True))
    note = f"{item.comment} {float(item.points):+g} → " + _("removed")
    item.problem_grades.clear()
    item.delete()
    return _grades_follow(item=None, checker=checker, changed_by=changed_by, note=note, grade_ids=grades)


def _grades_follow(*, item: RubricItem | None, checker: Checker, changed_by: User, note: str,
                   grade_ids: list[int] | None = None) -> int:
    """Compute again every problem grade ``item`` is applied to (or ``grade_ids``) and the scores of
    their reports; returns how many reports' counted scores changed."""
    problems = {problem.name: problem for problem in checker.hand_graded_problems()}
    grades = ProblemGrade.objects.filter(pk__in=grade_ids) if item is None else ProblemGrade.objects.filter(items=item)
    changed = 0
    for grade in grades.select_related("submission").prefetch_related("items").order_by("submission_id"):
        points = problem_points(full=full_points(problems[grade.problem]),
                                adjustments=[*(applied.points for applied in grade.items.all()), grade.adjustment])
        if points == grade.points:
            continue
        ProblemGrade.objects.filter(pk=grade.pk).update(points=points)
        before = grade.submission.result.counted_score
        result = report_result_store(submission_id=grade.submission_id, checker=checker, changed_by=changed_by,
                                     reason=GradeChange.Reason.RUBRIC_CHANGE, note=note,
                                     details={"problems": [grade.problem], "rubric_item": item and item.pk})
        changed += result is not None and result.counted_score != before
    return changed


def _checked(*, checker: Checker, problem: str, points: Decimal | str, comment: str) -> tuple[Decimal, str]:
    known = {candidate.name: candidate for candidate in checker.hand_graded_problems()}
    if problem not in known:
        raise RubricRefused(_("This assignment has no problem named %(names)s.") % {"names": problem})
    full = full_points(known[problem])
    try:
        value = Decimal(str(points)).quantize(CENT)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not -full <= value <= full:
        raise RubricRefused(_("%(problem)s: a point adjustment lies between -%(max)s and %(max)s.")
                            % {"problem": engine_text(known[problem].title), "max": f"{known[problem].points:g}"})
    comment = comment.strip()
    if not comment or len(comment) > RUBRIC_COMMENT_MAX_CHARACTERS:
        raise RubricRefused(_("Give the item a comment of at most %(count)d characters: the student reads it "
                              "beside the points.") % {"count": RUBRIC_COMMENT_MAX_CHARACTERS})
    return value, comment

"""TAs grading hand-graded reports (``Checker.manual_grading``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.points import points_text, score_quantized
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.services.scores import result_change
from grader.checker import ManualProblem
from grader.registry import get_checker

logger = logging.getLogger(__name__)
Status = Submission.Status


class GradeRefused(Refused):
    """The grade was not stored; ``message`` tells the TA why and what to do."""


@transaction.atomic
def result_grade_manually(
    *,
    submission: Submission,
    grader: User,
    points: Mapping[str, Decimal | float | int],
    feedback: Mapping[str, str],
    comment: str = "",
) -> Result:
    """Store a TA's grade of a hand-graded report (in the grade history) and email the student,
    at once or, if the assignment's scores are held, when they are released.

    ``points`` and ``feedback`` are keyed by the checker's problem names
    (``Checker.hand_graded_problems``); each problem becomes one check of the result, the score is
    their sum and ``comment`` its message. Grading again replaces the previous hand grade. The
    caller checks that ``grader`` may grade the course.

    Raises ``GradeRefused`` (storing nothing) when the assignment is not graded by hand, a problem's
    points are missing or outside 0..its maximum, or the submission is being checked or was rejected.
    """
    checker = get_checker(submission.assignment.checker_slug)
    if not checker.manual_grading:
        raise GradeRefused(_("This assignment is graded automatically; its submissions cannot be graded by hand."))
    problems = checker.hand_graded_problems()
    unknown = sorted(set(points) - {problem.name for problem in problems})
    if unknown:
        raise GradeRefused(_("This assignment has no problem named %(names)s.") % {"names": ", ".join(unknown)})
    earned = {problem.name: _points_within(problem=problem, points=points.get(problem.name)) for problem in problems}
    # Held: not queued or running, so no machine check can store a result over this grade.
    held = Submission.objects.filter(pk=submission.pk, status__in=[Status.GRADED, Status.FAILED]).update(
        status=Status.GRADED
    )
    if held != 1:
        raise GradeRefused(_("The file is being checked again; grade it once the check has finished."))
    checks = [
        {"name": problem.name, "passed": earned[problem.name] > 0, "points": float(earned[problem.name]),
         "max_points": float(problem.points), "feedback": str(feedback.get(problem.name, "")).strip()}
        for problem in problems
    ]
    current = Result.objects.select_for_update().filter(submission_id=submission.pk).first()
    if current is None or current.status == Result.Status.REJECTED:
        raise GradeRefused(_("This file was rejected (it is not a readable report), so there is nothing to grade."))
    now = timezone.now()
    result = result_change(
        submission_id=submission.pk, reason=GradeChange.Reason.HAND_GRADE, changed_by=grader,
        fields={"status": Result.Status.GRADED, "score": sum(earned.values()),
                "max_score": Decimal(str(checker.points)), "message": comment.strip(), "message_i18n": None,
                "checks": checks,
                "graded_at": now, "manually_graded_at": now, "graded_by": grader, "awaits_manual_grading": False,
                "notified_at": None},
    )
    # Sent now, or held until the instructor releases the assignment's scores.
    transaction.on_commit(lambda: result_notify(submission_id=submission.pk))
    return result


def _points_within(*, problem: ManualProblem, points: Decimal | float | int | None) -> Decimal:
    """``points`` as a Decimal at the score fields' precision, or ``GradeRefused`` unless it lies in
    0..the problem's maximum."""
    try:
        value = score_quantized(points)
    except (InvalidOperation, ValueError):
        value = None
    if points is None or isinstance(points, bool) or value is None or not value.is_finite() \
            or not 0 <= value <= Decimal(str(problem.points)):
        raise GradeRefused(
            _("%(problem)s: enter points from 0 to %(max)s.") % {"problem": problem.title, "max": points_text(problem.points)}
        )
    return value

"""The gradebook: every student of a course against every assignment, aggregated in SQL.

One query for the students, one for the assignments and one for the scores, however large the
class: the score query ranks each student's results per assignment with a window function and keeps
the first, so the database, not Python, picks the best or latest of several submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Case, F, FloatField, IntegerField, Max, Value, When, Window
from django.db.models.functions import Cast, NullIf, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseportal.courses.deadlines import UploadWindow, upload_window
from courseportal.courses.models import Assignment, Course, Membership
from courseportal.submissions.models import Result


class ScoreChoice(StrEnum):
    """Which of a student's graded submissions counts for an assignment."""

    BEST = "best"
    LATEST = "latest"

    @property
    def label(self) -> str:
        return str(SCORE_CHOICE_LABELS[self])


SCORE_CHOICE_LABELS = {
    ScoreChoice.BEST: _("Best score of all submissions"),
    ScoreChoice.LATEST: _("Score of the latest graded submission"),
}

# A grader error is the grader's fault, not the student's: it never counts as a score. A rejected
# file (wrong format, unreadable) does count, as zero.
COUNTED_RESULT_STATUSES = (Result.Status.GRADED, Result.Status.REJECTED)


class GradebookCell(NamedTuple):
    # Floats, not Decimals: scores have two decimals, and converting 15,000 Decimals per page
    # cost more than the rest of the page's Python.
    score: float
    max_score: float
    submission_id: int
    # The chosen submission is a report awaiting TA grading: no score yet, whatever ``score`` says.
    awaiting_grading: bool = False
    # A report that could still change this cell awaits TA grading (for the best score: any of them).
    provisional: bool = False

    @property
    def display(self) -> str:
        """The score without trailing zeros: 8.5, 10; "pending" while a TA has not graded it."""
        return str(PENDING_LABEL) if self.awaiting_grading else f"{self.score:g}"

    @property
    def fraction(self) -> float:
        """The share of the maximum earned; 0 while awaiting grading (pending counts as nothing)."""
        if self.awaiting_grading or not self.max_score:
            return 0.0
        return self.score / self.max_score


PENDING_LABEL = _("pending")


@dataclass(frozen=True)
class GradebookRow:
    student_id: int
    account: str
    name: str
    cells: tuple[GradebookCell | None, ...]  # one per assignment, in the gradebook's order
    total_percent: float
    # Some report of this student awaits TA grading, so the total may still rise.
    provisional: bool = False


@dataclass(frozen=True)
class Gradebook:
    course: Course
    choice: ScoreChoice
    assignments: tuple[Assignment, ...]
    rows: tuple[GradebookRow, ...]
    weight_total: int
    # Each assignment's time rules for the class now (open, closed, ...), in the order of ``assignments``.
    windows: tuple[UploadWindow, ...] = ()

    @property
    def assignment_windows(self) -> list[tuple[Assignment, UploadWindow]]:
        return list(zip(self.assignments, self.windows, strict=True))


def gradebook_for(*, course: Course, choice: ScoreChoice) -> Gradebook:
    """Students × assignments of ``course`` with the chosen score per cell and a weighted total.

    The total is ``sum(score / max_score × weight) / sum(weights)`` as a percentage; an assignment
    without a counted result, or whose report awaits TA grading, contributes zero, and a row with a
    report awaiting grading is marked provisional. Three queries, whatever the size of the class.
    """
    assignments = tuple(Assignment.objects.filter(course=course).order_by("due_at", "slug"))
    for assignment in assignments:
        assignment.course = course  # already fetched: the time rules read its zone
    now = timezone.now()
    windows = tuple(upload_window(assignment=assignment, at=now) for assignment in assignments)
    students = (
        get_user_model().objects.filter(memberships__course=course, memberships__role=Membership.Role.STUDENT)
        .order_by("username").values_list("id", "username", "first_name", "last_name")
    )
    scores = _chosen_scores(assignment_ids=[assignment.pk for assignment in assignments], choice=choice)
    weight_total = sum(assignment.weight_percent for assignment in assignments)
    rows = []
    for student_id, account, first_name, last_name in students:
        cells = tuple(scores.get((student_id, assignment.pk)) for assignment in assignments)
        weighted = sum(
            cell.fraction * assignment.weight_percent
            for cell, assignment in zip(cells, assignments, strict=True) if cell is not None
        )
        rows.append(GradebookRow(
            student_id=student_id, account=account, name=f"{first_name} {last_name}".strip(), cells=cells,
            total_percent=100 * weighted / weight_total if weight_total else 0.0,
            provisional=any(cell is not None and cell.provisional for cell in cells),
        ))
    return Gradebook(course=course, choice=choice, assignments=assignments, rows=tuple(rows),
                     weight_total=weight_total, windows=windows)


def _chosen_scores(*, assignment_ids: list[int], choice: ScoreChoice) -> dict[tuple[int, int], GradebookCell]:
    if not assignment_ids:
        return {}
    fraction = Cast(F("score"), FloatField()) / NullIf(Cast(F("max_score"), FloatField()), Value(0.0))
    # Partitioned and ordered like the submission_history index (assignment, student, -created_at),
    # so the database can rank the latest without sorting the whole course's history.
    newest_first = [F("submission__created_at").desc()]
    # 1 for a report awaiting TA grading: the best score ranks every graded result above it.
    awaiting = Case(When(awaits_manual_grading=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    ranking = newest_first if choice is ScoreChoice.LATEST else [
        awaiting.asc(), fraction.desc(nulls_last=True), *newest_first]
    partition = [F("submission__assignment_id"), F("submission__student_id")]
    ranked = (
        Result.objects.filter(submission__assignment_id__in=assignment_ids, status__in=COUNTED_RESULT_STATUSES)
        .annotate(rank=Window(RowNumber(), partition_by=partition, order_by=ranking),
                  any_awaiting=Window(Max(awaiting), partition_by=partition))
        .filter(rank=1)
        .annotate(score_value=Cast("score", FloatField()), max_score_value=Cast("max_score", FloatField()))
        .values_list("submission__student_id", "submission__assignment_id", "submission_id", "score_value",
                     "max_score_value", "awaits_manual_grading", "any_awaiting")
    )
    latest = choice is ScoreChoice.LATEST
    return {
        (student_id, assignment_id): GradebookCell(
            score=score, max_score=max_score, submission_id=submission_id, awaiting_grading=chosen_awaits,
            provisional=chosen_awaits if latest else bool(any_awaiting),
        )
        for student_id, assignment_id, submission_id, score, max_score, chosen_awaits, any_awaiting in ranked
    }

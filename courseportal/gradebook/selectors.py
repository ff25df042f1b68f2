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
from django.db.models import F, FloatField, Value, Window
from django.db.models.functions import Cast, NullIf, RowNumber
from django.utils.translation import gettext_lazy as _

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

    @property
    def display(self) -> str:
        """The score without trailing zeros: 8.5, 10."""
        return f"{self.score:g}"

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class GradebookRow:
    student_id: int
    account: str
    name: str
    cells: tuple[GradebookCell | None, ...]  # one per assignment, in the gradebook's order
    total_percent: float


@dataclass(frozen=True)
class Gradebook:
    course: Course
    choice: ScoreChoice
    assignments: tuple[Assignment, ...]
    rows: tuple[GradebookRow, ...]
    weight_total: int


def gradebook_for(*, course: Course, choice: ScoreChoice) -> Gradebook:
    """Students × assignments of ``course`` with the chosen score per cell and a weighted total.

    The total is ``sum(score / max_score × weight) / sum(weights)`` as a percentage; an assignment
    without a counted result contributes zero. Three queries, whatever the size of the class.
    """
    assignments = tuple(Assignment.objects.filter(course=course).order_by("due_at", "slug"))
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
        ))
    return Gradebook(course=course, choice=choice, assignments=assignments, rows=tuple(rows),
                     weight_total=weight_total)


def _chosen_scores(*, assignment_ids: list[int], choice: ScoreChoice) -> dict[tuple[int, int], GradebookCell]:
    if not assignment_ids:
        return {}
    fraction = Cast(F("score"), FloatField()) / NullIf(Cast(F("max_score"), FloatField()), Value(0.0))
    # Partitioned and ordered like the submission_history index (assignment, student, -created_at),
    # so the database can rank the latest without sorting the whole course's history.
    newest_first = [F("submission__created_at").desc()]
    ranking = newest_first if choice is ScoreChoice.LATEST else [fraction.desc(nulls_last=True), *newest_first]
    ranked = (
        Result.objects.filter(submission__assignment_id__in=assignment_ids, status__in=COUNTED_RESULT_STATUSES)
        .annotate(rank=Window(RowNumber(), partition_by=[F("submission__assignment_id"),
                                                         F("submission__student_id")], order_by=ranking))
        .filter(rank=1)
        .annotate(score_value=Cast("score", FloatField()), max_score_value=Cast("max_score", FloatField()))
        .values_list("submission__student_id", "submission__assignment_id", "submission_id", "score_value",
                     "max_score_value")
    )
    return {
        (student_id, assignment_id): GradebookCell(score=score, max_score=max_score, submission_id=submission_id)
        for student_id, assignment_id, submission_id, score, max_score in ranked
    }

"""The gradebook: every student of a course against every assignment, aggregated in SQL.

Each cell is the submission that counts under that assignment's own rule (best, latest, latest on
time: ``submissions.selectors.counted_results``), marked late, extended or missing. A constant number
of queries however large the class: the students, the assignments, the counted results (one windowed
query), the extensions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from courseportal.courses.deadlines import UploadWindow, time_rules, upload_window
from courseportal.courses.models import Assignment, Course, Extension, Membership
from courseportal.submissions.selectors import RULE_SHORT_LABELS, CountedResult, counted_results

# A cell of the gradebook: the counted submission, or None when nothing counts (yet).
GradebookCell = CountedResult


@dataclass(frozen=True)
class GradebookRow:
    student_id: int
    account: str
    name: str
    cells: tuple[GradebookCell | None, ...]  # one per assignment, in the gradebook's order
    total_percent: float
    # Some report of this student awaits TA grading, so the total may still rise.
    provisional: bool = False
    # Per assignment: the student has an extension; nothing counts and their deadline has passed.
    extended: tuple[bool, ...] = ()
    missing: tuple[bool, ...] = ()


@dataclass(frozen=True)
class GradebookColumn:
    assignment: Assignment
    window: UploadWindow  # the class's time rules now (open, closed, ...)
    rule_label: str  # which submission counts: best, latest, latest on time


@dataclass(frozen=True)
class Gradebook:
    course: Course
    columns: tuple[GradebookColumn, ...]
    rows: tuple[GradebookRow, ...]
    weight_total: int

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(column.assignment for column in self.columns)


def gradebook_for(*, course: Course) -> Gradebook:
    """Students × assignments of ``course`` with the counted score per cell and a weighted total.

    The total is ``sum(score / max_score × weight) / sum(weights)`` as a percentage, where the score
    is what the submission counts for (after any late penalty or override); an assignment without a
    counted result, or whose report awaits TA grading, contributes zero, and a row with a report
    awaiting grading is marked provisional. Work is missing once the student's deadline (with their
    extension and the grace period) has passed with nothing counted.
    """
    assignments = tuple(Assignment.objects.filter(course=course).order_by("due_at", "slug"))
    for assignment in assignments:
        assignment.course = course  # already fetched: the time rules read its zone
    now = timezone.now()
    columns = tuple(GradebookColumn(assignment=assignment, window=upload_window(assignment=assignment, at=now,
                                                                                extension=None),
                                    rule_label=str(RULE_SHORT_LABELS[assignment.counted_submission]))
                    for assignment in assignments)
    students = (
        get_user_model().objects.filter(memberships__course=course, memberships__role=Membership.Role.STUDENT)
        .order_by("username").values_list("id", "username", "first_name", "last_name")
    )
    scores = counted_results(assignments=assignments)
    extensions = {(extension.student_id, extension.assignment_id): extension
                  for extension in Extension.objects.filter(assignment__course=course)}
    weight_total = sum(assignment.weight_percent for assignment in assignments)
    # Per column, computed once: 15,000 cells must not each ask for a primary key or a clock.
    ids = [assignment.pk for assignment in assignments]
    weights = [assignment.weight_percent for assignment in assignments]
    class_deadline_passed = tuple(column.window.deadline_passed for column in columns)
    no_extension = (False,) * len(ids)
    extended_students = {student_id for student_id, _assignment_id in extensions}
    rows = []
    for student_id, account, first_name, last_name in students:
        cells = tuple(scores.get((student_id, assignment_id)) for assignment_id in ids)
        weighted = sum(cell.fraction * weight for cell, weight in zip(cells, weights, strict=True) if cell is not None)
        extended, deadline_passed = no_extension, class_deadline_passed
        if student_id in extended_students:
            own = [extensions.get((student_id, assignment_id)) for assignment_id in ids]
            extended = tuple(extension is not None for extension in own)
            deadline_passed = tuple(
                passed if extension is None else time_rules(assignment=column.assignment, extension=extension)
                .deadline_passed(now) for passed, extension, column in zip(class_deadline_passed, own, columns,
                                                                           strict=True))
        rows.append(GradebookRow(
            student_id=student_id, account=account, name=f"{first_name} {last_name}".strip(), cells=cells,
            total_percent=100 * weighted / weight_total if weight_total else 0.0,
            provisional=any(cell is not None and cell.provisional for cell in cells), extended=extended,
            missing=tuple(cell is None and passed for cell, passed in zip(cells, deadline_passed, strict=True)),
        ))
    return Gradebook(course=course, columns=columns, rows=tuple(rows), weight_total=weight_total)


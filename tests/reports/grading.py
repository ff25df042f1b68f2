"""Helpers for report tests: upload a report through the services, grade it through the rubric."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.reports.models import RubricItem
from courseportal.reports.services import ProblemInput, grading_setup_ensure, report_grade_save
from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create, submission_grade
from grader.testing import text_pdf

PROBLEMS = ("problem_1_residual_blocks", "problem_2_receptive_fields", "problem_3_upsampling")
REPORT = text_pdf([["Problem 1: residual blocks", "A ResNet shortcut adds the input to the output."],
                   ["Problem 2: receptive field", "Each 3x3 convolution grows it by 2."],
                   ["Problem 3: upsampling", "Bilinear interpolation versus transposed convolution."]])


def upload_report(student, assignment, pdf: bytes = REPORT, *, name: str | None = None) -> Submission:
    """Upload ``pdf`` and run its automatic check, as the upload view and the worker would."""
    submission = submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        name or f"{student.username}_{assignment.slug}.pdf", pdf, content_type="application/pdf"))
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def item(assignment, problem: str, comment_start: str) -> RubricItem:
    """The rubric item of ``problem`` whose comment starts with ``comment_start`` (seeding the rubric first)."""
    grading_setup_ensure(assignment=assignment)
    return RubricItem.objects.get(assignment=assignment, problem=problem, comment__startswith=comment_start)


def with_items(*items: RubricItem, adjustment: str = "0", comment: str = "") -> ProblemInput:
    return ProblemInput(item_ids=frozenset(entry.pk for entry in items), adjustment=Decimal(adjustment),
                        comment=comment)


def grade_report(submission: Submission, grader, points: list[float | int], *, comment: str = ""):
    """Grade every problem to ``points`` (of 25 each): "Correct and complete." plus an adjustment."""
    grades = {}
    for problem, earned in zip(PROBLEMS, points, strict=True):
        correct = item(submission.assignment, problem, "Correct")
        grades[problem] = with_items(correct, adjustment=str(Decimal(str(earned)) - 25), comment=comment)
    return report_grade_save(submission=submission, grader=grader, grades=grades)

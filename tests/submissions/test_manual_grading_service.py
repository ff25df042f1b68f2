"""``result_grade_manually``: a TA's grade of a hand-graded report, stored whole or not at all."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.lec2_hw2.checker import PROBLEMS, ReportChecker
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import (
    GradeRefused,
    RegradeRefused,
    result_grade_manually,
    submission_create,
    submission_grade,
    submission_regrade,
)
from grader.results import GradeResult
from tests.conftest import make_assignment
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db

REPORT = (Path(__file__).resolve().parents[2] / "assignments" / "lec2_hw2" / "tests" / "golden"
          / "complete_report.pdf").read_bytes()
NAMES = [problem.check_name for problem in PROBLEMS]
FULL_FEEDBACK = {NAMES[0]: "Clear diagram of the skip path.", NAMES[1]: "", NAMES[2]: "Say why bilinear."}


@pytest.fixture
def report_assignment(course):
    return make_assignment(course, "lec2_hw2", slug="lec2_hw2", title="Lecture 2-2 HW2")


@pytest.fixture
def checked_report(student, report_assignment, published, django_capture_on_commit_callbacks):
    """A report uploaded and through the automatic check, which only validates the PDF."""
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            student=student, assignment=report_assignment,
            upload=SimpleUploadedFile("310510123_lec2_hw2.pdf", REPORT, content_type="application/pdf"))
        submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    mail.outbox.clear()
    return submission


def grade(submission, grader, points, *, capture, feedback=None, comment="Well argued overall."):
    with capture(execute=True):
        return result_grade_manually(submission=submission, grader=grader, points=points,
                                     feedback=FULL_FEEDBACK if feedback is None else feedback, comment=comment)


def result_fields(submission) -> dict:
    return Result.objects.filter(pk=submission.pk).values().get()


def test_the_automatic_check_of_a_report_awaits_a_ta_and_the_email_does_not_say_zero(
        student, report_assignment, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            student=student, assignment=report_assignment,
            upload=SimpleUploadedFile("310510123_lec2_hw2.pdf", REPORT, content_type="application/pdf"))
        submission_grade(submission_id=submission.pk)
    result = Result.objects.get(pk=submission.pk)
    assert result.awaits_manual_grading and not result.is_manually_graded
    assert len(mail.outbox) == 1
    assert "awaiting TA grading" in mail.outbox[0].subject and "0/75" not in mail.outbox[0].subject
    assert mail.outbox[0].subject.endswith("] Received, awaiting TA grading")
    assert mail.outbox[0].body.startswith("310510123_lec2_hw2.pdf was received and is awaiting TA grading.")
    assert "Graded" not in mail.outbox[0].body


def test_ta_grade_stores_one_check_per_problem_named_like_the_checker(
        checked_report, ta, django_capture_on_commit_callbacks):
    result = grade(checked_report, ta, {NAMES[0]: 20, NAMES[1]: Decimal("12.5"), NAMES[2]: 25.0},
                   capture=django_capture_on_commit_callbacks)
    assert [check["name"] for check in result.checks] == NAMES
    assert [check["points"] for check in result.checks] == [20.0, 12.5, 25.0]
    assert [check["max_points"] for check in result.checks] == [25.0, 25.0, 25.0]
    assert result.checks[0]["feedback"] == "Clear diagram of the skip path."
    assert result.score == Decimal("57.50") and result.max_score == Decimal(ReportChecker.points)
    assert result.status == Result.Status.GRADED and result.message == "Well argued overall."
    assert result.graded_by == ta and result.manually_graded_at is not None and not result.awaits_manual_grading


def test_the_student_is_emailed_their_points_and_feedback(checked_report, student, ta,
                                                           django_capture_on_commit_callbacks):
    grade(checked_report, ta, {NAMES[0]: 20, NAMES[1]: 25, NAMES[2]: 10}, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [student.email] and email.subject == "[Lecture 2-2 HW2] 55/75"
    assert f"{NAMES[0]}: 20/25\n  Clear diagram of the skip path." in email.body
    assert f"{NAMES[2]}: 10/25\n  Say why bilinear." in email.body and "Well argued overall." in email.body


@pytest.mark.parametrize("points", [
    {NAMES[0]: 25.5, NAMES[1]: 10, NAMES[2]: 10},
    {NAMES[0]: -1, NAMES[1]: 10, NAMES[2]: 10},
    {NAMES[0]: 10, NAMES[1]: 10},
    {NAMES[0]: "a lot", NAMES[1]: 10, NAMES[2]: 10},
    {NAMES[0]: float("nan"), NAMES[1]: 10, NAMES[2]: 10},
    {NAMES[0]: True, NAMES[1]: 10, NAMES[2]: 10},
])
def test_points_missing_or_outside_the_range_are_refused_and_nothing_changes(
        points, checked_report, ta, django_capture_on_commit_callbacks):
    before = result_fields(checked_report)
    with pytest.raises(GradeRefused, match="enter points from 0 to 25"):
        grade(checked_report, ta, points, capture=django_capture_on_commit_callbacks)
    assert result_fields(checked_report) == before and mail.outbox == []


def test_a_problem_the_checker_does_not_have_is_refused(checked_report, ta, django_capture_on_commit_callbacks):
    before = result_fields(checked_report)
    points = {NAMES[0]: 10, NAMES[1]: 10, NAMES[2]: 10, "problem4": 5}
    with pytest.raises(GradeRefused, match="problem4"):
        grade(checked_report, ta, points, capture=django_capture_on_commit_callbacks)
    assert result_fields(checked_report) == before


def test_an_automatically_graded_assignment_cannot_be_graded_by_hand(student, assignment, ta, published,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
        submission_grade(submission_id=submission.pk)
    with pytest.raises(GradeRefused, match="graded automatically"):
        grade(submission, ta, {"grade": 5}, capture=django_capture_on_commit_callbacks)
    assert Result.objects.get(pk=submission.pk).score == 10


def test_a_report_being_checked_again_cannot_be_graded_until_the_check_ends(
        checked_report, ta, django_capture_on_commit_callbacks):
    assert submission_regrade(submission=checked_report) is True
    with pytest.raises(GradeRefused, match="being checked again"):
        grade(checked_report, ta, {name: 10 for name in NAMES}, capture=django_capture_on_commit_callbacks)
    checked_report.refresh_from_db()
    assert checked_report.status == Submission.Status.QUEUED


def test_a_rejected_file_has_nothing_to_grade(student, report_assignment, ta, published, monkeypatch,
                                              django_capture_on_commit_callbacks):
    monkeypatch.setattr(ReportChecker, "check", lambda self, submission, sandbox: GradeResult.rejected(
        "Not a report.", max_score=75))
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            student=student, assignment=report_assignment,
            upload=SimpleUploadedFile("310510123_lec2_hw2.pdf", REPORT, content_type="application/pdf"))
        submission_grade(submission_id=submission.pk)
    before = result_fields(submission)
    with pytest.raises(GradeRefused, match="rejected"):
        grade(submission, ta, {name: 10 for name in NAMES}, capture=django_capture_on_commit_callbacks)
    assert result_fields(submission) == before and not before["awaits_manual_grading"]


def test_grading_again_replaces_the_hand_grade_and_emails_again(checked_report, ta, instructor,
                                                                django_capture_on_commit_callbacks):
    grade(checked_report, ta, {name: 10 for name in NAMES}, capture=django_capture_on_commit_callbacks)
    result = grade(checked_report, instructor, {NAMES[0]: 25, NAMES[1]: 25, NAMES[2]: 20},
                   feedback={}, comment="Regraded after your appeal.", capture=django_capture_on_commit_callbacks)
    assert result.score == 70 and result.graded_by == instructor and result.message == "Regraded after your appeal."
    assert [check["feedback"] for check in result.checks] == ["", "", ""]
    assert [email.subject for email in mail.outbox] == ["[Lecture 2-2 HW2] 30/75", "[Lecture 2-2 HW2] 70/75"]


def test_regrade_of_a_hand_graded_report_is_refused_and_keeps_the_grade(
        checked_report, ta, published, django_capture_on_commit_callbacks):
    grade(checked_report, ta, {name: 20 for name in NAMES}, capture=django_capture_on_commit_callbacks)
    with pytest.raises(RegradeRefused, match="graded this report by hand"):
        submission_regrade(submission=checked_report)
    checked_report.refresh_from_db()
    result = Result.objects.get(pk=checked_report.pk)
    assert checked_report.status == Submission.Status.GRADED and result.score == 60 and result.is_manually_graded


def test_a_report_awaiting_its_grade_may_be_checked_again(checked_report, published,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_regrade(submission=checked_report) is True
        submission_grade(submission_id=checked_report.pk)
    assert Result.objects.get(pk=checked_report.pk).awaits_manual_grading


def test_a_check_that_finishes_after_the_ta_graded_does_not_replace_the_grade(
        checked_report, ta, published, django_capture_on_commit_callbacks):
    grade(checked_report, ta, {name: 20 for name in NAMES}, capture=django_capture_on_commit_callbacks)
    # The race the regrade refusal cannot see: a check queued just before the TA saved the grade.
    Submission.objects.filter(pk=checked_report.pk).update(status=Submission.Status.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        kept = submission_grade(submission_id=checked_report.pk)
    checked_report.refresh_from_db()
    assert kept is not None and kept.score == 60 and kept.is_manually_graded and not kept.awaits_manual_grading
    assert checked_report.status == Submission.Status.GRADED
    assert len(mail.outbox) == 1  # the TA's grade only: the discarded check sends nothing

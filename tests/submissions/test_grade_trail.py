"""Every score change is recorded, by one service: who, when, old -> new, why. The grading pipeline,
a late penalty, a regrade, a hand grade, an override, an extension and a changed late policy all
leave their entry; a write that changes no score leaves none."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courseportal.courses.models import Assignment
from courseportal.courses.services import assignment_rules_update, extension_grant, extension_revoke
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services import (
    OverrideRefused,
    result_change,
    result_override,
    submission_create,
    submission_grade,
    submission_regrade,
)
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db
Reason = GradeChange.Reason


def graded(student, assignment, content: bytes = b"# correct\n", received_at=None) -> Submission:
    submission = submission_create(student=student, assignment=assignment, received_at=received_at,
                                   upload=upload(f"{student.username}_{assignment.slug}.py", content))
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def trail(submission) -> list[tuple]:
    return [(change.reason, change.old_score, change.new_score, change.changed_by)
            for change in GradeChange.objects.filter(submission=submission).order_by("changed_at", "id")]


def late_by_days(assignment, instructor, *, days: int = 1, percent: str = "10") -> None:
    """The deadline passed so that an upload now is ``days`` started days late, losing ``percent`` a day."""
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() - timedelta(days=days - 1, minutes=10), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(percent)})


def test_the_first_grading_is_recorded_as_the_autograders(student, assignment, published):
    submission = graded(student, assignment)
    assert trail(submission) == [(Reason.AUTOGRADER, None, Decimal(10), None)]
    assert submission.result.counted_score == Decimal(10)


def test_a_late_upload_is_graded_then_penalised_and_both_are_recorded(student, instructor, assignment, published):
    late_by_days(assignment, instructor, days=1)
    submission = graded(student, assignment)
    assert trail(submission) == [(Reason.AUTOGRADER, None, Decimal(10), None),
                                 (Reason.LATE_PENALTY, Decimal(10), Decimal(9), None)]
    result = submission.result
    assert (result.score, result.counted_score, result.late_periods, result.late_penalty_percent) == (
        Decimal(10), Decimal(9), 1, Decimal(10))
    assert GradeChange.objects.get(reason=Reason.LATE_PENALTY).details["late"]["periods"] == 1


def test_a_regrade_is_recorded_with_the_person_who_asked(student, ta, assignment, published,
                                                         django_capture_on_commit_callbacks):
    submission = graded(student, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_regrade(submission=submission, requested_by=ta)
    # The checker now reads another file: the stored blob is what it grades, so change the result's source.
    Result.objects.filter(pk=submission.pk).update(score=Decimal(4), counted_score=Decimal(4))
    submission_grade(submission_id=submission.pk)
    assert trail(submission)[-1] == (Reason.REGRADE, Decimal(4), Decimal(10), ta)


def test_an_override_counts_is_recorded_with_its_reason_and_survives_a_regrade(
        student, ta, assignment, published, django_capture_on_commit_callbacks):
    submission = graded(student, assignment, b"# wrong\n")
    result_override(submission=submission, changed_by=ta, score=Decimal("8.5"), reason="The checker misread line 3.")
    override = GradeChange.objects.get(reason=Reason.OVERRIDE)
    assert (override.old_score, override.new_score, override.changed_by, override.note) == (
        Decimal(0), Decimal("8.5"), ta, "The checker misread line 3.")
    with django_capture_on_commit_callbacks(execute=True):
        submission_regrade(submission=submission, requested_by=ta)
    Result.objects.filter(pk=submission.pk).update(score=Decimal(3))  # as if the old checker had said 3
    submission_grade(submission_id=submission.pk)
    result = Result.objects.get(pk=submission.pk)
    assert result.counted_score == Decimal("8.5") and result.score == Decimal(0)
    regrade = GradeChange.objects.filter(reason=Reason.REGRADE).get()
    assert (regrade.old_score, regrade.new_score) == (Decimal("8.5"), Decimal("8.5"))
    assert regrade.details["score"] == [3.0, 0.0] and regrade.details["override"] == 8.5


def test_removing_an_override_needs_a_reason_and_brings_the_graded_score_back(student, ta, assignment, published):
    submission = graded(student, assignment)
    result_override(submission=submission, changed_by=ta, score=2, reason="Copied from a classmate.")
    with pytest.raises(OverrideRefused):
        result_override(submission=submission, changed_by=ta, score=None, reason="  ")
    with pytest.raises(OverrideRefused):
        result_override(submission=submission, changed_by=ta, score=11, reason="bonus")
    result_override(submission=submission, changed_by=ta, score=None, reason="Cleared by the committee.")
    assert trail(submission)[-1] == (Reason.OVERRIDE_REMOVED, Decimal(2), Decimal(10), ta)
    assert Result.objects.get(pk=submission.pk).override_score is None


def test_an_extension_granted_after_a_late_upload_removes_its_penalty_on_the_record(
        student, instructor, assignment, published):
    late_by_days(assignment, instructor, days=2)
    submission = graded(student, assignment)
    assert submission.result.counted_score == Decimal(8)  # 2 started days late, 10% a day
    extension = extension_grant(assignment=assignment, student=student, due_at=timezone.now() + timedelta(days=1),
                                reason="Hospital stay, certificate seen.", granted_by=instructor)
    entry = GradeChange.objects.filter(reason=Reason.EXTENSION).get()
    assert (entry.old_score, entry.new_score, entry.changed_by, entry.note) == (
        Decimal(8), Decimal(10), instructor, "Hospital stay, certificate seen.")
    extension_revoke(extension=extension, revoked_by=instructor)
    assert trail(submission)[-1] == (Reason.EXTENSION, Decimal(10), Decimal(8), instructor)


def test_an_extension_granted_before_the_deadline_makes_a_later_upload_on_time(student, instructor, assignment,
                                                                                published):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() + timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(10)})
    extension_grant(assignment=assignment, student=student, due_at=timezone.now() + timedelta(days=3),
                    reason="Conference trip.", granted_by=instructor)
    submission = graded(student, assignment, received_at=timezone.now() + timedelta(days=2))
    assert submission.result.late_periods == 0 and submission.result.counted_score == Decimal(10)
    assert [entry[0] for entry in trail(submission)] == [Reason.AUTOGRADER]


def test_changing_the_late_policy_recomputes_penalties_on_the_record(student, instructor, assignment, published):
    late_by_days(assignment, instructor, days=1, percent="10")
    submission = graded(student, assignment)
    assignment_rules_update(assignment=assignment, changed_by=instructor,
                            changes={"late_penalty_percent": Decimal(25)})
    entry = GradeChange.objects.filter(reason=Reason.LATE_PENALTY).order_by("-id").first()
    assert (entry.old_score, entry.new_score, entry.changed_by) == (Decimal(9), Decimal("7.5"), instructor)
    assert entry.details["rules_changed"] is True
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"title": "Renamed"})
    assert GradeChange.objects.filter(submission=submission).count() == 3  # a title is not a time rule


def test_a_write_that_changes_no_score_records_nothing(student, assignment, published):
    submission = graded(student, assignment)
    result_change(submission_id=submission.pk, reason=Reason.REGRADE, fields={"message": "same score"})
    assert GradeChange.objects.filter(submission=submission).count() == 1


def test_the_counted_score_is_computed_by_the_service_never_given(student, assignment, published):
    submission = graded(student, assignment)
    with pytest.raises(ValueError):
        result_change(submission_id=submission.pk, reason=Reason.OVERRIDE, fields={"counted_score": 99})


def test_a_grader_error_is_worth_nothing_and_records_nothing(student, assignment, published):
    from courseportal.submissions.services.pipeline import _give_up

    submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RUNNING, attempts=3,
                                                       claimed_at=timezone.now())
    submission.refresh_from_db()
    _give_up(submission=submission)
    assert Result.objects.get(pk=submission.pk).counted_score is None
    assert not GradeChange.objects.filter(submission=submission).exists()

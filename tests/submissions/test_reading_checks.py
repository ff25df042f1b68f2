"""A result the grader could not read with confidence goes on the TA's "check how it was read" list
without costing points; a TA's check (a chosen reading, or points) changes the score on the record,
with who, why and which reading, and takes the submission off the list."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from courseportal.submissions.models import GradeChange, Submission
from courseportal.submissions.selectors import submissions_awaiting_reading_check
from courseportal.submissions.services import (
    ReadingCheckRefused,
    result_reading_check,
    submission_create,
    submission_grade,
    submission_regrade,
)
from tests.conftest import make_assignment
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db
UNSURE = "fc2 output"


@pytest.fixture
def layers(course):
    return make_assignment(course, "unit_layers", slug="layers")


def graded(student, assignment, content: bytes) -> Submission:
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload(f"{student.username}_{assignment.slug}.py", content))
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def test_an_unsure_reading_keeps_its_points_and_puts_the_submission_on_the_list(
        student, layers, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        unsure = graded(student, layers, b"unsure\n")
    graded_plainly = graded(student, layers, b"wrong 1\n")

    assert unsure.result.awaits_reading_check and unsure.result.score == Decimal(25)
    assert [check["name"] for check in unsure.result.uncertain_checks] == [UNSURE]
    assert not graded_plainly.result.awaits_reading_check
    assert list(submissions_awaiting_reading_check(assignment=layers)) == [unsure]
    assert "Some answers could not be read with confidence: fc2 output. They are not marked wrong" in \
        mail.outbox[0].body


def test_a_ta_choosing_the_no_answer_reading_takes_the_points_off_on_the_record(
        student, ta, layers, published, django_capture_on_commit_callbacks):
    submission = graded(student, layers, b"unsure\n")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = result_reading_check(submission=submission, checked_by=ta, points={UNSURE: 0},
                                      chosen={UNSURE: ""}, note="The (1, 10) is the input of fc1.")

    assert result.score == Decimal("24.375") and result.counted_score == Decimal("24.375")
    assert not result.awaits_reading_check and result.reading_checked_by == ta
    check = next(check for check in result.checks if check["name"] == UNSURE)
    assert (check["points"], check["passed"], check["uncertain"], check["reading_checked"]) == (0.0, False, False, True)
    change = GradeChange.objects.filter(submission=submission).latest("id")
    assert (change.reason, change.changed_by, change.old_score, change.new_score) == (
        GradeChange.Reason.READING_CHECK, ta, Decimal(25), Decimal("24.375"))
    assert change.note == "The (1, 10) is the input of fc1."
    assert change.details["reading_check"] == {UNSURE: {"points": 0.0, "reading": ""}}
    assert list(submissions_awaiting_reading_check(assignment=layers)) == []
    assert [message.subject for message in mail.outbox] == ["[unit_layers] 24.375/25"]


def test_a_ta_confirming_the_reading_is_on_the_record_though_the_score_stays(student, ta, layers, published):
    submission = graded(student, layers, b"unsure\n")
    result = result_reading_check(submission=submission, checked_by=ta, points={UNSURE: Decimal("0.625")},
                                  chosen={UNSURE: "(1, 10)"})

    assert result.score == Decimal(25) and not result.awaits_reading_check
    change = GradeChange.objects.filter(submission=submission).latest("id")
    assert (change.reason, change.old_score, change.new_score) == (GradeChange.Reason.READING_CHECK, Decimal(25),
                                                                    Decimal(25))


@pytest.mark.parametrize("points", [{}, {UNSURE: Decimal("0.7")}, {UNSURE: -1}, {UNSURE: "x"}, {UNSURE: True}])
def test_points_missing_or_outside_the_check_are_refused_and_nothing_changes(student, ta, layers, published, points):
    submission = graded(student, layers, b"unsure\n")
    before = GradeChange.objects.count()
    with pytest.raises(ReadingCheckRefused, match="0 to 0.625"):
        result_reading_check(submission=submission, checked_by=ta, points=points)
    submission.result.refresh_from_db()
    assert submission.result.awaits_reading_check and GradeChange.objects.count() == before


def test_a_result_not_on_the_list_or_being_regraded_is_refused(student, ta, layers, published):
    certain = graded(student, layers, b"wrong 2\n")
    with pytest.raises(ReadingCheckRefused, match="no answers waiting"):
        result_reading_check(submission=certain, checked_by=ta, points={})

    unsure = graded(student, layers, b"unsure\n")
    submission_regrade(submission=unsure, requested_by=ta)
    with pytest.raises(ReadingCheckRefused, match="being graded again"):
        result_reading_check(submission=unsure, checked_by=ta, points={UNSURE: 0})


def test_a_regrade_keeps_the_tas_check_of_an_answer_that_reads_the_same_way(student, ta, layers, published):
    submission = graded(student, layers, b"unsure\n")
    result_reading_check(submission=submission, checked_by=ta, points={UNSURE: 0}, chosen={UNSURE: ""})
    submission_regrade(submission=submission, requested_by=ta)
    submission_grade(submission_id=submission.pk)

    submission.result.refresh_from_db()
    result = submission.result
    assert result.score == Decimal("24.375") and not result.awaits_reading_check and result.reading_checked_by == ta
    assert list(submissions_awaiting_reading_check(assignment=layers)) == []
    assert [change.reason for change in GradeChange.objects.filter(submission=submission)] == [
        GradeChange.Reason.AUTOGRADER, GradeChange.Reason.READING_CHECK]

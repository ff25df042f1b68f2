"""A grading that stalls is bounded by time limits derived from its checker, its claim outlasts
them, and a submission that stalls twice is failed for staff instead of going round every slot.
(The same with a real broker and worker: tests/integration/test_poisoned_upload.py.)"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create, submission_grade
from courseportal.submissions.services.pipeline import grading_task_send
from courseportal.submissions.time_limits import grading_time_limits
from grader.registry import get_checker
from grader.results import GradeResult
from tests.conftest import make_assignment

pytestmark = pytest.mark.django_db

Status = Submission.Status


class CountingSandbox:
    closed = 0

    def run(self, request):
        raise AssertionError("these checkers run nothing")

    def close(self) -> None:
        CountingSandbox.closed += 1


@pytest.fixture
def stalling_assignment(course):
    return make_assignment(course, "unit_stall", slug="stall")


@pytest.fixture
def sandbox(published, monkeypatch):
    CountingSandbox.closed = 0
    sandbox = CountingSandbox()
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: sandbox)
    return sandbox


def upload(student, assignment, text: str) -> Submission:
    return submission_create(student=student, assignment=assignment,
                             upload=SimpleUploadedFile(f"{student.username}_{assignment.slug}.py", text.encode()))


def test_time_limits_come_from_the_checker_and_the_claim_outlasts_them(settings):
    settings.GRADING_TIME_MARGIN_S = 30
    limits = grading_time_limits(get_checker("unit_stall"))
    assert limits.soft_s == get_checker("unit_stall").limits.wall_seconds + 30
    assert limits.soft_s < limits.hard_s < limits.lease_s


def test_the_grading_task_is_published_with_the_checkers_soft_and_hard_limits(monkeypatch):
    sent = []
    monkeypatch.setattr("courseportal.submissions.services.pipeline.celery_app.send_task",
                        lambda *args, **options: sent.append(options))
    checker = get_checker("unit_stall")
    grading_task_send(submission_id=7, checker=checker)
    limits = grading_time_limits(checker)
    assert sent[0]["soft_time_limit"] == limits.soft_s and sent[0]["time_limit"] == limits.hard_s
    assert sent[0]["queue"] == checker.queue


def test_a_claim_lasts_longer_than_the_hard_time_limit(student, stalling_assignment, sandbox, monkeypatch):
    claims = []

    def grade_while_looking_at_the_claim(checker, **kwargs):
        claims.append(Submission.objects.get(pk=submission.pk))
        return GradeResult("graded", score=10.0, max_score=10.0)

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grade_file", grade_while_looking_at_the_claim)
    submission = upload(student, stalling_assignment, "fine")
    submission_grade(submission_id=submission.pk)
    lease = (claims[0].lease_expires_at - claims[0].claimed_at).total_seconds()
    assert lease == pytest.approx(grading_time_limits(get_checker("unit_stall")).lease_s)
    assert lease > grading_time_limits(get_checker("unit_stall")).hard_s


def test_a_first_stall_queues_the_submission_again_on_a_fresh_sandbox(student, stalling_assignment, sandbox):
    submission = upload(student, stalling_assignment, "stall")
    assert submission_grade(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert (submission.status, submission.attempts, submission.enqueued_at) == (Status.QUEUED, 1, None)
    assert not Result.objects.exists()
    assert CountingSandbox.closed == 1


def test_a_second_stall_fails_the_submission_with_an_error_staff_can_see(student, stalling_assignment, sandbox,
                                                                          settings):
    submission = upload(student, stalling_assignment, "stall")
    submission_grade(submission_id=submission.pk)
    result = submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.attempts == settings.GRADING_MAX_ATTEMPTS == 2
    assert result.status == "error" and "took longer than" in result.message
    assert submission_grade(submission_id=submission.pk) is None  # no slot gets it a third time


def test_an_ordinary_upload_is_graded_as_before(student, stalling_assignment, sandbox):
    submission = upload(student, stalling_assignment, "fine")
    assert submission_grade(submission_id=submission.pk).status == "graded"
    assert CountingSandbox.closed == 0

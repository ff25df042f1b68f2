"""An upload goes through the real broker to a real worker process and comes back graded, once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create, submission_regrade
from courseportal.submissions.tasks import grade_submission
from tests.conftest import make_assignment
from tests.integration.conftest import mail_sent_to
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

CORRECT = b"def add(a, b):\n    return a + b\n"
WRONG = b"def add(a, b):\n    return a * b\n"  # 2*3 = 6 and -1*1 = -1: both sums wrong


@pytest.fixture(scope="module")
def worker(django_db_setup, broker, integration_worker_env):
    with celery_worker(broker_url=broker.url, env=integration_worker_env) as running:
        yield running


@pytest.fixture
def assignment(course):
    return make_assignment(course, "it_add", slug="hw")


def upload(student, assignment, content: bytes) -> Submission:
    name = f"{student.username}_{assignment.slug}.py"
    return submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(name, content))


def graded(submission: Submission, *, timeout_s: float = 30) -> Submission:
    def finished():
        submission.refresh_from_db()
        return submission.status in (Submission.Status.GRADED, Submission.Status.FAILED)

    wait_until(finished, timeout_s=timeout_s, what=f"submission {submission.pk} to be graded")
    return submission


def test_uploaded_file_is_graded_by_the_worker_with_its_own_score(worker, student, other_student, assignment):
    right = graded(upload(student, assignment, CORRECT))
    wrong = graded(upload(other_student, assignment, WRONG))

    assert right.status == Submission.Status.GRADED
    assert (right.result.score, right.result.max_score) == (Decimal("2.00"), Decimal("2.00"))
    assert [check["passed"] for check in right.result.checks] == [True, True]
    assert wrong.result.score == Decimal("0.00")
    assert "expected 5, got 6" in wrong.result.checks[0]["feedback"]
    assert right.attempts == 1 and right.graded_at is not None


def test_student_is_emailed_their_result(worker, student, assignment, shared_state):
    submission = graded(upload(student, assignment, CORRECT))

    messages = wait_until(lambda: mail_sent_to(shared_state, student.email), timeout_s=10,
                          what="the result email")
    assert len(messages) == 1
    assert re.search(r"\b2(\.0+)?/2(\.0+)?$", messages[0]["Subject"])
    assert submission.filename in messages[0].get_payload(decode=True).decode()


def test_duplicate_task_delivery_is_a_no_op(worker, student, other_student, assignment, shared_state):
    submission = graded(upload(student, assignment, CORRECT))
    first_graded_at = submission.graded_at

    grade_submission.apply_async(args=[submission.pk], queue="checks")
    grade_submission.apply_async(args=[submission.pk], queue="checks")
    # One worker process takes the queue in order: once a later upload is graded, so are the duplicates.
    graded(upload(other_student, assignment, CORRECT))

    submission.refresh_from_db()
    assert submission.attempts == 1 and submission.graded_at == first_graded_at
    assert Result.objects.filter(submission=submission).count() == 1
    assert len(mail_sent_to(shared_state, student.email)) == 1


def test_regrade_replaces_the_result_in_place_and_cannot_be_queued_twice(worker, student, assignment):
    submission = graded(upload(student, assignment, CORRECT))
    first_graded_at = submission.result.graded_at

    assert submission_regrade(submission=submission) is True
    assert submission_regrade(submission=submission) is False  # already waiting: no second grading
    submission.refresh_from_db()
    wait_until(lambda: Result.objects.filter(submission=submission, graded_at__gt=first_graded_at).exists(),
               timeout_s=30, what="the regrade's result")

    graded(submission)
    assert Result.objects.filter(submission=submission).count() == 1
    assert submission.attempts == 1 and submission.result.score == Decimal("2.00")

"""One student cannot stall the class: with a real broker and a real worker (two grading slots),
a poisoned upload holds one slot only until its grading's time limit, the others' results arrive
promptly meanwhile, the poisoned submission is failed for staff after its second try (never handed
to every slot in turn), and the slot it held grades again afterwards.

Limits here (``it_stall``: 2 s wall clock, GRADING_TIME_MARGIN_S=3): soft 5 s, hard 15 s, claim
25 s (courseportal/submissions/time_limits.py).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment, make_user
from tests.integration.checkers import POISON, POISON_DEAF_TO_THE_SOFT_LIMIT
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

Status = Submission.Status
SOFT_LIMIT_S = 5.0
# An ordinary grading here is a few database writes; "promptly" leaves room for a loaded host while
# staying under the poison's soft limit, so no ordinary upload can have waited for it.
PROMPT_S = 4.0


TIME_MARGIN_S = 3


@pytest.fixture(scope="module")
def worker(django_db_setup, broker, integration_worker_env):
    env = {**integration_worker_env, "GRADING_TIME_MARGIN_S": str(TIME_MARGIN_S), "GRADING_MAX_ATTEMPTS": "2"}
    with celery_worker(broker_url=broker.url, env=env, concurrency=2, beat=True) as running:
        yield running


@pytest.fixture(autouse=True)
def same_margin_as_the_worker(settings):
    """The upload (this process) publishes the task with its time limits, as the web process does:
    like the web and the worker in production, both must read the same settings."""
    settings.GRADING_TIME_MARGIN_S = TIME_MARGIN_S


@pytest.fixture
def assignment(course):
    return make_assignment(course, "it_stall", slug="stall")


@pytest.fixture
def classmates(course):
    users = [make_user(f"31051{number:04d}") for number in range(6)]
    for user in users:
        membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    return users


def upload(student, assignment, text: str) -> Submission:
    return submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        f"{student.username}_{assignment.slug}.py", text.encode()))


def finished(submission: Submission, *, timeout_s: float) -> Submission:
    def done():
        submission.refresh_from_db()
        return submission.status in (Status.GRADED, Status.FAILED)

    wait_until(done, timeout_s=timeout_s, what=f"submission {submission.pk} to finish")
    return submission


def seconds_to_result(submission: Submission) -> float:
    return (submission.result.graded_at - submission.created_at).total_seconds()


def poison_then_others(poisoner, classmates, assignment, poison_text: str) -> tuple[Submission, list[Submission]]:
    """The poisoned upload, taken by a slot, then ordinary uploads by ``classmates``."""
    poison = upload(poisoner, assignment, poison_text)
    wait_until(lambda: Submission.objects.filter(pk=poison.pk, status=Status.RUNNING).exists(),
               timeout_s=30, what="a slot to take the poisoned upload")
    return poison, [upload(classmate, assignment, "ordinary") for classmate in classmates]


def assert_others_graded_promptly_while_the_poison_holds_its_slot(poison, others, worker):
    for submission in others:
        try:
            finished(submission, timeout_s=30)
        except AssertionError as timeout:
            raise AssertionError(f"{timeout}\nworker log:\n{worker.log()[-8000:]}") from None
    assert [submission.result.status for submission in others] == ["graded"] * len(others)
    assert max(seconds_to_result(submission) for submission in others) < PROMPT_S
    poison.refresh_from_db()
    assert poison.status in (Status.RUNNING, Status.QUEUED) and poison.attempts == 1, "the others waited for it"


def test_poisoned_upload_is_stopped_at_its_soft_limit_and_failed_after_two_tries(
        worker, student, classmates, assignment):
    poison, others = poison_then_others(student, classmates[:4], assignment, POISON)
    assert_others_graded_promptly_while_the_poison_holds_its_slot(poison, others, worker)

    finished(poison, timeout_s=60)
    assert poison.status == Status.FAILED and poison.attempts == 2
    assert poison.result.status == "error" and "took longer than 5 s; it was tried 2 times" in poison.result.message

    # Both slots grade again: two uploads at once, each as prompt as before.
    after = [upload(classmate, assignment, "ordinary") for classmate in classmates[4:6]]
    assert all(finished(submission, timeout_s=30).result.status == "graded" for submission in after)
    assert max(seconds_to_result(submission) for submission in after) < PROMPT_S
    assert "Hard time limit" not in worker.log()  # the soft limit was enough


def test_a_grading_deaf_to_the_soft_limit_is_killed_and_its_slot_replaced(
        worker, other_student, classmates, assignment):
    poison, others = poison_then_others(other_student, classmates[:3], assignment, POISON_DEAF_TO_THE_SOFT_LIMIT)
    assert_others_graded_promptly_while_the_poison_holds_its_slot(poison, others, worker)

    finished(poison, timeout_s=120)  # killed at 15 s, claim expires at 25 s, the sweep sends it again, twice
    assert poison.status == Status.FAILED and poison.attempts == 2
    assert "stopped 2 times" in poison.result.message
    assert worker.log().count("Hard time limit") == 2

    after = [upload(classmate, assignment, "ordinary") for classmate in classmates[3:5]]
    assert all(finished(submission, timeout_s=30).result.status == "graded" for submission in after)
    assert max(seconds_to_result(submission) for submission in after) < PROMPT_S

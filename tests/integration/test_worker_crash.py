"""A worker killed mid-grade loses nothing: the claim expires, the sweep re-queues, a new worker grades."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_submission_being_graded_by_a_killed_worker_is_graded_after_restart(
    django_db_setup, broker, integration_worker_env, course, student
):
    assignment = make_assignment(course, "it_slow", slug="slow")
    with celery_worker(broker_url=broker.url, env=integration_worker_env, beat=True) as first:
        submission = submission_create(student=student, assignment=assignment,
                                       upload=SimpleUploadedFile("310510123_slow.py", b"print('hi')\n"))
        wait_until(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.RUNNING).exists(),
                   timeout_s=20, what="the worker to claim the submission")
        first.kill()

    submission.refresh_from_db()
    assert submission.status == Submission.Status.RUNNING  # the claim outlives the dead worker

    with celery_worker(broker_url=broker.url, env=integration_worker_env, beat=True) as second:
        try:
            wait_until(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.GRADED).exists(),
                       timeout_s=90, what="the restarted worker to grade it")
        except AssertionError as timeout:
            submission.refresh_from_db()
            raise AssertionError(f"{timeout}; submission {submission.status} attempts={submission.attempts} "
                                 f"lease={submission.lease_expires_at}\nworker log:\n{second.log()[-6000:]}") from None

    submission.refresh_from_db()
    assert submission.attempts == 2
    assert submission.result.status == "graded" and submission.result.checks[0]["passed"] is True

"""Uploads keep working while the broker is down, and are graded once it is back, with no one's help."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_upload_while_the_broker_is_down_is_queued_then_graded_when_it_returns(
    django_db_setup, broker, integration_worker_env, course, student
):
    assignment = make_assignment(course, "it_add", slug="hw")
    with celery_worker(broker_url=broker.url, env=integration_worker_env, beat=True):
        broker.stop()
        try:
            started = time.monotonic()
            submission = submission_create(
                student=student, assignment=assignment,
                upload=SimpleUploadedFile("310510123_hw.py", b"def add(a, b):\n    return a + b\n"),
            )
            upload_seconds = time.monotonic() - started
            submission.refresh_from_db()
            assert submission.status == Submission.Status.QUEUED and submission.enqueued_at is None
            assert upload_seconds < 5, f"the upload waited {upload_seconds:.1f} s for a dead broker"
        finally:
            broker.start()

        wait_until(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.GRADED).exists(),
                   timeout_s=60, what="the sweep to re-send the upload and the worker to grade it")
    submission.refresh_from_db()
    assert submission.result.score == 2

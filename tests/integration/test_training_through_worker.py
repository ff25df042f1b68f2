"""Training homework through a real Celery worker process: the pre-check on the CPU queue, the GPU
line, and the starter's whole training run (on the CPU here, device "cpu") with its live curve, to
full marks. A worker killed mid-training: test_training_survives_a_killed_worker.py."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.lec2_hw3.checker import DigitsCnnChecker
from courseportal.submissions.models import Submission, TrainingJob
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment
from tests.stack import celery_worker

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(720)]

STARTER = DigitsCnnChecker.folder() / "lec2_hw3.py"


def without_sweeps(log: str, characters: int = 6000) -> str:
    """A worker log's tail without the once-a-second sweep lines (beat runs in the test workers)."""
    return "\n".join(line for line in log.splitlines() if "sweep" not in line)[-characters:]


def upload(student, assignment, content: bytes) -> Submission:
    return submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        f"{student.username}_{assignment.slug}.py", content, content_type="text/x-python"))


def graded(submission: Submission) -> bool:
    return Submission.objects.filter(pk=submission.pk, status__in=[Submission.Status.GRADED,
                                                                   Submission.Status.FAILED]).exists()


def test_the_starter_reaches_the_digits_threshold_through_a_real_worker_with_a_live_curve(
        django_db_setup, broker, integration_worker_env, course, student):
    assignment = make_assignment(course, "it_digits", slug="lec2_hw3")
    live_points: list[list] = []
    with celery_worker(broker_url=broker.url, env=integration_worker_env, ready_timeout_s=120) as worker:
        submission = upload(student, assignment, STARTER.read_bytes())
        deadline = time.monotonic() + 600
        while not graded(submission):
            job = TrainingJob.objects.filter(submission=submission, state=TrainingJob.State.RUNNING).first()
            if job is not None and job.progress:
                live_points.append(job.progress)
            assert time.monotonic() < deadline, f"not graded in time:\n{without_sweeps(worker.log())}"
            time.sleep(0.5)
    submission.refresh_from_db()
    job = TrainingJob.objects.get(submission=submission)
    assert submission.status == Submission.Status.GRADED, submission.result.message
    assert job.precheck_feedback.startswith("Pre-check passed") and job.state == TrainingJob.State.FINISHED
    assert job.summary["dataset"] == "digits" and job.summary["accuracy"] >= 0.96, submission.result.message
    assert float(submission.result.score) == DigitsCnnChecker.points
    assert live_points, "no progress was seen while the run was training"

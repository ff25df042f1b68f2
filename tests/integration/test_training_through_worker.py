"""Training homework through real Celery worker processes: the pre-check on the CPU queue, the GPU
line, the training run (on the CPU here, device "cpu") with its live curve, and a worker killed
mid-training, which costs one retry and leaves exactly one result."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.lec2_hw3.checker import DigitsCnnChecker
from courseportal.submissions.models import Result, Submission, TrainingJob
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment
from tests.sandbox.hostile import processes_left, uids_claimed_under
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(720)]

STARTER = DigitsCnnChecker.folder() / "lec2_hw3.py"
# Trains slowly (a pause per batch) and until stopped: a worker can be killed in the middle of it.
SLOW_TRAINING = b'''
import time
import torch
from torch import nn


def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def train(model, train_loader, device, budget):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    while True:
        for images, labels in train_loader:
            time.sleep(0.02)
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images), labels).backward()
            optimizer.step()
'''


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


def test_a_worker_killed_mid_training_costs_one_retry_and_leaves_exactly_one_result(
        django_db_setup, broker, integration_worker_env, course, student, settings):
    assignment = make_assignment(course, "it_train", slug="train")
    with celery_worker(broker_url=broker.url, env=integration_worker_env, beat=True, ready_timeout_s=120) as first:
        submission = upload(student, assignment, SLOW_TRAINING)
        try:
            wait_until(lambda: TrainingJob.objects.filter(submission=submission, state=TrainingJob.State.RUNNING)
                       .exclude(progress=[]).exists(), timeout_s=300, what="training to be under way")
        except AssertionError as timeout:
            submission.refresh_from_db()
            result = Result.objects.filter(submission=submission).first()
            raise AssertionError(f"{timeout}; submission {submission.status}: {result and result.message}"
                                 f"\nworker log:\n{without_sweeps(first.log())}") from None
        sandbox_uids = uids_claimed_under(first.pid)
        first.kill()
    killed = TrainingJob.objects.get(submission=submission)
    assert (killed.state, killed.attempts) == (TrainingJob.State.RUNNING, 1)
    assert processes_left(sandbox_uids, wait_s=10) == []  # the killed run is gone: it cannot run on beside the retry

    with celery_worker(broker_url=broker.url, env=integration_worker_env, beat=True, ready_timeout_s=120) as second:
        try:
            wait_until(lambda: graded(submission), timeout_s=300, what="the restarted worker to train it again")
        except AssertionError as timeout:
            job = TrainingJob.objects.get(submission=submission)
            raise AssertionError(f"{timeout}; job {job.state} attempts={job.attempts} lease={job.lease_expires_at}"
                                 f"\nworker log:\n{without_sweeps(second.log())}") from None
    job = TrainingJob.objects.get(submission=submission)
    assert (job.state, job.attempts) == (TrainingJob.State.FINISHED, 2)
    assert Result.objects.filter(submission=submission).count() == 1
    result = Result.objects.get(submission=submission)
    assert result.status == "graded" and "stopped at the end of its 8 s budget" in result.message

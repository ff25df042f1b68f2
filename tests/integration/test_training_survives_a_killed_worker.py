"""Training homework when a real Celery worker process is killed mid-training: the job's claim
expires, a restarted worker trains it again, and the run costs one retry and leaves exactly one
result (``it_train``: lec2_hw3 with a budget of seconds, tests/integration/checkers.py)."""

from __future__ import annotations

import pytest

from courseportal.submissions.models import Result, TrainingJob
from tests.conftest import make_assignment
from tests.integration.checkers import QuickTrainingChecker
from tests.integration.test_training_through_worker import graded, upload, without_sweeps
from tests.sandbox.hostile import processes_owned_by, still_running, uids_claimed_under
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(720)]

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
        # Its sandboxes' processes, by identity: once the worker is dead its uids may be claimed at
        # once by another worker on the host (a test running beside this one), whose processes stay.
        sandboxed = processes_owned_by(uids_claimed_under(first.pid))
        assert sandboxed, "no sandboxed process found under the training worker"
        first.kill()
    killed = TrainingJob.objects.get(submission=submission)
    assert (killed.state, killed.attempts) == (TrainingJob.State.RUNNING, 1)
    assert still_running(sandboxed, wait_s=10) == []  # the killed run is gone: it cannot run on beside the retry

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
    assert result.status == "graded" and f"stopped at the end of its {QuickTrainingChecker.cpu_budget_seconds:g} s budget" in result.message

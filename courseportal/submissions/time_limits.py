"""How long one grading may take, derived from its checker's sandbox limits: the one home of that rule.

The grading task is published with Celery's soft and hard time limits, and a worker's claim on a
submission (its lease) outlasts the hard limit. So a grading that stalls (trusted code that never
ends, a sandbox that never answers) is stopped in its worker slot, and the sweep never hands a
submission to a second slot while the first may still be grading it. Training jobs on GPU
workers are bounded the same way (``training_time_limits``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from grader.checker import Checker
from grader.training.devices import TrainingDevice

# Between the soft and the hard limit: time to record the stall and stop the slot's sandbox.
STALL_RECORDING_S = 10.0
# Between the hard limit and the end of the claim: time for Celery to kill the process.
LEASE_AFTER_HARD_LIMIT_S = 10.0


@dataclass(frozen=True)
class GradingTimeLimits:
    """Seconds from the start of a grading: the soft limit (``SoftTimeLimitExceeded`` is raised in
    the task, which records a stall), the hard limit (Celery kills the worker process and starts a
    fresh one), and the lease (the claim expires; always after the hard limit)."""

    soft_s: float
    hard_s: float
    lease_s: float


def grading_time_limits(checker: Checker) -> GradingTimeLimits:
    """The limits of one grading by ``checker``: its sandbox run's wall clock, plus
    ``GRADING_TIME_MARGIN_S`` for what a grading does outside it (a fresh sandbox importing torch,
    the checker's own work, the database)."""
    return _limits_after(checker.limits.wall_seconds)


def training_time_limits(checker: Checker, *, device_kind: str) -> GradingTimeLimits:
    """The limits of one training job of ``checker`` on a ``device_kind`` worker ("cpu" or
    "cuda"): its grading there (both runs' wall limits), plus the same margin as a grading. The task
    is published with the limits of ``TRAINING_DEVICE``; the worker's claim outlasts both those and its own."""
    return _limits_after(checker.grading_seconds(TrainingDevice(kind=device_kind)))


def _limits_after(sandbox_seconds: float) -> GradingTimeLimits:
    soft = sandbox_seconds + settings.GRADING_TIME_MARGIN_S
    hard = soft + STALL_RECORDING_S
    return GradingTimeLimits(soft_s=soft, hard_s=hard, lease_s=hard + LEASE_AFTER_HARD_LIMIT_S)

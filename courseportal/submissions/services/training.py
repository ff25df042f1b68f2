"""Training on a GPU worker: claim a job the dispatcher sent, train and score it, recover lost ones.

The pre-check happened on the CPU queue (``pipeline.submission_grade``) and the line is kept by
``training_queue``; here a GPU worker runs one job (``training_job_run``), storing the live curve
as it comes and the result through the pipeline's one result store, and the sweep
(``training_sweep``) puts back jobs whose worker died: once more, then an error result, never two
runs of one job at once (a job's claim outlasts its longest possible run).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from courseportal.submissions.models import Result, Submission, TrainingJob
from courseportal.submissions.selectors import grading_size_limit
from courseportal.submissions.services.pipeline import (
    STORED_FILE_UNREADABLE,
    sandbox_discard,
    submission_result_store,
)
from courseportal.submissions.services.training_queue import training_dispatch, training_task_send
from courseportal.submissions.storage import blob_read
from courseportal.submissions.time_limits import LEASE_AFTER_HARD_LIMIT_S, training_time_limits
from grader import grade_file
from grader.messages import Message
from grader.registry import get_checker
from grader.results import GradeResult, TrainingPoint, curve_thinned
from grader.sandbox import get_sandbox
from grader.sandbox.types import SandboxFailure
from grader.training import training_device

logger = logging.getLogger(__name__)
State = TrainingJob.State
# The live curve is written to the database at most this often.
PROGRESS_WRITE_INTERVAL_S = 1.0


def training_job_run(*, job_id: int, worker: str = "", published_hard_limit_s: float | None = None) -> Result | None:
    """Claim a dispatched job, train it on this worker's device and store its result.

    ``published_hard_limit_s``: the hard time limit the task came with; the claim outlasts it too.

    Returns the result, or None when the job is not this worker's to run (replaced, already
    started: a duplicate delivery) or the sandbox broke (the job goes back to the line).
    """
    job = TrainingJob.objects.select_related("submission__assignment", "submission__blob").filter(pk=job_id).first()
    if job is None:
        return None
    submission = job.submission
    checker = get_checker(submission.assignment.checker_slug)
    device = training_device()
    claimed_at = timezone.now()
    # A claim outlasts the task's hard time limit: the one it was published with, and this device's.
    limits = training_time_limits(checker, device_kind=device.kind)
    lease = timedelta(seconds=max(limits.lease_s, (published_hard_limit_s or 0) + LEASE_AFTER_HARD_LIMIT_S))
    claimed = TrainingJob.objects.filter(pk=job_id, state=State.DISPATCHED).update(
        state=State.RUNNING, started_at=claimed_at, lease_expires_at=claimed_at + lease,
        attempts=F("attempts") + 1, worker=f"{worker} · {device.label}"[:200], progress=[], progress_at=None)
    if claimed != 1:
        return None
    Submission.objects.filter(pk=submission.pk, status=Submission.Status.TRAINING).update(claimed_at=claimed_at)
    try:
        data = blob_read(submission.blob_id)
    except OSError as error:
        logger.error("training job %s: stored file unreadable: %r", job_id, error)
        return _job_finish(job=job, claimed_at=claimed_at, seconds=0.0,
                           grade=GradeResult.error(STORED_FILE_UNREADABLE, max_score=checker.points))
    progress = _ProgressWriter(job_id=job_id, started_at=claimed_at)
    started = time.monotonic()
    try:
        grade = grade_file(checker, filename=submission.filename, data=data, sandbox=get_sandbox(),
                           max_bytes=grading_size_limit(submission=submission, checker=checker, size=len(data)),
                           prechecked=True, on_progress=progress.add, options=submission.assignment.grading_options(),
                           interruptions=(SoftTimeLimitExceeded,))
    except SandboxFailure as failure:
        return _job_interrupted(job=job, claimed_at=claimed_at, why=f"sandbox failed: {failure}")
    except SoftTimeLimitExceeded:
        # A stall (past its soft time limit): the slot's sandbox may still be running it.
        sandbox_discard()
        return _job_interrupted(job=job, claimed_at=claimed_at, why="stalled past its soft time limit")
    progress.write()
    return _job_finish(job=job, claimed_at=claimed_at, grade=grade, seconds=time.monotonic() - started)


def _job_interrupted(*, job: TrainingJob, claimed_at, why: str) -> None:
    """A run that ended without a result (not the student's doing): back to the line at its old
    place, or an error result staff can see once it has had its tries."""
    if job.attempts + 1 >= settings.TRAINING_MAX_ATTEMPTS:
        logger.error("training job %s: %s, again; giving up", job.pk, why)
        job.refresh_from_db()
        _job_give_up(job=job)
        return None
    logger.error("training job %s: %s; back to the line", job.pk, why)
    _job_requeue(job_id=job.pk, started_at=claimed_at)
    training_dispatch()
    return None


def _job_finish(*, job: TrainingJob, claimed_at, grade: GradeResult, seconds: float) -> Result | None:
    with transaction.atomic():
        result = submission_result_store(submission_id=job.submission_id, claimed_at=claimed_at, grade=grade,
                                         seconds=seconds)
        if result is not None:
            TrainingJob.objects.filter(pk=job.pk, state=State.RUNNING, started_at=claimed_at).update(
                state=State.FINISHED, finished_at=timezone.now(), lease_expires_at=None,
                summary=grade.training.to_dict() if grade.training else None)
        transaction.on_commit(training_dispatch)
    return result


def _job_requeue(*, job_id: int, started_at) -> bool:
    """Put a job whose run ended without a result back in the line at its old place (the student
    keeps their turn: its start is forgotten)."""
    return TrainingJob.objects.filter(pk=job_id, state=State.RUNNING, started_at=started_at).update(
        state=State.WAITING, started_at=None, dispatched_at=None, lease_expires_at=None, worker="") == 1


class _ProgressWriter:
    """Keeps a run's points and writes them to its job at most every ``PROGRESS_WRITE_INTERVAL_S``."""

    def __init__(self, *, job_id: int, started_at) -> None:
        self.job_id = job_id
        self.started_at = started_at
        self.points: list[TrainingPoint] = []
        self._written_at = 0.0

    def add(self, point: TrainingPoint) -> None:
        self.points = list(curve_thinned([*self.points, point]))
        if time.monotonic() - self._written_at >= PROGRESS_WRITE_INTERVAL_S:
            self.write()

    def write(self) -> None:
        self._written_at = time.monotonic()
        try:
            TrainingJob.objects.filter(pk=self.job_id, state=State.RUNNING, started_at=self.started_at).update(
                progress=[point.to_dict() for point in self.points], progress_at=timezone.now())
        except DatabaseError as error:  # a busy database costs a frame of the curve, never the run
            logger.warning("training job %s: progress not saved: %s", self.job_id, error)


def training_sweep() -> dict[str, int]:
    """Recover training jobs the GPU workers lost; safe to run any time, from anywhere.

    - running past its claim (the worker died): back to the line, or after ``TRAINING_MAX_ATTEMPTS``
      starts an error result staff can see and regrade;
    - sent to the ``gpu`` queue long ago and never started (the broker lost it): sent again;
    - then free slots are filled.
    """
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    for job in TrainingJob.objects.filter(state=State.RUNNING, lease_expires_at__lt=now).select_related(
            "assignment"):
        if job.attempts >= settings.TRAINING_MAX_ATTEMPTS:
            counts["failed"] += _job_give_up(job=job)
        else:
            counts["requeued"] += _job_requeue(job_id=job.pk, started_at=job.started_at)
    stale = now - timedelta(seconds=settings.TRAINING_REDISPATCH_AFTER_S)
    for job_id in TrainingJob.objects.filter(state=State.DISPATCHED, dispatched_at__lt=stale).values_list("pk",
                                                                                                          flat=True):
        try:
            training_task_send(job_id=job_id)
        except Exception as error:  # the broker is down: the next sweep tries again
            logger.warning("broker unavailable, training job %s not resent: %s", job_id, error)
            break
        TrainingJob.objects.filter(pk=job_id, state=State.DISPATCHED).update(dispatched_at=now)
        counts["resent"] += 1
    training_dispatch()
    if any(counts.values()):
        logger.info("training sweep: %s", counts)
    return counts


def _job_give_up(*, job: TrainingJob) -> int:
    grade = GradeResult.error(
        Message("Training stopped %(count)d times before finishing (the GPU worker crashed or was restarted). "
                "Course staff see it marked as a grader error and will regrade it.", count=job.attempts),
        max_score=get_checker(job.assignment.checker_slug).points,
    )
    return 1 if _job_finish(job=job, claimed_at=job.started_at, grade=grade, seconds=0.0) else 0

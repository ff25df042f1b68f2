"""The GPU line: who waits for a GPU, in which order, when each may expect to start and finish.

Training homework runs for minutes; 300 students before a deadline cannot each get a GPU at once,
so the line is kept fair here, in the database, and the broker's ``gpu`` queue only ever holds
what a free GPU slot will start at once:

- a submission joins the line when it passes its pre-check (``training_job_wait``); a student has
  at most one job waiting per assignment: a newer upload takes the waiting one's place (and keeps
  its place in line), the older submission is marked replaced;
- ``training_dispatch`` fills free slots (``TRAINING_SLOTS``) round-robin over students: whoever
  was served least recently goes first, however many files they uploaded, and no student ever has
  two jobs on GPUs at once (a database constraint holds it too);
- ``training_estimates`` tells each waiting job its place and an estimated start and finish, from
  the jobs running, the slots, and the recent durations of each assignment's jobs.
"""

from __future__ import annotations

import heapq
import logging
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from courseportal.celery import app as celery_app
from courseportal.courses.models import Assignment
from courseportal.submissions.models import Submission, TrainingJob
from courseportal.submissions.storable import storable_json
from courseportal.submissions.time_limits import training_time_limits
from grader.checker import GPU_QUEUE
from grader.registry import UnknownChecker, get_checker
from grader.results import GradeResult, ResultFormatError, TrainingPoint, TrainingSummary, curve_thinned

logger = logging.getLogger(__name__)
State = TrainingJob.State
# The training task's name and queue; courseportal/submissions/tasks.py registers the task.
TRAIN_TASK = "submissions.train"
TRAINING_QUEUE = "gpu"
ON_A_GPU = (State.DISPATCHED, State.RUNNING)
# Durations of this many recent finished jobs of an assignment make its typical duration.
RECENT_JOBS = 20


def training_job_wait(*, submission_id: int, claimed_at: datetime, precheck: GradeResult) -> TrainingJob | None:
    """The submission passed its pre-check: it waits for a GPU, in place of its student's waiting one.

    The submission must still be claimed (``running``, ``claimed_at``) by the caller; it becomes
    ``training``. Returns its job, or None when the claim was lost meanwhile. A GPU is sought once
    the transaction commits.
    """
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission_id, status=Submission.Status.RUNNING,
                                          claimed_at=claimed_at).update(status=Submission.Status.TRAINING,
                                                                        lease_expires_at=None)
        if moved != 1:
            return None
        submission = Submission.objects.get(pk=submission_id)
        now = timezone.now()
        replaced = _waiting_job_replace(student_id=submission.student_id, assignment_id=submission.assignment_id,
                                        now=now)
        # A regraded submission keeps its one job row, started afresh.
        job, _ = TrainingJob.objects.update_or_create(submission=submission, defaults={
            "student_id": submission.student_id, "assignment_id": submission.assignment_id,
            "state": State.WAITING, "waiting_since": replaced.waiting_since if replaced else now,
            "precheck_feedback": precheck.message,
            "precheck_feedback_i18n": storable_json(precheck.i18n.to_dict()) if precheck.i18n is not None else None,
            "dispatched_at": None, "started_at": None,
            "lease_expires_at": None, "finished_at": None, "attempts": 0, "worker": "", "replaced_by": None,
            "progress": [], "progress_at": None, "summary": None,
        })
        if replaced is not None:
            TrainingJob.objects.filter(pk=replaced.pk).update(replaced_by=job)
        transaction.on_commit(training_dispatch)
    return job


def _waiting_job_replace(*, student_id: int, assignment_id: int, now: datetime) -> TrainingJob | None:
    """Take the student's waiting (or sent, not yet started) job of the assignment out of the line."""
    waiting = TrainingJob.objects.filter(student_id=student_id, assignment_id=assignment_id,
                                         state__in=[State.WAITING, State.DISPATCHED]).first()
    if waiting is None:
        return None
    taken = TrainingJob.objects.filter(pk=waiting.pk, state=waiting.state).update(state=State.REPLACED,
                                                                                 finished_at=now)
    if taken != 1:
        return None  # a GPU started it just now: the new job queues behind it
    Submission.objects.filter(pk=waiting.submission_id, status=Submission.Status.TRAINING).update(
        status=Submission.Status.REPLACED, graded_at=now)
    if waiting.state == State.DISPATCHED:
        transaction.on_commit(training_dispatch)  # its slot is free again
    return waiting


def training_line() -> list[TrainingJob]:
    """The waiting jobs in the order GPUs take them: least recently served student first, then the
    longest waiting (one student's many uploads do not move them up)."""
    last_served = TrainingJob.objects.filter(student_id=OuterRef("student_id"), started_at__isnull=False) \
        .order_by("-started_at").values("started_at")[:1]
    return list(
        TrainingJob.objects.filter(state=State.WAITING).annotate(last_served=Subquery(last_served))
        .order_by(F("last_served").asc(nulls_first=True), "waiting_since", "id")
        .select_related("student", "assignment")
    )


def training_dispatch() -> int:
    """Send waiting jobs to the ``gpu`` queue while slots are free; returns how many were sent.

    Never raises for a broker outage or a busy database: what is not sent now the sweep sends.
    """
    try:
        chosen = _jobs_dispatch()
    except DatabaseError as error:
        logger.warning("training dispatch skipped (database busy), left for the sweep: %s", error)
        return 0
    sent = 0
    for job_id in chosen:
        try:
            training_task_send(job_id=job_id)
            sent += 1
        except Exception as error:  # kombu/redis raise many types for one outage
            logger.warning("broker unavailable, training job %s left for the sweep: %s", job_id, error)
            TrainingJob.objects.filter(pk=job_id, state=State.DISPATCHED).update(state=State.WAITING,
                                                                                dispatched_at=None)
    return sent


@transaction.atomic
def _jobs_dispatch() -> list[int]:
    # Locks the line's rows on PostgreSQL (SQLite's write transactions are serial already), so two
    # dispatchers never fill the same free slot.
    busy = list(TrainingJob.objects.select_for_update().filter(state__in=ON_A_GPU).values_list("student_id",
                                                                                                flat=True))
    free = settings.TRAINING_SLOTS - len(busy)
    chosen: list[int] = []
    on_a_gpu = set(busy)
    now = timezone.now()
    for job in training_line():
        if len(chosen) >= free:
            break
        if job.student_id in on_a_gpu:
            continue  # never two GPU runs for one student: this one waits for theirs to end
        try:
            with transaction.atomic():
                taken = TrainingJob.objects.filter(pk=job.pk, state=State.WAITING).update(
                    state=State.DISPATCHED, dispatched_at=now)
        except IntegrityError:
            continue  # another dispatcher started this student's other job just now
        if taken:
            chosen.append(job.pk)
            on_a_gpu.add(job.student_id)
    return chosen


def training_task_send(*, job_id: int) -> None:
    """Publish one training task with the time limits of its checker's training (a run that stalls
    is stopped in its GPU slot: ``time_limits``); raises whatever the broker client raises when it is down."""
    slug = TrainingJob.objects.filter(pk=job_id).values_list("assignment__checker_slug", flat=True).first()
    limits = training_time_limits(get_checker(slug), device_kind=settings.TRAINING_DEVICE) if slug is not None \
        else None
    celery_app.send_task(TRAIN_TASK, args=[job_id], queue=TRAINING_QUEUE, retry=False,
                         soft_time_limit=limits.soft_s if limits else None,
                         time_limit=limits.hard_s if limits else None)


# --- Estimates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingEstimate:
    """A waiting job's place in line (1 is next) and when it may start and finish; a running job's
    expected finish (``place`` 0)."""

    place: int
    start: datetime
    finish: datetime


def typical_seconds(*, assignment_ids: Iterable[int]) -> dict[int, float]:
    """Per assignment, the median run time of its last ``RECENT_JOBS`` finished jobs; the checker's
    training budget while it has none."""
    typical: dict[int, float] = {}
    for assignment_id in set(assignment_ids):
        recent = TrainingJob.objects.filter(assignment_id=assignment_id, state=State.FINISHED,
                                            started_at__isnull=False, finished_at__isnull=False) \
            .order_by("-finished_at").values_list("started_at", "finished_at")[:RECENT_JOBS]
        durations = [(finished - started).total_seconds() for started, finished in recent]
        typical[assignment_id] = statistics.median(durations) if durations else _budget_of(assignment_id)
    return typical


def _budget_of(assignment_id: int) -> float:
    try:
        checker = get_checker(Assignment.objects.values_list("checker_slug", flat=True).get(pk=assignment_id))
    except (UnknownChecker, Assignment.DoesNotExist):
        return 300.0
    budget = getattr(checker, "budget_seconds" if settings.TRAINING_DEVICE == "cuda" else "cpu_budget_seconds", None)
    return float(budget or checker.limits.wall_seconds)


def training_estimates(*, now: datetime | None = None) -> dict[int, TrainingEstimate]:
    """Every active job's estimate, by job id: the running and starting ones' finish, and each
    waiting one's place, start and finish if the line moves as it stands (slots freed as jobs are
    expected to end, ``typical_seconds`` per job, a student's next job after their running one)."""
    now = now or timezone.now()
    active = list(TrainingJob.objects.filter(state__in=ON_A_GPU).only("id", "student_id", "assignment_id",
                                                                     "started_at", "dispatched_at"))
    line = training_line()
    typical = typical_seconds(assignment_ids=[job.assignment_id for job in [*active, *line]])
    estimates: dict[int, TrainingEstimate] = {}
    slots: list[float] = []
    busy_until: dict[int, float] = {}
    for job in active:
        started = job.started_at or now
        finish = max(now + timedelta(seconds=1), started + timedelta(seconds=typical[job.assignment_id]))
        estimates[job.pk] = TrainingEstimate(place=0, start=started, finish=finish)
        slots.append(finish.timestamp())
        busy_until[job.student_id] = finish.timestamp()
    slots = sorted(slots)[: settings.TRAINING_SLOTS] + [now.timestamp()] * max(0, settings.TRAINING_SLOTS - len(slots))
    heapq.heapify(slots)
    for place, job in enumerate(line, start=1):
        start = max(heapq.heappop(slots), busy_until.get(job.student_id, 0.0))
        finish = start + typical[job.assignment_id]
        heapq.heappush(slots, finish)
        busy_until[job.student_id] = finish
        estimates[job.pk] = TrainingEstimate(place=place, start=_moment(start), finish=_moment(finish))
    return estimates


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def active_training_jobs(*, course_ids: Iterable[int] | None = None) -> QuerySet[TrainingJob]:
    """Jobs waiting or on a GPU (of these courses), for staff pages, students and assignments loaded."""
    jobs = TrainingJob.objects.filter(state__in=[State.WAITING, *ON_A_GPU]) \
        .select_related("student", "assignment__course", "submission")
    if course_ids is not None:
        jobs = jobs.filter(assignment__course_id__in=list(course_ids))
    return jobs


# --- What a student sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingStatus:
    """A training submission's GPU stage for its result page: its job, its place and estimate while
    it waits, the live curve while it trains, the summary once it is scored."""

    job: TrainingJob
    estimate: TrainingEstimate | None
    points: tuple[TrainingPoint, ...]
    summary: TrainingSummary | None
    elapsed_seconds: float | None

    @property
    def latest(self) -> TrainingPoint | None:
        return self.points[-1] if self.points else None

    @property
    def replaced_by(self) -> Submission | None:
        replacement = self.job.replaced_by
        return replacement.submission if replacement is not None else None


def training_status(*, submission: Submission) -> TrainingStatus | None:
    """The submission's GPU stage (None for a submission that never passed a training pre-check).

    What the run reported is read back through its validating types; a stored value that does not
    validate is shown as nothing rather than trusted.
    """
    if not trains_on_gpus(submission.assignment.checker_slug):
        return None  # every page and poll of every other assignment asks; the answer needs no query
    job = TrainingJob.objects.filter(submission_id=submission.pk).select_related("replaced_by__submission").first()
    if job is None or _from_an_earlier_grading(job, submission):
        return None
    summary = _summary_of(job.summary)
    points = summary.curve if summary is not None else _points_of(job.progress)
    estimate = training_estimates().get(job.pk) if job.is_active else None
    elapsed = (timezone.now() - job.started_at).total_seconds() if job.state == State.RUNNING and job.started_at \
        else None
    return TrainingStatus(job=job, estimate=estimate, points=points, summary=summary, elapsed_seconds=elapsed)


def trains_on_gpus(checker_slug: str) -> bool:
    """Whether uploads graded by ``checker_slug`` may have a GPU stage (an unknown checker may have had one)."""
    try:
        return get_checker(checker_slug).queue == GPU_QUEUE
    except UnknownChecker:
        return True


def _from_an_earlier_grading(job: TrainingJob, submission: Submission) -> bool:
    """A finished job whose submission has been claimed since (a regrade): its run is not this
    grading's, so its curve and summary must not stand beside the new result."""
    if job.state != State.FINISHED:
        return False
    return submission.claimed_at is None or job.started_at is None or submission.claimed_at > job.started_at


def _summary_of(raw) -> TrainingSummary | None:
    if raw is None:
        return None
    try:
        return TrainingSummary.from_dict(raw)
    except (ResultFormatError, TypeError, ValueError):
        logger.warning("a stored training summary does not validate; not shown")
        return None


def _points_of(raw) -> tuple[TrainingPoint, ...]:
    try:
        return curve_thinned(TrainingPoint.from_dict(point) for point in raw or [])
    except (ResultFormatError, TypeError, ValueError):
        return ()


# --- What staff see ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedJob:
    job: TrainingJob
    estimate: TrainingEstimate | None
    latest: TrainingPoint | None


@dataclass(frozen=True)
class TrainingQueueOverview:
    """The GPU line as one course's staff see it: their students' jobs on GPUs and waiting (with
    places counted over the whole line, every course's), the slots, and how many wait in all."""

    on_gpus: tuple[QueuedJob, ...]
    waiting: tuple[QueuedJob, ...]
    slots: int
    waiting_in_all_courses: int


def training_queue_overview(*, course_id: int) -> TrainingQueueOverview:
    estimates = training_estimates()
    jobs = list(active_training_jobs(course_ids=[course_id]))
    rows = [QueuedJob(job=job, estimate=estimates.get(job.pk), latest=(_points_of(job.progress) or (None,))[-1])
            for job in jobs]
    on_gpus = sorted((row for row in rows if row.job.state in ON_A_GPU),
                     key=lambda row: row.job.started_at or row.job.dispatched_at or row.job.waiting_since)
    waiting = sorted((row for row in rows if row.job.state == State.WAITING),
                     key=lambda row: row.estimate.place if row.estimate else 0)
    return TrainingQueueOverview(
        on_gpus=tuple(on_gpus), waiting=tuple(waiting), slots=settings.TRAINING_SLOTS,
        waiting_in_all_courses=TrainingJob.objects.filter(state=State.WAITING).count(),
    )

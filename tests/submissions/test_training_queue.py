"""The GPU line: pre-check first, one job per student, round-robin, estimates, recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courseportal.submissions.models import Result, Submission, TrainingJob
from courseportal.submissions.services import submission_regrade
from courseportal.submissions.services.training import training_sweep
from courseportal.submissions.services.training_queue import (
    training_dispatch,
    training_estimates,
    training_line,
)
from courseportal.submissions.services.training_queue import training_task_send as publish_training_task
from tests.conftest import checkers_registered, make_assignment, make_user
from tests.submissions.training import TRAINING_CHECKER_MODULE, failed_precheck

pytestmark = pytest.mark.django_db
State = TrainingJob.State


@pytest.fixture(autouse=True)
def training_checker(settings):
    settings.TRAINING_SLOTS = 1
    with checkers_registered(settings, TRAINING_CHECKER_MODULE):
        yield


@pytest.fixture
def homework(course):
    return make_assignment(course, "unit_training", slug="train")


@pytest.fixture
def classmates(course):
    from courseportal.courses.services import membership_set

    people = []
    for account in ("310510201", "310510202", "310510203", "310510204"):
        user = make_user(account)
        membership_set(course=course, user=user)
        people.append(user)
    return people


def test_a_file_that_fails_its_precheck_gets_its_result_and_never_waits_for_a_gpu(gpu, student, homework):
    gpu.precheck = failed_precheck
    submission = gpu.upload(student, homework)
    assert gpu.published == [(submission.pk, "checks")]  # the upload goes to the CPU queue first
    assert submission.status == Submission.Status.GRADED
    assert "ZeroDivisionError" in submission.result.message
    assert not TrainingJob.objects.exists() and gpu.sent == []


def test_a_file_that_passes_waits_for_a_gpu_and_is_sent_when_a_slot_is_free(gpu, student, homework):
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    assert submission.status == Submission.Status.TRAINING and submission.is_pending
    assert (job.state, job.precheck_feedback, gpu.sent) == (State.DISPATCHED, "Pre-check passed: 1,234 parameters.",
                                                            [job.pk])
    result = gpu.run(job.pk)
    submission.refresh_from_db()
    job.refresh_from_db()
    assert result.submission_id == submission.pk and submission.status == Submission.Status.GRADED
    assert job.state == State.FINISHED and job.summary["accuracy"] == 0.97 and job.attempts == 1
    assert job.worker == "gpu@test · cpu"


def test_a_newer_upload_takes_the_waiting_ones_place_and_keeps_it(gpu, student, other_student, homework):
    gpu.upload(other_student, homework)  # takes the one slot
    first = gpu.upload(student, homework)
    place = gpu.job_of(first).waiting_since
    second = gpu.upload(student, homework)
    first.refresh_from_db()
    assert first.status == Submission.Status.REPLACED and not first.is_pending
    assert not Result.objects.filter(submission=first).exists()  # not a grade: never counted as one
    assert gpu.job_of(first).state == State.REPLACED and gpu.job_of(first).replaced_by == gpu.job_of(second)
    assert gpu.job_of(second).waiting_since == place
    assert TrainingJob.objects.filter(student=student, state=State.WAITING).count() == 1


def test_a_student_never_has_two_gpu_runs_at_once(gpu, settings, student, homework):
    settings.TRAINING_SLOTS = 3
    first = gpu.job_of(gpu.upload(student, homework))
    uploaded_while_training = []

    def upload_again():
        uploaded_while_training.append(gpu.upload(student, homework))
        assert gpu.job_of(uploaded_while_training[0]).state == State.WAITING  # slots are free: it waits anyway
        assert gpu.sent == [first.pk]

    gpu.run(first.pk, during=upload_again)
    assert gpu.sent == [first.pk, gpu.job_of(uploaded_while_training[0]).pk]


def test_students_are_served_in_turn_not_by_who_uploads_most(gpu, homework, classmates):
    a, b, c, _ = classmates
    first = gpu.job_of(gpu.upload(a, homework))

    def everyone_uploads():  # while a trains: a uploads again first (three times), then b, then c
        for student in (a, a, a, b, c):
            gpu.upload(student, homework)

    gpu.run(first.pk, during=everyone_uploads)
    assert [job.student.username for job in training_line()] == [c.username, a.username]
    gpu.run(gpu.sent[-1])
    gpu.run(gpu.sent[-1])
    assert gpu.students_sent() == [a.username, b.username, c.username, a.username]


def test_no_more_jobs_than_slots_are_sent(gpu, settings, homework, classmates):
    settings.TRAINING_SLOTS = 2
    for student in classmates:
        gpu.upload(student, homework)
    assert len(gpu.sent) == 2
    assert TrainingJob.objects.filter(state=State.WAITING).count() == 2
    assert training_dispatch() == 0


def test_waiting_students_are_told_their_place_and_estimated_start_and_finish(gpu, homework, classmates):
    a, b, c, d = classmates
    gpu.upload(a, homework)
    gpu.run(gpu.sent[-1])  # a finished job: the assignment's runs take about 100 s
    finished = TrainingJob.objects.get(state=State.FINISHED)
    TrainingJob.objects.filter(pk=finished.pk).update(finished_at=finished.started_at + timedelta(seconds=100))
    gpu.upload(b, homework)  # on the GPU, started 30 s ago
    TrainingJob.objects.filter(student=b).update(state=State.RUNNING, started_at=timezone.now() - timedelta(seconds=30))
    waiting = [gpu.job_of(gpu.upload(student, homework)) for student in (c, d)]
    now = timezone.now()
    estimates = training_estimates(now=now)
    assert [estimates[job.pk].place for job in waiting] == [1, 2]
    starts = [(estimates[job.pk].start - now).total_seconds() for job in waiting]
    finishes = [(estimates[job.pk].finish - now).total_seconds() for job in waiting]
    assert starts == pytest.approx([70, 170], abs=2) and finishes == pytest.approx([170, 270], abs=2)


def test_a_gpu_run_shows_live_progress_before_its_result(gpu, student, homework):
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    seen = []
    gpu.run(job.pk, during=lambda: seen.append(TrainingJob.objects.get(pk=job.pk).progress))
    assert seen and seen[0] and seen[0][0]["epoch"] == 1  # stored while the run was still going
    job.refresh_from_db()
    assert [point["epoch"] for point in job.summary["curve"]] == [1, 2, 3]


def test_a_duplicate_delivery_of_a_training_task_does_nothing(gpu, student, homework):
    job = gpu.job_of(gpu.upload(student, homework))
    assert gpu.run(job.pk) is not None
    assert gpu.run(job.pk) is None
    assert Result.objects.count() == 1 and TrainingJob.objects.get(pk=job.pk).attempts == 1


def test_a_job_whose_worker_died_is_tried_once_more_then_reported_as_an_error(gpu, settings, student, homework):
    settings.TRAINING_MAX_ATTEMPTS = 2
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    for attempt in (1, 2):
        TrainingJob.objects.filter(pk=job.pk).update(state=State.RUNNING, attempts=attempt,
                                                     started_at=timezone.now() - timedelta(hours=1),
                                                     lease_expires_at=timezone.now() - timedelta(seconds=1))
        Submission.objects.filter(pk=submission.pk).update(
            claimed_at=TrainingJob.objects.get(pk=job.pk).started_at)
        with gpu.capture(execute=True):
            counts = training_sweep()
        job.refresh_from_db()
        if attempt == 1:
            assert counts["requeued"] == 1 and job.state == State.DISPATCHED  # back in line, and sent again
            assert job.started_at is None
    assert counts["failed"] == 1 and job.state == State.FINISHED
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED and "stopped 2 times" in submission.result.message


def test_a_job_the_broker_lost_is_sent_again(gpu, settings, student, homework):
    job = gpu.job_of(gpu.upload(student, homework))
    TrainingJob.objects.filter(pk=job.pk).update(dispatched_at=timezone.now() - timedelta(
        seconds=settings.TRAINING_REDISPATCH_AFTER_S + 1))
    assert training_sweep()["resent"] == 1 and gpu.sent == [job.pk, job.pk]


def test_when_the_broker_is_down_the_job_waits_and_the_sweep_sends_it_later(gpu, monkeypatch, student, homework):
    def broker_down(*, job_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr("courseportal.submissions.services.training_queue.training_task_send", broker_down)
    job = gpu.job_of(gpu.upload(student, homework))
    assert job.state == State.WAITING and job.dispatched_at is None
    monkeypatch.setattr("courseportal.submissions.services.training_queue.training_task_send",
                        lambda *, job_id: gpu.sent.append(job_id))
    training_sweep()
    assert gpu.sent == [job.pk] and gpu.job_of(job.submission).state == State.DISPATCHED


def test_a_regraded_training_submission_is_prechecked_again_and_keeps_its_one_job(gpu, student, homework):
    submission = gpu.upload(student, homework)
    gpu.run(gpu.job_of(submission).pk)
    submission.refresh_from_db()
    with gpu.capture(execute=True):
        assert submission_regrade(submission=submission)
    assert gpu.published[-1] == (submission.pk, "checks")
    with gpu.capture(execute=True):
        from courseportal.submissions.services import submission_grade

        submission_grade(submission_id=submission.pk)
    job = gpu.job_of(submission)
    assert job.state == State.DISPATCHED and job.summary is None and TrainingJob.objects.count() == 1


def test_a_sandbox_that_breaks_on_the_gpu_worker_hands_the_job_back_then_gives_up(gpu, settings, monkeypatch,
                                                                                  student, homework):
    from courseportal.submissions.services.training import training_job_run
    from grader.sandbox.types import SandboxFailure

    def broken(*args, **options):
        raise SandboxFailure("bwrap could not be started")

    settings.TRAINING_MAX_ATTEMPTS = 2
    monkeypatch.setattr("courseportal.submissions.services.training.grade_file", broken)
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    with gpu.capture(execute=True):
        assert training_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, gpu.sent) == (State.DISPATCHED, 1, [job.pk, job.pk])  # back in line, sent again
    with gpu.capture(execute=True):
        training_job_run(job_id=job.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED and gpu.job_of(submission).state == State.FINISHED


def test_a_training_task_is_published_with_time_limits_its_claim_outlasts(gpu, monkeypatch, student, homework):
    """A GPU run that stalls in trusted code is stopped in its slot, and the sweep never hands the
    job to a second slot while the first may still run it."""
    from celery.exceptions import SoftTimeLimitExceeded

    from courseportal.submissions.services import training_queue
    from courseportal.submissions.services.training import training_job_run
    from courseportal.submissions.time_limits import training_time_limits
    from grader.registry import get_checker
    from grader.training.devices import TrainingDevice

    published = []
    monkeypatch.setattr(training_queue.celery_app, "send_task", lambda name, **options: published.append(options))
    job = gpu.job_of(gpu.upload(student, homework))
    publish_training_task(job_id=job.pk)  # the real one: the gpu fixture fakes the module's
    checker = get_checker("unit_training")
    (options,) = published
    assert checker.grading_seconds(TrainingDevice(kind="cpu")) < options["soft_time_limit"] < options["time_limit"]
    limits = training_time_limits(checker, device_kind="cpu")
    assert (limits.soft_s, limits.hard_s) == (options["soft_time_limit"], options["time_limit"])
    claims = []

    def training(*args, **options):  # what the sweep sees while it runs
        claims.append(TrainingJob.objects.filter(pk=job.pk).values_list("started_at", "lease_expires_at").get())
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("courseportal.submissions.services.training.grade_file", training)
    monkeypatch.setattr("courseportal.submissions.services.training.sandbox_discard", lambda: None)
    with gpu.capture(execute=True):
        training_job_run(job_id=job.pk, published_hard_limit_s=limits.hard_s + 500)  # published by a slower setting
    ((started_at, lease_expires_at),) = claims
    assert lease_expires_at - started_at > timedelta(seconds=limits.hard_s + 500)


def test_a_training_run_that_stalls_stops_its_sandbox_goes_back_in_line_then_gives_up(gpu, settings, monkeypatch,
                                                                                     student, homework):
    from celery.exceptions import SoftTimeLimitExceeded

    from courseportal.submissions.services.training import training_job_run

    def stalls(*args, interruptions=(), **options):
        assert SoftTimeLimitExceeded in interruptions  # the engine lets the limit through
        raise SoftTimeLimitExceeded()

    discarded = []
    settings.TRAINING_MAX_ATTEMPTS = 2
    monkeypatch.setattr("courseportal.submissions.services.training.grade_file", stalls)
    monkeypatch.setattr("courseportal.submissions.services.training.sandbox_discard", lambda: discarded.append(1))
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    with gpu.capture(execute=True):
        assert training_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, len(discarded)) == (State.DISPATCHED, 1, 1)
    with gpu.capture(execute=True):
        training_job_run(job_id=job.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED and len(discarded) == 2

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from courseportal.courses.models import Assignment
from courseportal.submissions.models import Blob, Result, Submission
from courseportal.submissions.services import (
    UploadRefused,
    submission_create,
    submission_grade,
    submission_regrade,
    submission_sweep,
)
from courseportal.submissions.storage import blob_path
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


def create(student, assignment, django_capture_on_commit_callbacks, content=b"# correct\n", name=None):
    with django_capture_on_commit_callbacks(execute=True):
        return submission_create(student=student, assignment=assignment,
                                 upload=upload(name or f"{student.username}_hw.py", content))


def test_upload_is_stored_whole_and_sent_to_the_checkers_queue(student, assignment, published,
                                                                django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    assert blob_path(submission.blob_id).read_bytes() == b"# correct\n"
    assert published == [(submission.pk, "checks")]
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and submission.enqueued_at is not None


def test_wrongly_named_upload_is_refused_and_stores_nothing(student, assignment, published):
    with pytest.raises(UploadRefused, match="310510123_hw.py"):
        submission_create(student=student, assignment=assignment, upload=upload("hw.py"))
    assert not Submission.objects.exists() and not Blob.objects.exists() and published == []


def test_upload_after_the_deadline_is_refused(student, assignment, published):
    assignment.due_at = timezone.now() - timedelta(minutes=6)  # past the 5-minute grace period
    assignment.save()
    with pytest.raises(UploadRefused, match="closed"):
        submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    assert not Submission.objects.exists()


def test_grading_twice_keeps_one_result(student, assignment, published, django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = submission_grade(submission_id=submission.pk)
        second = submission_grade(submission_id=submission.pk)
    assert first is not None and float(first.score) == 10
    assert second is None
    assert Result.objects.filter(submission=submission).count() == 1


def test_result_is_emailed_to_the_student_once(student, assignment, published, django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email] and "10/10" in mail.outbox[0].subject


def test_expired_claim_of_a_dead_worker_is_requeued_by_the_sweep(student, assignment, published,
                                                                 django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    past = timezone.now() - timedelta(minutes=5)
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.RUNNING, claimed_at=past, lease_expires_at=past, attempts=1
    )
    published.clear()
    counts = submission_sweep()
    assert counts["requeued"] == 1 and published == [(submission.pk, "checks")]
    with django_capture_on_commit_callbacks(execute=True):
        assert submission_grade(submission_id=submission.pk) is not None


def test_sweep_gives_up_after_max_attempts_with_a_message(student, assignment, published, settings,
                                                          django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    past = timezone.now() - timedelta(minutes=5)
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.RUNNING, claimed_at=past, lease_expires_at=past,
        attempts=settings.GRADING_MAX_ATTEMPTS,
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = submission_sweep()
    submission.refresh_from_db()
    assert counts["failed"] == 1 and submission.status == Submission.Status.FAILED
    assert "staff" in submission.result.message


def test_sweep_resends_a_submission_the_broker_never_took(student, assignment, published,
                                                          django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    Submission.objects.filter(pk=submission.pk).update(enqueued_at=None)
    published.clear()
    assert submission_sweep()["resent"] == 1
    assert published == [(submission.pk, "checks")]


def test_second_upload_waits_until_the_first_is_graded(student, assignment, published,
                                                       django_capture_on_commit_callbacks):
    first = create(student, assignment, django_capture_on_commit_callbacks)
    second = create(student, assignment, django_capture_on_commit_callbacks)
    assert published == [(first.pk, "checks")]
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=first.pk)
    assert published == [(first.pk, "checks"), (second.pk, "checks")]


def test_regrade_replaces_the_result_in_place(student, assignment, published, django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
        assert submission_regrade(submission=submission) is True
        assert submission_regrade(submission=submission) is False  # already waiting
        submission_grade(submission_id=submission.pk)
    assert Result.objects.filter(submission=submission).count() == 1
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED and submission.attempts == 1


def test_broker_outage_leaves_the_upload_queued(student, assignment, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", broker_down)
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and submission.enqueued_at is None


def test_two_uploads_committing_at_once_send_only_one(student, assignment, published,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
        second = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    for callback in callbacks:
        callback()
    assert published == [(first.pk, "checks")]
    second.refresh_from_db()
    assert second.enqueued_at is None


def test_siblings_both_lost_by_the_broker_are_resent_one_at_a_time(student, assignment, published, settings,
                                                                   django_capture_on_commit_callbacks):
    first = create(student, assignment, django_capture_on_commit_callbacks)
    second = create(student, assignment, django_capture_on_commit_callbacks)
    long_ago = timezone.now() - timedelta(seconds=settings.GRADING_REQUEUE_AFTER_S + 60)
    Submission.objects.filter(pk__in=[first.pk, second.pk]).update(enqueued_at=long_ago)
    published.clear()
    assert submission_sweep()["resent"] == 1
    assert published == [(first.pk, "checks")]


def test_sweep_skips_a_submission_whose_checker_is_gone_and_recovers_the_rest(
        student, other_student, course, assignment, published, django_capture_on_commit_callbacks):
    from tests.conftest import make_assignment

    orphan_assignment = make_assignment(course, "unit_word", slug="renamed")
    orphan = create(student, orphan_assignment, django_capture_on_commit_callbacks,
                    name=f"{student.username}_renamed.py")
    healthy = create(other_student, assignment, django_capture_on_commit_callbacks)
    Assignment.objects.filter(pk=orphan_assignment.pk).update(checker_slug="no_such_checker")
    Submission.objects.filter(pk__in=[orphan.pk, healthy.pk]).update(enqueued_at=None)
    published.clear()
    assert submission_sweep()["resent"] == 1
    assert published == [(healthy.pk, "checks")]


def test_sweep_stops_sending_at_the_first_sign_the_broker_is_down(student, other_student, assignment, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    attempts = []

    def broker_down(*args, **kwargs):
        attempts.append(args)
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", broker_down)
    for who in (student, other_student):
        create(who, assignment, django_capture_on_commit_callbacks)
    attempts.clear()
    counts = submission_sweep()
    assert counts["broker_down"] == 1 and counts["resent"] == 0 and len(attempts) == 1
    assert not Submission.objects.filter(enqueued_at__isnull=False).exists()


def test_a_broken_sandbox_hands_the_submission_back_instead_of_failing_it(student, assignment, published,
                                                                          monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from grader.sandbox.types import SandboxFailure

    def sandbox_breaks(*args, **kwargs):
        raise SandboxFailure("the sandbox did not start")

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grade_file", sandbox_breaks)
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    assert submission_grade(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and submission.attempts == 1
    assert not Result.objects.filter(submission=submission).exists()
    published.clear()
    assert submission_sweep()["resent"] == 1


def test_a_missing_stored_file_is_a_grader_error_not_a_stuck_submission(student, assignment, published,
                                                                         django_capture_on_commit_callbacks):
    submission = create(student, assignment, django_capture_on_commit_callbacks)
    path = blob_path(submission.blob_id)
    path.chmod(0o640)
    path.unlink()
    with django_capture_on_commit_callbacks(execute=True):
        result = submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
    assert result.status == "error" and "cannot be read" in result.message


def test_notebook_nested_too_deeply_is_refused_with_a_reason(student, assignment, published):
    with pytest.raises(UploadRefused, match="nested too deeply"):
        submission_create(student=student, assignment=assignment,
                          upload=upload("310510123_hw.ipynb", b'{"cells": ' + b"[" * 200_000))
    assert not Submission.objects.exists()

"""Refused uploads are recorded (the reason, never the file) and count towards the per-student
upload limit, so a student cannot make the web process read and check refused files endlessly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courseportal.submissions.models import Blob, Submission, UploadRefusal
from courseportal.submissions.services import UploadRefused, submission_create
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db

BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def refused(student, assignment, content: bytes = BINARY, name: str | None = None) -> str:
    with pytest.raises(UploadRefused) as refusal:
        submission_create(student=student, assignment=assignment,
                          upload=upload(name or f"{student.username}_hw.py", content))
    return refusal.value.message


def test_a_refused_upload_is_recorded_with_its_reason_and_stores_no_file(student, assignment, published):
    message = refused(student, assignment)
    refusal = UploadRefusal.objects.get()
    assert (refusal.student, refusal.assignment, refusal.reason) == (student, assignment, message)
    assert "binary data" in refusal.reason
    assert not Submission.objects.exists() and not Blob.objects.exists()


@pytest.mark.postgres
def test_a_refusal_quoting_a_file_name_with_a_nul_is_recorded(student, assignment, published):
    message = refused(student, assignment, name="310510123_hw\x00.py")
    assert "310510123_hw" in message
    assert UploadRefusal.objects.get().reason == message.replace("\x00", "\ufffd")


def test_refused_uploads_count_towards_the_limit_and_the_next_file_is_not_even_read(
        student, assignment, published, settings, monkeypatch):
    settings.UPLOADS_PER_MINUTE_PER_STUDENT = 3
    for _ in range(2):
        refused(student, assignment)
    refused(student, assignment, name="hw.py")  # a wrong name counts as well
    files_read = []
    monkeypatch.setattr("courseportal.submissions.services.uploads.read_submission",
                        lambda *args, **kwargs: files_read.append(args))

    assert "Wait a minute" in refused(student, assignment, content=b"# correct\n")
    assert files_read == [] and not Submission.objects.exists()
    assert UploadRefusal.objects.count() == 3  # the limit's own refusal is not recorded: a flood writes nothing


def test_refusals_older_than_a_minute_and_other_students_refusals_do_not_count(
        student, other_student, assignment, published, settings):
    settings.UPLOADS_PER_MINUTE_PER_STUDENT = 2
    refused(student, assignment)
    refused(student, assignment)
    UploadRefusal.objects.update(at=timezone.now() - timedelta(minutes=2))
    refused(other_student, assignment)
    refused(other_student, assignment)

    submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    assert submission.status == Submission.Status.QUEUED


def test_an_upload_refused_by_the_size_guard_in_the_view_counts_too(student, assignment, published, settings):
    settings.UPLOADS_PER_MINUTE_PER_STUDENT = 1
    assignment.max_upload_bytes = 100
    assignment.save()
    client = Client()
    client.force_login(student)
    url = reverse("submissions:upload", args=[assignment.course.slug, assignment.slug])

    too_large = client.post(url, {"file": upload("310510123_hw.py", b"#" * 5000)})
    assert too_large.status_code == 400 and "larger than 100 bytes" in too_large.content.decode()
    assert UploadRefusal.objects.get().reason.startswith("The file is larger than 100 bytes")
    limited = client.post(url, {"file": upload("310510123_hw.py", b"# correct\n")})
    assert limited.status_code == 400 and "Wait a minute" in limited.content.decode()
    assert not Submission.objects.exists()

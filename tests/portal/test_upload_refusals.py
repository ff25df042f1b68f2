"""Every refused upload answers with the form and a reason the student understands, and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courseportal.submissions.models import Blob, Submission, UploadRefusal
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("submissions:upload", args=["ai-training-2", "hw1"])


def post_file(client, name: str, content: bytes):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, content_type="text/x-python")})


def assert_refused_and_nothing_stored(response, message: str, settings) -> None:
    page = response.content.decode()
    assert response.status_code == 400
    assert "nothing was stored" in page
    assert message in page
    assert 'enctype="multipart/form-data"' in page or "no longer accepted" in page or "Uploads open" in page
    assert not Submission.objects.exists()
    assert not Blob.objects.exists()
    blobs = settings.MEDIA_ROOT / "blobs"
    assert not blobs.exists() or not any(path.is_file() for path in blobs.rglob("*"))


def test_valid_upload_is_stored_queued_and_shown(student, assignment):
    response = post_file(signed_in(student), "310510123_hw1.py", b"answer = 42\n")
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("submissions:detail", args=[submission.pk])
    assert submission.status == Submission.Status.QUEUED and submission.filename == "310510123_hw1.py"


@pytest.mark.parametrize("name", ["hw1.py", "310510999_hw1.py", "310510123_hw2.py", "310510123_hw1.txt",
                                  "310510123_hw1.py.zip", "310510123_hw1"])
def test_wrongly_named_file_is_refused_with_the_expected_name(name, student, assignment, settings):
    response = post_file(signed_in(student), name, b"answer = 42\n")
    assert_refused_and_nothing_stored(response, "310510123_hw1.py", settings)


def test_empty_file_is_refused(student, assignment, settings):
    response = post_file(signed_in(student), "310510123_hw1.py", b"")
    assert_refused_and_nothing_stored(response, "The file is empty", settings)


def test_file_over_the_assignments_limit_is_refused(student, assignment, settings):
    assignment.max_upload_bytes = 100
    assignment.save()
    response = post_file(signed_in(student), "310510123_hw1.py", b"#" * 5000)
    assert_refused_and_nothing_stored(response, "larger than 100 bytes", settings)


def test_binary_bytes_named_py_are_refused(student, assignment, settings):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    response = post_file(signed_in(student), "310510123_hw1.py", png)
    assert_refused_and_nothing_stored(response, "binary data", settings)


def test_upload_after_the_deadline_is_refused(student, assignment, settings):
    assignment.due_at = timezone.now() - timedelta(minutes=6)  # past the 5-minute grace period
    assignment.save()
    response = post_file(signed_in(student), "310510123_hw1.py", b"answer = 42\n")
    assert_refused_and_nothing_stored(response, "uploads are no longer accepted", settings)


def test_upload_before_the_assignment_opens_is_refused(student, assignment, settings):
    assignment.opens_at = timezone.now() + timedelta(days=1)
    assignment.save()
    response = post_file(signed_in(student), "310510123_hw1.py", b"answer = 42\n")
    assert_refused_and_nothing_stored(response, "opens for uploads at", settings)


def test_form_without_a_file_asks_for_one(student, assignment, settings):
    response = signed_in(student).post(UPLOAD_URL, {})
    assert_refused_and_nothing_stored(response, "Choose a file to upload.", settings)


def test_request_over_the_body_ceiling_is_refused_without_reading_it(student, assignment, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_file(signed_in(student), "310510123_hw1.py", b"#" * 5000)
    assert_refused_and_nothing_stored(response, "The file is larger than", settings)


def test_request_django_cannot_parse_is_refused_gracefully(student, assignment, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    fields = {f"field{number}": "x" for number in range(10)}
    response = signed_in(student).post(UPLOAD_URL, fields)
    assert_refused_and_nothing_stored(response, "could not be read", settings)


def test_too_many_uploads_in_a_minute_are_refused(student, assignment, settings):
    settings.UPLOADS_PER_MINUTE_PER_STUDENT = 2
    client = signed_in(student)
    for _ in range(2):
        assert post_file(client, "310510123_hw1.py", b"answer = 42\n").status_code == 302
    response = post_file(client, "310510123_hw1.py", b"answer = 41\n")
    assert response.status_code == 400
    assert "Wait a minute" in response.content.decode()
    assert Submission.objects.count() == 2


def test_outsider_cannot_upload_to_a_course_they_are_not_in(outsider, assignment):
    response = post_file(signed_in(outsider), "visitor_hw1.py", b"answer = 42\n")
    assert response.status_code == 404
    assert not Submission.objects.exists()


def test_the_upload_address_in_the_address_bar_leads_back_to_the_assignment(student, assignment):
    """After a refused upload the address bar shows …/upload/: Enter there, or switching the language,
    lands on the assignment's page, not on a blank 405."""
    client = signed_in(student)
    assignment_url = reverse("submissions:assignment", args=["ai-training-2", "hw1"])
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302 and response.url == assignment_url
    switched = client.post(reverse("accounts:language"), {"language": "zh-hant", "next": UPLOAD_URL}, follow=True)
    assert switched.status_code == 200 and switched.redirect_chain[-1][0] == assignment_url
    assert 'lang="zh-hant"' in switched.content.decode()
    assert not Submission.objects.exists()


def test_a_refusal_by_the_upload_service_is_recorded_once(student, assignment, settings):
    assert post_file(signed_in(student), "hw1.py", b"answer = 42\n").status_code == 400
    assert UploadRefusal.objects.count() == 1

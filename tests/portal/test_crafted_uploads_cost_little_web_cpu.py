"""Crafted uploads of the allowed size cost the web process little CPU, and still get an answer.

CPU is this process's (``time.process_time``): the test client runs the view in it, as a gunicorn
worker would.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from courseportal.submissions.models import Submission
from tests.conftest import make_assignment
from tests.crafted_files import TRUSTED_CPU_BUDGET_S, pdf_of_many_padded_pages, trusted_cpu
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("submissions:upload", args=["ai-training-2", "hw1"])


def multipart(*, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_oversized_upload_of_crlf_pairs_is_refused_with_little_cpu(student, assignment):
    # 12 MB of CRLF pairs in a file over the 2 MB limit: Django drained the rest of such a body one
    # line at a time (10 s of CPU in a gunicorn worker).
    body, content_type = multipart(filename="310510123_hw1.py", content=b"\r\n" * (6 * 1024 * 1024))
    client = signed_in(student)
    with trusted_cpu() as used:
        response = client.post(UPLOAD_URL, data=body, content_type=content_type)
    assert used.seconds < TRUSTED_CPU_BUDGET_S / 2, f"{used.seconds:.2f} s of web CPU"
    assert response.status_code == 400 and "larger than 2 MB" in response.content.decode()
    assert not Submission.objects.exists()


def test_twenty_megabyte_pdf_of_99000_pages_is_accepted_with_little_cpu(student, course):
    report = make_assignment(course, "lec2_hw2", slug="report")
    data = pdf_of_many_padded_pages(pages=99_000, padding=90)
    body, content_type = multipart(filename="310510123_report.pdf", content=data)
    client = signed_in(student)
    with trusted_cpu() as used:
        response = client.post(reverse("submissions:upload", args=[course.slug, report.slug]), data=body,
                               content_type=content_type)
    assert used.seconds < TRUSTED_CPU_BUDGET_S, f"{used.seconds:.2f} s of web CPU"
    submission = Submission.objects.get()
    assert response.status_code == 302 and submission.status == Submission.Status.QUEUED
    assert submission.blob.size == len(data)

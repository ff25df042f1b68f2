"""A mail server that accepts the connection and then says nothing costs a grading at most
EMAIL_TIMEOUT: the result is stored and shown, the e-mail is logged as not sent and stays unsent."""

from __future__ import annotations

import socket
import time

import pytest

from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create, submission_grade
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_mail_server(settings):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # connections are accepted by the kernel and never answered
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.getsockname()
    yield server
    server.close()


def test_a_silent_mail_server_costs_a_grading_at_most_the_email_timeout(
        student, assignment, published, settings, silent_mail_server, django_capture_on_commit_callbacks,
        caplog):
    settings.EMAIL_TIMEOUT = 0.5
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment,
                                       upload=upload(f"{student.username}_hw.py", b"# correct\n"))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        result = submission_grade(submission_id=submission.pk)
    assert time.monotonic() - started < 5
    assert result is not None and Submission.objects.get(pk=submission.pk).status == Submission.Status.GRADED
    assert Result.objects.get(pk=submission.pk).notified_at is None  # not sent, so not marked sent
    assert "not sent" in caplog.text

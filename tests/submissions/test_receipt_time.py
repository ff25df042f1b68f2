"""An upload is judged by when its request reached the server, not by when reading, checking and storing
it ended; the late penalty is in the result e-mail too."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from courseportal.courses.models import Assignment
from courseportal.courses.services import assignment_rules_update
from courseportal.submissions.services import UploadRefused, submission_create, submission_grade
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


def test_a_request_that_arrived_before_the_deadline_is_on_time_however_long_the_file_took(
        student, instructor, assignment, published):
    deadline = timezone.now() - timedelta(minutes=1)
    assignment_rules_update(assignment=assignment, changed_by=instructor,
                            changes={"due_at": deadline, "grace_minutes": 0})
    arrived = deadline - timedelta(seconds=2)  # 23:59:58; storing it ends after the deadline
    submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"),
                                   received_at=arrived)
    assert submission.received_at == arrived and submission.created_at > deadline
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.result.late_periods == 0
    with pytest.raises(UploadRefused, match="closed"):
        submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"),
                          received_at=deadline + timedelta(seconds=1))


def test_the_upload_view_stamps_the_arrival_before_it_reads_the_body(student, assignment, published, monkeypatch):
    from django.urls import reverse

    from courseportal.submissions.views import student as views
    from tests.portal.conftest import signed_in

    moments = {}
    guard = views.install_upload_guard
    monkeypatch.setattr(views, "install_upload_guard", lambda request, **kwargs: (
        moments.setdefault("body_read_from", timezone.now()), guard(request, **kwargs))[1])
    create = views.submission_create
    monkeypatch.setattr(views, "submission_create", lambda **kwargs: (
        moments.setdefault("received_at", kwargs["received_at"]), create(**kwargs))[1])
    response = signed_in(student).post(reverse("submissions:upload", args=[assignment.course.slug, assignment.slug]),
                                       {"file": upload("310510123_hw.py")})
    assert response.status_code == 302
    assert moments["received_at"] <= moments["body_read_from"]


def test_the_result_email_shows_the_late_penalty(student, instructor, assignment, published,
                                                 django_capture_on_commit_callbacks):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() - timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(10)})
    submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    assert mail.outbox[0].subject.endswith("9/10")
    assert "10 -> 9 (1 day late, 10%/day)" in mail.outbox[0].body

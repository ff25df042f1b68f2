"""Every form of the portal is refused without its CSRF token, and accepted with it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import reverse

from courseportal.submissions.models import Submission
from tests.conftest import PASSWORD
from tests.portal.conftest import signed_in, submit_and_grade

pytestmark = pytest.mark.django_db


def csrf_token_of(client: Client, page_url: str) -> str:
    """The token a browser would submit: read from the page that holds the form."""
    response = client.get(page_url)
    assert response.status_code == 200
    return get_token(response.wsgi_request)


def test_upload_form_needs_the_token(student, assignment):
    client = signed_in(student, enforce_csrf_checks=True)
    url = reverse("submissions:upload", args=["ai-training-2", "hw1"])
    refused = client.post(url, {"file": SimpleUploadedFile("310510123_hw1.py", b"answer = 42\n")})
    assert refused.status_code == 403
    assert not Submission.objects.exists()
    token = csrf_token_of(client, reverse("submissions:assignment", args=["ai-training-2", "hw1"]))
    accepted = client.post(url, {"csrfmiddlewaretoken": token,
                                 "file": SimpleUploadedFile("310510123_hw1.py", b"answer = 42\n")})
    assert accepted.status_code == 302 and Submission.objects.count() == 1


def test_regrade_form_needs_the_token(student, ta, assignment):
    submission = submit_and_grade(student, assignment)
    client = signed_in(ta, enforce_csrf_checks=True)
    url = reverse("submissions:regrade", args=[submission.pk])
    assert client.post(url).status_code == 403
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED
    token = csrf_token_of(client, reverse("submissions:detail", args=[submission.pk]))
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED


def test_language_form_needs_the_token(student):
    client = signed_in(student, enforce_csrf_checks=True)
    url = reverse("accounts:language")
    assert client.post(url, {"language": "zh-hant"}).status_code == 403
    student.refresh_from_db()
    assert not hasattr(student, "profile")
    token = csrf_token_of(client, reverse("home"))
    assert client.post(url, {"language": "zh-hant", "csrfmiddlewaretoken": token}).status_code == 302
    student.refresh_from_db()
    assert student.profile.language == "zh-hant"


def test_sign_out_form_needs_the_token(student):
    client = signed_in(student, enforce_csrf_checks=True)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("home")).status_code == 200  # still signed in
    token = csrf_token_of(client, reverse("home"))
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed out


def test_sign_in_form_needs_the_token(student):
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": "310510123", "password": PASSWORD}
    assert client.post(reverse("login"), credentials).status_code == 403
    token = csrf_token_of(client, reverse("login"))
    response = client.post(reverse("login"), {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.url == reverse("home")


def test_roster_import_form_needs_the_token(course, admin_user):
    client = signed_in(admin_user, enforce_csrf_checks=True)
    url = reverse("admin:courses_course_roster", args=[course.pk])
    roster = SimpleUploadedFile("roster.csv", b"310510777,Wang Da-ming,wang@example.edu\n")
    assert client.post(url, {"roster": roster}).status_code == 403
    assert not course.memberships.exists()

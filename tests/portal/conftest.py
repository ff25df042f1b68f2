"""Portal fixtures: the tests-only ``portal_echo`` checker, an assignment using it, uploads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create, submission_grade
from tests.conftest import checkers_registered, make_assignment
from tests.submissions.training import gpu  # noqa: F401 - the fake GPU pool, found by name

GOOD_ANSWER = b"answer = 42\n"


@pytest.fixture(autouse=True)
def portal_checker(settings):
    with checkers_registered(settings, "tests.portal.checkers"):
        yield


@pytest.fixture(autouse=True)
def no_sandbox(monkeypatch):
    """portal_echo reads text and runs nothing, so grading in a unit test needs no sandbox."""
    monkeypatch.setattr("grader.sandbox.get_sandbox", lambda: None)


@pytest.fixture(scope="session")
def compiled_translations():
    """Compile the zh_Hant catalogue when the .mo is missing or older than the .po (as compilemessages would)."""
    folder = Path(django_settings.LOCALE_PATHS[0]) / "zh_Hant" / "LC_MESSAGES"
    po, mo = folder / "django.po", folder / "django.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
    from django.utils.translation import trans_real

    trans_real._translations = {}  # forget catalogues loaded before the .mo existed
    return mo


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A request in Chinese leaves Chinese active in the test's thread (LocaleMiddleware does not switch
    back), so a later test that renders without a request would read Chinese: each test ends in English."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def assignment(course):
    return make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")


def upload_file(name: str, content: bytes = GOOD_ANSWER) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/x-python")


def submit(student, assignment, content: bytes = GOOD_ANSWER) -> Submission:
    """Upload through the service, as the upload view would."""
    return submission_create(student=student, assignment=assignment,
                             upload=upload_file(f"{student.username}_{assignment.slug}.py", content))


def submit_and_grade(student, assignment, content: bytes = GOOD_ANSWER) -> Submission:
    submission = submit(student, assignment, content)
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def signed_in(user, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client

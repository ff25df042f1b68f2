from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import checkers_registered, make_assignment
from tests.submissions.training import gpu  # noqa: F401 - the fake GPU pool, found by name


@pytest.fixture(autouse=True)
def word_checker(settings):
    with checkers_registered(settings, "tests.submissions.checkers"):
        yield


@pytest.fixture
def published(monkeypatch):
    """Every message the services hand to the broker, instead of a broker (unit tests only)."""
    sent: list[tuple[int, str]] = []

    def fake_send(*, submission_id, queue):
        sent.append((submission_id, queue))

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", fake_send)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: None)
    return sent


@pytest.fixture
def assignment(course):
    return make_assignment(course, "unit_word", slug="hw")


def upload(name: str, content: bytes = b"# correct\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/x-python")

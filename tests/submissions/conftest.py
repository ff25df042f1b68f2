from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grader.sandbox.unsafe import UnsafeSubprocessSandbox
from tests.conftest import checkers_registered, make_assignment
from tests.submissions.training import gpu  # noqa: F401 - the fake GPU pool, found by name


@pytest.fixture(autouse=True)
def word_checker(settings):
    with checkers_registered(settings, "tests.submissions.checkers"):
        yield


@pytest.fixture
def published(monkeypatch):
    """Every message the services hand to the broker, instead of a broker (unit tests only): (id, queue),
    with "background" added for a whole-assignment regrade's."""
    sent: list[tuple] = []

    def fake_send(*, submission_id, checker, background=False):
        sent.append((submission_id, checker.queue, "background") if background else (submission_id, checker.queue))

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", fake_send)
    # No warm zygote to start: the only checker here that runs anything (lec2_hw2 reads its PDF in
    # the sandbox) gets a plain subprocess, which is enough for the project's own test files.
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", UnsafeSubprocessSandbox)
    return sent


@pytest.fixture
def assignment(course):
    return make_assignment(course, "unit_word", slug="hw")


def upload(name: str, content: bytes = b"# correct\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/x-python")

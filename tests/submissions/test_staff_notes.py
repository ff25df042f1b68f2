"""What the grading noticed about a run (it tampered with the sandbox) is stored with the result and
shown to the course's staff on the submission page, never to the student."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from courseportal.submissions.services import submission_create, submission_grade
from grader import grade_file
from tests.conftest import PASSWORD
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db
NOTE = "Run uid61000-run3 of the student's code left 1 SysV shared memory segment (800 MB); the sandbox was cleaned."


@pytest.fixture
def graded_with_a_note(student, assignment, published, monkeypatch, django_capture_on_commit_callbacks):
    def noted(checker, **options):
        return replace(grade_file(checker, **options), staff_notes=(NOTE,))

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grade_file", noted)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
        submission_grade(submission_id=submission.pk)
    return submission


def test_staff_of_the_course_see_the_sandbox_note_and_the_student_does_not(client, graded_with_a_note, student, ta):
    assert graded_with_a_note.result.staff_notes == [NOTE]
    url = reverse("submissions:detail", args=[graded_with_a_note.pk])
    client.login(username=ta.username, password=PASSWORD)
    assert "left 1 SysV shared memory segment (800 MB)" in client.get(url).content.decode()
    client.logout()
    client.login(username=student.username, password=PASSWORD)
    page = client.get(url).content.decode()
    assert "SysV" not in page and "sandbox noticed" not in page

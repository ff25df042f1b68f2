"""The assignment's follow-through policy reaches the checker through the pipeline, and the result
e-mail is written in the student's language, the grader's feedback included."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail

from assignments.lec2_hw1.tests.conftest import CanonicalStructureSandbox
from courseportal.accounts.services import profile_language_set
from courseportal.submissions.models import Result
from courseportal.submissions.services import submission_create, submission_grade
from grader.registry import get_checker
from tests.conftest import make_assignment
from tests.portal.conftest import compiled_translations  # noqa: F401 - the zh_Hant catalogue, found by name
from tests.submissions.conftest import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
STRIDE = Path(get_checker("lec2_hw1").folder()) / "tests" / "golden" / "wrong_one_forgotten_stride.py"


@pytest.fixture
def structure_only_sandbox(monkeypatch, published):
    sandbox = CanonicalStructureSandbox.of(get_checker("lec2_hw1"))
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: sandbox)


def graded(student, assignment, django_capture_on_commit_callbacks) -> Result:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment,
                                       upload=upload(f"{student.username}_lec2_hw1.py", STRIDE.read_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        return submission_grade(submission_id=submission.pk)


def test_the_assignments_follow_through_credit_decides_what_following_answers_earn(
        student, course, structure_only_sandbox, django_capture_on_commit_callbacks):
    # (The strict default is what every golden result of lec2_hw1 is graded with.)
    assignment = make_assignment(course, "lec2_hw1", follow_through_credit_percent=100)
    result = graded(student, assignment, django_capture_on_commit_callbacks)
    follows = [check for check in result.checks if check.get("detail", {}).get("verdict") == "follows"]
    assert len(follows) == 17 and {check["points"] for check in follows} == {0.625}
    assert result.message_i18n["msgid"]


def test_the_result_mail_is_in_the_students_language(student, course, structure_only_sandbox,
                                                     django_capture_on_commit_callbacks):
    profile_language_set(user=student, language="zh-hant")
    graded(student, make_assignment(course, "lec2_hw1"), django_capture_on_commit_callbacks)
    (sent,) = mail.outbox
    assert "你的第一個錯誤在 conv2 的輸出（忽略了 stride）" in sent.body
    assert "Your first mistake" not in sent.body

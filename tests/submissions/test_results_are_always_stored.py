"""Whatever a run printed or a checker wrote, the result is stored (or cleanly replaced) and the
submission never stays running. Marked ``postgres``: PostgreSQL is where NUL, NaN and oversized
scores were refused.
"""

from __future__ import annotations

import math

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create, submission_grade
from courseportal.submissions.storable import (
    largest_storable_score,
    result_fields,
    storable_json,
    storable_text,
)
from grader.results import GradeResult
from tests.conftest import make_assignment
from tests.submissions.checkers import HOSTILE_RESULTS

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

Status = Submission.Status


@pytest.fixture
def hostile_assignment(course):
    return make_assignment(course, "unit_hostile_result", slug="hostile")


def graded(student, assignment, case: str) -> Submission:
    submission = submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        f"{student.username}_{assignment.slug}.py", f"# {case}\n".encode()))
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


@pytest.mark.parametrize("case", list(HOSTILE_RESULTS))
def test_every_hostile_result_is_stored_and_the_submission_finishes(student, hostile_assignment, published, case):
    submission = graded(student, hostile_assignment, case)
    assert submission.status in (Status.GRADED, Status.FAILED)
    result = Result.objects.get(pk=submission.pk)
    assert result.status in ("graded", "error")
    assert "\x00" not in result.output + result.message + str(result.checks)


def test_nul_characters_are_replaced_and_the_grade_kept(student, hostile_assignment, published):
    result = graded(student, hostile_assignment, "nul").result
    assert (result.status, float(result.score)) == ("graded", 10.0)
    assert result.output == "printed\ufffdNUL" and result.message == "a\ufffdmessage"
    assert result.checks[0]["name"] == "nul\ufffdname" and result.checks[0]["feedback"] == "feed\ufffdback"


@pytest.mark.parametrize("case", ["nan score", "infinite score", "score above the field"])
def test_a_score_that_cannot_be_recorded_is_a_grader_error_not_a_mark(student, hostile_assignment, published, case):
    submission = graded(student, hostile_assignment, case)
    assert submission.status == Status.FAILED
    assert submission.result.status == "error" and float(submission.result.score) == 0
    assert "cannot be recorded" in submission.result.message


def test_a_result_the_database_still_refuses_is_replaced_by_a_grader_error(
        student, hostile_assignment, published, monkeypatch):
    def unsanitised_once(grade, calls=[]):  # noqa: B006 - counts the calls
        calls.append(grade)
        fields = result_fields(grade)
        return {**fields, "message": "\ud800 cannot be encoded"} if len(calls) == 1 else fields

    monkeypatch.setattr("courseportal.submissions.services.pipeline.result_fields", unsanitised_once)
    submission = graded(student, hostile_assignment, "nul")
    assert submission.status == Status.FAILED
    assert submission.result.status == "error" and "could not be stored" in submission.result.message


def test_text_without_nul_or_surrogates_and_cut_to_length():
    assert storable_text("a\x00b\ud800c") == "a\ufffdb?c"
    assert storable_text("x" * 10, limit=4) == "xxxx […]"
    assert storable_text(b"bytes") == "b'bytes'"


def test_json_numbers_become_storable():
    stored = storable_json({"nan": math.nan, "inf": -math.inf, "huge": 10**5000, "ok": 2.5, "flag": True,
                            "deep": [[[[[[[[[[[[[[[[[[[[[["bottom"]]]]]]]]]]]]]]]]]]]]]]})
    assert stored["nan"] == 0.0 and stored["inf"] == 0.0 and stored["huge"] == 0
    assert stored["ok"] == 2.5 and stored["flag"] is True
    assert "bottom" not in str(stored["deep"])


def test_largest_storable_score_follows_the_field():
    assert str(largest_storable_score()) == "99999.999"
    assert result_fields(GradeResult("graded", score=99_999.99, max_score=99_999.99))["status"] == "graded"
    assert result_fields(GradeResult("graded", score=100_000.0, max_score=100_000.0))["status"] == "error"

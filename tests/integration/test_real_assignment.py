"""A real assignment's golden submission, uploaded and graded by a real worker in the bubblewrap sandbox."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create
from tests.conftest import make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.sandbox, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(180)]

GOLDEN = Path(__file__).resolve().parents[2] / "assignments" / "lec2_hw1" / "tests" / "golden"


def test_golden_lec2_hw1_upload_gets_its_expected_result_through_worker_and_bwrap(
    django_db_setup, broker, integration_worker_env, course, student
):
    golden = GOLDEN / "full_marks_big5_chinese_labels.py"
    expected = json.loads((GOLDEN / f"{golden.name}.expected.json").read_text())
    assignment = make_assignment(course, "lec2_hw1")

    with celery_worker(broker_url=broker.url, env={**integration_worker_env, "SANDBOX": "bwrap"}):
        submission = submission_create(student=student, assignment=assignment,
                                       upload=SimpleUploadedFile("310510123_lec2_hw1.py", golden.read_bytes()))
        wait_until(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.GRADED).exists(),
                   timeout_s=120, what="the worker to grade the golden submission")

    submission.refresh_from_db()
    result = submission.result
    assert (result.status, result.message) == (expected["status"], expected["message"])
    assert (result.score, result.max_score) == (Decimal(str(expected["score"])), Decimal(str(expected["max_score"])))
    assert [check["name"] for check in result.checks] == [check["name"] for check in expected["checks"]]

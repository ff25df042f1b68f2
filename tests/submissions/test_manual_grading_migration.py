"""Reports checked before hand grading existed are marked as awaiting a TA by the migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Result
from courseportal.submissions.services import submission_create, submission_grade
from tests.conftest import make_assignment
from tests.reports.grading import REPORT
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db

migration = importlib.import_module("courseportal.submissions.migrations.0002_result_manual_grading")


def test_old_report_results_await_a_ta_and_automatic_ones_do_not(student, course, assignment, published):
    report = submission_create(student=student, assignment=make_assignment(course, "lec2_hw2"),
                               upload=SimpleUploadedFile("310510123_lec2_hw2.pdf", REPORT))
    checked = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    for submission in (report, checked):
        submission_grade(submission_id=submission.pk)
    Result.objects.update(awaits_manual_grading=False)  # as stored before the field existed
    migration.mark_reports_awaiting_ta(apps, None)
    assert Result.objects.get(pk=report.pk).awaits_manual_grading
    assert not Result.objects.get(pk=checked.pk).awaits_manual_grading

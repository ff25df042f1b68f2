"""lec2_hw2: a readable PDF is received for TA grading, with what was seen in it; others are refused."""

from __future__ import annotations

import pytest

from assignments.lec2_hw2.checker import ReportChecker
from grader import grade_file
from grader.testing import assert_matches_golden, golden_result, golden_submissions, text_pdf


@pytest.mark.parametrize("submission", golden_submissions(ReportChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(ReportChecker(), submission, sandbox), submission)


def test_a_report_awaits_ta_grading_scored_zero_of_seventy_five(sandbox):
    pdf = text_pdf([["Residual blocks", "Receptive field", "Upsampling"]])
    result = grade_file(ReportChecker(), filename="310510123_lec2_hw2.pdf", data=pdf, sandbox=sandbox)
    assert (result.status, result.score, result.max_score) == ("graded", 0.0, 75.0)
    assert "awaits grading by a TA" in result.message
    assert all(check.passed for check in result.checks)
    assert ReportChecker.manual_grading


@pytest.mark.parametrize(
    "data, words",
    [(b"%PDF-1.4\n garbage", "incomplete"), (b"PK\x03\x04 a zip", "not a PDF"), (b"", "empty")],
)
def test_files_that_are_not_readable_pdfs_are_rejected(sandbox, data, words):
    result = grade_file(ReportChecker(), filename="310510123_lec2_hw2.pdf", data=data, sandbox=sandbox)
    assert result.status == "rejected" and words in result.message


def test_a_python_file_is_not_accepted(sandbox):
    result = grade_file(ReportChecker(), filename="310510123_lec2_hw2.py", data=b"print(1)", sandbox=sandbox)
    assert result.status == "rejected" and ".pdf" in result.message

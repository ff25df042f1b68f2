"""lec2_hw2: a readable PDF is received for TA grading, with what was seen in it as a hint (never
points); a PDF that cannot be read within the bounds is still received, with the reason; files that
are not PDFs are refused with a reason."""

from __future__ import annotations

import pytest

from assignments.lec2_hw2.checker import PROBLEMS, ReportChecker
from grader import grade_file
from grader.checker import validate_checker_class
from grader.testing import (
    assert_matches_golden,
    cjk_text_pdf,
    encrypted_pdf,
    golden_result,
    golden_submissions,
    text_pdf,
)


@pytest.mark.parametrize("submission", golden_submissions(ReportChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(ReportChecker(), submission, sandbox), submission)


def grade(data: bytes, sandbox, name: str = "310510123_lec2_hw2.pdf"):
    return grade_file(ReportChecker(), filename=name, data=data, sandbox=sandbox)


def test_a_report_awaits_ta_grading_and_its_hints_are_no_points(sandbox):
    result = grade(text_pdf([["Residual blocks", "Receptive field", "Upsampling"]]), sandbox)
    assert (result.status, result.score, result.max_score) == ("graded", 0.0, 75.0)
    assert result.checks == () and "appears to address all three problems" in result.message
    assert result.document.pages == 1 and result.document.has_text_layer
    assert ReportChecker.problems_addressed(result.document.text()) == tuple(problem.name for problem in PROBLEMS)


def test_a_chinese_report_is_recognised_by_its_chinese_words(sandbox):
    result = grade(cjk_text_pdf([["問題一：殘差區塊的優缺點"], ["問題二：感受野的計算"], ["問題三：上採樣"]]), sandbox)
    assert result.document.pages == 3 and "殘差" in result.document.text()
    assert ReportChecker.problems_addressed(result.document.text()) == tuple(problem.name for problem in PROBLEMS)


def test_a_report_missing_a_problem_says_which_as_information(sandbox):
    result = grade(text_pdf([["ResNet shortcut"], ["The receptive field grows"]]), sandbox)
    assert result.status == "graded" and "No sign of: Problem 3: feature-map upsampling" in result.message


def test_a_long_report_is_read_within_the_page_bound(sandbox):
    result = grade(text_pdf([[f"Page {number}: residual"] for number in range(120)]), sandbox)
    assert result.document.pages == 120 and len(result.document.texts) == 40


def test_a_scanned_report_without_text_is_received_for_the_tas(sandbox):
    blank = text_pdf([[], []])
    result = grade(blank, sandbox)
    assert result.status == "graded" and not result.document.has_text_layer
    assert "No text could be read" in result.message


def test_a_password_protected_report_is_received_with_the_reason(sandbox):
    result = grade(encrypted_pdf(text_pdf([["Residual"]]), password="secret"), sandbox)
    assert result.status == "graded" and result.document.problem == "password"
    assert "asks for a password" in result.message


def test_a_report_encrypted_without_a_password_is_read(sandbox):
    result = grade(encrypted_pdf(text_pdf([["Residual blocks"]]), password=""), sandbox)
    assert result.document.problem is None and result.document.encrypted and "Residual" in result.document.text()


def test_a_damaged_report_is_received_for_the_tas_to_open(sandbox):
    damaged = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< /Root 7 0 R >>\n%%EOF\n"
    result = grade(damaged, sandbox)
    assert result.status == "graded" and result.document.pages is None
    assert result.document.problem in ("damaged", "over_limits") and "TAs" in result.message


@pytest.mark.parametrize(
    "data, words",
    [(b"%PDF-1.4\n garbage", "incomplete"), (b"PK\x03\x04 a zip", "not a PDF"), (b"", "empty"),
     (b"\x89PNG\r\n\x1a\n a picture renamed", "not a PDF")],
)
def test_files_that_are_not_readable_pdfs_are_rejected(sandbox, data, words):
    result = grade(data, sandbox)
    assert result.status == "rejected" and words in result.message


def test_a_python_file_is_not_accepted(sandbox):
    result = grade(b"print(1)", sandbox, name="310510123_lec2_hw2.py")
    assert result.status == "rejected" and ".pdf" in result.message


def test_the_rubric_is_declared_for_every_problem_and_valid():
    validate_checker_class(ReportChecker)
    assert {item.problem for item in ReportChecker.rubric} == {problem.name for problem in PROBLEMS}

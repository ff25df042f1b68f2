"""lec2_hw3: golden submissions that fail the pre-check get their expected results in seconds."""

from __future__ import annotations

import pytest

from assignments.lec2_hw3.checker import DigitsCnnChecker
from grader import precheck_file
from grader.testing import assert_matches_golden, golden_result, golden_submissions

# Every golden file here fails the pre-check: its result never depends on how training went.
GOLDEN = golden_submissions(DigitsCnnChecker)


@pytest.mark.parametrize("submission", GOLDEN, ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(DigitsCnnChecker(), submission, sandbox), submission)


@pytest.mark.parametrize("submission", GOLDEN, ids=lambda path: path.name)
def test_golden_submission_fails_the_precheck_and_never_reaches_training(submission, sandbox):
    outcome = precheck_file(DigitsCnnChecker(), filename=submission.name, data=submission.read_bytes(),
                            sandbox=sandbox)
    assert not outcome.passed and outcome.result.message.startswith("Pre-check failed")


def test_the_starter_passes_the_precheck_in_seconds_and_says_what_it_found(sandbox):
    checker = DigitsCnnChecker()
    starter = checker.starter_path("lec2_hw3.py")
    outcome = precheck_file(checker, filename="310510123_lec2_hw3.py", data=starter.read_bytes(), sandbox=sandbox)
    assert outcome.passed, outcome.result
    assert "Pre-check passed" in outcome.result.message and "parameters" in outcome.result.message

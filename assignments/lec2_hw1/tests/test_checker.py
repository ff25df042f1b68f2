"""Real lec2_hw1 submissions in, the results students are told out (see grader/testing.py)."""

from __future__ import annotations

import pytest

from assignments.lec2_hw1.checker import NetHWSizesChecker
from grader.testing import assert_matches_golden, golden_result, golden_submissions


@pytest.mark.parametrize("submission", golden_submissions(NetHWSizesChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(NetHWSizesChecker(), submission, sandbox), submission)

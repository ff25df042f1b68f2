"""lec1_mlp_params: golden submissions get their expected results, and a right answer scores."""

from __future__ import annotations

import pytest

from assignments.lec1_mlp_params.checker import Lec1MlpParamsChecker
from grader.grading import grade_file
from tests.checkers.golden import assert_matches_golden, golden_result, golden_submissions


@pytest.mark.parametrize("submission", golden_submissions(Lec1MlpParamsChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(Lec1MlpParamsChecker(), submission, sandbox), submission)


def test_the_right_total_scores_full_marks(sandbox):
    checker = Lec1MlpParamsChecker()
    starter = checker.starter_path("lec1_mlp_params.py").read_text(encoding="utf-8")
    filled = starter.replace("總參數量:", f"總參數量: {checker.total_params():,}")
    result = grade_file(checker, filename="310510123_lec1_mlp_params.py", data=filled.encode(), sandbox=sandbox)
    assert (result.status, result.score) == ("graded", checker.points)

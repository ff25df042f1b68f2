"""lec1_mlp_params: golden submissions get their expected results; the reference is torch's."""

from __future__ import annotations

import pytest

from assignments.lec1_mlp_params.checker import MlpParameterCountChecker
from grader import grade_file
from grader.testing import assert_matches_golden, golden_result, golden_submissions


@pytest.mark.parametrize("submission", golden_submissions(MlpParameterCountChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result(MlpParameterCountChecker(), submission, sandbox), submission)


def test_the_reference_counts_what_torch_counts():
    checker = MlpParameterCountChecker()
    model = checker.load_starter().MLP()
    reference = checker.reference()
    assert reference["total_params"] == sum(parameter.numel() for parameter in model.parameters())
    assert {layer["name"]: layer["params"] for layer in reference["layers"]} == {
        name: sum(parameter.numel() for parameter in child.parameters()) for name, child in model.named_children()
    }


def _filled(checker: MlpParameterCountChecker, counts: dict[str, int], total: int) -> bytes:
    text = checker.starter_path("lec1_mlp_params.py").read_text(encoding="utf-8")
    for name, count in counts.items():
        text = text.replace(f"# {name} parameters:", f"# {name} parameters: {count:,}")
    return text.replace("總參數量:", f"總參數量: {total}").encode()


def test_right_answers_score_full_marks_and_a_forgotten_bias_is_named(sandbox):
    checker = MlpParameterCountChecker()
    reference = checker.reference()
    right = {layer["name"]: layer["params"] for layer in reference["layers"]}
    result = grade_file(checker, filename="a.py", data=_filled(checker, right, reference["total_params"]), sandbox=sandbox)
    assert (result.status, result.score) == ("graded", checker.points)

    forgot = {**right, "fc2": reference["layers"][1]["mistakes"][0][0]}
    result = grade_file(checker, filename="a.py", data=_filled(checker, forgot, reference["total_params"]), sandbox=sandbox)
    fc2 = next(check for check in result.checks if check.name == "fc2.params")
    assert not fc2.passed and "leaves out the bias" in fc2.feedback
    assert result.score == checker.points - checker.points_per_layer

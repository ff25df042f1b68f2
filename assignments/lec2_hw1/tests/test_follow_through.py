"""Mistakes explained from their root: one forgotten stride is named once, every later answer that
follows correctly from it says so, and the instructor's policy decides what those answers earn."""

from __future__ import annotations

from pathlib import Path

import pytest

from assignments.lec2_hw1.checker import FOLLOW_THROUGH_CREDIT
from assignments.lec2_hw1.tests.solution import solution_text
from grader import grade_file
from grader.testing import assert_matches_golden

GOLDEN = Path(__file__).with_name("golden")
STRIDE = GOLDEN / "wrong_one_forgotten_stride.py"
FOLLOWING = ["conv3", "dwconv", "pwconv", "gconv", "bn2", "upconv", "fuse", "pool2", "gap"]


def graded(checker, sandbox, data: bytes, credit: float | None = None) -> dict:
    options = {FOLLOW_THROUGH_CREDIT: credit} if credit is not None else None
    document = grade_file(checker, filename=STRIDE.name, data=data, sandbox=sandbox, options=options).to_dict()
    document.pop("output")
    return document


def by_name(result: dict) -> dict[str, dict]:
    return {check["name"]: check for check in result["checks"]}


def test_one_forgotten_stride_is_named_once_and_what_follows_from_it_says_so(lec2_checker, fake_sandbox):
    result = graded(lec2_checker, fake_sandbox, STRIDE.read_bytes())
    checks = by_name(result)
    assert checks["conv2.output"]["detail"] | {"verdict": "wrong", "root": True} == checks["conv2.output"]["detail"]
    assert "stride" in checks["conv2.output"]["feedback"]
    followed = [name for name, check in checks.items() if check.get("detail", {}).get("verdict") == "follows"]
    # conv3's input to gap's input: every size after conv2's own output that the stride changes
    # (gap's output is 1×1 either way, so it is simply right), and nothing else.
    assert followed == [f"{layer}.{field}" for layer in FOLLOWING for field in ("input", "output")][:-1]
    assert checks["gap.output"]["passed"]
    for name in followed:
        assert "follows correctly from your own earlier answers: the mistake is at conv2's output" in checks[name]["feedback"]
        assert "height and width" not in checks[name]["feedback"]
        assert checks[name]["detail"]["root_check"] == "conv2.output" and not checks[name]["detail"]["root"]
    assert result["message"].count("Your first mistake is conv2's output (stride ignored).") == 1
    assert "conv3 to gap follow correctly from your own answer for conv2's output" in result["message"]
    assert "strict policy" in result["message"]
    assert all(checks[f"{layer}.{field}"]["passed"] for layer in ("fc1", "dropout", "fc2") for field in ("input", "output"))


def test_strict_policy_scores_as_before_and_follow_through_credit_pays_its_share(lec2_checker, fake_sandbox):
    strict = graded(lec2_checker, fake_sandbox, STRIDE.read_bytes())
    credited = graded(lec2_checker, fake_sandbox, STRIDE.read_bytes(), credit=0.5)
    follows = [name for name, check in by_name(credited).items() if check.get("detail", {}).get("verdict") == "follows"]
    per_size = lec2_checker.points_per_size
    assert all(by_name(strict)[name]["points"] == 0 for name in follows)
    # Half of 0.625 is 0.3125, rounded up to the thousandth scores are kept in.
    assert all(by_name(credited)[name]["points"] == 0.313 for name in follows)
    assert credited["score"] == pytest.approx(strict["score"] + len(follows) * 0.313)
    assert strict["score"] == 25 - per_size * (1 + len(follows))
    assert "0.313 of 0.625 points for following through" in by_name(credited)["conv3.input"]["feedback"]
    assert "50% of their points for following through" in credited["message"]
    assert_matches_golden(credited, GOLDEN / "follow_through_credit" / STRIDE.name)


def test_follow_through_never_costs_a_right_answer(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    # conv2's output wrong but every later answer the truth: later answers stay right at full points.
    wrong = str(tuple(reference.layer("conv2").output_mistakes[0].value))
    for credit in (None, 0.5):
        result = graded(lec2_checker, fake_sandbox, solution_text(reference, wrong={"conv2.output": wrong}).encode(),
                        credit=credit)
        assert result["score"] == 25 - lec2_checker.points_per_size
        assert by_name(result)["conv3.input"]["passed"]


def test_an_answer_that_follows_from_nothing_wrong_is_plain_wrong(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    result = graded(lec2_checker, fake_sandbox, solution_text(reference, wrong={"conv3.input": "(1, 64, 9, 9)"}).encode(),
                    credit=1.0)
    assert by_name(result)["conv3.input"]["detail"]["verdict"] == "wrong"
    assert by_name(result)["conv3.input"]["points"] == 0

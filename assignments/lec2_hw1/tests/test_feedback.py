"""Every wrong answer a known misconception produces is named in the feedback, and right answers
in every notation score. Uses a structure-only fake sandbox: these tests are about the answers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assignments.lec2_hw1.tests.solution import STYLES, solution_text
from grader import grade_file


def grade(checker, sandbox, text: str, filename: str = "310510123_lec2_hw1.py") -> dict:
    return grade_file(checker, filename=filename, data=text.encode("utf-8"), sandbox=sandbox).to_dict()


def check(result: dict, name: str) -> dict:
    return next(item for item in result["checks"] if item["name"] == name)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_correct_filled_in_starter_scores_full_marks_in_every_notation(lec2_checker, fake_sandbox, style):
    result = grade(lec2_checker, fake_sandbox, solution_text(lec2_checker.reference(), style=style))
    assert (result["status"], result["score"], result["max_score"]) == ("graded", 25.0, 25.0)


def test_check_names_are_the_json_contract(lec2_checker, fake_sandbox):
    result = grade(lec2_checker, fake_sandbox, solution_text(lec2_checker.reference()))
    layers = [layer.name for layer in lec2_checker.reference().layers]
    expected = [f"{layer}.{field}" for layer in layers for field in ("input", "output")]
    assert [item["name"] for item in result["checks"]] == [*expected, "total_params", "model_unchanged"]
    assert check(result, "model_unchanged")["max_points"] == 0


def _size_mistakes(reference):
    return [
        (f"{layer.name}.{field}", mistake)
        for layer in reference.layers
        for field, mistakes in (("input", layer.input_mistakes), ("output", layer.output_mistakes))
        for mistake in mistakes
    ]


def test_each_size_misconception_loses_the_point_and_is_explained(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    mistakes = _size_mistakes(reference)
    assert len(mistakes) >= 15
    for name, mistake in mistakes:
        result = grade(lec2_checker, fake_sandbox, solution_text(reference, wrong={name: str(tuple(mistake.value))}))
        outcome = check(result, name)
        assert not outcome["passed"] and outcome["points"] == 0, name
        assert str(mistake.why) in outcome["feedback"], name
        assert result["score"] == 25 - lec2_checker.points_per_size, name


@pytest.mark.parametrize(
    "topic",
    ["stride", "dilation", "padding", "rounds up", "transposed convolution", "concatenation adds channels",
     "residual", "flatten", "Dropout"],
)
def test_the_size_misconceptions_of_the_issue_are_all_recognised(lec2_checker, topic):
    assert any(topic in str(mistake.why) for _, mistake in _size_mistakes(lec2_checker.reference())), topic


@pytest.mark.parametrize(
    "topic", ["running mean and variance", "leaves out the biases", "ignores groups", "bias=False", "scale γ"]
)
def test_each_parameter_count_misconception_is_recognised(lec2_checker, fake_sandbox, topic):
    reference = lec2_checker.reference()
    mistake = next(mistake for mistake in reference.total_mistakes if topic in str(mistake.why) and "; and" not in str(mistake.why))
    result = grade(lec2_checker, fake_sandbox, solution_text(reference, wrong={"total_params": f"{mistake.value:,}"}))
    outcome = check(result, "total_params")
    assert not outcome["passed"] and topic in outcome["feedback"]
    assert result["score"] == 25 - lec2_checker.points_for_total


def test_an_error_carried_from_the_layer_before_is_pointed_out(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    carried = str(tuple(reference.layer("conv2").output_mistakes[0].value))
    result = grade(lec2_checker, fake_sandbox, solution_text(reference, wrong={"conv2.output": carried, "conv3.input": carried}))
    carried_in = check(result, "conv3.input")
    assert "follows correctly from your own earlier answers: the mistake is at conv2's output" in carried_in["feedback"]
    assert carried_in["detail"]["verdict"] == "follows" and carried_in["points"] == 0


def test_an_unknown_wrong_size_gets_a_hint_that_does_not_give_the_answer_away(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    right = reference.layer("conv2").output
    wrong = (right[0], right[1], right[2] + 3, right[3] + 3)
    result = grade(lec2_checker, fake_sandbox, solution_text(reference, wrong={"conv2.output": str(wrong)}))
    feedback = check(result, "conv2.output")["feedback"]
    assert "channels is right; the height and width are not" in feedback
    assert str(right) not in feedback


def test_a_rounded_total_is_refused_as_not_exact(lec2_checker, fake_sandbox):
    result = grade(lec2_checker, fake_sandbox, solution_text(lec2_checker.reference(), total="0.13M"))
    outcome = check(result, "total_params")
    assert not outcome["passed"] and "not an exact count" in outcome["feedback"]


def test_unanswered_and_unreadable_fields_say_so_without_failing_the_grade(lec2_checker, fake_sandbox):
    reference = lec2_checker.reference()
    text = solution_text(reference, wrong={"bn1.input": "(  )", "bn1.output": "as before"})
    result = grade(lec2_checker, fake_sandbox, text)
    assert result["status"] == "graded"
    assert "No size found for bn1's input" in check(result, "bn1.input")["feedback"]
    assert "Could not read “as before”" in check(result, "bn1.output")["feedback"]


def test_the_score_ignores_what_the_sandbox_reports(lec2_checker):
    from assignments.lec2_hw1.tests.conftest import CanonicalStructureSandbox

    forged = CanonicalStructureSandbox([{"name": "score", "type": "25/25", "parameters": []}])
    result = grade(lec2_checker, forged, solution_text(lec2_checker.reference(), total="1"))
    assert result["score"] == 25 - lec2_checker.points_for_total
    assert not check(result, "model_unchanged")["passed"]


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.text(max_size=300))
def test_grading_any_text_appended_to_a_solution_never_fails(lec2_checker, fake_sandbox, noise):
    text = solution_text(lec2_checker.reference()) + "\n# " + noise.replace("\x00", "")
    result = grade(lec2_checker, fake_sandbox, text)
    assert result["status"] in ("graded", "rejected")
    assert 0 <= result["score"] <= 25


def test_full_marks_text_is_what_the_browser_test_uploads(lec2_checker, fake_sandbox):
    from assignments.lec2_hw1.tests.solution import full_marks_text

    assert grade(lec2_checker, fake_sandbox, full_marks_text())["score"] == 25


@pytest.mark.parametrize("total", ["", "1", "0.13M", "one hundred", "134,186"])
def test_the_totals_message_says_what_its_english_text_says(lec2_checker, fake_sandbox, total):
    """A reader in Chinese is told what a reader in English is (an unknown wrong total used to get
    "is wrong:" in its message and "is wrong." in its text)."""
    from grader.messages import Message

    outcome = check(grade(lec2_checker, fake_sandbox, solution_text(lec2_checker.reference(), total=total)),
                    "total_params")
    assert str(Message.from_dict(outcome["i18n"])) == outcome["feedback"]

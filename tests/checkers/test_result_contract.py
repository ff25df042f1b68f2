"""The result contract: an uncertain check keeps its points, says what a TA must confirm, and
round-trips through JSON; documents stored before uncertainty existed still read."""

from __future__ import annotations

import json

import pytest

from grader.answers import Answer, Shape, reviewed
from grader.results import CheckOutcome, GradeResult, Reading, ResultFormatError

RIGHT = (1, 32, 16, 16)


def _grade(answer: Answer) -> CheckOutcome:
    right = isinstance(answer.value, Shape) and answer.value.dims == RIGHT
    return CheckOutcome("pool1.output", passed=right, points=0.625 if right else 0.0, max_points=0.625,
                        feedback="Right." if right else "Wrong.")


def _answer(dims, place, **more) -> Answer:
    return Answer("answered", Shape(dims, str(dims)), place=place, **more)


def test_two_readings_that_score_differently_make_the_check_uncertain_and_keep_the_best_points():
    answer = _answer((1, 32, 31, 31), "line 70", doubt="you wrote more than one answer",
                     alternatives=(_answer(RIGHT, "line 80"),))
    outcome = reviewed(answer, _grade, what="pool1's output")
    assert outcome.uncertain and outcome.passed and outcome.points == 0.625
    assert [(reading.text, reading.place, reading.points) for reading in outcome.readings] == [
        ("(1, 32, 31, 31)", "line 70", 0.0), ("(1, 32, 16, 16)", "line 80", 0.625)]
    assert "A TA will check" in outcome.feedback and "line 80" in outcome.feedback


def test_readings_that_score_the_same_are_no_doubt_worth_a_ta():
    answer = _answer((1, 32, 31, 31), "line 70", alternatives=(_answer((1, 32, 8, 8), "line 80"),))
    outcome = reviewed(answer, _grade, what="pool1's output")
    assert not outcome.uncertain and outcome.points == 0 and outcome.feedback == "Wrong."


def test_a_size_nobody_owns_that_would_score_makes_an_unanswered_check_uncertain():
    answer = Answer("unanswered", doubt="a size not attributed to any layer", alternatives=(_answer(RIGHT, "line 9"),))
    outcome = reviewed(answer, _grade, what="pool1's output")
    assert outcome.uncertain and outcome.points == 0.625
    assert outcome.readings[0].text == "" and outcome.readings[0].note == "no answer written for it"


def test_an_uncertain_result_needs_review_and_round_trips_through_json():
    uncertain = CheckOutcome("a", passed=True, points=1.0, max_points=1.0, feedback="?", uncertain=True,
                             readings=(Reading("(1, 2)", "line 3", 1.0, "read as the answer"), Reading("", "", 0.0)))
    result = GradeResult.from_checks([uncertain, CheckOutcome("b", True, 1.0, 1.0)], max_score=2.0)
    document = json.loads(json.dumps(result.to_dict()))
    assert document["needs_review"] is True
    assert GradeResult.from_dict(document) == result
    assert result.uncertain_checks() == (uncertain,)


def test_a_document_stored_before_uncertainty_existed_reads_as_certain():
    stored = {"status": "graded", "score": 1.0, "max_score": 2.0, "message": "", "output": "",
              "checks": [{"name": "a", "passed": True, "points": 1.0, "max_points": 1.0, "feedback": "Right."}]}
    result = GradeResult.from_dict(stored)
    assert not result.needs_review and result.checks[0].readings == () and not result.checks[0].uncertain


@pytest.mark.parametrize("tampered", [
    {"needs_review": True},
    {"checks": [{"name": "a", "passed": True, "points": 1.0, "max_points": 1.0, "uncertain": True}]},
    {"checks": [{"name": "a", "passed": True, "points": 1.0, "max_points": 1.0, "uncertain": "yes",
                 "readings": [{"text": "", "points": 0.0}]}]},
    {"checks": [{"name": "a", "passed": True, "points": 1.0, "max_points": 1.0, "uncertain": True,
                 "readings": [{"text": "x", "points": float("nan")}]}]},
])
def test_documents_that_break_the_contract_are_refused(tampered):
    stored = {"status": "graded", "score": 1.0, "max_score": 1.0, "checks": [
        {"name": "a", "passed": True, "points": 1.0, "max_points": 1.0}], **tampered}
    with pytest.raises(ResultFormatError):
        GradeResult.from_dict(stored)

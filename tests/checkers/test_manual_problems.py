"""Hand-graded checkers declare the problems TAs grade; the registry refuses ones that cannot add up."""

from __future__ import annotations

import pytest

from assignments.lec2_hw2.checker import PROBLEMS, ReportChecker
from grader.checker import Checker, CheckerDefinitionError, ManualProblem, validate_checker_class


def report_checker(*, points: float, problems: tuple[ManualProblem, ...], manual: bool = True) -> type[Checker]:
    return type("Report", (Checker,), {"slug": "report", "title": "Report", "points": points,
                                       "accepted_extensions": (".pdf",), "manual_grading": manual,
                                       "manual_problems": problems})


def test_lec2_hw2_is_graded_per_problem_under_its_own_check_names():
    assert [(problem.name, problem.points) for problem in ReportChecker.hand_graded_problems()] == [
        (problem.check_name, problem.points) for problem in PROBLEMS]
    validate_checker_class(ReportChecker)


def test_a_hand_graded_checker_without_problems_is_graded_as_one_whole():
    checker = report_checker(points=10, problems=())
    assert checker.hand_graded_problems() == (ManualProblem("grade", "Report", 10.0),)


@pytest.mark.parametrize(("problems", "manual", "complaint"), [
    ((ManualProblem("a", "A", 5), ManualProblem("b", "B", 4)), True, "add up to points"),
    ((ManualProblem("a", "A", 5), ManualProblem("a", "A again", 5)), True, "distinct names"),
    ((ManualProblem("a", "A", 10), ManualProblem("b", "B", 0)), True, "positive points"),
    ((ManualProblem("a", "A", 10),), False, "without manual_grading"),
])
def test_problems_that_cannot_be_graded_are_refused(problems, manual, complaint):
    with pytest.raises(CheckerDefinitionError, match=complaint):
        validate_checker_class(report_checker(points=10, problems=problems, manual=manual))

"""Hand-graded checkers declare the problems TAs grade and the rubric a course starts from; the registry
refuses ones that cannot add up; a report's keywords say which problems it appears to address."""

from __future__ import annotations

import pytest

from assignments.lec2_hw2.checker import PROBLEMS, ReportChecker
from grader.checker import Checker, CheckerDefinitionError, ManualProblem, RubricItem, validate_checker_class


def report_checker(*, points: float, problems: tuple[ManualProblem, ...], manual: bool = True,
                   rubric: tuple[RubricItem, ...] = ()) -> type[Checker]:
    return type("Report", (Checker,), {"slug": "report", "title": "Report", "points": points,
                                       "accepted_extensions": (".pdf",), "manual_grading": manual,
                                       "manual_problems": problems, "rubric": rubric})


def test_lec2_hw2_is_graded_per_problem_under_its_own_check_names():
    assert [(problem.name, problem.points) for problem in ReportChecker.hand_graded_problems()] == [
        (problem.name, problem.points) for problem in PROBLEMS]
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


TWO = (ManualProblem("a", "A", 5, keywords=("residual", "殘差")), ManualProblem("b", "B", 5, keywords=("receptive field",)))


@pytest.mark.parametrize(("rubric", "manual", "complaint"), [
    ((RubricItem("c", -1, "No such problem."),), True, "no problem named 'c'"),
    ((RubricItem("a", -6, "More than the problem is worth."),), True, "at most the problem's points"),
    ((RubricItem("a", -1, "  "),), True, "needs a comment"),
    ((RubricItem("a", -1, "x" * 301),), True, "needs a comment"),
])
def test_rubrics_that_cannot_be_applied_are_refused(rubric, manual, complaint):
    with pytest.raises(CheckerDefinitionError, match=complaint):
        validate_checker_class(report_checker(points=10, problems=TWO, manual=manual, rubric=rubric))


def test_a_rubric_needs_a_hand_graded_checker():
    with pytest.raises(CheckerDefinitionError, match="rubric without manual_grading"):
        validate_checker_class(report_checker(points=10, problems=(), manual=False,
                                              rubric=(RubricItem("grade", -1, "Late."),)))


def test_problems_addressed_reads_keywords_in_english_and_chinese_ignoring_case_and_spaces():
    checker = report_checker(points=10, problems=TWO)
    assert checker.problems_addressed("A RESIDUAL block; the Receptive\nField grows") == ("a", "b")
    assert checker.problems_addressed("殘 差區塊") == ("a",)
    assert checker.problems_addressed("nothing relevant") == ()

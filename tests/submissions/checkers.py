"""A checker for unit tests of the pipeline: scores the word "correct" in the file, runs nothing."""

from __future__ import annotations

from grader.checker import Checker
from grader.results import CheckOutcome, GradeResult


class WordChecker(Checker):
    slug = "unit_word"
    title = "Unit-test word checker"
    points = 10
    accepted_extensions = (".py", ".ipynb")

    def check(self, submission, sandbox) -> GradeResult:
        found = "correct" in submission.all_text()
        outcome = CheckOutcome("word", found, 10.0 if found else 0.0, 10.0, "" if found else "say correct")
        return GradeResult.from_checks([outcome], max_score=self.points)

"""A tests-only checker for the portal: reads the file's text, runs nothing."""

from __future__ import annotations

from grader.checker import Checker
from grader.results import CheckOutcome, GradeResult


class PortalEchoChecker(Checker):
    slug = "portal_echo"
    title = "Portal echo"
    points = 10
    accepted_extensions = (".py",)
    starter_files = ("portal_echo_starter.py",)

    def check(self, submission, sandbox) -> GradeResult:
        text = submission.text or ""
        answered = "answer = 42" in text
        checks = [
            CheckOutcome("file is not blank", bool(text.strip()), 2.0 if text.strip() else 0.0, 2.0,
                         "" if text.strip() else "The file has no code."),
            CheckOutcome("answer is 42", answered, 8.0 if answered else 0.0, 8.0,
                         "Correct." if answered else "Set answer = 42."),
        ]
        return GradeResult.from_checks(checks, max_score=self.points, output=f"echo: {text[:40]}")

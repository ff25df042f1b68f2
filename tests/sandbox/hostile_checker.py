"""A tests-only checker: runs the file in the sandbox and scores an answer read on the trusted side.

Registered through ``GRADER_EXTRA_CHECKER_MODULES=tests.sandbox.hostile_checker``. Half the points
are for the line ``# answer: 42`` (read from the text, never from the sandbox), half for the file
running cleanly, so the hostile suite can tell "still graded" from "ran".
"""

from __future__ import annotations

import re

from grader.checker import Checker, Sandbox
from grader.content import SubmissionFile
from grader.results import CheckOutcome, GradeResult
from grader.sandbox.types import SandboxLimits, SandboxRequest

EXPECTED_ANSWER = 6 * 7
ANSWER_LINE = re.compile(r"^#\s*answer:\s*(-?\d+)\s*$", re.MULTILINE)
HARNESS = '''
import os, runpy

def run_submission(scratch):
    runpy.run_path(os.path.join(scratch, "submission.py"), run_name="submission")
    return {"ran": True}
'''
LIMITS = SandboxLimits(
    wall_seconds=8.0, cpu_seconds=4.0, memory_bytes=512 * 1024**2, processes=32,
    file_size_bytes=8 * 1024**2, output_bytes=16 * 1024, max_output_bytes=4 * 1024**2,
)


class HostileSuiteChecker(Checker):
    slug = "sandbox_suite"
    title = "Sandbox test suite: runs the file and reads one answer"
    points = 10.0
    limits = LIMITS

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        match = ANSWER_LINE.search(submission.all_text())
        right = bool(match) and int(match.group(1)) == EXPECTED_ANSWER
        answer = CheckOutcome("answer", passed=right, points=5.0 if right else 0.0, max_points=5.0,
                              feedback="Right." if right else "Write “# answer: 42”.")
        outcome = sandbox.run(SandboxRequest(
            harness=HARNESS, entry="run_submission", files={"submission.py": submission.data}, limits=self.limits,
        ))
        ran = outcome.ok and outcome.data == {"ran": True}
        if ran:
            why = "Your file ran."
        elif outcome.limit_exceeded:
            why = outcome.limit_message
        else:
            why = "Your file did not run: " + (outcome.error or "no result").strip().splitlines()[-1]
        runs = CheckOutcome("runs", passed=ran, points=5.0 if ran else 0.0, max_points=5.0, feedback=why)
        return GradeResult.from_checks([answer, runs], max_score=self.points, message=why, output=outcome.output)

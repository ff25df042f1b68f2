"""Checkers registered only for the integration tests (``GRADER_EXTRA_CHECKER_MODULES``).

``it_add`` runs the student's code through the sandbox, as real checkers do; ``it_slow`` only
takes its time, so a test can kill the worker while it grades; ``it_stall`` never finishes on a
poisoned file, as trusted code did on the crafted uploads of the outside review; ``it_train`` is
lec2_hw3 with a budget of seconds.
"""

from __future__ import annotations

import time

from assignments.lec2_hw3.checker import DigitsCnnChecker
from grader.checker import Checker
from grader.results import CheckOutcome, GradeResult
from grader.sandbox.types import SandboxLimits, SandboxRequest

ADD_HARNESS = """
import importlib.util, os

def run(scratch):
    spec = importlib.util.spec_from_file_location("student", os.path.join(scratch, "student.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"2+3": module.add(2, 3), "-1+1": module.add(-1, 1)}
"""

# Long enough to kill the worker mid-run, short enough to keep the test quick; the claim outlasts
# the grading's hard time limit (courseportal/submissions/time_limits.py).
SLOW_RUN_SECONDS = 2.5


class AddChecker(Checker):
    """Imports the student's ``add`` in the sandbox and scores two sums, one point each."""

    slug = "it_add"
    title = "Integration-test adder"
    points = 2
    limits = SandboxLimits(wall_seconds=20)

    def check(self, submission, sandbox) -> GradeResult:
        outcome = sandbox.run(SandboxRequest(harness=ADD_HARNESS, entry="run", limits=self.limits,
                                             files={"student.py": submission.code().encode()}))
        if not outcome.ok:
            return GradeResult.from_checks([], max_score=self.points, message=outcome.error or outcome.limit_message or "the run returned nothing",
                                           output=outcome.output)
        expected = {"2+3": 5, "-1+1": 0}
        checks = [
            CheckOutcome(name, outcome.data[name] == value, 1.0 if outcome.data[name] == value else 0.0, 1.0,
                         f"expected {value}, got {outcome.data[name]!r}")
            for name, value in expected.items()
        ]
        return GradeResult.from_checks(checks, max_score=self.points, output=outcome.output)


class SlowChecker(Checker):
    """Takes ``SLOW_RUN_SECONDS`` (in the worker: it runs no student code), then gives full marks."""

    slug = "it_slow"
    title = "Integration-test slow checker"
    points = 1
    limits = SandboxLimits(wall_seconds=4)

    def check(self, submission, sandbox) -> GradeResult:
        time.sleep(SLOW_RUN_SECONDS)
        return GradeResult.from_checks([CheckOutcome("ran to the end", True, 1.0, 1.0)], max_score=self.points)


POISON = "stall"
POISON_DEAF_TO_THE_SOFT_LIMIT = "stall, even when told to stop"


class StallingChecker(Checker):
    """Full marks at once for an ordinary file. A file saying ``POISON`` keeps this trusted code busy
    for ever (CPU-bound, as the review's quadratic parses were); one saying
    ``POISON_DEAF_TO_THE_SOFT_LIMIT`` also ignores Celery's soft time limit, as code stuck inside a
    C extension would, so only the hard limit ends it."""

    slug = "it_stall"
    title = "Integration-test checker that stalls on poisoned files"
    points = 1
    limits = SandboxLimits(wall_seconds=2)

    def check(self, submission, sandbox) -> GradeResult:
        text = submission.all_text()
        if POISON_DEAF_TO_THE_SOFT_LIMIT in text:
            while True:
                try:
                    time.sleep(3600)
                except BaseException:  # noqa: BLE001 - deaf to SoftTimeLimitExceeded on purpose
                    continue
        if POISON in text:
            while True:
                pass
        return GradeResult.from_checks([CheckOutcome("ordinary", True, 1.0, 1.0)], max_score=self.points)
# What the "fixed" it_fixable checker looks for in the shared cache folder (tests write it there).
FIX_FLAG = "it_fixable.fixed"
FIXABLE_SECONDS = 0.4


class FixableChecker(Checker):
    """A checker with a bug a TA later fixes: it wants ``answer = 1`` until the flag file appears in
    ``GRADER_CACHE_DIR``, then the right ``answer = 0``. Reads text only; takes a moment per file so
    a test can see the queue's order."""

    slug = "it_fixable"
    title = "Integration-test checker that gets fixed"
    points = 2

    def check(self, submission, sandbox) -> GradeResult:
        from pathlib import Path

        from grader.conf import engine_setting

        time.sleep(FIXABLE_SECONDS)
        fixed = (Path(engine_setting("GRADER_CACHE_DIR")) / FIX_FLAG).exists()
        expected = "answer = 0" if fixed else "answer = 1"
        right = expected in (submission.text or "")
        return GradeResult.from_checks([CheckOutcome("answer", right, 2.0 if right else 0.0, 2.0,
                                                     "" if right else f"expected {expected}")],
                                       max_score=self.points)


class QuickTrainingChecker(DigitsCnnChecker):
    """lec2_hw3 with a budget of seconds and short run limits, so that a claim on a training job
    (budget + setup + prediction + GRADING_TIME_MARGIN_S, then courseportal/submissions/time_limits.py's
    two fixed 10 s steps: 68 s here) expires soon: the test of a killed worker waits it out. Each run
    outside train() (a fresh process importing torch, the digits, the weights) took about 7 s on a
    loaded two-core machine; the limits leave twice that and more. The 8 s budget stays: a 5 s one
    ended with no epoch done on a machine under four times its cores' load."""

    slug = "it_train"
    title = "Integration-test training"
    starter_files = ()  # lec2_hw3's starter lives in its own folder, not this one
    cpu_budget_seconds = 8.0
    setup_seconds = 20.0
    prediction_seconds = 15.0


class RoomyTrainingChecker(DigitsCnnChecker):
    """lec2_hw3 with a CPU budget a loaded shared test machine cannot run out of: the starter stops
    by itself after its epochs (seconds on an idle machine)."""

    slug = "it_digits"
    title = "Integration-test digits"
    starter_files = ()
    cpu_budget_seconds = 300.0

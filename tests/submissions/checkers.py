"""A checker for unit tests of the pipeline: scores the word "correct" in the file, runs nothing."""

from __future__ import annotations

from grader.checker import Checker
from grader.results import CheckOutcome, GradeResult, Reading


class WordChecker(Checker):
    slug = "unit_word"
    title = "Unit-test word checker"
    points = 10
    accepted_extensions = (".py", ".ipynb")

    def check(self, submission, sandbox) -> GradeResult:
        found = "correct" in submission.all_text()
        outcome = CheckOutcome("word", found, 10.0 if found else 0.0, 10.0, "" if found else "say correct")
        return GradeResult.from_checks([outcome], max_score=self.points)


# What a checker (or the student's code, through its output) may hand the pipeline: each must be
# stored, replaced or turned into a grader error, never leave the submission running.
HOSTILE_RESULTS: dict[str, GradeResult] = {
    "nul": GradeResult("graded", score=10.0, max_score=10.0, message="a\x00message", output="printed\x00NUL",
                       checks=(CheckOutcome("nul\x00name", True, 10.0, 10.0, "feed\x00back"),)),
    "surrogate": GradeResult("graded", score=10.0, max_score=10.0, message="lone \ud800 surrogate",
                             output="\udcff" * 3, checks=(CheckOutcome("word", True, 10.0, 10.0, "\ud83d"),)),
    "nan score": GradeResult("graded", score=float("nan"), max_score=10.0,
                             checks=(CheckOutcome("word", True, float("nan"), 10.0),)),
    "infinite score": GradeResult("graded", score=float("inf"), max_score=float("inf")),
    "score above the field": GradeResult("graded", score=123_456.0, max_score=200_000.0),
    "huge integers": GradeResult("graded", score=10, max_score=10,
                                 checks=(CheckOutcome("word", True, 10, 10, feedback=10**5000),)),  # type: ignore[arg-type]
    "odd objects": GradeResult("graded", score=10.0, max_score=10.0,
                               checks=(CheckOutcome("word", True, 10.0, 10.0, feedback={"nested": [object()]}),)),  # type: ignore[arg-type]
    "a check that is no check": GradeResult("graded", score=10.0, max_score=10.0,
                                            checks=({"name": "a dict, not a CheckOutcome"},)),  # type: ignore[arg-type]
}


class HostileResultChecker(Checker):
    """Returns ``HOSTILE_RESULTS[<the file's first line>]``."""

    slug = "unit_hostile_result"
    title = "Unit-test checker returning unstorable results"
    points = 10
    accepted_extensions = (".py",)

    def check(self, submission, sandbox) -> GradeResult:
        return HOSTILE_RESULTS[submission.all_text().splitlines()[0].lstrip("# ")]


class StallingChecker(Checker):
    """Raises what Celery's soft time limit raises mid-grading when the file says "stall"."""

    slug = "unit_stall"
    title = "Unit-test checker that stalls"
    points = 10
    accepted_extensions = (".py",)

    def check(self, submission, sandbox) -> GradeResult:
        from celery.exceptions import SoftTimeLimitExceeded

        if "stall" in submission.all_text():
            raise SoftTimeLimitExceeded()
        return GradeResult.from_checks([CheckOutcome("ran", True, 10.0, 10.0)], max_score=self.points)


# As long as lec2_hw1's feedback, with sizes that do not break: what a phone must show whole.
WRONG_SIZE = ("Your answer torch.Size([1,32,32,32]) for conv2's output is not right: its stride of 2 halves the "
              "height and width, so it is torch.Size([1,64,16,16]).")


class LayerReaderChecker(Checker):
    """Forty checks of 0.625 points, as lec2_hw1's; a line "wrong N" fails the first N, and a line
    "unsure" leaves the last one uncertain between "(1, 10)" (full points) and no answer."""

    slug = "unit_layers"
    title = "Unit-test checker of forty 0.625-point checks"
    points = 25
    accepted_extensions = (".py",)

    def check(self, submission, sandbox) -> GradeResult:
        text = submission.all_text()
        wrong = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("wrong ")), 0)
        checks = [CheckOutcome(f"layer{index}", index >= wrong, 0.625 if index >= wrong else 0.0, 0.625,
                               "" if index >= wrong else WRONG_SIZE) for index in range(39)]
        if "unsure" in text:
            checks.append(CheckOutcome(
                "fc2 output", True, 0.625, 0.625, "Could not be read with confidence; a TA will look.", uncertain=True,
                readings=(Reading("(1, 10)", "line 3", 0.625, "a size not attributed to any layer"),
                          Reading("", "", 0.0, "no answer written for it"))))
        else:
            checks.append(CheckOutcome("fc2 output", True, 0.625, 0.625))
        return GradeResult.from_checks(checks, max_score=self.points)

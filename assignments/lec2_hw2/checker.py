"""lec2_hw2: the PDF report (residual blocks, receptive fields, feature-map upsampling).

TAs grade it by hand (``manual_grading``). The checker tells the student what it could see in the
PDF (read in the sandbox): how many pages, and which of the three problems it found a heading for,
so a wrong or incomplete upload is noticed before the deadline. A PDF that cannot be read
automatically is kept for the TAs all the same, with a note saying why. The result says plainly
that the score is pending: 0 of 75 until a TA grades it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.checker import Checker, ManualProblem, Sandbox
from grader.content import SubmissionFile
from grader.documents import PdfReading
from grader.results import CheckOutcome, GradeResult


@dataclass(frozen=True)
class Problem:
    check_name: str
    title: str
    points: float
    # Lower-case words that mark the problem's heading or its answer, English and Chinese.
    markers: tuple[str, ...]


PROBLEMS = (
    Problem("problem_1_residual_blocks", "Problem 1: residual blocks", 25.0,
            ("residual", "resnet", "skip connection", "shortcut", "殘差", "残差")),
    Problem("problem_2_receptive_fields", "Problem 2: receptive fields", 25.0,
            ("receptive field", "感受野", "感受區", "感受区")),
    Problem("problem_3_upsampling", "Problem 3: feature-map upsampling", 25.0,
            ("upsampl", "up-sampl", "transposed conv", "deconvolution", "interpolat", "上採樣", "上取樣",
             "上采样", "反卷積", "轉置卷積", "转置卷积")),
)


class ReportChecker(Checker):
    slug = "lec2_hw2"
    title = "Lecture 2-2 HW2: report on residual blocks, receptive fields and upsampling"
    description = (
        "Answer the three problems (residual blocks, receptive fields, feature-map upsampling; 25 points "
        "each) in one PDF report and upload it as <account>_lec2_hw2.pdf. TAs grade it by hand."
    )
    accepted_extensions = (".pdf",)
    manual_grading = True
    points = sum(problem.points for problem in PROBLEMS)
    # TAs enter points per problem, stored under the same check names this checker reports.
    manual_problems = tuple(ManualProblem(problem.check_name, problem.title, problem.points) for problem in PROBLEMS)
    weight_percent = 75

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        # Read in the sandbox, never here: a crafted PDF costs pypdf minutes (grader/documents.py).
        reading = self.read_pdf(submission, sandbox)
        text = re.sub(r"\s+", " ", reading.text()).lower()
        found = [problem for problem in PROBLEMS if any(marker in text for marker in problem.markers)]
        checks = [CheckOutcome("pdf_readable", passed=reading.pages is not None, points=0.0, max_points=0.0,
                               feedback=_readability_feedback(reading, text))]
        for problem in PROBLEMS:
            seen = problem in found
            checks.append(CheckOutcome(
                problem.check_name, passed=seen, points=0.0, max_points=0.0,
                feedback=(f"Found {problem.title}." if seen else
                          f"Not checked: no text could be read to look for {problem.title}." if not text.strip() else
                          f"Could not find {problem.title} (looked for: {', '.join(problem.markers[:3])}). "
                          "If it is there, the TAs will still see it; if not, add it before the deadline."),
            ))
        return GradeResult.from_checks(checks, max_score=self.points, message=_message(reading, found, text))


# What the student (and the TA, who sees the same result) is told when the PDF could not be read.
# The upload is kept either way: a TA opens the file itself.
UNREADABLE_FEEDBACK = {
    "damaged": ("This PDF could not be opened here; it may be damaged. The TAs will try to open it "
                "themselves: check that it opens on your computer, and if it does not, export it again and "
                "upload it before the deadline."),
    "password": ("This PDF asks for a password to open, so the TAs cannot read it. Export or save it again "
                 "without a password and upload it before the deadline."),
    "over_limits": ("This PDF is too complex to read automatically in the time the grader allows, so its "
                    "pages and text were not checked. It is kept, and the TAs will read it themselves; check "
                    "that this is the file you meant."),
}


def _readability_feedback(reading: PdfReading, text: str) -> str:
    if reading.problem is not None and reading.pages is None:
        return UNREADABLE_FEEDBACK[reading.problem]
    pages = f"A PDF of {_pages(reading.pages)}."
    if not text.strip():
        return pages + (" No text could be read from it (a scanned report?): the TAs will read the pages "
                        "themselves, but check that this is the file you meant.")
    if reading.cut_short:
        return pages + " Only the text of its first pages was read in the time allowed."
    return pages


def _pages(count: int | None) -> str:
    return f"{count} page{'s' if count != 1 else ''}"


def _message(reading: PdfReading, found: list[Problem], text: str) -> str:
    if reading.pages is None:
        return ("Your report was received, but it could not be read automatically (see below). "
                "It is kept and awaits grading by a TA; your score will appear here once it is graded.")
    if not text.strip():
        seen = "No text could be read, so the problems could not be recognised."
    elif len(found) == len(PROBLEMS):
        seen = "All three problems were found."
    else:
        missing = [problem.title for problem in PROBLEMS if problem not in found]
        seen = f"Not found: {'; '.join(missing)}."
    return (
        f"Your report was received ({_pages(reading.pages)}). {seen} "
        "It awaits grading by a TA; your score will appear here once it is graded."
    )

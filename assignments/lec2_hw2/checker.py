"""lec2_hw2: the PDF report (residual blocks, receptive fields, feature-map upsampling).

TAs grade it by hand (``manual_grading``). The checker only makes sure the file is a readable PDF
and tells the student what it could see: how many pages, and which of the three problems it found
a heading for, so a wrong or incomplete upload is noticed before the deadline. The result says
plainly that the score is pending: 0 of 75 until a TA grades it.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from grader.checker import Checker, ManualProblem, Sandbox
from grader.content import SubmissionFile
from grader.results import CheckOutcome, GradeResult

logger = logging.getLogger(__name__)

# Reading a long report's text costs time in the worker; headings are on the first pages anyway.
MAX_PAGES_READ = 40
MAX_CHARACTERS_PER_PAGE = 20_000


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
        pages, text = _pages_and_text(submission.data)
        found = [problem for problem in PROBLEMS if any(marker in text for marker in problem.markers)]
        checks = [CheckOutcome(
            "pdf_readable", passed=True, points=0.0, max_points=0.0,
            feedback=f"A PDF of {pages} page{'s' if pages != 1 else ''}."
            + ("" if text.strip() else " No text could be read from it (a scanned report?): the TAs will "
               "read the pages themselves, but check that this is the file you meant."),
        )]
        for problem in PROBLEMS:
            seen = problem in found
            checks.append(CheckOutcome(
                problem.check_name, passed=seen, points=0.0, max_points=0.0,
                feedback=(f"Found {problem.title}." if seen else
                          f"Not checked: no text could be read to look for {problem.title}." if not text.strip() else
                          f"Could not find {problem.title} (looked for: {', '.join(problem.markers[:3])}). "
                          "If it is there, the TAs will still see it; if not, add it before the deadline."),
            ))
        return GradeResult.from_checks(checks, max_score=self.points, message=_message(pages, found, text))


def _pages_and_text(data: bytes) -> tuple[int, str]:
    """The page count and the lower-cased text of the first pages; text is "" if unreadable."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    pages = len(reader.pages)
    chunks = []
    for page in list(reader.pages)[:MAX_PAGES_READ]:
        try:
            chunks.append((page.extract_text() or "")[:MAX_CHARACTERS_PER_PAGE])
        except Exception:  # pypdf raises many types on odd pages; a page without text is fine
            logger.info("no text from a page of a lec2_hw2 report", exc_info=True)
    return pages, re.sub(r"\s+", " ", " ".join(chunks)).lower()


def _message(pages: int, found: list[Problem], text: str) -> str:
    if not text.strip():
        seen = "No text could be read, so the problems could not be recognised."
    elif len(found) == len(PROBLEMS):
        seen = "All three problems were found."
    else:
        missing = [problem.title for problem in PROBLEMS if problem not in found]
        seen = f"Not found: {'; '.join(missing)}."
    return (
        f"Your report was received ({pages} page{'s' if pages != 1 else ''}). {seen} "
        "It awaits grading by a TA; your score will appear here once it is graded."
    )

"""lec2_hw2: the PDF report (residual blocks, receptive fields, feature-map upsampling).

TAs grade it by hand (``manual_grading``) in the portal, problem by problem, with the rubric below as
the course's starting point. The checker only tells the student (and the TA) what it could see in the
PDF, read in the sandbox: how many pages, whether it has a text layer, and which of the three problems
it appears to address. That is information, never points: the score stays pending until TAs grade it
and the instructor releases the grades. A PDF that cannot be read automatically is kept for the TAs all
the same; the reading says why, and the portal tells the TA.
"""

from __future__ import annotations

from grader.checker import Checker, ManualProblem, RubricItem, Sandbox
from grader.content import SubmissionFile
from grader.documents import PdfReading
from grader.messages import Message, Text, sentences, separated
from grader.results import GradeResult

# The titles are messages too: the receipt names the problems in the reader's language.
TITLES = (Message("Problem 1: residual blocks"), Message("Problem 2: receptive fields"),
          Message("Problem 3: feature-map upsampling"))
PROBLEMS = (
    ManualProblem("problem_1_residual_blocks", TITLES[0].msgid, 25.0,
                  keywords=("residual", "resnet", "skip connection", "shortcut", "殘差", "残差", "跳躍連接")),
    ManualProblem("problem_2_receptive_fields", TITLES[1].msgid, 25.0,
                  keywords=("receptive field", "感受野", "感受區", "感受区", "感受範圍")),
    ManualProblem("problem_3_upsampling", TITLES[2].msgid, 25.0,
                  keywords=("upsampl", "up-sampl", "transposed conv", "deconvolution", "interpolat", "上採樣",
                            "上取樣", "上采样", "反卷積", "轉置卷積", "转置卷积", "插值")),
)
RESIDUAL, RECEPTIVE, UPSAMPLING = (problem.name for problem in PROBLEMS)

# Where a course's rubric starts: each problem starts at its 25 points and items take points off.
# Staff edit it in the portal; an item's points changed there change every report it was applied to.
RUBRIC = (
    RubricItem(RESIDUAL, 0, "Correct and complete."),
    RubricItem(RESIDUAL, -10, "Only one kind of residual block is described."),
    RubricItem(RESIDUAL, -8, "Pros and cons are missing or wrong."),
    RubricItem(RESIDUAL, -3, "No diagram or equation of the shortcut path."),
    RubricItem(RESIDUAL, -25, "Not answered."),
    RubricItem(RECEPTIVE, 0, "Correct and complete."),
    RubricItem(RECEPTIVE, -8, "The receptive field is computed wrongly."),
    RubricItem(RECEPTIVE, -8, "No way to adjust it is given (kernel size, stride, dilation, depth)."),
    RubricItem(RECEPTIVE, -4, "The calculation steps are missing."),
    RubricItem(RECEPTIVE, -25, "Not answered."),
    RubricItem(UPSAMPLING, 0, "Correct and complete."),
    RubricItem(UPSAMPLING, -8, "Fewer than two upsampling methods are compared."),
    RubricItem(UPSAMPLING, -8, "No code is given."),
    RubricItem(UPSAMPLING, -5, "No images of the results."),
    RubricItem(UPSAMPLING, -2, "The checkerboard artefacts of transposed convolution are not discussed."),
    RubricItem(UPSAMPLING, -25, "Not answered."),
)

# The problems as handed out: text every report may quote, which says nothing about who wrote what
# (the portal's similarity check ignores it).
STATEMENTS = (
    "Problem 1: residual blocks. Describe two kinds of residual block (the basic block and the "
    "bottleneck block) with a diagram, and compare their pros and cons.",
    "Problem 2: receptive fields. Compute the receptive field of the network of lecture 2-2 layer by layer, "
    "and explain how it can be adjusted.",
    "Problem 3: feature-map upsampling. Compare upsampling methods (nearest neighbour, bilinear "
    "interpolation, transposed convolution) with code and images of the results.",
    "問題一：殘差區塊。說明兩種殘差區塊（基本區塊與瓶頸區塊）並畫出示意圖，比較其優缺點。",
    "問題二：感受野。逐層計算第 2-2 講網路的感受野，並說明如何調整感受野。",
    "問題三：特徵圖上採樣。以程式碼與結果圖片比較上採樣方法（最近鄰、雙線性插值、轉置卷積）。",
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
    manual_problems = PROBLEMS
    rubric = RUBRIC
    problem_statements = STATEMENTS
    weight_percent = 75

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        # Read in the sandbox, never here: a crafted PDF costs pypdf minutes (grader/documents.py).
        reading = self.read_pdf(submission, sandbox)
        addressed = self.problems_addressed(reading.text())
        return self.result([], message=_message(reading, addressed), document=reading)


# What ``manage.py grade`` and the receipt e-mail say (in the reader's language: each is a message). The
# portal's pages say the same from the stored reading.
UNREADABLE = {
    "damaged": Message("It could not be opened here; it may be damaged. The TAs will try to open it themselves: "
                       "check that it opens on your computer, and if it does not, export it again and upload it "
                       "before the deadline."),
    "password": Message("It asks for a password to open, so the TAs cannot read it. Export or save it again "
                        "without a password and upload it before the deadline."),
    "over_limits": Message("It is too complex to read automatically in the time the grader allows, so its pages "
                           "and text were not checked. It is kept, and the TAs will read it themselves; check that "
                           "this is the file you meant."),
}


def _message(reading: PdfReading, addressed: tuple[str, ...]) -> Text:
    next_step = Message("TAs grade it by hand; your points appear once the instructor releases the grades.")
    if reading.pages is None:
        return sentences(Message("Your report was received."), UNREADABLE[reading.problem or "damaged"], next_step)
    pages = Message("1 page") if reading.pages == 1 else Message("%(count)s pages", count=reading.pages)
    if not reading.has_text_layer:
        seen: Text = Message("No text could be read from it (a scan?), so the problems it covers were not looked "
                             "for; the TAs read the pages themselves.")
    else:
        missing = [Message(problem.title) for problem in PROBLEMS if problem.name not in addressed]
        seen = (Message("It appears to address all three problems.") if not missing
                else Message("No sign of: %(problems)s. If it is there, the TAs will still see it.",
                             problems=separated(missing)))
    return sentences(Message("Your report was received (%(pages)s).", pages=pages), seen, next_step)


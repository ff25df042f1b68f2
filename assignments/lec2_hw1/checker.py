"""lec2_hw1: the input and output size of every layer of ``NetHW``, and its parameter count.

The score depends only on the student's written answers, read here in trusted code and compared
with the reference that torch computed from the starter file (``reference.py``), and, for the
instructor's follow-through policy, with what follows from the student's own earlier answers
(``sizes.py``). The student's code is also built in the sandbox, but only to tell them if they
changed the model: whatever comes out of the sandbox is theirs to forge, so that check is worth 0 points.

Feedback is written as ``grader.messages.Message`` objects (stored beside the English text), so
that the portal shows it in each reader's language.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assignments.lec2_hw1.reference import MODEL_CLASS, Reference, reference_compute, reference_from_document
from assignments.lec2_hw1.sizes import FOLLOWS, WRONG, field_name, judged_sizes
from grader import INPUT_SIZE, OUTPUT_SIZE, Checker, CheckOutcome, LayerSpec, SandboxLimits, count_check
from grader.answers import Answer, AnswerSheet, Count
from grader.messages import Message, Text, sentences
from grader.model_structure import structure_check_run, structure_differences

FIELDS = (INPUT_SIZE, OUTPUT_SIZE)
# The grading option (``grade_file(..., options=)``) that sets the follow-through policy.
FOLLOW_THROUGH_CREDIT = "follow_through_credit"


class NetHWSizesChecker(Checker):
    slug = "lec2_hw1"
    title = "Lecture 2-2 HW1: feature-map sizes and parameters of NetHW"
    description = (
        "Write the input and output size of every layer of NetHW and its total number of parameters "
        "in the comment template at the end of lec2_hw1.py, then upload it as <account>_lec2_hw1.py "
        "(or a notebook, <account>_lec2_hw1.ipynb)."
    )
    accepted_extensions = (".py", ".ipynb")
    starter_files = ("lec2_hw1.py",)
    # Building a 16-layer model takes milliseconds; the limit covers a slow student file.
    limits = SandboxLimits(wall_seconds=20.0, cpu_seconds=20.0, memory_bytes=2 * 1024**3)
    # 16 layers × (input + output) × 0.625 + 5 for the total = 25.
    points_per_size = 0.625
    points_for_total = 5.0
    points = 25.0
    weight_percent = 25

    def compute_reference(self) -> dict[str, Any]:
        return reference_compute(getattr(self.load_starter(), MODEL_CLASS)())

    def load_reference(self, document: dict[str, Any]) -> Reference:
        return reference_from_document(document)

    def check(self, submission, sandbox):
        reference = self.reference()
        sheet = self.read_answers(
            submission, fields=FIELDS,
            layers=[LayerSpec(layer.name, layer.type_name, layer.signature) for layer in reference.layers],
        )
        if not sheet.wrote_anything:
            return self.starter_without_answers()
        checks = judged_sizes(reference, sheet, points=self.points_per_size, credit=self.follow_through_credit())
        checks.append(self._total_check(reference, sheet.total))
        structure, output = self._structure_check(reference, submission, sandbox)
        checks.append(structure)
        summary = _summary(checks, structure, sheet, credit=self.follow_through_credit())
        return replace(self.result(checks, message=str(summary), output=output), i18n=summary)

    def follow_through_credit(self) -> float:
        """The share of a size's points an answer gets that is wrong only because it follows
        correctly from the student's own earlier wrong answer: 0 (strict, the default) to 1."""
        try:
            credit = float(self.option(FOLLOW_THROUGH_CREDIT, 0.0))
        except (TypeError, ValueError):
            return 0.0
        return min(max(credit, 0.0), 1.0) if credit == credit else 0.0

    # --- the total --------------------------------------------------------------------------

    def _total_check(self, reference: Reference, answer: Answer) -> CheckOutcome:
        outcome = count_check(
            "total_params", answer, expected=reference.total_params, points=self.points_for_total,
            what="the total number of parameters",
            mistakes=[(mistake.value, str(mistake.why)) for mistake in reference.total_mistakes],
            where="Write it on the template's last line, e.g. “Total number of parameters: 123456”.",
            hint=TOTAL_HINT,
        )
        return replace(outcome, i18n=_total_message(reference, answer, outcome), detail={
            "layer": "", "field": "total", "answered": answer.as_written() if answer.status != "unanswered" else "",
            "expected": str(reference.total_params),
            "verdict": "uncertain" if outcome.uncertain else "right" if outcome.passed else
            "unanswered" if answer.status == "unanswered" else "wrong",
            "root": False,
        })

    # --- the student's own model (feedback only) ----------------------------------------------

    def _structure_check(self, reference: Reference, submission, sandbox) -> tuple[CheckOutcome, str]:
        outcome = CheckOutcome("model_unchanged", passed=False, points=0.0, max_points=0.0)
        report, run = structure_check_run(self, sandbox, code=submission.code(), class_name=MODEL_CLASS)

        def said(message: Message, *, passed: bool = False) -> tuple[CheckOutcome, str]:
            return replace(outcome, passed=passed, feedback=str(message), i18n=message), run.output

        if run.limit_exceeded:
            return said(Message("Your file could not be run: %(why)s (Not scored.)",
                                why=self.limits.describe_message(run.limit_exceeded)))
        if report is None:
            why = (run.error or "it did not finish").strip().splitlines()[-1]
            return said(Message("Your file could not be run: %(why)s (Not scored.)", why=why))
        if not report.built:
            return said(Message("Your file does not build %(model)s: %(error)s. (Not scored: your answers were "
                                "graded against the starter's NetHW.)", model=MODEL_CLASS, error=report.error))
        differences = structure_differences(reference.structure, report.modules)
        note: Text = Message(" Your file stopped early: %(error)s.", error=report.load_error) if report.load_error else ""
        if differences:
            return said(Message("Your %(model)s differs from the starter's: %(differences)s (Not scored: your "
                                "answers were graded against the starter's NetHW.)%(note)s",
                                model=MODEL_CLASS, differences=" ".join(differences), note=note))
        return said(Message("Your %(model)s is the starter's model.%(note)s", model=MODEL_CLASS, note=note), passed=True)


TOTAL_HINT = (
    "Add up every layer's learned weights and biases: a Conv2d has out·(in/groups)·k·k weights "
    "plus out biases (none with bias=False), a Linear in·out + out, a BatchNorm2d 2 per channel; "
    "pooling, dropout and activations have none."
)


def _total_message(reference: Reference, answer: Answer, outcome: CheckOutcome) -> Message | None:
    """The total's feedback as a message, where it is one of the usual cases (else English only)."""
    if outcome.uncertain:
        return Message("Could not read your answer for %(what)s with confidence: a TA will check how it was read; "
                       "until then it keeps %(points)s points.", what=Message("the total number of parameters"),
                       points=f"{outcome.points:g}")
    if answer.status == "unanswered":
        return Message("No answer found for the total number of parameters. Write it on the template's last line, "
                       "e.g. “Total number of parameters: 123456”.")
    if not isinstance(answer.value, Count) or not answer.value.exact:
        return None
    if outcome.passed:
        return Message("Right: %(shape)s.", shape=answer.value.text)
    at = f" ({answer.where()})" if answer.where() else ""
    for mistake in reference.total_mistakes:
        if mistake.value == int(answer.value.value):
            return Message("%(shape)s%(where)s is wrong: %(why)s", shape=answer.value.text, where=at,
                           why=Message("it %(why)s.", why=mistake.why))
    return Message("%(shape)s%(where)s is wrong: %(why)s", shape=answer.value.text, where=at, why=Message(TOTAL_HINT))


def _summary(checks: list[CheckOutcome], structure: CheckOutcome, sheet: AnswerSheet, *, credit: float) -> Text:
    """How many answers are right, where the first mistake is and what follows from it, what a TA
    will check, and the note about the student's model."""
    answered = [answer for answer in sheet.answers.values() if answer.status != "unanswered"]
    scored = [check for check in checks if check.max_points > 0]
    uncertain = sum(check.uncertain for check in scored)
    if not answered and sheet.total.status == "unanswered" and not uncertain:
        message: Text = Message("No answers were found: fill in the template at the end of lec2_hw1.py.")
    else:
        right = sum(check.passed and not check.uncertain for check in scored)
        message = Message("%(right)s of %(count)s answers are right.", right=right, count=len(scored))
        message = sentences(message, _root_sentence(checks, credit=credit))
        if uncertain:
            message = sentences(message, Message(
                "%(count)s could not be read with confidence: they keep their points until a TA has checked "
                "how they were read.", count=uncertain))
    if not structure.passed:
        message = sentences(message, Message("Note: %(note)s", note=structure.i18n or structure.feedback))
    return message


def _root_sentence(checks: list[CheckOutcome], *, credit: float) -> Text:
    """The root mistake named once: "Your first mistake is conv2's output (stride ignored). conv3 to gap
    follow correctly from your own answer for conv2's output (...)"."""
    details = [check.detail for check in checks if check.detail and check.detail.get("layer")]
    root = next((detail for detail in details if detail["verdict"] == WRONG), None)
    if root is None:
        return ""
    root_check = f"{root['layer']}.{root['field']}"
    where = field_name(root["layer"], root["field"])
    first: Text = (Message("Your first mistake is %(where)s (%(mistake)s).", where=where, mistake=Message(root["mistake"]))
                   if root["mistake"] else Message("Your first mistake is %(where)s.", where=where))
    following = [detail["layer"] for detail in details
                 if detail["verdict"] == FOLLOWS and detail.get("root_check") == root_check]
    following = list(dict.fromkeys(following))
    if not following:
        return first
    layers = following[0] if len(following) == 1 else Message(
        "%(first)s to %(last)s", first=following[0], last=following[-1])
    then = Message("%(layers)s follow correctly from your own answer for %(where)s", layers=layers, where=where)
    policy = (Message("(%(percent)s%% of their points for following through).", percent=f"{credit * 100:g}")
              if credit else Message("(no points under this assignment's strict policy)."))
    return sentences(first, Message("%(then)s %(policy)s", then=then, policy=policy))

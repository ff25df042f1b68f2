"""lec2_hw1: the input and output size of every layer of ``NetHW``, and its parameter count.

The score depends only on the student's written answers, read here in trusted code and compared
with the reference that torch computed from the starter file (``reference.py``), and, for the
instructor's follow-through policy, with what follows from the student's own earlier answers
(``judged_sizes`` below). The student's code is also built in the sandbox, but only to tell them if they
changed the model: whatever comes out of the sandbox is theirs to forge, so that check is worth 0 points.

Feedback is written as ``grader.messages.Message`` objects (stored beside the English text), so
that the portal shows it in each reader's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from assignments.lec2_hw1.reference import (
    MODEL_CLASS,
    LayerReference,
    Mistake,
    Reference,
    reference_compute,
    reference_from_document,
)
from grader import INPUT_SIZE, OUTPUT_SIZE, Checker, CheckOutcome, LayerSpec, SandboxLimits, count_check
from grader.answers import (
    Answer,
    AnswerSheet,
    Shape,
    explain_shape_difference,
    reviewed,
    shape_matches,
)
from grader.answers.shapes import as_channels_first
from grader.layer_shapes import Dims, input_source_evaluate, shape_rule_apply
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
            what=Message("the total number of parameters"),
            mistakes=[(mistake.value, mistake.why) for mistake in reference.total_mistakes],
            where=Message("Write it on the template's last line, e.g. “Total number of parameters: 123456”."),
            hint=TOTAL_HINT,
        )
        return replace(outcome, detail={
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
                                model=MODEL_CLASS, differences=sentences(*differences), note=note))
        return said(Message("Your %(model)s is the starter's model.%(note)s", model=MODEL_CLASS, note=note), passed=True)


TOTAL_HINT = Message(
    "Add up every layer's learned weights and biases: a Conv2d has out·(in/groups)·k·k weights "
    "plus out biases (none with bias=False), a Linear in·out + out, a BatchNorm2d 2 per channel; "
    "pooling, dropout and activations have none."
)


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


# --- Judging the sizes: against the truth, and against the student's own earlier answers --------
#
# For each layer, in the order ``forward`` calls them, trusted code computes what the layer would take
# and give from the student's own answers (``grader.layer_shapes``: the reference layer's arithmetic
# applied to the student's stated input, the student's stated outputs joined as ``forward`` joins
# them). An answer is then
#
# * ``right``: it is the truth;
# * ``follows``: not the truth, but exactly what follows from the student's own earlier (wrong)
#   answers, so the mistake is earlier: it gets ``credit`` × its points (0 under the strict policy)
#   and its feedback names where the mistake is (its ``root``);
# * ``wrong``: neither; it is a mistake of its own (a ``root``), explained by a known misconception
#   where one fits;
# * ``unanswered``, or ``uncertain`` when a TA must check how it was read.
#
# A right answer is always right: follow-through only ever adds credit. Everything here is shape
# arithmetic on cached rules (no torch): microseconds per file.

RIGHT, WRONG, FOLLOWS, UNCERTAIN, UNANSWERED = "right", "wrong", "follows", "uncertain", "unanswered"
FIELD_NAMES = {"input": Message("%(layer)s's input"), "output": Message("%(layer)s's output")}


def field_name(layer: str, field: str) -> Message:
    """"conv2's output", in the reader's language."""
    template = FIELD_NAMES[field]
    return Message(template.msgid, layer=layer)


@dataclass(frozen=True)
class _Judgement:
    """What one reading of an answer is, before it becomes a check."""

    verdict: str
    points: float
    feedback: Text
    mistake: Mistake | None = None


def judged_sizes(reference: Reference, sheet: AnswerSheet, *, points: float, credit: float) -> list[CheckOutcome]:
    """One check per layer and field, in network order, each with its ``detail`` and ``i18n``."""
    model_input = tuple(reference.input_shape[1:])
    stated: dict[str, Dims | None] = {}  # each layer's output as the student stated it (no batch)
    roots: dict[str, str] = {}  # check name -> the check where its chain of mistakes starts
    checks: list[CheckOutcome] = []
    for layer in reference.layers:
        own_input = input_source_evaluate(layer.source, stated, model_input)
        input_check = _judged(layer, "input", sheet, own_input, points=points, credit=credit, roots=roots,
                              upstream=[f"{name}.output" for name in _source_layers(layer.source)])
        stated_input = _stated_dims(sheet.get(layer.name, "input"), layer.input)
        own_output = shape_rule_apply(layer.rule, stated_input)
        output_check = _judged(layer, "output", sheet, own_output, points=points, credit=credit, roots=roots,
                               upstream=[f"{layer.name}.input"])
        stated[layer.name] = _stated_dims(sheet.get(layer.name, "output"), layer.output)
        checks += [input_check, output_check]
    return checks


def _judged(layer: LayerReference, field: str, sheet: AnswerSheet, own: Dims | None, *, points: float,
            credit: float, roots: dict[str, str], upstream: list[str]) -> CheckOutcome:
    name = f"{layer.name}.{field}"
    truth = layer.input if field == "input" else layer.output
    # What follows from the student's own answers, with the batch; None when it is the truth anyway.
    follows = (truth[0], *own) if own is not None and (truth[0], *own) != tuple(truth) else None
    root = next((roots[check] for check in upstream if check in roots), "")
    answer = sheet.get(layer.name, field)
    found: list[_Judgement] = []

    def graded(reading: Answer) -> CheckOutcome:
        judgement = _judgement(layer, field, sheet, reading, follows, root=root, points=points, credit=credit)
        found.append(judgement)
        return CheckOutcome.saying(name, judgement.feedback, passed=judgement.verdict == RIGHT,
                                   points=judgement.points, max_points=points)

    outcome = reviewed(answer, graded, what=field_name(layer.name, field))
    first = found[0]
    verdict = UNCERTAIN if outcome.uncertain else first.verdict
    if verdict == WRONG:
        roots[name] = name
    elif verdict == FOLLOWS and root:
        roots[name] = root
    # Uncertain: what ``reviewed`` says (why the reader doubts, the ways it reads, a TA decides).
    message: Text = (outcome.i18n or outcome.feedback) if outcome.uncertain else first.feedback
    detail = {
        "layer": layer.name, "field": field, "answered": answer.as_written() if answer.status != "unanswered" else "",
        "expected": _text(truth), "follows_from_yours": _text(follows) if follows else "",
        "verdict": verdict, "root": verdict == WRONG, "root_check": roots.get(name, ""),
        "mistake": str(first.mistake.short) if first.mistake and first.mistake.short else "",
    }
    return replace(outcome, i18n=message if isinstance(message, Message) else None, detail=detail)


def _judgement(layer: LayerReference, field: str, sheet: AnswerSheet, answer: Answer, follows: tuple | None, *,
               root: str, points: float, credit: float) -> _Judgement:
    truth = layer.input if field == "input" else layer.output
    if answer.status == "unanswered":
        return _Judgement(UNANSWERED, 0.0, _unanswered_feedback(layer, field, sheet))
    if answer.status == "unreadable" or not isinstance(answer.value, Shape):
        return _Judgement(WRONG, 0.0, Message(
            "Could not read “%(written)s”%(where)s as a size: write it like (1, 32, 16, 16).",
            written=answer.written, where=_at(answer)))
    shape = answer.value
    if shape_matches(shape, truth):
        return _Judgement(RIGHT, points, Message("Right: %(shape)s.", shape=shape.text))
    if follows is not None and shape_matches(shape, follows):
        # Rounded up to the thousandth a score is shown and stored in: never below the share.
        earned = math.ceil(points * credit * 1000 - 1e-9) / 1000
        where = field_name(*root.split(".")) if root else Message("an earlier answer")
        said = Message("%(shape)s is not right, but it follows correctly from your own earlier answers: "
                       "the mistake is at %(root)s.", shape=shape.text, root=where)
        if earned:
            return _Judgement(FOLLOWS, earned, Message(
                "%(said)s %(points)s of %(max_points)s points for following through.",
                said=said, points=f"{earned:g}", max_points=f"{points:g}"))
        return _Judgement(FOLLOWS, 0.0, Message(
            "%(said)s No points: this assignment scores only right answers.", said=said))
    why, mistake = _size_mistake(layer, field, sheet, shape)
    return _Judgement(WRONG, 0.0, Message("%(shape)s%(where)s is wrong: %(why)s", shape=shape.text,
                                          where=_at(answer), why=why), mistake)


def _size_mistake(layer: LayerReference, field: str, sheet: AnswerSheet, shape: Shape) -> tuple[Text, Mistake | None]:
    """Why ``shape`` is wrong: a known misconception, or which part of it is off."""
    correct = layer.input if field == "input" else layer.output
    mistakes = layer.input_mistakes if field == "input" else layer.output_mistakes
    for mistake in mistakes:
        if isinstance(mistake.value, tuple) and shape_matches(shape, mistake.value):
            return Message("it %(why)s.", why=mistake.why), mistake
    if field == "output" and shape_matches(shape, layer.input) and layer.input != layer.output:
        return Message("%(layer)s changes the size: this is its input's size.", layer=layer.signature), None
    # The reader's hints are fixed sentences; each is a msgid of its own (translated in the portal).
    return Message(explain_shape_difference(shape, correct)), None


def _unanswered_feedback(layer: LayerReference, field: str, sheet: AnswerSheet) -> Message:
    if field == "input" and layer.name in sheet.summary_layers:
        return Message("No input size for %(layer)s: a torchsummary/torchinfo summary shows only outputs. "
                       "Write “%(layer)s: input: (…)” as well.", layer=layer.name)
    return Message("No size found for %(what)s. Write it on the template line "
                   "“%(layer)s:  input: (…)  output: (…)”, e.g. (1, 32, 16, 16).",
                   what=field_name(layer.name, field), layer=layer.name)


def _stated_dims(answer: Answer, truth: tuple[int, ...]) -> Dims | None:
    """The student's answer without the batch, channels first (read as the truth's layout when it
    is the truth); None when there is no size to follow from."""
    if answer.status != "answered" or not isinstance(answer.value, Shape):
        return None
    if shape_matches(answer.value, truth):
        return tuple(truth[1:])
    return as_channels_first(answer.value, len(truth) - 1)


def _source_layers(source) -> list[str]:
    if not source:
        return []
    if source.get("op") == "output":
        return [source["of"]]
    return [name for part in source.get("parts", []) for name in _source_layers(part)]


def _at(answer: Answer) -> Text:
    return answer.at()


def _text(dims) -> str:
    return "(" + ", ".join(str(dim) for dim in dims) + ")"

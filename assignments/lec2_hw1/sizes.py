"""Judging the layer sizes of lec2_hw1: against the truth, and against the student's own earlier answers.

For each layer, in the order ``forward`` calls them, trusted code computes what the layer would take
and give from the student's own answers (``grader.layer_shapes``: the reference layer's arithmetic
applied to the student's stated input, the student's stated outputs joined as ``forward`` joins
them). An answer is then

* ``right``: it is the truth;
* ``follows``: not the truth, but exactly what follows from the student's own earlier (wrong)
  answers, so the mistake is earlier: it gets ``credit`` × its points (0 under the strict policy)
  and its feedback names where the mistake is (its ``root``);
* ``wrong``: neither; it is a mistake of its own (a ``root``), explained by a known misconception
  where one fits;
* ``unanswered``, or ``uncertain`` when a TA must check how it was read.

A right answer is always right: follow-through only ever adds credit. Everything here is shape
arithmetic on cached rules (no torch): microseconds per file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from assignments.lec2_hw1.reference import LayerReference, Mistake, Reference
from grader import CheckOutcome
from grader.answers import Answer, AnswerSheet, Shape, explain_shape_difference, reviewed, shape_matches
from grader.answers.shapes import as_channels_first
from grader.layer_shapes import Dims, input_source_evaluate, shape_rule_apply
from grader.messages import Message, Text

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
        return CheckOutcome(name, passed=judgement.verdict == RIGHT, points=judgement.points, max_points=points,
                            feedback=str(judgement.feedback))

    outcome = reviewed(answer, graded, what=str(field_name(layer.name, field)))
    first = found[0]
    verdict = UNCERTAIN if outcome.uncertain else first.verdict
    if verdict == WRONG:
        roots[name] = name
    elif verdict == FOLLOWS and root:
        roots[name] = root
    if outcome.uncertain:
        message: Text = Message(
            "Could not read your answer for %(what)s with confidence: a TA will check how it was read; "
            "until then it keeps %(points)s points.", what=field_name(layer.name, field), points=f"{outcome.points:g}")
    else:
        message = first.feedback
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


def _at(answer: Answer) -> str:
    return f" ({answer.where()})" if answer.where() else ""


def _text(dims) -> str:
    return "(" + ", ".join(str(dim) for dim in dims) + ")"

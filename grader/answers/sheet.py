"""What a checker asks about (layers and fields) and what reading the answers gives back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from grader.answers.shapes import Count, Shape
from grader.messages import Message, Text

FieldKind = Literal["shape", "count"]
AnswerStatus = Literal["answered", "unreadable", "unanswered"]


@dataclass(frozen=True)
class FieldSpec:
    """One thing asked about every layer: its name, its kind, and the words that label it."""

    name: str
    kind: FieldKind
    labels: tuple[str, ...]


INPUT_SIZE = FieldSpec("input", "shape", ("input", "inputs", "in", "輸入", "输入"))
OUTPUT_SIZE = FieldSpec("output", "shape", ("output", "outputs", "out", "輸出", "输出"))
PARAMETER_COUNT = FieldSpec("params", "count", ("params", "parameters", "param", "參數量", "參數", "参数"))

_LEADING_INTEGER = re.compile(r"\s*(?:(?:in_features|out_features|num_features|in_channels|out_channels)\s*=\s*)?(\d+)\s*$")


@dataclass(frozen=True)
class LayerSpec:
    """A layer asked about: its attribute name, its torch class name (to read summaries and
    "the MaxPool2d ..."), and optionally its constructor as torch prints it (``repr(module)``), so
    that "Conv2d(3, 32, ...)" in an answer names it."""

    name: str
    type_name: str
    signature: str = ""

    def leading_arguments(self) -> tuple[int, ...]:
        """The integers that start the constructor's arguments: (3, 32) for ``Conv2d(3, 32, ...)``,
        (64, 128) for ``Linear(in_features=64, out_features=128, bias=True)``."""
        inside = self.signature.partition("(")[2]
        numbers = []
        for part in inside.split(","):
            match = _LEADING_INTEGER.match(part)
            if match is None:
                break
            numbers.append(int(match.group(1)))
        return tuple(numbers)


@dataclass(frozen=True)
class Answer:
    """What was found for one field: a value, unreadable text, or nothing.

    ``value`` is a ``Shape`` or a ``Count``; ``line`` is 1-based in the answer text, ``place`` says
    where that is in the student's file ("line 70", or "cell 3, line 2" in a notebook).

    ``alternatives`` are other readings the text allows (another answer to the same question,
    a size the reader could not attribute to a layer), each an ``Answer`` with its own place;
    ``doubt`` says, for the student and a TA, why the reader is not sure which one is meant. A
    checker grades every reading (``grader.answers.reviewed``): where they would get different
    points, a TA decides.
    """

    status: AnswerStatus
    value: Shape | Count | None = None
    written: str = ""
    line: int | None = None
    labelled: bool = False
    from_summary: bool = False
    place: str = ""
    alternatives: tuple[Answer, ...] = ()
    doubt: Text = ""

    def where(self) -> str:
        """Where the answer is, as the student finds it in their file; empty when unknown."""
        if self.place:
            return self.place
        return f"line {self.line}" if self.line else ""

    def at(self) -> Text:
        """" (line 70)" after the answer in feedback, as a message (「（第 70 行）」); "" when unknown."""
        where = self.where()
        return Message(" (%(place)s)", place=place_message(where)) if where else ""

    def as_written(self) -> str:
        """The answer as the student wrote it ("(1, 32, 16, 16)"), or what was there instead."""
        if isinstance(self.value, Shape | Count):
            return self.value.text
        return self.written


UNANSWERED = Answer("unanswered")
# The doubt of a reading that is a size no mention of a layer owns.
UNATTRIBUTED = Message("the file holds a size the grader could not attribute to any layer")


@dataclass(frozen=True)
class AnswerSheet:
    """Every layer's answer to every field (``get`` gives ``UNANSWERED`` for none), and the total.

    ``summary_layers`` are the layers a pasted torchsummary/torchinfo summary answered;
    ``wrote_anything`` is False when the file holds no text of the student's own (only the
    handout's: the untouched starter); ``stopped_at`` is set when the file was too long to read in
    full (then every question it left unanswered is uncertain: a TA reads the rest).
    """

    answers: dict[tuple[str, str], Answer]
    total: Answer
    summary_layers: frozenset[str] = field(default_factory=frozenset)
    wrote_anything: bool = True
    stopped_at: str = ""  # where reading stopped, for a file too long to read in full ("line 40001")

    def get(self, layer: str, field_name: str) -> Answer:
        return self.answers.get((layer, field_name), UNANSWERED)


# Where a line is, as ``grader.answers.sources`` writes it, and the same as a message.
_PLACES = (
    (re.compile(r"line (\d+)"), lambda found: Message("line %(line)s", line=int(found[1]))),
    (re.compile(r"cell (\d+), line (\d+)"),
     lambda found: Message("cell %(cell)s, line %(line)s", cell=int(found[1]), line=int(found[2]))),
    (re.compile(r"cell (\d+), output line (\d+)"),
     lambda found: Message("cell %(cell)s, output line %(line)s", cell=int(found[1]), line=int(found[2]))),
    (re.compile(r"cell (\d+)"), lambda found: Message("cell %(cell)s", cell=int(found[1]))),
)


def place_message(place: str) -> Text:
    """"line 70", "cell 3, line 2" as a message for readers of any language; other text as it is."""
    for pattern, message in _PLACES:
        found = pattern.fullmatch(place)
        if found:
            return message(found)
    return place

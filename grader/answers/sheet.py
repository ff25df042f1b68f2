"""What a checker asks about (layers and fields) and what reading the answers gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from grader.answers.shapes import Count, Shape

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


@dataclass(frozen=True)
class LayerSpec:
    """A layer asked about: its attribute name and its torch class name (to read summaries)."""

    name: str
    type_name: str


@dataclass(frozen=True)
class Answer:
    """What was found for one field: a value, unreadable text, or nothing.

    ``value`` is a ``Shape`` or a ``Count``; ``line`` is 1-based in the answer text, ``place`` says
    where that is in the student's file ("line 70", or "cell 3, line 2" in a notebook).
    """

    status: AnswerStatus
    value: Shape | Count | None = None
    written: str = ""
    line: int | None = None
    labelled: bool = False
    from_summary: bool = False
    place: str = ""

    def status_order(self) -> int:
        return {"answered": 2, "unreadable": 1, "unanswered": 0}[self.status]

    def rank(self) -> tuple[int, int, int]:
        return (self.status_order(), int(self.labelled), self.line or 0)

    def supersedes(self, other: Answer) -> bool:
        """Whether this answer, from another section, replaces ``other``: a higher rank, except
        that a single number never replaces a feature-map size (it is a note's "32 channels")."""
        single_number = isinstance(self.value, Shape) and len(self.value.dims) == 1
        feature_map = isinstance(other.value, Shape) and len(other.value.dims) >= 3
        return self.rank() > other.rank() and not (single_number and feature_map)

    def where(self) -> str:
        """Where the answer is, as the student finds it in their file; empty when unknown."""
        if self.place:
            return self.place
        return f"line {self.line}" if self.line else ""


UNANSWERED = Answer("unanswered")


@dataclass(frozen=True)
class AnswerSheet:
    """Every layer's answer to every field (``get`` gives ``UNANSWERED`` for none), and the total.

    ``summary_layers`` are the layers a pasted torchsummary/torchinfo summary answered.
    """

    answers: dict[tuple[str, str], Answer]
    total: Answer
    summary_layers: frozenset[str] = field(default_factory=frozenset)

    def get(self, layer: str, field_name: str) -> Answer:
        return self.answers.get((layer, field_name), UNANSWERED)

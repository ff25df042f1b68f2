"""The result of grading one file: the JSON contract shared by the worker, the portal and
``manage.py grade``.

Shape (``GradeResult.to_dict``)::

    {"status": "graded" | "rejected" | "error", "score": 23.0, "max_score": 25.0,
     "message": "...", "needs_review": false,
     "checks": [{"name", "passed", "points", "max_points", "feedback", "uncertain",
                 "readings": [{"text", "place", "points", "note"}, ...]}, ...],
     "output": "tail of what the student's code printed"}

A check is ``uncertain`` when the grader could not read the student's answer with confidence:
it keeps the best points any reading gives (provisionally: the student is never penalised for
how the grader read them), its feedback says what could not be read and that a TA will look,
and ``readings`` lists each way the answer can be read, where it is in the file and the points
it would get, for the TA to confirm or correct. A result ``needs_review`` when any check is
uncertain. Documents stored before these fields existed read as certain, with no readings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ResultStatus = Literal["graded", "rejected", "error"]
RESULT_STATUSES: tuple[str, ...] = ("graded", "rejected", "error")


class ResultFormatError(ValueError):
    """A result document does not follow the contract."""


@dataclass(frozen=True)
class Reading:
    """One way of reading an uncertain answer: the text as written ("" for "no answer"), where it
    is ("line 70", "cell 3, line 2"), the points the check would get with it, and why it is a
    reading ("the first answer", "a size not attributed to any layer")."""

    text: str
    place: str
    points: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "place": self.place, "points": self.points, "note": self.note}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Reading:
        try:
            return cls(text=str(raw["text"]), place=str(raw.get("place", "")), points=_finite(raw["points"]),
                       note=str(raw.get("note", "")))
        except (KeyError, TypeError) as error:
            raise ResultFormatError(f"reading is malformed: {error}") from None


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    points: float
    max_points: float
    feedback: str = ""
    uncertain: bool = False
    readings: tuple[Reading, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "points": self.points,
            "max_points": self.max_points,
            "feedback": self.feedback,
            "uncertain": self.uncertain,
            "readings": [reading.to_dict() for reading in self.readings],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CheckOutcome:
        readings = raw.get("readings", [])
        if not isinstance(readings, list):
            raise ResultFormatError("readings must be a list")
        try:
            outcome = cls(
                name=str(raw["name"]),
                passed=_strict_bool(raw["passed"]),
                points=_finite(raw["points"]),
                max_points=_finite(raw["max_points"]),
                feedback=str(raw.get("feedback", "")),
                uncertain=_strict_bool(raw.get("uncertain", False)),
                readings=tuple(Reading.from_dict(reading) for reading in readings),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ResultFormatError(f"check is malformed: {error}") from None
        if not 0 <= outcome.points <= outcome.max_points:
            raise ResultFormatError(f"check {outcome.name}: points outside 0..max_points")
        if outcome.uncertain and not outcome.readings:
            raise ResultFormatError(f"check {outcome.name}: uncertain without the readings a TA must choose from")
        return outcome


@dataclass(frozen=True)
class GradeResult:
    status: ResultStatus
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    checks: tuple[CheckOutcome, ...] = field(default_factory=tuple)
    output: str = ""

    @property
    def needs_review(self) -> bool:
        """Whether a TA must confirm how some answer was read (some check is uncertain)."""
        return any(check.uncertain for check in self.checks)

    def uncertain_checks(self) -> tuple[CheckOutcome, ...]:
        """What a TA must confirm or correct: each uncertain check, with its readings."""
        return tuple(check for check in self.checks if check.uncertain)

    @classmethod
    def from_checks(
        cls, checks: Iterable[CheckOutcome], *, max_score: float, message: str = "", output: str = ""
    ) -> GradeResult:
        """A graded result whose score is the sum of its checks' points."""
        checks = tuple(checks)
        score = round(sum(check.points for check in checks), 4)
        return cls("graded", score=min(score, max_score), max_score=max_score, message=message,
                   checks=checks, output=output)

    @classmethod
    def rejected(cls, message: str, *, max_score: float = 0.0) -> GradeResult:
        return cls("rejected", score=0.0, max_score=max_score, message=message)

    @classmethod
    def error(cls, message: str, *, max_score: float = 0.0, output: str = "") -> GradeResult:
        return cls("error", score=0.0, max_score=max_score, message=message, output=output)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "needs_review": self.needs_review,
            "checks": [check.to_dict() for check in self.checks],
            "output": self.output,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GradeResult:
        status = raw.get("status")
        if status not in RESULT_STATUSES:
            raise ResultFormatError(f"status {status!r} is not one of {RESULT_STATUSES}")
        checks = raw.get("checks", [])
        if not isinstance(checks, list):
            raise ResultFormatError("checks must be a list")
        result = cls(
            status=status,
            score=_finite(raw.get("score", 0)),
            max_score=_finite(raw.get("max_score", 0)),
            message=str(raw.get("message", "")),
            checks=tuple(CheckOutcome.from_dict(check) for check in checks),
            output=str(raw.get("output", "")),
        )
        if "needs_review" in raw and _strict_bool(raw["needs_review"]) != result.needs_review:
            raise ResultFormatError("needs_review does not match the checks' uncertain flags")
        return result


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResultFormatError(f"{value!r} is not a finite number")
    return float(value)


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ResultFormatError(f"{value!r} is not true or false")
    return value

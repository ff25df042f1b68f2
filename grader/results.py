"""The result of grading one file: the JSON contract shared by the worker, the portal and
``manage.py grade``.

Shape (``GradeResult.to_dict``)::

    {"status": "graded" | "rejected" | "error", "score": 23.0, "max_score": 25.0,
     "message": "...", "checks": [{"name", "passed", "points", "max_points", "feedback"}, ...],
     "output": "tail of what the student's code printed"}
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
class CheckOutcome:
    name: str
    passed: bool
    points: float
    max_points: float
    feedback: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "points": self.points,
            "max_points": self.max_points,
            "feedback": self.feedback,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CheckOutcome:
        try:
            outcome = cls(
                name=str(raw["name"]),
                passed=_strict_bool(raw["passed"]),
                points=_finite(raw["points"]),
                max_points=_finite(raw["max_points"]),
                feedback=str(raw.get("feedback", "")),
            )
        except (KeyError, TypeError) as error:
            raise ResultFormatError(f"check is malformed: {error}") from None
        if not 0 <= outcome.points <= outcome.max_points:
            raise ResultFormatError(f"check {outcome.name}: points outside 0..max_points")
        return outcome


@dataclass(frozen=True)
class GradeResult:
    status: ResultStatus
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    checks: tuple[CheckOutcome, ...] = field(default_factory=tuple)
    output: str = ""

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
        return cls(
            status=status,
            score=_finite(raw.get("score", 0)),
            max_score=_finite(raw.get("max_score", 0)),
            message=str(raw.get("message", "")),
            checks=tuple(CheckOutcome.from_dict(check) for check in checks),
            output=str(raw.get("output", "")),
        )


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResultFormatError(f"{value!r} is not a finite number")
    return float(value)


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ResultFormatError(f"{value!r} is not true or false")
    return value

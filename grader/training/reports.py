"""What a training run sends while it runs, and what it returns: validated on the trusted side.

All of it comes from the sandbox, where the student's code can write the same lines the harness
writes, so each line is checked against a fixed schema and bounded, and used only as what it is:

- progress points: the live curve, display only (``TrainingPoint``, stamped with the worker's clock);
- weights: bytes passed on, unopened, to the prediction run, which loads them in the sandbox with
  ``torch.load(weights_only=True)``. Trusted code never unpickles them; it checks only that they are
  base64 of at most ``max_weight_bytes`` in torch's zip format.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from grader.results import MAX_CURVE_POINTS, ResultFormatError, TrainingPoint, curve_thinned

logger = logging.getLogger(__name__)
# torch.save writes a zip archive.
TORCH_ARCHIVE_MAGIC = b"PK\x03\x04"
RUN_OUTCOMES = ("finished", "budget", "gpu_memory", "crashed", "no_device")
MAX_TRACEBACK = 4000


@dataclass(frozen=True)
class Weights:
    """The latest weights a run sent: after ``epoch`` epochs; ``final`` when sent as training ended."""

    data: bytes
    epoch: int
    final: bool


class RunReports:
    """Receives a training run's report lines (``on_report``): keeps the curve and the latest weights.

    ``on_point`` (if given) gets each accepted point as it arrives: the live progress. Lines that
    are not a valid report are counted in ``refused`` and otherwise ignored.
    """

    def __init__(self, *, max_weight_bytes: int, on_point: Callable[[TrainingPoint], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_weight_bytes = max_weight_bytes
        self.on_point = on_point
        self.points: list[TrainingPoint] = []
        self.weights: Weights | None = None
        self.refused = 0
        self._clock = clock
        self._started = clock()

    def add(self, line: bytes) -> None:
        try:
            document = json.loads(line)
            if not isinstance(document, dict):
                raise ResultFormatError("a report is an object")
            kind = document.get("kind")
            if kind == "progress":
                self._add_point(document)
            elif kind == "weights":
                self._add_weights(document)
            else:
                raise ResultFormatError(f"unknown report kind {kind!r}")
        except (ValueError, TypeError, RecursionError):
            self.refused += 1

    @property
    def curve(self) -> tuple[TrainingPoint, ...]:
        return curve_thinned(self.points)

    def _add_point(self, document: Mapping[str, Any]) -> None:
        point = TrainingPoint.from_dict({**document, "seconds": round(self._clock() - self._started, 3)})
        self.points.append(point)
        if len(self.points) > 2 * MAX_CURVE_POINTS:
            self.points = list(curve_thinned(self.points))
        if self.on_point is not None:
            try:
                self.on_point(point)
            except Exception:  # showing progress must never stop the grading
                logger.exception("could not pass on a training progress point")

    def _add_weights(self, document: Mapping[str, Any]) -> None:
        encoded = document.get("data")
        epoch = document.get("epoch")
        if not isinstance(encoded, str) or len(encoded) > math.ceil(self.max_weight_bytes / 3) * 4:
            raise ResultFormatError("weights are missing or too large")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ResultFormatError("weights need a whole epoch number")
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ResultFormatError(f"weights are not base64: {error}") from None
        if not data.startswith(TORCH_ARCHIVE_MAGIC) or len(data) > self.max_weight_bytes:
            raise ResultFormatError("weights are not a torch archive within the size limit")
        self.weights = Weights(data=data, epoch=epoch, final=document.get("final") is True)


@dataclass(frozen=True)
class TrainingRunReport:
    """What ``train_run`` returned: how training ended, after how many epochs and seconds."""

    outcome: str
    epochs: int
    training_seconds: float
    traceback: str | None
    parameters: int | None
    peak_gpu_bytes: int | None

    @classmethod
    def from_sandbox(cls, data: Any) -> TrainingRunReport:
        """Validate the harness's answer; raise ``ResultFormatError`` if it is not one."""
        if not isinstance(data, Mapping) or data.get("outcome") not in RUN_OUTCOMES:
            raise ResultFormatError("the training run did not return a report")
        return cls(
            outcome=data["outcome"],
            epochs=_count(data.get("epochs", 0)),
            training_seconds=_seconds(data.get("training_seconds", 0.0)),
            traceback=_text(data.get("traceback")),
            parameters=_count(data["parameters"]) if data.get("parameters") is not None else None,
            peak_gpu_bytes=_count(data["peak_gpu_bytes"]) if data.get("peak_gpu_bytes") is not None else None,
        )


@dataclass(frozen=True)
class PredictionReport:
    """What ``predict_run`` returned: one predicted digit per test image, or a traceback."""

    predictions: tuple[int, ...] | None
    traceback: str | None

    @classmethod
    def from_sandbox(cls, data: Any, *, expected: int) -> PredictionReport:
        if not isinstance(data, Mapping) or data.get("outcome") not in ("predicted", "crashed", "no_device"):
            raise ResultFormatError("the prediction run did not return a report")
        if data["outcome"] != "predicted":
            return cls(predictions=None, traceback=_text(data.get("traceback")) or "")
        predictions = data.get("predictions")
        if not isinstance(predictions, list) or len(predictions) != expected:
            raise ResultFormatError(f"expected {expected} predictions")
        if not all(isinstance(label, int) and not isinstance(label, bool) and 0 <= label <= 9
                   for label in predictions):
            raise ResultFormatError("predictions must be digits 0 to 9")
        return cls(predictions=tuple(predictions), traceback=None)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**62:
        raise ResultFormatError(f"{value!r} is not a count")
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ResultFormatError(f"{value!r} is not a duration")
    return float(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResultFormatError("expected text")
    return value[-MAX_TRACEBACK:]

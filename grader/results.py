"""The result of grading one file: the JSON contract shared by the worker, the portal and
``manage.py grade``.

Shape (``GradeResult.to_dict``)::

    {"status": "graded" | "rejected" | "error", "score": 23.0, "max_score": 25.0,
     "message": "...", "needs_review": false,
     "checks": [{"name", "passed", "points", "max_points", "feedback", "uncertain",
                 "readings": [{"text", "place", "points", "note"}, ...],
                 "i18n": {"msgid", "params"}, "detail": {...}}, ...],
     "output": "tail of what the student's code printed"}

plus ``"i18n"`` (``message`` as a message id and values, see below), ``"staff_notes"`` when there
is something only course staff should see (a run that tampered with the sandbox, say), ``"document"``
for a report checker (what ``grader.documents.read_pdf`` found: pages, has_text_layer, encrypted,
cut_short, problem; never the text), and, for training checkers only, ``"training"``: what the run
came to (``TrainingSummary``: data
set, device, test accuracy and confusion matrix computed by trusted code, epochs, times, why it
stopped, and the validation curve the run reported, which is display only).

A check is ``uncertain`` when the grader could not read the student's answer with confidence:
it keeps the best points any reading gives (provisionally: the student is never penalised for
how the grader read them), its feedback says what could not be read and that a TA will look,
and ``readings`` lists each way the answer can be read, where it is in the file and the points
it would get, for the TA to confirm or correct. A result ``needs_review`` when any check is
uncertain. Documents stored before these fields existed read as certain, with no readings.

A check may carry ``i18n``: its feedback as a message id and values (``grader.messages.Message``),
so that the portal renders it in the reader's language at display time; ``feedback`` stays the
English text, for readers that know nothing of messages. A check may also carry ``detail``: plain
facts a result page lays out without parsing names (for a size question: ``layer``, ``field``
"input"/"output"/"total", ``answered``, ``expected``, ``verdict`` "right"/"wrong"/"follows"/
"uncertain"/"unanswered", ``root`` and ``follows_from``). Both are optional: stored results without
them read as before, and a malformed ``i18n`` is dropped (the English feedback is kept).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from grader.documents import MAX_CHARACTERS_PER_PAGE, MAX_PAGES_READ, PdfReading
from grader.messages import Message, Text, message_or_text

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
    i18n: Message | None = None
    detail: Mapping[str, Any] | None = None

    @classmethod
    def saying(cls, name: str, feedback: Text, *, passed: bool, points: float, max_points: float) -> CheckOutcome:
        """A check whose ``feedback`` may be a ``Message``: stored as its English text and as ``i18n``."""
        return cls(name, passed=passed, points=points, max_points=max_points, feedback=str(feedback),
                   i18n=_message_of(feedback))

    def to_dict(self) -> dict[str, Any]:
        document = {
            "name": self.name,
            "passed": self.passed,
            "points": self.points,
            "max_points": self.max_points,
            "feedback": self.feedback,
            "uncertain": self.uncertain,
            "readings": [reading.to_dict() for reading in self.readings],
        }
        if self.i18n is not None:
            document["i18n"] = self.i18n.to_dict()
        if self.detail is not None:
            document["detail"] = dict(self.detail)
        return document

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
                i18n=_message_or_none(raw.get("i18n")),
                detail=_detail(raw.get("detail")),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ResultFormatError(f"check is malformed: {error}") from None
        if not 0 <= outcome.points <= outcome.max_points:
            raise ResultFormatError(f"check {outcome.name}: points outside 0..max_points")
        if outcome.uncertain and not outcome.readings:
            raise ResultFormatError(f"check {outcome.name}: uncertain without the readings a TA must choose from")
        return outcome


# A curve of more points than this is thinned (every other point, the last kept) as it grows.
MAX_CURVE_POINTS = 400
CONFUSION_CLASSES = 10


@dataclass(frozen=True)
class TrainingPoint:
    """One point of a training curve: after ``epoch``, ``seconds`` into the run (the worker's clock),
    the validation loss and accuracy the run reported (student-controlled: display only)."""

    epoch: int
    seconds: float
    val_loss: float | None = None
    val_accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "seconds": self.seconds, "val_loss": self.val_loss,
                "val_accuracy": self.val_accuracy}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TrainingPoint:
        """Validated: a whole epoch number, finite times and losses, an accuracy in 0..1."""
        if not isinstance(raw, Mapping):
            raise ResultFormatError("a training point is not an object")
        epoch = raw.get("epoch")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= 1_000_000:
            raise ResultFormatError(f"epoch {epoch!r} is not a whole number of epochs")
        loss = _optional_finite(raw.get("val_loss"))
        accuracy = _optional_finite(raw.get("val_accuracy"))
        if loss is not None and not 0 <= loss < 1e6:
            raise ResultFormatError(f"validation loss {loss!r} is out of range")
        if accuracy is not None and not 0 <= accuracy <= 1:
            raise ResultFormatError(f"validation accuracy {accuracy!r} is not between 0 and 1")
        seconds = _finite(raw.get("seconds", 0.0))
        return cls(epoch=epoch, seconds=max(0.0, seconds), val_loss=loss, val_accuracy=accuracy)


def curve_thinned(points: Iterable[TrainingPoint], limit: int = MAX_CURVE_POINTS) -> tuple[TrainingPoint, ...]:
    """At most ``limit`` points: every other one dropped while there are too many, the last kept."""
    kept = list(points)
    while len(kept) > limit:
        kept = kept[:-1][::2] + kept[-1:]
    return tuple(kept)


@dataclass(frozen=True)
class TrainingSummary:
    """What a training checker's runs came to, for the result page.

    ``accuracy`` and ``confusion`` (rows: true digit, columns: predicted) are computed by trusted
    code from the predictions; ``curve`` and the epoch count are what the run reported.
    """

    dataset: str
    device: str
    test_images: int
    accuracy: float | None
    confusion: tuple[tuple[int, ...], ...]
    epochs: int
    training_seconds: float
    total_seconds: float
    stopped: str  # "finished", "budget", "gpu_memory", "crashed", a sandbox limit, or "not_run"
    curve: tuple[TrainingPoint, ...] = ()
    peak_gpu_bytes: int | None = None

    @property
    def per_class_accuracy(self) -> tuple[float | None, ...]:
        return tuple((row[index] / sum(row)) if sum(row) else None for index, row in enumerate(self.confusion))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "device": self.device, "test_images": self.test_images,
            "accuracy": self.accuracy, "confusion": [list(row) for row in self.confusion],
            "epochs": self.epochs, "training_seconds": self.training_seconds,
            "total_seconds": self.total_seconds, "stopped": self.stopped,
            "curve": [point.to_dict() for point in self.curve], "peak_gpu_bytes": self.peak_gpu_bytes,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TrainingSummary:
        if not isinstance(raw, Mapping):
            raise ResultFormatError("training must be an object")
        confusion = raw.get("confusion", [])
        if not isinstance(confusion, list) or len(confusion) not in (0, CONFUSION_CLASSES) or not all(
                isinstance(row, list) and len(row) == CONFUSION_CLASSES
                and all(_is_count(cell) for cell in row) for row in confusion):
            raise ResultFormatError("confusion must be 10 rows of 10 counts")
        curve = raw.get("curve", [])
        if not isinstance(curve, list):
            raise ResultFormatError("curve must be a list")
        peak = raw.get("peak_gpu_bytes")
        return cls(
            dataset=str(raw.get("dataset", "")), device=str(raw.get("device", "")),
            test_images=int(_finite(raw.get("test_images", 0))),
            accuracy=_optional_finite(raw.get("accuracy")),
            confusion=tuple(tuple(row) for row in confusion),
            epochs=int(_finite(raw.get("epochs", 0))),
            training_seconds=_finite(raw.get("training_seconds", 0.0)),
            total_seconds=_finite(raw.get("total_seconds", 0.0)),
            stopped=str(raw.get("stopped", "")),
            curve=curve_thinned(TrainingPoint.from_dict(point) for point in curve),
            peak_gpu_bytes=int(_finite(peak)) if peak is not None else None,
        )


@dataclass(frozen=True)
class GradeResult:
    status: ResultStatus
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    checks: tuple[CheckOutcome, ...] = field(default_factory=tuple)
    output: str = ""
    training: TrainingSummary | None = None
    # A report's reading (``grader.documents.read_pdf``): its texts stay in the process (the portal
    # keeps them with the stored file); ``to_dict`` gives what was found, without the text.
    document: PdfReading | None = None
    # For course staff only, never the student: what the grading noticed about the run itself.
    staff_notes: tuple[str, ...] = ()
    # ``message`` as a message id and values, rendered in the reader's language (optional).
    i18n: Message | None = None

    @property
    def needs_review(self) -> bool:
        """Whether a TA must confirm how some answer was read (some check is uncertain)."""
        return any(check.uncertain for check in self.checks)

    def uncertain_checks(self) -> tuple[CheckOutcome, ...]:
        """What a TA must confirm or correct: each uncertain check, with its readings."""
        return tuple(check for check in self.checks if check.uncertain)

    @classmethod
    def from_checks(
        cls, checks: Iterable[CheckOutcome], *, max_score: float, message: Text = "", output: str = "",
        training: TrainingSummary | None = None, document: PdfReading | None = None,
    ) -> GradeResult:
        """A graded result whose score is the sum of its checks' points. A ``message`` that is a
        ``Message`` is stored as its English text and as ``i18n`` (so are ``rejected``'s and ``error``'s)."""
        checks = tuple(checks)
        score = round(sum((check.points for check in checks), 0.0), 4)
        return cls("graded", score=min(score, max_score), max_score=max_score, message=str(message),
                   checks=checks, output=output, training=training, document=document, i18n=_message_of(message))

    @classmethod
    def rejected(cls, message: Text, *, max_score: float = 0.0) -> GradeResult:
        return cls("rejected", score=0.0, max_score=max_score, message=str(message), i18n=_message_of(message))

    @classmethod
    def error(cls, message: Text, *, max_score: float = 0.0, output: str = "") -> GradeResult:
        return cls("error", score=0.0, max_score=max_score, message=str(message), output=output,
                   i18n=_message_of(message))

    def to_dict(self) -> dict[str, Any]:
        document = {
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "needs_review": self.needs_review,
            "checks": [check.to_dict() for check in self.checks],
            "output": self.output,
        }
        if self.staff_notes:
            document["staff_notes"] = list(self.staff_notes)
        if self.i18n is not None:
            document["i18n"] = self.i18n.to_dict()
        if self.training is not None:
            document["training"] = self.training.to_dict()
        if self.document is not None:
            document["document"] = {
                "pages": self.document.pages, "has_text_layer": self.document.has_text_layer,
                "encrypted": self.document.encrypted, "cut_short": self.document.cut_short,
                "problem": self.document.problem,
            }
        return document

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
            training=TrainingSummary.from_dict(raw["training"]) if raw.get("training") is not None else None,
            document=_document_from_dict(raw["document"]) if raw.get("document") is not None else None,
            staff_notes=tuple(str(note) for note in raw.get("staff_notes", ()) if isinstance(raw.get("staff_notes"), list)),
            i18n=_message_or_none(raw.get("i18n")),
        )
        if "needs_review" in raw and _strict_bool(raw["needs_review"]) != result.needs_review:
            raise ResultFormatError("needs_review does not match the checks' uncertain flags")
        return result


def _message_of(text: Text) -> Message | None:
    return text if isinstance(text, Message) else None


def _message_or_none(raw: Any) -> Message | None:
    message = message_or_text(raw, "")
    return message if isinstance(message, Message) else None


def _detail(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not all(
            isinstance(key, str) and (value is None or isinstance(value, str | int | float | bool))
            for key, value in raw.items()):
        raise ResultFormatError("detail must be an object of plain values")
    return dict(raw)
def _document_from_dict(raw: Any) -> PdfReading:
    """What ``to_dict`` wrote of a reading (no text), validated as a reading from the sandbox is."""
    if not isinstance(raw, Mapping):
        raise ResultFormatError("document must be an object")
    try:
        return PdfReading.from_sandbox({**raw, "texts": []}, max_pages=MAX_PAGES_READ,
                                       max_characters_per_page=MAX_CHARACTERS_PER_PAGE)
    except ValueError as error:
        raise ResultFormatError(f"document: {error}") from None


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResultFormatError(f"{value!r} is not a finite number")
    return float(value)


def _optional_finite(value: Any) -> float | None:
    return None if value is None else _finite(value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ResultFormatError(f"{value!r} is not true or false")
    return value

"""``TrainingChecker``: a homework whose students' code trains a digit classifier, graded on test accuracy.

A TA subclasses it with metadata and thresholds (``assignments/lec2_hw3/checker.py``); the runs,
the data and the scoring are here. Three runs, each in the sandbox:

1. ``precheck`` (warm CPU sandbox, seconds): the file loads, the model builds, a batch of digits
   gives 10 scores each, ``train`` runs on one small batch, the parameters are under the cap. A
   file that fails gets its traceback at once and never waits for a GPU.
2. training (a fresh process on the worker's device, under the budget): the training set only,
   read-only; after each epoch the run reports the validation curve and a copy of its weights.
3. prediction (another fresh process): the weights, loaded with ``torch.load(weights_only=True)``
   there, predict the test images, shuffled afresh for every grading and never with their labels.

The accuracy is computed here, in trusted code, from the predictions and the labels that never
left this process; the weights are passed on as bytes and never unpickled here. A run stopped by
the budget, the GPU memory budget, a crash or a sandbox limit is scored on the last weights it sent,
or gets zero with a message saying why when it sent none.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from grader.checker import Checker, Precheck
from grader.conf import engine_setting
from grader.content import SubmissionFile
from grader.datasets import DigitImages, bundled_digits, training_data
from grader.messages import Message, Text, message_or_text, sentences, separated
from grader.results import CheckOutcome, GradeResult, ResultFormatError, TrainingSummary
from grader.sandbox.types import SandboxLimits, SandboxOutcome
from grader.training.devices import TrainingDevice, training_device
from grader.training.reports import PredictionReport, RunReports, TrainingRunReport, Weights

HARNESS_PATH = Path(__file__).with_name("harness.py")
PRECHECK_IMAGES = 16
SEED = 1234
SUBMISSION_FILE = "submission.py"

# How a training run ended, as the first sentence of its result (``%(budget)s``: its budget in seconds).
STOPPED_SENTENCES = {
    "finished": Message("Train() returned."),
    "budget": Message("Training was stopped at the end of its %(budget)s s budget."),
    "gpu_memory": Message("Training was stopped for using more than its share of GPU memory."),
    "crashed": Message("Training raised an error."),
}
# The same ended by the last line of the student's traceback.
STOPPED_WITH_ERROR = {
    "finished": Message("Train() returned: %(error)s (the traceback is at the end of the output below)."),
    "budget": Message("Training was stopped at the end of its %(budget)s s budget: %(error)s (the traceback is at "
                      "the end of the output below)."),
    "gpu_memory": Message("Training was stopped for using more than its share of GPU memory: %(error)s (the "
                          "traceback is at the end of the output below)."),
    "crashed": Message("Training raised an error: %(error)s (the traceback is at the end of the output below)."),
}
# What the pre-check in the sandbox may say (``harness.py``: its "message" and "i18n"); a message
# from the sandbox is shown in the reader's language only when it is one of these and says what the
# English text says (the sandbox's answer is the student's to forge: it can say nothing new).
PRECHECK_REASONS = frozenset(message.msgid for message in (
    Message("Your file could not be loaded."),
    Message("Your file must define %(functions)s (see the starter)."),
    Message("build_model() returned %(type)s, not a torch.nn.Module."),
    Message("build_model() failed."),
    Message("Your model has %(parameters)s parameters; at most %(cap)s are allowed."),
    Message("Your model failed on a batch of digits shaped (%(count)s, 1, 28, 28)."),
    Message("For a batch of %(count)s digits your model must return scores shaped (%(count)s, 10), one per digit "
            "and class; it returned %(returned)s."),
    Message("train() did not finish a training step on one small batch within %(seconds)s s."),
    Message("train() failed on one small batch of digits."),
    Message("train() returned without training: it read no batch from train_loader and changed no weight."),
))


@dataclass(frozen=True)
class AccuracyScale:
    """Full marks from ``full`` test accuracy, none at or below ``floor``, in proportion between."""

    full: float
    floor: float

    def share(self, accuracy: float) -> float:
        if accuracy >= self.full:
            return 1.0
        return max(0.0, (accuracy - self.floor) / (self.full - self.floor))


class TrainingChecker(Checker):
    """Base class of training homework: set ``slug``, ``title``, ``points``, ``starter_files`` and
    the thresholds; override the budgets and the parameter cap if they differ."""

    queue = "gpu"
    accepted_extensions = (".py", ".ipynb")
    # The pre-check's limits (warm CPU sandbox); the training runs get ``training_limits``.
    limits = SandboxLimits(wall_seconds=30.0, cpu_seconds=30.0, memory_bytes=2 * 1024**3)
    # train()'s wall-clock budget on a GPU, and on a CPU-only worker (development, CI).
    budget_seconds: ClassVar[float] = 300.0
    cpu_budget_seconds: ClassVar[float] = 60.0
    parameter_cap: ClassVar[int] = 500_000
    # Per data set (``DigitImages.name``): test accuracy for full marks, and the floor.
    scales: ClassVar[Mapping[str, AccuracyScale]] = {
        "mnist": AccuracyScale(full=0.99, floor=0.90),
        "digits": AccuracyScale(full=0.96, floor=0.80),
    }
    batch_size: ClassVar[int] = 64
    validation_share: ClassVar[float] = 0.1
    run_memory_bytes: ClassVar[int] = 6 * 1024**3
    # Seconds between two copies of the weights sent during training (the last one always goes).
    checkpoint_interval_seconds: ClassVar[float] = 5.0
    # What the training run needs besides train() (a fresh interpreter importing torch, CUDA
    # starting, the data, the last validation, the weights sent), and the prediction run's limit.
    setup_seconds: ClassVar[float] = 90.0
    prediction_seconds: ClassVar[float] = 120.0

    # --- What the portal asks ---------------------------------------------------------------------

    def budget_for(self, device: TrainingDevice) -> float:
        return self.budget_seconds if device.kind == "cuda" else self.cpu_budget_seconds

    def grading_seconds(self, device: TrainingDevice | None = None) -> float:
        """The longest ``check`` can take on ``device`` (this slot's by default): both runs' wall
        limits. A claim on a training job must outlast it."""
        device = device or training_device()
        return self.training_limits(device).wall_seconds + self._prediction_limits().wall_seconds

    def training_limits(self, device: TrainingDevice) -> SandboxLimits:
        wall = self.budget_for(device) + self.setup_seconds
        weights = self.max_weight_bytes
        return SandboxLimits(
            wall_seconds=wall, cpu_seconds=2 * wall, memory_bytes=self.run_memory_bytes, processes=64,
            file_size_bytes=256 * 1024**2, report_line_bytes=math.ceil(weights / 3) * 4 + 4096,
            report_bytes=512 * 1024**2,
        )

    @property
    def max_weight_bytes(self) -> int:
        """Weights of ``parameter_cap`` float64 parameters plus room for buffers and the archive."""
        return self.parameter_cap * 8 + 1024**2

    # --- The pre-check ----------------------------------------------------------------------------

    def precheck(self, submission: SubmissionFile, sandbox) -> Precheck:
        # A few bundled digits are enough to see the code run: CPU workers need no MNIST folder.
        data = bundled_digits()
        outcome = self.run(
            sandbox, harness=self._harness(), entry="precheck", fresh_process=False,
            files={SUBMISSION_FILE: submission.code().encode("utf-8"),
                   "training_request.json": self._request(parameter_cap=self.parameter_cap, step_seconds=2.0,
                                                                   stop_seconds=15.0),
                   "precheck_images.npy": _npy(data.train_images[:PRECHECK_IMAGES]),
                   "precheck_labels.npy": _npy(data.train_labels[:PRECHECK_IMAGES])},
        )
        found = outcome.data if outcome.ok and isinstance(outcome.data, dict) else {}
        if found.get("passed") is True:
            passed = _precheck_passed_feedback(found, self.parameter_cap)
            check = CheckOutcome.saying("precheck", passed, passed=True, points=0.0, max_points=0.0)
            return Precheck(passed=True, result=self.result([check], message=passed, output=outcome.output))
        why, traceback = _precheck_failure(outcome, found, self.limits)
        check = CheckOutcome.saying("precheck", why, passed=False, points=0.0, max_points=0.0)
        failed = Message("Pre-check failed: %(why)s", why=why)
        if traceback:
            failed = Message("%(failed)s\n%(error)s (the whole traceback is at the end of the output below)",
                             failed=failed, error=_last_line(traceback))
        return Precheck(passed=False, result=self.result(
            [check, self._accuracy_check(None, data, Message("Not trained: the pre-check failed."))],
            message=failed, output=_with_traceback(outcome.output, traceback),
        ))

    # --- Training and prediction ------------------------------------------------------------------

    def check(self, submission: SubmissionFile, sandbox) -> GradeResult:
        data = self._data()
        device = training_device()
        started = time.monotonic()
        reports = RunReports(max_weight_bytes=self.max_weight_bytes, on_point=sandbox.progress)
        code = submission.code().encode("utf-8")
        outcome = self.run(
            sandbox, harness=self._harness(), entry="train_run", env=device.env, on_report=reports.add,
            limits=self.training_limits(device), hidden_paths=_hidden_label_copies(),
            files={SUBMISSION_FILE: code, "training_request.json": self._request(
                device=device.kind, budget_seconds=self.budget_for(device), batch_size=self.batch_size,
                validation_share=self.validation_share, gpu_memory_fraction=device.gpu_memory_fraction,
                gpu_memory_bytes=device.gpu_memory_bytes, checkpoint_interval_s=self.checkpoint_interval_seconds)},
            data_files=_training_files(data),
        )
        run = _training_report(outcome)
        if run.outcome == "no_device":
            return GradeResult.error(Message("The GPU worker could not use its GPU, so nothing was trained. Course "
                                             "staff see this as a grader error and will regrade it."),
                                     max_score=self.points)
        stopped = outcome.limit_exceeded or run.outcome
        predicted, prediction_output = self._predict(sandbox, code, data, device, reports.weights)
        summary = TrainingSummary(
            dataset=data.name, device=device.label, test_images=len(data.test_labels),
            accuracy=predicted.accuracy, confusion=predicted.confusion, epochs=run.epochs,
            training_seconds=round(run.training_seconds, 3), total_seconds=round(time.monotonic() - started, 3),
            stopped=stopped, curve=reports.curve, peak_gpu_bytes=run.peak_gpu_bytes,
        )
        explanation = self._explain(summary, run, outcome, reports.weights, predicted, self.training_limits(device),
                                    self.budget_for(device))
        accuracy = self._accuracy_check(predicted.accuracy, data, explanation)
        training = CheckOutcome.saying("training", _training_feedback(summary, run),
                                       passed=stopped in ("finished", "budget"), points=0.0, max_points=0.0)
        output = _with_traceback(outcome.output, run.traceback or predicted.traceback)
        if prediction_output:
            output += "\n--- prediction run ---\n" + prediction_output
        return self.result([accuracy, training], message=explanation, output=output, training=summary)

    def _predict(self, sandbox, code: bytes, data: DigitImages, device: TrainingDevice,
                 weights: Weights | None) -> tuple[_Predicted, str]:
        if weights is None:
            return _Predicted(), ""
        # Shuffled afresh for every grading: a prediction's place says nothing about its image.
        order = np.random.default_rng(secrets.randbits(64)).permutation(len(data.test_labels))
        outcome = self.run(
            sandbox, harness=self._harness(), entry="predict_run", env=device.env,
            limits=self._prediction_limits(), hidden_paths=_hidden_label_copies(),
            files={SUBMISSION_FILE: code, "training_request.json": self._request(device=device.kind,
                                                                                  batch_size=500)},
            data_files={"test_images.npy": _npy(data.test_images[order]), "weights.pt": weights.data},
        )
        return (_Predicted.from_outcome(outcome, labels=data.test_labels[order], limits=self._prediction_limits()),
                outcome.output)

    def _prediction_limits(self) -> SandboxLimits:
        return SandboxLimits(wall_seconds=self.prediction_seconds, cpu_seconds=2 * self.prediction_seconds,
                             memory_bytes=self.run_memory_bytes, processes=64)

    # --- Scoring ----------------------------------------------------------------------------------

    def _accuracy_check(self, accuracy: float | None, data: DigitImages, explanation: Text) -> CheckOutcome:
        scale = self.scales[data.name]
        if accuracy is None:
            return CheckOutcome.saying("accuracy", explanation, passed=False, points=0.0, max_points=float(self.points))
        points = round(self.points * scale.share(accuracy), 2)
        values = {"accuracy": f"{accuracy:.2%}", "count": f"{len(data.test_labels):,}", "full": f"{scale.full:.0%}",
                  "floor": f"{scale.floor:.0%}"}
        said = (Message("Test accuracy %(accuracy)s on %(count)s MNIST test images (full marks from %(full)s, none at "
                        "or below %(floor)s).", **values) if data.name == "mnist"
                else Message("Test accuracy %(accuracy)s on %(count)s handwritten-digit test images (full marks from "
                             "%(full)s, none at or below %(floor)s).", **values))
        return CheckOutcome.saying("accuracy", said, passed=accuracy >= scale.full, points=points,
                                   max_points=float(self.points))

    def _explain(self, summary: TrainingSummary, run: TrainingRunReport, outcome: SandboxOutcome,
                 weights: Weights | None, predicted: _Predicted, limits: SandboxLimits, budget: float) -> Text:
        how = _how_it_stopped(run, outcome, limits, budget)
        if weights is None:
            return sentences(how, Message("No weights were saved before that, so there is nothing to score: 0 points."))
        which = (Message("the weights at the end of training") if weights.final
                 else Message("the weights saved after epoch %(epoch)s", epoch=weights.epoch))
        if predicted.accuracy is None:
            return sentences(how, Message("Predicting the test images with %(which)s failed: %(error)s (0 points).",
                                          which=which, error=predicted.why))
        if run.outcome == "finished" and not outcome.limit_exceeded:
            return Message("Trained %(epochs)s in %(seconds)s s on %(device)s; scored %(which)s.",
                           epochs=_epochs(run.epochs), seconds=f"{run.training_seconds:.1f}", device=summary.device,
                           which=which)
        return sentences(how, Message("Scored %(which)s (%(epochs)s completed).", which=which,
                                      epochs=_epochs(run.epochs)))

    # --- Plumbing ---------------------------------------------------------------------------------

    def _data(self) -> DigitImages:
        return training_data(engine_setting("TRAINING_DATA_DIR"))

    def _harness(self) -> str:
        return HARNESS_PATH.read_text(encoding="utf-8")

    def _request(self, **fields: Any) -> bytes:
        return json.dumps({"entry_file": SUBMISSION_FILE, "seed": SEED, **fields}).encode()


@dataclass(frozen=True)
class _Predicted:
    accuracy: float | None = None
    confusion: tuple[tuple[int, ...], ...] = ()
    traceback: str | None = None
    # Why there are no predictions when it is ours to say (a limit, an unusable answer), as a message;
    # otherwise the last line of ``traceback`` says it.
    failure: Text = ""

    @property
    def why(self) -> Text:
        """Why the prediction failed, in one line."""
        return self.failure or _last_line(self.traceback) or Message("no predictions")

    @classmethod
    def from_outcome(cls, outcome: SandboxOutcome, *, labels: np.ndarray, limits: SandboxLimits) -> _Predicted:
        if outcome.limit_exceeded:
            return cls(traceback=outcome.limit_message, failure=_limit_text(outcome, limits))
        if not outcome.ok:
            nothing = Message("the prediction run returned nothing")
            return cls(traceback=outcome.error or str(nothing), failure="" if outcome.error else nothing)
        try:
            report = PredictionReport.from_sandbox(outcome.data, expected=len(labels))
        except ResultFormatError as error:
            unusable = Message("the prediction run's answer was not usable: %(error)s", error=str(error))
            return cls(traceback=str(unusable), failure=unusable)
        if report.predictions is None:
            return cls(traceback=report.traceback)
        predictions = np.asarray(report.predictions, dtype=np.int64)
        confusion = np.zeros((10, 10), dtype=np.int64)
        np.add.at(confusion, (labels.astype(np.int64), predictions), 1)
        return cls(accuracy=float((predictions == labels).mean()),
                   confusion=tuple(tuple(int(cell) for cell in row) for row in confusion))


def _training_report(outcome: SandboxOutcome) -> TrainingRunReport:
    if outcome.ok:
        try:
            return TrainingRunReport.from_sandbox(outcome.data)
        except ResultFormatError as error:
            return TrainingRunReport("crashed", 0, 0.0, f"the training run's answer was not usable: {error}", None, None)
    return TrainingRunReport("crashed", 0, outcome.duration_s, outcome.error, None, None)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


_training_files_cache: dict[str, dict[str, bytes]] = {}


def _training_files(data: DigitImages) -> dict[str, bytes]:
    """The training set as .npy files (computed once per data set and process)."""
    if data.digest not in _training_files_cache:
        _training_files_cache[data.digest] = {"train_images.npy": _npy(data.train_images),
                                              "train_labels.npy": _npy(data.train_labels)}
    return _training_files_cache[data.digest]


def _hidden_label_copies() -> tuple[str, ...]:
    """Copies of test labels inside the sandbox's Python environment: scikit-learn's bundled digits."""
    try:
        import sklearn.datasets
    except ImportError:
        return ()
    return (str(Path(sklearn.datasets.__file__).parent / "data"),)


def _precheck_passed_feedback(found: Mapping[str, Any], cap: int) -> Message:
    parameters = found.get("parameters")
    count = f"{parameters:,}" if isinstance(parameters, int) else "?"
    return Message("Pre-check passed: your file loads, build_model() gives a model with %(count)s parameters (at "
                   "most %(cap)s), a batch of %(images)s digits gives 10 scores each, and train() ran on one small "
                   "batch.", count=count, cap=f"{cap:,}", images=PRECHECK_IMAGES)


def _precheck_failure(outcome: SandboxOutcome, found: Mapping[str, Any],
                      limits: SandboxLimits) -> tuple[Text, str | None]:
    if outcome.limit_exceeded:
        return _limit_text(outcome, limits), None
    if not outcome.ok:
        return Message("your file could not be run."), outcome.error
    message = found.get("message")
    traceback = found.get("traceback")
    return (_precheck_reason(str(message)[:1000], found.get("i18n")) if message
            else Message("your file did not pass the pre-check."),
            str(traceback)[-4000:] if isinstance(traceback, str) else None)


def _precheck_reason(english: str, raw: Any) -> Text:
    """The pre-check's reason as a message when the sandbox sent one we know that says exactly
    ``english``; ``english`` as it is otherwise."""
    message = message_or_text(raw, english)
    if isinstance(message, Message) and message.msgid in PRECHECK_REASONS and str(message) == english:
        return message
    return english


def _limit_text(outcome: SandboxOutcome, limits: SandboxLimits) -> Text:
    """The sentence of the limit a run hit, as a message (``limits`` are the ones the run had)."""
    message = limits.describe_message(outcome.limit_exceeded)
    return message if str(message) == outcome.limit_message else outcome.limit_message


def _how_it_stopped(run: TrainingRunReport, outcome: SandboxOutcome, limits: SandboxLimits, budget: float) -> Text:
    """The first sentence of a training result: how the run ended (a limit, the budget, an error...)."""
    error = _last_line(run.traceback)
    if outcome.limit_exceeded:
        how = _limit_text(outcome, limits)
        return sentences(how, Message("%(error)s (the traceback is at the end of the output below).", error=error)
                         if error else "")
    sentence = STOPPED_WITH_ERROR if error else STOPPED_SENTENCES
    if run.outcome not in sentence:
        text = run.outcome[:1].upper() + run.outcome[1:]
        return f"{text}: {error} (the traceback is at the end of the output below)." if error else f"{text}."
    return Message(sentence[run.outcome].msgid, budget=f"{budget:g}", error=error)


def _training_feedback(summary: TrainingSummary, run: TrainingRunReport) -> Message:
    parts: list[Text] = [Message("%(epochs)s in %(seconds)s s of training on %(device)s", epochs=_epochs(run.epochs),
                                 seconds=f"{run.training_seconds:.1f}", device=summary.device)]
    if run.parameters is not None:
        parts.append(Message("%(count)s parameters", count=f"{run.parameters:,}"))
    if summary.peak_gpu_bytes:
        parts.append(Message("peak GPU memory %(size)s MB", size=f"{summary.peak_gpu_bytes / 1024**2:.0f}"))
    return Message("%(items)s.", items=separated(parts))


def _epochs(count: int) -> Message:
    return Message("1 epoch") if count == 1 else Message("%(count)s epochs", count=count)


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _with_traceback(output: str, traceback: str | None) -> str:
    if not traceback:
        return output
    return (output + "\n" if output else "") + "--- traceback ---\n" + traceback.rstrip() + "\n"

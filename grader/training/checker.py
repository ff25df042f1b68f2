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
from grader.results import CheckOutcome, GradeResult, ResultFormatError, TrainingSummary
from grader.sandbox.types import SandboxLimits, SandboxOutcome
from grader.training.devices import TrainingDevice, training_device
from grader.training.reports import PredictionReport, RunReports, TrainingRunReport, Weights

HARNESS_PATH = Path(__file__).with_name("harness.py")
PRECHECK_IMAGES = 16
SEED = 1234
SUBMISSION_FILE = "submission.py"

STOPPED_SENTENCES = {
    "finished": "train() returned",
    "budget": "training was stopped at the end of its {budget:g} s budget",
    "gpu_memory": "training was stopped for using more than its share of GPU memory",
    "crashed": "training raised an error",
}


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
            check = CheckOutcome("precheck", passed=True, points=0.0, max_points=0.0,
                                 feedback=_precheck_passed_feedback(found, self.parameter_cap))
            return Precheck(passed=True, result=self.result([check], message=check.feedback, output=outcome.output))
        why, traceback = _precheck_failure(outcome, found)
        check = CheckOutcome("precheck", passed=False, points=0.0, max_points=0.0, feedback=why)
        return Precheck(passed=False, result=self.result(
            [check, self._accuracy_check(None, data, "Not trained: the pre-check failed.")],
            message=f"Pre-check failed: {why}" + (f"\n{_last_line(traceback)} (the whole traceback is at the end of "
                                                  "the output below)" if traceback else ""),
            output=_with_traceback(outcome.output, traceback),
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
            return GradeResult.error("The GPU worker could not use its GPU, so nothing was trained. Course "
                                     "staff see this as a grader error and will regrade it.", max_score=self.points)
        stopped = outcome.limit_exceeded or run.outcome
        predicted, prediction_output = self._predict(sandbox, code, data, device, reports.weights)
        summary = TrainingSummary(
            dataset=data.name, device=device.label, test_images=len(data.test_labels),
            accuracy=predicted.accuracy, confusion=predicted.confusion, epochs=run.epochs,
            training_seconds=round(run.training_seconds, 3), total_seconds=round(time.monotonic() - started, 3),
            stopped=stopped, curve=reports.curve, peak_gpu_bytes=run.peak_gpu_bytes,
        )
        explanation = self._explain(summary, run, outcome, reports.weights, predicted, self.budget_for(device))
        accuracy = self._accuracy_check(predicted.accuracy, data, explanation)
        training = CheckOutcome("training", passed=stopped in ("finished", "budget"), points=0.0, max_points=0.0,
                                feedback=_training_feedback(summary, run))
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
        return _Predicted.from_outcome(outcome, labels=data.test_labels[order]), outcome.output

    def _prediction_limits(self) -> SandboxLimits:
        return SandboxLimits(wall_seconds=self.prediction_seconds, cpu_seconds=2 * self.prediction_seconds,
                             memory_bytes=self.run_memory_bytes, processes=64)

    # --- Scoring ----------------------------------------------------------------------------------

    def _accuracy_check(self, accuracy: float | None, data: DigitImages, explanation: str) -> CheckOutcome:
        scale = self.scales[data.name]
        if accuracy is None:
            return CheckOutcome("accuracy", passed=False, points=0.0, max_points=float(self.points),
                                feedback=explanation)
        points = round(self.points * scale.share(accuracy), 2)
        return CheckOutcome(
            "accuracy", passed=accuracy >= scale.full, points=points, max_points=float(self.points),
            feedback=(f"Test accuracy {accuracy:.2%} on {len(data.test_labels):,} {_set_name(data)} test images "
                      f"(full marks from {scale.full:.0%}, none at or below {scale.floor:.0%})."),
        )

    def _explain(self, summary: TrainingSummary, run: TrainingRunReport, outcome: SandboxOutcome,
                 weights: Weights | None, predicted: _Predicted, budget: float) -> str:
        how = (outcome.limit_message if outcome.limit_exceeded
               else STOPPED_SENTENCES.get(run.outcome, run.outcome).format(budget=budget))
        how = how[0].upper() + how[1:]
        if run.traceback:
            how += f": {_last_line(run.traceback)} (the traceback is at the end of the output below)"
        if weights is None:
            return f"{how}. No weights were saved before that, so there is nothing to score: 0 points."
        which = ("the weights at the end of training" if weights.final
                 else f"the weights saved after epoch {weights.epoch}")
        if predicted.accuracy is None:
            return (f"{how.rstrip('.')}. Predicting the test images with {which} failed: "
                    f"{_last_line(predicted.traceback or 'no predictions')} (0 points).")
        if run.outcome == "finished" and not outcome.limit_exceeded:
            return f"Trained {_epochs(run.epochs)} in {run.training_seconds:.1f} s on {summary.device}; scored {which}."
        return f"{how.rstrip('.')}. Scored {which} ({_epochs(run.epochs)} completed)."

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

    @classmethod
    def from_outcome(cls, outcome: SandboxOutcome, *, labels: np.ndarray) -> _Predicted:
        if outcome.limit_exceeded:
            return cls(traceback=outcome.limit_message)
        if not outcome.ok:
            return cls(traceback=outcome.error or "the prediction run returned nothing")
        try:
            report = PredictionReport.from_sandbox(outcome.data, expected=len(labels))
        except ResultFormatError as error:
            return cls(traceback=f"the prediction run's answer was not usable: {error}")
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


def _precheck_passed_feedback(found: Mapping[str, Any], cap: int) -> str:
    parameters = found.get("parameters")
    count = f"{parameters:,}" if isinstance(parameters, int) else "?"
    return (f"Pre-check passed: your file loads, build_model() gives a model with {count} parameters (at most "
            f"{cap:,}), a batch of {PRECHECK_IMAGES} digits gives 10 scores each, and train() ran on one small "
            "batch.")


def _precheck_failure(outcome: SandboxOutcome, found: Mapping[str, Any]) -> tuple[str, str | None]:
    if outcome.limit_exceeded:
        return outcome.limit_message, None
    if not outcome.ok:
        return "your file could not be run.", outcome.error
    message = found.get("message")
    traceback = found.get("traceback")
    return (str(message)[:1000] if message else "your file did not pass the pre-check.",
            str(traceback)[-4000:] if isinstance(traceback, str) else None)


def _training_feedback(summary: TrainingSummary, run: TrainingRunReport) -> str:
    parts = [f"{_epochs(run.epochs)} in {run.training_seconds:.1f} s of training on {summary.device}"]
    if run.parameters is not None:
        parts.append(f"{run.parameters:,} parameters")
    if summary.peak_gpu_bytes:
        parts.append(f"peak GPU memory {summary.peak_gpu_bytes / 1024**2:.0f} MB")
    return "; ".join(parts) + "."


def _epochs(count: int) -> str:
    return f"{count} epoch" + ("" if count == 1 else "s")


def _set_name(data: DigitImages) -> str:
    return "MNIST" if data.name == "mnist" else "handwritten-digit"


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _with_traceback(output: str, traceback: str | None) -> str:
    if not traceback:
        return output
    return (output + "\n" if output else "") + "--- traceback ---\n" + traceback.rstrip() + "\n"

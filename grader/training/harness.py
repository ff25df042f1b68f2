"""Runs in the sandbox: the three runs of a training homework, around the student's two functions.

Shipped as source text (``SandboxRequest.harness``), so it must stay self-contained: standard
library, numpy and torch only, no import from ``grader``. The student's file defines

    build_model() -> torch.nn.Module      # images (N, 1, 28, 28), floats in [0, 1] -> scores (N, 10)
    train(model, train_loader, device, budget) -> None

Entry points (each reads ``training_request.json`` from scratch):

- ``precheck``: in the warm CPU sandbox, seconds: the file loads, the model builds, a batch of
  digits gives 10 scores each, ``train`` runs on one tiny batch, the parameters are under the cap.
- ``train_run``: a fresh process, on the worker's device, under the budget. After each pass over
  ``train_loader`` (an epoch) it measures the validation loss and accuracy and sends them, with a
  copy of the weights, on the report channel (``$SANDBOX_REPORT_FD``): the live curve, and the
  weights that are scored if the run is stopped. The training data is read from
  ``$SANDBOX_DATA_DIR``; the test set is never here.
- ``predict_run``: another fresh process: loads the weights with ``torch.load(weights_only=True)``
  into a fresh ``build_model()`` and predicts the test images (shuffled, unlabelled).

Everything returned or reported is student-controlled (their code shares this process); the
trusted side validates it and computes the accuracy from the predictions itself.
"""

import base64
import io
import json
import os
import random
import signal
import sys
import time
import traceback
import types

CONFIG_FILE = "training_request.json"
CLASSES = 10


class TrainingBudgetExceeded(BaseException):  # noqa: N818 - a BaseException: `except Exception` must not swallow it
    """The budget is over: raised into the student's ``train`` by the harness."""


# --- The student's module and what is shown to it -----------------------------------------------


def load_submission(scratch, config):
    """The student's file executed as module ``submission``; raises whatever it raises."""
    path = os.path.join(scratch, config["entry_file"])
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    exec(compile(source, config["entry_file"], "exec"), module.__dict__)
    return module


def student_functions(module):
    """``(build_model, train)``, or a sentence saying which is missing."""
    missing = missing_functions(module)
    if missing:
        return None, None, said("Your file must define %(functions)s (see the starter).", functions=missing)["message"]
    return module.build_model, module.train, None


def missing_functions(module):
    """"build_model() and train()": the functions the student's file does not define, or ""."""
    return " and ".join(f"{name}()" for name in ("build_model", "train") if not callable(getattr(module, name, None)))


def said(msgid, **params):
    """A pre-check's reason: its English ``message`` and the same as ``i18n`` (msgid and values), so
    that the trusted side can show it in the reader's language (it accepts only msgids it knows)."""
    return {"message": msgid % params, "i18n": {"msgid": msgid, "params": params}}


def student_traceback(error):
    """The traceback without this harness's own frames."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(line for line in lines if "<harness>" not in line)[-4000:]


class Budget:
    """The ``budget`` argument of ``train``: how long training may take.

    ``seconds`` is the whole budget; ``seconds_left()`` what remains; ``expired()`` whether it is
    over. When it is over the harness stops ``train`` and the weights at that moment are scored.
    """

    def __init__(self, seconds):
        self.seconds = float(seconds)
        self.started = time.monotonic()

    def seconds_left(self):
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def expired(self):
        return self.seconds_left() <= 0.0

    def __repr__(self):
        return f"Budget(seconds={self.seconds:g}, left={self.seconds_left():.1f})"


class EpochLoader:
    """``train_loader``: batches ``(images, labels)``; one full pass is one epoch, after which the
    harness evaluates and keeps a copy of the weights (``on_epoch_end``)."""

    def __init__(self, loader, budget, on_epoch_end):
        self._loader = loader
        self._budget = budget
        self._on_epoch_end = on_epoch_end
        self.batches = 0
        self.epochs = 0

    def __iter__(self):
        for batch in self._loader:
            if self.batches and self._budget.expired():
                raise TrainingBudgetExceeded()
            self.batches += 1
            yield batch
        self.epochs += 1
        self._on_epoch_end(self.epochs)

    def __len__(self):
        return len(self._loader)

    def __getattr__(self, name):  # .dataset, .batch_size, ... as on a DataLoader
        return getattr(self._loader, name)


def _images_tensor(torch, images):
    return torch.from_numpy(images.astype("float32") / 255.0).unsqueeze(1)


def _loader(torch, images, labels, *, batch_size, seed, shuffle=True):
    dataset = torch.utils.data.TensorDataset(_images_tensor(torch, images), torch.from_numpy(labels.astype("int64")))
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _seed_everything(seed):
    import numpy
    import torch

    random.seed(seed)
    numpy.random.seed(seed)
    torch.manual_seed(seed)


def _read_config(scratch):
    with open(os.path.join(scratch, CONFIG_FILE), encoding="utf-8") as handle:
        return json.load(handle)


def _parameter_count(model):
    return int(sum(parameter.numel() for parameter in model.parameters()))


# --- precheck ------------------------------------------------------------------------------------


def precheck(scratch):
    """Seconds on the CPU: ``{"passed": bool, "stage", "message", "traceback", "parameters"}``."""
    import numpy
    import torch

    config = _read_config(scratch)
    images = numpy.load(os.path.join(scratch, "precheck_images.npy"), allow_pickle=False)
    labels = numpy.load(os.path.join(scratch, "precheck_labels.npy"), allow_pickle=False)
    _seed_everything(config["seed"])
    try:
        module = load_submission(scratch, config)
    except BaseException as error:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: all the student's
        return _failed("load", said("Your file could not be loaded."), error)
    build_model, train, missing = student_functions(module)
    if missing:
        return {"passed": False, "stage": "functions", "traceback": None,
                **said("Your file must define %(functions)s (see the starter).", functions=missing_functions(module))}
    try:
        model = build_model()
        if not isinstance(model, torch.nn.Module):
            return {"passed": False, "stage": "build", "traceback": None,
                    **said("build_model() returned %(type)s, not a torch.nn.Module.", type=type(model).__name__)}
        parameters = _parameter_count(model)
    except BaseException as error:  # noqa: BLE001
        return _failed("build", said("build_model() failed."), error)
    report = {"parameters": parameters}
    if parameters > config["parameter_cap"]:
        return {**report, "passed": False, "stage": "parameters", "traceback": None,
                **said("Your model has %(parameters)s parameters; at most %(cap)s are allowed.",
                       parameters=f"{parameters:,}", cap=f"{config['parameter_cap']:,}")}
    try:
        model.eval()
        with torch.no_grad():
            scores = model(_images_tensor(torch, images))
    except BaseException as error:  # noqa: BLE001
        return {**report, **_failed("forward", said("Your model failed on a batch of digits shaped "
                                                    "(%(count)s, 1, 28, 28).", count=len(images)), error)}
    shape = list(getattr(scores, "shape", []))
    if shape != [len(images), CLASSES]:
        return {**report, "passed": False, "stage": "forward", "traceback": None,
                **said("For a batch of %(count)s digits your model must return scores shaped (%(count)s, 10), one "
                       "per digit and class; it returned %(returned)s.", count=len(images),
                       returned=str(tuple(shape) or type(scores).__name__))}
    return {**report, **_precheck_training(torch, model, train, images, labels, config)}


def _precheck_training(torch, model, train, images, labels, config):
    """``train`` on one small batch: its budget ends after ``step_seconds`` (at the next batch it
    asks for), and it is stopped outright after ``stop_seconds``: a first step on a loaded machine
    may take seconds, and that is not the student's fault."""
    before = [parameter.detach().clone() for parameter in model.parameters()]
    budget = Budget(config["step_seconds"])
    loader = EpochLoader(_loader(torch, images, labels, batch_size=len(images), seed=config["seed"]), budget,
                         lambda epoch: None)
    model.train()
    try:
        with _alarm(config["stop_seconds"]):
            train(model, loader, "cpu", budget)
    except TrainingBudgetExceeded:
        if not loader.batches:
            return {"passed": False, "stage": "train", "traceback": None,
                    **said("train() did not finish a training step on one small batch within %(seconds)s s.",
                           seconds=f"{config['stop_seconds']:g}")}
    except BaseException as error:  # noqa: BLE001
        return _failed("train", said("train() failed on one small batch of digits."), error)
    changed = any(not torch.equal(old, new.detach()) for old, new in zip(before, model.parameters(), strict=False))
    if not changed and not loader.batches:
        return {"passed": False, "stage": "train", "traceback": None,
                **said("train() returned without training: it read no batch from train_loader and changed no "
                       "weight.")}
    return {"passed": True, "stage": "done", "traceback": None, "batches": loader.batches,
            "weights_changed": changed, "message": ""}


def _failed(stage, reason, error):
    return {"passed": False, "stage": stage, **reason, "traceback": student_traceback(error)}


class _alarm:  # noqa: N801 - a context manager used like a function
    """Raise ``TrainingBudgetExceeded`` in this thread after ``seconds`` (nothing after the block)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def stop(signum, frame):
            raise TrainingBudgetExceeded()

        self._previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))

    def __exit__(self, *exc_info):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)


# --- train_run -----------------------------------------------------------------------------------


class ReportChannel:
    """Lines to the worker: progress points and weights (``$SANDBOX_REPORT_FD``; nowhere if unset)."""

    def __init__(self):
        fd = os.environ.get("SANDBOX_REPORT_FD")
        self.fd = int(fd) if fd and fd.isdigit() else None

    def send(self, document):
        if self.fd is None:
            return
        view = memoryview(json.dumps(document).encode() + b"\n")
        # The budget's alarm waits until the line is whole: half a line would spoil the next one too.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            while view:
                view = view[os.write(self.fd, view):]
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})

    def send_weights(self, torch, model, epoch, final):
        buffer = io.BytesIO()
        torch.save({name: value.detach().cpu() for name, value in model.state_dict().items()}, buffer)
        self.send({"kind": "weights", "epoch": epoch, "final": final,
                   "data": base64.b64encode(buffer.getvalue()).decode()})


def train_run(scratch):
    """Train under the budget; ``{"outcome", "epochs", "training_seconds", "traceback", ...}``."""
    import numpy
    import torch

    config = _read_config(scratch)
    data_dir = os.environ.get("SANDBOX_DATA_DIR", scratch)
    images = numpy.load(os.path.join(data_dir, "train_images.npy"), allow_pickle=False)
    labels = numpy.load(os.path.join(data_dir, "train_labels.npy"), allow_pickle=False)
    device = config["device"]
    if device == "cuda" and not torch.cuda.is_available():
        return {"outcome": "no_device", "epochs": 0, "training_seconds": 0.0,
                "traceback": "torch.cuda.is_available() is False on this GPU worker"}
    if device == "cuda":
        _limit_gpu_memory(torch, config)
    _seed_everything(config["seed"])
    channel = ReportChannel()
    order = numpy.random.default_rng(config["seed"]).permutation(len(labels))
    validation = order[: int(len(labels) * config["validation_share"])]
    training = order[len(validation):]
    try:
        module = load_submission(scratch, config)
        build_model, train, missing = student_functions(module)
        if missing:
            raise TypeError(missing)
        model = build_model().to(device)
    except BaseException as error:  # noqa: BLE001
        return {"outcome": "crashed", "epochs": 0, "training_seconds": 0.0, "traceback": student_traceback(error)}
    measure = _validation(torch, images[validation], labels[validation], device)
    budget = Budget(config["budget_seconds"])
    last_weights = [time.monotonic()]

    def epoch_end(epoch):
        mode = model.training
        loss, accuracy = measure(model)
        model.train(mode)
        channel.send({"kind": "progress", "epoch": epoch, "val_loss": loss, "val_accuracy": accuracy})
        if time.monotonic() - last_weights[0] >= config["checkpoint_interval_s"] or epoch == 1:
            channel.send_weights(torch, model, epoch, final=False)
            last_weights[0] = time.monotonic()

    loader = EpochLoader(_loader(torch, images[training], labels[training], batch_size=config["batch_size"],
                                 seed=config["seed"]), budget, epoch_end)
    outcome, failure = _train_until_stopped(torch, model, train, loader, device, budget)
    training_seconds = time.monotonic() - budget.started
    if outcome != "crashed":
        try:
            channel.send_weights(torch, model, loader.epochs, final=True)
        except BaseException as error:  # noqa: BLE001 - a model whose weights cannot be saved
            outcome, failure = "crashed", error
    report = {"outcome": outcome, "epochs": loader.epochs, "training_seconds": training_seconds,
              "traceback": student_traceback(failure) if failure is not None else None,
              "parameters": _parameter_count(model)}
    if device == "cuda":
        report["peak_gpu_bytes"] = int(torch.cuda.max_memory_allocated())
    return report


def _limit_gpu_memory(torch, config):
    """This job's share of the GPU: a fraction, or bytes turned into one; allocations past it fail."""
    fraction = config.get("gpu_memory_fraction")
    if config.get("gpu_memory_bytes"):
        total = torch.cuda.get_device_properties(0).total_memory
        fraction = min(1.0, config["gpu_memory_bytes"] / total)
    if fraction:
        torch.cuda.set_per_process_memory_fraction(float(fraction), 0)


def _train_until_stopped(torch, model, train, loader, device, budget):
    """``(outcome, error)``: finished, budget, gpu_memory or crashed."""
    model.train()
    try:
        with _alarm(budget.seconds):
            train(model, loader, device, budget)
    except TrainingBudgetExceeded:
        return "budget", None
    except torch.cuda.OutOfMemoryError as error:
        return "gpu_memory", error
    except BaseException as error:  # noqa: BLE001
        return "crashed", error
    return ("budget" if budget.expired() else "finished"), None


def _validation(torch, images, labels, device):
    """A function measuring ``(loss, accuracy)`` of a model on the held-out part of the training set."""
    inputs = _images_tensor(torch, images)
    targets = torch.from_numpy(labels.astype("int64"))

    def measure(model):
        if not len(targets):
            return None, None
        model.eval()
        total_loss, right = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(targets), 500):
                scores = model(inputs[start:start + 500].to(device)).float().cpu()
                expected = targets[start:start + 500]
                total_loss += float(torch.nn.functional.cross_entropy(scores, expected, reduction="sum"))
                right += int((scores.argmax(1) == expected).sum())
        return total_loss / len(targets), right / len(targets)

    return measure


# --- predict_run ---------------------------------------------------------------------------------


def predict_run(scratch):
    """``{"outcome": "predicted", "predictions": [...]}`` for the test images, or a crash."""
    import numpy
    import torch

    config = _read_config(scratch)
    data_dir = os.environ.get("SANDBOX_DATA_DIR", scratch)
    images = numpy.load(os.path.join(data_dir, "test_images.npy"), allow_pickle=False)
    device = config["device"]
    if device == "cuda" and not torch.cuda.is_available():
        return {"outcome": "no_device", "traceback": "torch.cuda.is_available() is False on this GPU worker"}
    _seed_everything(config["seed"])
    try:
        module = load_submission(scratch, config)
        build_model, _, missing = student_functions(module)
        if missing:
            raise TypeError(missing)
        model = build_model()
        weights = torch.load(os.path.join(data_dir, "weights.pt"), map_location="cpu", weights_only=True)
        model.load_state_dict(weights)
        model.to(device).eval()
        inputs = _images_tensor(torch, images)
        predictions = []
        with torch.no_grad():
            for start in range(0, len(inputs), config["batch_size"]):
                scores = model(inputs[start:start + config["batch_size"]].to(device))
                predictions.extend(int(label) for label in scores.argmax(1).cpu())
    except BaseException as error:  # noqa: BLE001
        return {"outcome": "crashed", "traceback": student_traceback(error)}
    return {"outcome": "predicted", "predictions": predictions}

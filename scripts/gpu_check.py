#!/usr/bin/env python3
"""Training homework on a GPU, measured through the grading engine alone.

For a machine with a CUDA build of torch and scikit-learn but no Django project, no Celery and no
bubblewrap (the device machine this project is lent now and then). It grades lec2_hw3's starter
with ``grader.grade_file`` exactly as a GPU worker does (pre-check, training run pinned to one GPU
with ``CUDA_VISIBLE_DEVICES`` and its share of GPU memory, prediction run, accuracy computed
outside), in ``SANDBOX=unsafe-dev`` (plain subprocesses: nothing untrusted runs here), on an
MNIST-sized set built from scikit-learn's bundled digits (drawn at 28x28, the training half
augmented to ``--images`` images and the held-out half to ``--test-images``, written as MNIST IDX
files and read back through the same loader an instructor's MNIST folder goes through). It measures:

- the pre-check's time; the time to result of one job alone on the GPU, the student's own training
  time in it and what grading adds; the time until the validation curve first reached the
  threshold; the GPU memory the run itself reports and the most ``nvidia-smi`` saw;
- throughput with 1 job per GPU against N jobs per GPU (``--jobs-per-gpu 1,2,4``), each job with
  1/N of the GPU's memory: jobs per hour, and how long each job took.

Prepare on a machine with the project's environment (the engine needs a few pure-Python parts of
Django, about 8 MB; this copies them, without Django's translations, static files and GIS)::

    .venv/bin/python scripts/gpu_check.py --bundle var/gpu-bundle

then carry ``var/gpu-bundle`` to the GPU machine and run there, from the repository root::

    python scripts/gpu_check.py --output "$OUT/gpu_check.json"

A dry run anywhere (no GPU): ``--device cpu --images 3000 --test-images 500 --jobs-per-gpu 1,2``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_BUNDLE = REPOSITORY / "var" / "gpu-bundle"
BUNDLED_PACKAGES = ("django", "asgiref", "sqlparse")
# Parts of Django the engine never loads (message catalogues, static files, GIS): left out.
BUNDLE_LEAVES_OUT = ("LC_MESSAGES", "static", "gis", "__pycache__", "tests")


def main(argv: list[str] | None = None) -> int:
    options = _arguments().parse_args(argv)
    if options.bundle:
        size = bundle(Path(options.bundle))
        print(f"copied {', '.join(BUNDLED_PACKAGES)} to {options.bundle} ({size / 1024**2:.1f} MB)")
        return 0
    _engine_setup(options)
    figures = measure(options)
    text = json.dumps(figures, indent=2)
    print(text)
    if options.output:
        Path(options.output).write_text(text + "\n", encoding="utf-8")
    return 0 if figures["single"]["status"] == "graded" else 1


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", help="copy the Django parts the engine needs into this folder, then stop")
    parser.add_argument("--bundle-dir", default=str(DEFAULT_BUNDLE),
                        help="a carried bundle, used when it exists (%(default)s)")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--gpu", default="0", help="the GPU to pin jobs to (CUDA_VISIBLE_DEVICES)")
    parser.add_argument("--images", type=int, default=60_000, help="training images (augmented digits)")
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=3, help="epochs the starter trains (0: its own)")
    parser.add_argument("--budget", type=float, default=300.0, help="train()'s budget, s")
    parser.add_argument("--jobs-per-gpu", default="1,4", help="comma-separated: throughput for each")
    parser.add_argument("--waves", type=int, default=1, help="jobs per slot in each throughput run")
    parser.add_argument("--output", help="also write the figures to this JSON file")
    return parser


def bundle(target: Path) -> int:
    """Copy the pure-Python packages the engine imports (Django and its two dependencies), without what it never loads."""
    import importlib

    target.mkdir(parents=True, exist_ok=True)
    for name in BUNDLED_PACKAGES:
        source = Path(importlib.import_module(name).__file__).parent
        shutil.rmtree(target / name, ignore_errors=True)
        shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(*BUNDLE_LEAVES_OUT))
    return sum(path.stat().st_size for path in target.rglob("*") if path.is_file())


def _engine_setup(options: argparse.Namespace) -> None:
    """Django settings for the engine alone: unsafe-dev sandbox, the data folder built below."""
    sys.path.insert(0, str(REPOSITORY))
    if Path(options.bundle_dir, "django").is_dir():  # a carried bundle comes before an installed Django
        sys.path.insert(1, options.bundle_dir)
    import django
    from django.conf import settings

    options.cache = tempfile.mkdtemp(prefix="gpu-check-")
    settings.configure(
        INSTALLED_APPS=[], USE_I18N=False, USE_TZ=True, SECRET_KEY="gpu-check", SANDBOX="unsafe-dev",
        GRADER_CACHE_DIR=options.cache, TRAINING_DEVICE=options.device, TRAINING_GPUS=[options.gpu],
        TRAINING_JOBS_PER_GPU=1, TRAINING_DATA_DIR=None, LOGGING_CONFIG=None,
    )
    django.setup()


def measure(options: argparse.Namespace) -> dict:
    from django.conf import settings

    from assignments.lec2_hw3.checker import DigitsCnnChecker
    from assignments.lec2_hw3.tests.solution import starter_text

    class GpuCheck(DigitsCnnChecker):
        budget_seconds = options.budget
        cpu_budget_seconds = options.budget

    figures: dict = {"environment": _environment(options)}
    started = time.perf_counter()
    settings.TRAINING_DATA_DIR = build_data(Path(options.cache) / "mnist-sized", images=options.images,
                                            test_images=options.test_images)
    figures["data_build_s"] = round(time.perf_counter() - started, 2)
    checker = GpuCheck()
    text = starter_text(epochs=options.epochs or None).encode()
    figures["precheck_s"] = _precheck_seconds(checker, text)
    figures["single"] = _single_job(checker, text)
    figures["throughput"] = [_throughput(checker, text, per_gpu=count, waves=options.waves)
                             for count in (int(value) for value in options.jobs_per_gpu.split(","))]
    return figures


def build_data(folder: Path, *, images: int, test_images: int) -> str:
    """An MNIST-named IDX folder from the bundled digits: train and test halves augmented apart, so
    no test image is a shifted copy of a training one."""
    from grader.datasets import augmented, bundled_digits, write_idx

    digits = bundled_digits()
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = augmented(digits.train_images, digits.train_labels, count=images, seed=1)
    test, test_labels = augmented(digits.test_images, digits.test_labels, count=test_images, seed=2)
    for name, array in (("train-images-idx3-ubyte.gz", train_images), ("train-labels-idx1-ubyte.gz", train_labels),
                        ("t10k-images-idx3-ubyte.gz", test), ("t10k-labels-idx1-ubyte.gz", test_labels)):
        write_idx(folder / name, array)
    return str(folder)


def _environment(options: argparse.Namespace) -> dict:
    import django
    import torch

    environment = {"python": sys.version.split()[0], "torch": torch.__version__, "device": options.device,
                   "django_from": str(Path(django.__file__).parent),
                   "cuda_available": torch.cuda.is_available(), "cpus": os.cpu_count(),
                   "images": options.images, "test_images": options.test_images, "epochs": options.epochs,
                   "budget_s": options.budget}
    if torch.cuda.is_available():
        properties = torch.cuda.get_device_properties(0)
        environment.update(gpu=properties.name, gpu_memory_gib=round(properties.total_memory / 1024**3, 1))
    return environment


def _sandbox():
    from grader.sandbox.unsafe import UnsafeSubprocessSandbox

    return UnsafeSubprocessSandbox()


def _precheck_seconds(checker, text: bytes) -> float:
    from grader import precheck_file

    started = time.perf_counter()
    outcome = precheck_file(checker, filename="310510123_lec2_hw3.py", data=text, sandbox=_sandbox())
    if not outcome.passed:
        raise SystemExit(f"the starter failed its pre-check: {outcome.result.message}")
    return round(time.perf_counter() - started, 2)


def _grade(checker, text: bytes, points: list | None = None):
    from grader import grade_file

    started = time.perf_counter()
    result = grade_file(checker, filename="310510123_lec2_hw3.py", data=text, sandbox=_sandbox(), prechecked=True,
                        on_progress=None if points is None else points.append)
    return result, time.perf_counter() - started


def _single_job(checker, text: bytes) -> dict:
    points: list = []
    with _GpuMemoryWatch() as watch:
        result, seconds = _grade(checker, text, points)
    training = result.training
    threshold = checker.scales["mnist"].full
    reached = next((point for point in points if (point.val_accuracy or 0) >= threshold), None)
    return {
        "status": result.status, "score": result.score, "message": result.message,
        "time_to_result_s": round(seconds, 2),
        "student_training_s": training and round(training.training_seconds, 2),
        "overhead_s": training and round(seconds - training.training_seconds, 2),
        "epochs": training and training.epochs, "test_accuracy": training and training.accuracy,
        "threshold": threshold, "time_to_threshold_s": reached and reached.seconds,
        "epoch_at_threshold": reached and reached.epoch,
        "best_validation_accuracy": max((point.val_accuracy or 0 for point in points), default=None),
        "peak_gpu_bytes_reported": training and training.peak_gpu_bytes,
        "nvidia_smi_peak_mib": watch.peak_mib,
    }


def _throughput(checker, text: bytes, *, per_gpu: int, waves: int) -> dict:
    from django.conf import settings

    settings.TRAINING_JOBS_PER_GPU = per_gpu  # each job's share of GPU memory: 1 / per_gpu
    jobs = per_gpu * waves
    with _GpuMemoryWatch() as watch, ThreadPoolExecutor(per_gpu) as pool:
        started = time.perf_counter()
        outcomes = list(pool.map(lambda _: _grade(checker, text), range(jobs)))
        wall = time.perf_counter() - started
    settings.TRAINING_JOBS_PER_GPU = 1
    graded = [result for result, _ in outcomes if result.status == "graded" and result.training]
    return {
        "jobs_per_gpu": per_gpu, "jobs": jobs, "graded": len(graded), "wall_s": round(wall, 2),
        "jobs_per_hour": round(jobs / wall * 3600, 1),
        "job_seconds_median": round(statistics.median(seconds for _, seconds in outcomes), 2),
        "student_training_s_median": round(statistics.median(r.training.training_seconds for r in graded), 2)
        if graded else None,
        "test_accuracy_min": min((r.training.accuracy or 0 for r in graded), default=None),
        "nvidia_smi_peak_mib": watch.peak_mib,
    }


class _GpuMemoryWatch:
    """The most GPU memory ``nvidia-smi`` reports in use while the block runs (None without it)."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.peak_mib: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> _GpuMemoryWatch:
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                output = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                        capture_output=True, text=True, timeout=10).stdout
                used = max(int(line) for line in output.split() if line.strip().isdigit())
                self.peak_mib = max(self.peak_mib or 0, used)
            except (OSError, ValueError, subprocess.SubprocessError):
                return
            self._stop.wait(self.interval_s)


if __name__ == "__main__":
    sys.exit(main())

"""Which device a training run gets: the CPU, or one GPU pinned with ``CUDA_VISIBLE_DEVICES``.

A GPU worker runs ``len(TRAINING_GPUS) * TRAINING_JOBS_PER_GPU`` grading processes (its Celery
concurrency); process (slot) ``i`` trains on GPU ``TRAINING_GPUS[i // TRAINING_JOBS_PER_GPU]``, so
each GPU carries exactly ``TRAINING_JOBS_PER_GPU`` jobs at a time. Each job may use its share of
the GPU's memory (``TRAINING_GPU_MEMORY_BYTES``, or 1 / jobs per GPU): the training harness sets
``torch.cuda.set_per_process_memory_fraction`` before the student's code runs, so an allocation
past it fails with CUDA's out-of-memory error, which ends the run as "over the GPU memory budget".
That limit is kept by PyTorch inside the run's own process (code that resets it is not stopped;
see docs/sandbox.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grader.conf import engine_setting
from grader.sandbox.slots import worker_slot

TRAINING_DEVICES = ("cpu", "cuda")
# A fresh-process run imports torch after its environment is set, so the sandbox's one-thread-per-
# library rule must be in the run's own environment: worker slots share the host's cores, and
# OpenMP threads spinning on a busy machine slow a run down many times over.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass(frozen=True)
class TrainingDevice:
    """Where one training run goes: ``kind`` is what ``train`` receives as ``device``."""

    kind: str  # "cpu" or "cuda"
    env: Mapping[str, str] = field(default_factory=dict)
    gpu: str | None = None
    gpu_memory_fraction: float | None = None
    gpu_memory_bytes: int | None = None

    @property
    def label(self) -> str:
        return f"cuda (GPU {self.gpu})" if self.kind == "cuda" else "cpu"


def training_device(slot: int | None = None) -> TrainingDevice:
    """The device of this worker slot (``worker_slot()`` by default), from the engine settings.

    Raises ``ValueError`` for a setting that cannot be right (an unknown device, no GPUs, fewer
    than one job per GPU).
    """
    kind = engine_setting("TRAINING_DEVICE")
    if kind not in TRAINING_DEVICES:
        raise ValueError(f"TRAINING_DEVICE={kind!r}; use one of {TRAINING_DEVICES}")
    if kind == "cpu":
        # No GPU is visible at all: torch cannot pick one up by accident.
        return TrainingDevice(kind="cpu", env={"CUDA_VISIBLE_DEVICES": "", **ONE_THREAD})
    gpus = [str(gpu).strip() for gpu in engine_setting("TRAINING_GPUS") if str(gpu).strip()]
    jobs_per_gpu = int(engine_setting("TRAINING_JOBS_PER_GPU"))
    if not gpus or jobs_per_gpu < 1:
        raise ValueError("TRAINING_GPUS must name at least one GPU and TRAINING_JOBS_PER_GPU be at least 1")
    slot = worker_slot() if slot is None else slot
    gpu = gpus[(slot // jobs_per_gpu) % len(gpus)]
    memory = engine_setting("TRAINING_GPU_MEMORY_BYTES")
    return TrainingDevice(
        kind="cuda", env={"CUDA_VISIBLE_DEVICES": gpu, **ONE_THREAD}, gpu=gpu,
        gpu_memory_fraction=None if memory else round(1.0 / jobs_per_gpu, 4),
        gpu_memory_bytes=int(memory) if memory else None,
    )


def training_slots() -> int:
    """How many training runs one worker with this configuration runs at once (its concurrency)."""
    if engine_setting("TRAINING_DEVICE") != "cuda":
        return 1
    return len(engine_setting("TRAINING_GPUS")) * int(engine_setting("TRAINING_JOBS_PER_GPU"))

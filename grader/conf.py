"""The engine's settings: read from Django's settings, each with a default, so that a project using
the engine sets only what it changes (the portal sets them from the environment in its settings).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # "bwrap", or "unsafe-dev": student code runs WITHOUT isolation (a laptop without bubblewrap).
    "SANDBOX": "bwrap",
    # Student code runs as the unprivileged uid SANDBOX_BASE_UID + the worker slot.
    "SANDBOX_BASE_UID": 61000,
    # A slot's warm sandbox is replaced after this many runs.
    "SANDBOX_RECYCLE_AFTER_RUNS": 1000,
    # Where checkers' references are cached, one JSON file per checker version.
    "GRADER_CACHE_DIR": Path(tempfile.gettempdir()) / "grader-cache",
    # Checker modules beyond assignments/*/checker.py (tests register their own).
    "GRADER_EXTRA_CHECKER_MODULES": (),
    # Paths of the project that student code must never see, besides the engine's own.
    "GRADER_PRIVATE_PATHS": (),
    # Training homework (grader/training): a folder with MNIST's four IDX files (raw or .gz), or
    # None for scikit-learn's bundled digits; the device training runs on ("cpu" or "cuda"); for
    # "cuda", the GPUs (CUDA_VISIBLE_DEVICES values) this worker's slots are spread over, how many
    # jobs share one GPU, and each job's GPU memory (None: an equal share of the GPU).
    "TRAINING_DATA_DIR": None,
    "TRAINING_DEVICE": "cpu",
    "TRAINING_GPUS": ("0",),
    "TRAINING_JOBS_PER_GPU": 1,
    "TRAINING_GPU_MEMORY_BYTES": None,
}


def engine_setting(name: str) -> Any:
    """The project's value of engine setting ``name``, or its default (``KeyError`` for an unknown name)."""
    return getattr(settings, name, DEFAULTS[name])

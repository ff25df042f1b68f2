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
    "SANDBOX_RECYCLE_AFTER_RUNS": 200,
    # Where checkers' references are cached, one JSON file per checker version.
    "GRADER_CACHE_DIR": Path(tempfile.gettempdir()) / "grader-cache",
    # Checker modules beyond assignments/*/checker.py (tests register their own).
    "GRADER_EXTRA_CHECKER_MODULES": (),
    # Paths of the project that student code must never see, besides the engine's own.
    "GRADER_PRIVATE_PATHS": (),
}


def engine_setting(name: str) -> Any:
    """The project's value of engine setting ``name``, or its default (``KeyError`` for an unknown name)."""
    return getattr(settings, name, DEFAULTS[name])

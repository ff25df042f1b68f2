"""The sandbox: the only place student code runs.

``get_sandbox()`` returns this process's sandbox (a warm pool of one sandboxed zygote per worker
slot); checkers call its ``run(SandboxRequest) -> SandboxOutcome``. See ``docs/sandbox.md`` for what
each layer stops.
"""

from __future__ import annotations

import logging
import os

from grader.conf import engine_setting
from grader.sandbox.types import SandboxFailure, SandboxLimits, SandboxOutcome, SandboxRequest

__all__ = ["SandboxFailure", "SandboxLimits", "SandboxOutcome", "SandboxRequest", "get_sandbox"]

logger = logging.getLogger(__name__)

_sandbox = None
_sandbox_pid: int | None = None


def get_sandbox():
    """This process's sandbox, created on first use (and again in a forked child)."""
    global _sandbox, _sandbox_pid
    if _sandbox is None or _sandbox_pid != os.getpid():
        # A forked child must not drive its parent's zygote: it starts its own.
        _sandbox = _create_sandbox()
        _sandbox_pid = os.getpid()
    return _sandbox


def _create_sandbox():
    if engine_setting("SANDBOX") == "unsafe-dev":
        from grader.sandbox.unsafe import UnsafeSubprocessSandbox

        logger.warning("SANDBOX=unsafe-dev: student code will run WITHOUT isolation in this process's children")
        return UnsafeSubprocessSandbox()
    from grader.sandbox.pool import WarmPoolSandbox
    from grader.sandbox.slots import claim_sandbox_uid

    return WarmPoolSandbox(
        uid_claim=claim_sandbox_uid(engine_setting("SANDBOX_BASE_UID")),
        recycle_after_runs=engine_setting("SANDBOX_RECYCLE_AFTER_RUNS"),
    )

"""The sandbox: the only place student code runs.

``get_sandbox()`` returns this process's sandbox (a warm pool in workers); checkers call its
``run(SandboxRequest) -> SandboxOutcome``. See ``docs/sandbox.md`` for what each layer stops.
"""

from __future__ import annotations

from django.conf import settings

from grader.sandbox.types import SandboxLimits, SandboxOutcome, SandboxRequest

__all__ = ["SandboxLimits", "SandboxOutcome", "SandboxRequest", "get_sandbox"]

_sandbox = None


def get_sandbox():
    """This process's sandbox, created on first use."""
    global _sandbox
    if _sandbox is None:
        if settings.SANDBOX == "unsafe-dev":
            from grader.sandbox.unsafe import UnsafeSubprocessSandbox

            _sandbox = UnsafeSubprocessSandbox()
        else:
            raise NotImplementedError("the bubblewrap sandbox is being built (issue 4)")
    return _sandbox

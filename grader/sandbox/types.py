"""What crosses the sandbox boundary: a request in, an outcome out. Both plain, frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from grader.content import human_size
from grader.messages import Message

LimitName = Literal["wall_time", "cpu_time", "memory", "processes", "file_size", "output"]


@dataclass(frozen=True)
class SandboxLimits:
    """Per-run limits; checkers override what they need (``dataclasses.replace``)."""

    wall_seconds: float = 20.0
    cpu_seconds: float = 20.0
    memory_bytes: int = 2 * 1024**3
    processes: int = 64
    file_size_bytes: int = 64 * 1024**2
    output_bytes: int = 64 * 1024  # kept of each stream (the tail); more is cut, the run goes on
    max_output_bytes: int = 16 * 1024**2  # printed in all; more ends the run
    # The report channel (``run(..., on_report=)``): longer lines are dropped, and nothing more is
    # delivered once this much has come through. The run goes on either way.
    report_line_bytes: int = 64 * 1024
    report_bytes: int = 256 * 1024**2

    def describe(self, limit: LimitName) -> str:
        """The sentence a student reads when their run hit ``limit`` (in English)."""
        return str(self.describe_message(limit))

    def describe_message(self, limit: LimitName) -> Message:
        """``describe`` as a message, for feedback shown in the reader's language."""
        if limit == "wall_time":
            return Message("Your code ran longer than %(seconds)s s and was stopped.", seconds=f"{self.wall_seconds:g}")
        if limit == "cpu_time":
            return Message("Your code used more than %(seconds)s s of CPU time and was stopped.",
                           seconds=f"{self.cpu_seconds:g}")
        if limit == "memory":
            return Message("Your code used more than %(size)s of memory and was stopped.",
                           size=human_size(self.memory_bytes))
        if limit == "processes":
            return Message("Your code started more than %(count)s processes and was stopped.", count=self.processes)
        if limit == "file_size":
            return Message("Your code wrote a file larger than %(size)s and was stopped.",
                           size=human_size(self.file_size_bytes))
        if limit == "output":
            return Message("Your code printed more than %(size)s and was stopped; only the last %(kept)s are kept.",
                           size=human_size(self.max_output_bytes), kept=human_size(self.output_bytes))
        raise KeyError(limit)


@dataclass(frozen=True)
class SandboxRequest:
    """One run.

    ``harness`` is trusted Python source (from the checker) executed inside the sandbox; the
    function named ``entry`` is called with the scratch directory's path after ``files`` have been
    written there, and must return JSON-serialisable data. Student code runs only because the
    harness imports or executes it.
    """

    harness: str
    entry: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    # Training runs (GPU) need a fresh interpreter: CUDA must never be initialised before a fork.
    fresh_process: bool = False
    # Extra environment for the run (e.g. CUDA_VISIBLE_DEVICES); the worker's own is never passed.
    env: Mapping[str, str] = field(default_factory=dict)
    # Fresh-process runs only: files (name -> bytes) shown read-only in the folder named by the
    # run's $SANDBOX_DATA_DIR, for data too large for ``files`` (a training set), and host paths
    # hidden behind an empty read-only folder (a library's bundled copy of a data set's labels).
    data_files: Mapping[str, bytes] = field(default_factory=dict)
    hidden_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxOutcome:
    """What came back from one run, already validated by the trusted side."""

    data: Any = None
    error: str | None = None  # the exception the harness (or the student's code) raised, trimmed
    limit_exceeded: LimitName | None = None
    limit_message: str = ""
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    output_truncated: bool = False  # more than limits.output_bytes was printed; the tails are kept
    # For staff, never for the grade: what this run changed in the sandbox or left there for the
    # next run (a zygote's limits lowered, IPC objects left...), one sentence each. The sandbox
    # has already undone it (cleaned up, or replaced the zygote) before the next run.
    sandbox_tampering: tuple[str, ...] = ()
    run_id: str = ""  # names the run in the worker's log

    @property
    def ok(self) -> bool:
        return self.error is None and self.limit_exceeded is None and self.data is not None

    @property
    def tampered_with_sandbox(self) -> bool:
        return bool(self.sandbox_tampering)

    @property
    def output(self) -> str:
        """Both streams' tails, for showing to the student."""
        parts = [part for part in (self.stdout, self.stderr) if part]
        return "\n".join(parts)


class SandboxFailure(RuntimeError):
    """The sandbox itself could not run the request (it would not start, or broke): not the
    student's doing. Grading reports it as a grader failure for staff to look at."""

"""The trust boundary: turning what came out of a run into a validated ``SandboxOutcome``.

Only two things cross it (three when the caller opens a report channel, below). The result frame, which trusted harness code writes on a private pipe
and which is accepted only as one JSON line of a fixed schema carrying the run's nonce; and the
tails of stdout and stderr, which are shown to the student and never parsed. Everything else the
outcome says (limits hit, how the process ended) comes from the worker's own observations: its
clock, its byte counts, cgroup counters, and the exit status reported by the zygote, which student
code cannot reach.
"""

from __future__ import annotations

import hmac
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass

from grader.sandbox.runner import MAX_RESULT_NESTING, json_nesting_depth
from grader.sandbox.types import LimitName, SandboxLimits, SandboxOutcome

MAX_RESULT_BYTES = 4 * 1024**2

TAMPERED_MESSAGE = (
    "Your code wrote into the grader's private result channel, so this run's result cannot be "
    "trusted and was not used."
)
PARENT_KILLED_MESSAGE = (
    "Your code stopped the sandbox process that was running it (for example by killing its parent "
    "process), so the check could not finish."
)


class ResultFrameError(ValueError):
    """The result pipe held something other than one well-formed frame with the run's nonce."""


@dataclass(frozen=True)
class ResultFrame:
    data: object = None
    error: str | None = None


def parse_result_frame(raw: bytes, *, nonce: str) -> ResultFrame | None:
    """The harness's report, or None if nothing was written; raises ``ResultFrameError``."""
    if not raw:
        return None
    if len(raw) > MAX_RESULT_BYTES:
        raise ResultFrameError(f"result is larger than {MAX_RESULT_BYTES} bytes")
    if not raw.endswith(b"\n") or raw.count(b"\n") != 1:
        raise ResultFrameError("result must be exactly one line")
    # Before parsing: json recurses once per level ([[[[…]]]] thousands deep would raise
    # RecursionError in the worker), and whatever reads the data afterwards may recurse too. The
    # frame's own object is one level; the harness's data may use the rest.
    if json_nesting_depth(raw, limit=MAX_RESULT_NESTING + 1) > MAX_RESULT_NESTING + 1:
        raise ResultFrameError(f"result data is nested more than {MAX_RESULT_NESTING} levels deep")
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise ResultFrameError(f"result is not JSON: {error}") from None
    except RecursionError:  # unbalanced brackets stop the count above; json still recurses on them
        raise ResultFrameError("result is nested too deep to read") from None
    if not isinstance(document, dict) or not set(document) <= {"nonce", "data", "error"}:
        raise ResultFrameError("result has unexpected fields")
    if not isinstance(document.get("nonce"), str) or not hmac.compare_digest(document["nonce"], nonce):
        raise ResultFrameError("result does not carry this run's nonce")
    if ("data" in document) == ("error" in document):
        raise ResultFrameError("result must have exactly one of data and error")
    if "error" in document and not isinstance(document["error"], str):
        raise ResultFrameError("error must be a string")
    return ResultFrame(data=document.get("data"), error=document.get("error"))


class TailBuffer:
    """Keeps the last ``keep`` bytes of a stream and counts all of them."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.total = 0
        self._buffer = bytearray()

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._buffer += chunk
        if len(self._buffer) > 2 * self.keep:
            del self._buffer[: len(self._buffer) - self.keep]

    @property
    def truncated(self) -> bool:
        return self.total > self.keep

    def text(self) -> str:
        tail = bytes(self._buffer[-self.keep :]) if self.keep else b""
        if not self.truncated:
            return tail.decode("utf-8", "replace")
        cut = self.total - len(tail)
        return f"[… {cut} earlier bytes not shown …]\n" + tail.decode("utf-8", "replace")


class ReportLines:
    """The report channel: lines a run sends while it runs (training progress, say), handed one by one
    to ``on_line`` as bytes without their newline.

    Everything on it is student-controlled (student code shares the process that writes it): the
    receiver validates each line and may use it for display only, never for a score. Bounded
    here: a line longer than ``max_line_bytes`` is dropped whole, and nothing is delivered once
    ``max_total_bytes`` have arrived. A last line without its newline is incomplete and dropped.
    """

    def __init__(self, on_line: Callable[[bytes], None], *, max_line_bytes: int, max_total_bytes: int) -> None:
        self.on_line = on_line
        self.max_line_bytes = max_line_bytes
        self.max_total_bytes = max_total_bytes
        self.total = 0
        self.dropped_lines = 0
        self._line = bytearray()
        self._skipping = False

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.max_total_bytes:
            return
        while chunk:
            end = chunk.find(b"\n")
            piece, chunk = (chunk, b"") if end < 0 else (chunk[:end], chunk[end + 1:])
            if not self._skipping:
                self._line += piece
                if len(self._line) > self.max_line_bytes:
                    self._skipping, self._line = True, bytearray()
                    self.dropped_lines += 1
            if end >= 0:
                if not self._skipping:
                    self.on_line(bytes(self._line))
                self._skipping, self._line = False, bytearray()


@dataclass(frozen=True)
class RunObservations:
    """What the worker itself saw of one run."""

    limit: LimitName | None  # a limit the worker enforced (wall time, output, processes)
    exit_code: int | None  # of the run's main process, from the zygote; None if the zygote died
    cpu_seconds: float
    oom_kills: int
    result: bytes
    duration_s: float
    # What the run changed in the sandbox or left in it for the next run (for staff, not grading).
    sandbox_tampering: tuple[str, ...] = ()
    run_id: str = ""


def decide_outcome(
    observed: RunObservations, *, limits: SandboxLimits, nonce: str, stdout: TailBuffer, stderr: TailBuffer
) -> SandboxOutcome:
    """One outcome: a limit if one was hit, else the result frame, else how the process ended."""
    limit = observed.limit or _limit_from_exit(observed, limits)
    data, error = None, None
    try:
        frame = parse_result_frame(observed.result, nonce=nonce)
    except ResultFrameError:
        error = TAMPERED_MESSAGE
    else:
        if frame is not None:
            data, error = frame.data, frame.error
        elif limit is None:
            error = _ended_early_message(observed.exit_code)
    return SandboxOutcome(
        data=data,
        error=error,
        limit_exceeded=limit,
        limit_message=limits.describe(limit) if limit else "",
        exit_code=observed.exit_code,
        stdout=stdout.text(),
        stderr=stderr.text(),
        duration_s=observed.duration_s,
        output_truncated=stdout.truncated or stderr.truncated,
        sandbox_tampering=observed.sandbox_tampering,
        run_id=observed.run_id,
    )


def _limit_from_exit(observed: RunObservations, limits: SandboxLimits) -> LimitName | None:
    if observed.oom_kills:
        return "memory"
    if observed.exit_code == -signal.SIGXFSZ:
        return "file_size"
    if observed.exit_code == -signal.SIGXCPU or (
        observed.exit_code == -signal.SIGKILL and observed.cpu_seconds >= limits.cpu_seconds
    ):
        return "cpu_time"
    return None


def _ended_early_message(exit_code: int | None) -> str:
    if exit_code is None:
        return PARENT_KILLED_MESSAGE
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"Your code's process was ended by {name} before the check finished."
    return (
        f"Your code ended the program (exit status {exit_code}) before the check finished; "
        "remove sys.exit()/exit()/os._exit() calls from the file."
    )

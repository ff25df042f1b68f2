"""What the sandbox costs per run: the same trivial harness through the pool and in-process.

``overhead_ms(runs=20)`` is what ``manage.py benchmark`` reports. The unsandboxed side calls the
runner's own ``run_request`` in this process (on our own trivial file, never a student's), so the
difference is exactly what isolation adds: cgroups, pipes, fork, rlimits, clean-up, validation.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from grader.sandbox.runner import run_request
from grader.sandbox.types import SandboxRequest

TRIVIAL_STUDENT_FILE = b"ANSWER = 6 * 7\n"
TRIVIAL_HARNESS = '''
import os, runpy

def check(scratch):
    return {"answer": runpy.run_path(os.path.join(scratch, "student.py"))["ANSWER"]}
'''


# Runs inside the sandbox: times the zygote's own between-runs steps (runner.py is at /opt/courseportal).
BETWEEN_RUNS_HARNESS = '''
import sys, time

def check(scratch, repeats={repeats}):
    sys.path.insert(0, "/opt/courseportal")
    import runner

    as_started = runner.inheritable_settings()
    steps = {{
        "settings_check_ms": lambda: runner.settings_changed_since(as_started),
        "ipc_clean_up_ms": runner._remove_ipc_objects,
        "scratch_wipe_ms": runner._wipe_scratch,
    }}
    costs = {{}}
    for name, step in steps.items():
        started = time.perf_counter()
        for _ in range(repeats):
            step()
        costs[name] = round((time.perf_counter() - started) * 1000 / repeats, 4)
    return costs
'''


def between_runs_ms(repeats: int = 2000, sandbox=None) -> dict[str, float]:
    """Milliseconds per run of each step the zygote takes between runs (``docs/sandbox.md``,
    "Between runs"), timed inside a sandbox over ``repeats`` calls."""
    if sandbox is None:
        from grader.sandbox import get_sandbox

        sandbox = get_sandbox()
    outcome = sandbox.run(SandboxRequest(harness=BETWEEN_RUNS_HARNESS.format(repeats=repeats), entry="check"))
    assert outcome.ok, outcome
    return outcome.data


def cpu_per_run_ms(work: Callable[[Any], object] | None = None, *, repeats: int = 40,
                   sandbox=None) -> dict[str, float | int]:
    """CPU milliseconds per warm sandbox run, and where they are spent: the zygote itself (fork,
    clean-up), the runs it forks (until they exit), and the worker's side of ``sandbox.run``
    (cgroups, pipes, frames; the caller's own work around it is not counted).

    ``work(sandbox)`` is called ``repeats`` times (default: one run of ``trivial_request()``); it
    may be a whole grading (``grade_file(..., sandbox=sandbox)``). CPU time, not wall time, so other
    work on the machine changes it far less; the kernel counts in ticks (10 ms), so use enough
    repeats. Needs a warm pool (``WarmPoolSandbox``); one call first warms it and is not counted.
    Raises ``AssertionError`` if the zygote was replaced in between (a failed run, or recycling).
    """
    if sandbox is None:
        from grader.sandbox import get_sandbox

        sandbox = get_sandbox()
    if work is None:
        def work(target):
            _expect_answer(target.run(trivial_request()).data)
    counted = _CountedSandbox(sandbox)
    work(counted)
    zygotes, before, runs_before = sandbox.zygotes_started, sandbox.zygote_cpu_seconds(), counted.runs
    for _ in range(repeats):
        work(counted)
    after, runs = sandbox.zygote_cpu_seconds(), counted.runs - runs_before
    assert sandbox.zygotes_started == zygotes and before and after and runs, "the zygote was replaced"
    zygote_ms, run_ms = ((now - then) * 1000 / runs for now, then in zip(after, before, strict=True))
    worker_ms = counted.seconds * 1000 / counted.runs
    return {
        "runs": runs,
        "zygote_ms": round(zygote_ms, 2),
        "run_ms": round(run_ms, 2),
        "worker_ms": round(worker_ms, 2),
        "total_ms": round(zygote_ms + run_ms + worker_ms, 2),
    }


class _CountedSandbox:
    """The sandbox, counting its runs and the CPU this process spends in them."""

    def __init__(self, sandbox) -> None:
        self._sandbox = sandbox
        self.runs = 0
        self.seconds = 0.0

    def run(self, request: SandboxRequest, **options):
        started = time.process_time()
        try:
            return self._sandbox.run(request, **options)
        finally:
            self.seconds += time.process_time() - started
            self.runs += 1


def trivial_request() -> SandboxRequest:
    return SandboxRequest(harness=TRIVIAL_HARNESS, entry="check", files={"student.py": TRIVIAL_STUDENT_FILE})


def overhead_ms(runs: int = 20, sandbox=None) -> dict[str, float | int]:
    """Median and 90th-percentile milliseconds per run, sandboxed and not, and their difference.

    One sandboxed warm-up run comes first and is not counted (it may wait for the zygote to import
    torch). Raises ``AssertionError`` if either side does not answer 42.
    """
    if sandbox is None:
        from grader.sandbox import get_sandbox

        sandbox = get_sandbox()
    request = trivial_request()
    warm_up = sandbox.run(request)
    assert warm_up.data == {"answer": 42}, warm_up
    sandboxed = [_time_ms(lambda: _expect_answer(sandbox.run(request).data)) for _ in range(runs)]
    unsandboxed = [_time_ms(lambda: _expect_answer(_run_in_process(request))) for _ in range(runs)]
    return {
        "runs": runs,
        "sandboxed_median_ms": round(statistics.median(sandboxed), 2),
        "sandboxed_p90_ms": round(_percentile(sandboxed, 90), 2),
        "unsandboxed_median_ms": round(statistics.median(unsandboxed), 2),
        "unsandboxed_p90_ms": round(_percentile(unsandboxed, 90), 2),
        "overhead_median_ms": round(statistics.median(sandboxed) - statistics.median(unsandboxed), 2),
        "overhead_p90_ms": round(_percentile(sandboxed, 90) - _percentile(unsandboxed, 90), 2),
    }


def _run_in_process(request: SandboxRequest) -> object:
    import base64

    payload = {
        "harness": request.harness,
        "entry": request.entry,
        "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
    }
    with tempfile.TemporaryDirectory(prefix="unsandboxed-") as scratch:
        return run_request(payload, scratch).get("data")


def _expect_answer(data: object) -> None:
    assert data == {"answer": 42}, data


def _time_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]

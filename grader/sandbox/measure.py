"""What the sandbox costs per run: the same trivial harness through the pool and in-process.

``overhead_ms(runs=20)`` is what ``manage.py benchmark`` reports. The unsandboxed side calls the
runner's own ``run_request`` in this process (on our own trivial file, never a student's), so the
difference is exactly what isolation adds: cgroups, pipes, fork, rlimits, clean-up, validation.
"""

from __future__ import annotations

import statistics
import tempfile
import time

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

"""The worker compiles each trusted harness once; a run uses that compilation only when it can."""

from __future__ import annotations

import tempfile

from grader.sandbox.runner import harness_code, precompiled_harness, run_request

HARNESS = "def main(scratch):\n    return {'answer': 6 * 7}\n"


def test_a_run_executes_the_workers_compilation_of_the_harness():
    request = {"harness": "raise AssertionError('the source was compiled again')", **precompiled_harness(HARNESS)}
    namespace: dict = {}
    exec(harness_code(request), namespace)
    assert namespace["main"]("") == {"answer": 42}


def test_a_compilation_from_another_interpreter_version_is_ignored_for_the_source():
    request = {"harness": HARNESS, **precompiled_harness(HARNESS), "harness_magic": "00000000"}
    assert harness_code(request).co_code == compile(HARNESS, "<harness>", "exec").co_code


def test_a_harness_that_does_not_compile_still_fails_in_the_run_with_its_own_error():
    broken = "def main(scratch) return 1\n"
    assert precompiled_harness(broken) == {}
    with tempfile.TemporaryDirectory() as scratch:
        report = run_request({"harness": broken, "entry": "main", **precompiled_harness(broken)}, scratch)
    assert "SyntaxError" in report["error"]

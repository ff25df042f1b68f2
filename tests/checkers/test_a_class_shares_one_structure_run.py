"""A class's lec2_hw1 files share the starter's code and differ in their answers (comments at the
end): the model is built in the sandbox once, not once a file, and nothing else changes.

``python_executable_part`` drops only what cannot change a run (checked against the compiler: the
code objects are byte for byte the same), in one pass however the file was crafted; a run is reused
only when its outcome was clean, and a file whose code differs runs.
"""

from __future__ import annotations

import marshal
from dataclasses import replace

import pytest

from assignments.lec2_hw1.checker import NetHWSizesChecker
from assignments.lec2_hw1.tests.solution import solution_text
from grader import grade_file
from grader.run_reuse import RunMemo, python_executable_part, run_memo
from grader.sandbox.types import SandboxOutcome, SandboxRequest
from tests.crafted_files import trusted_cpu

NAME = "310510123_lec2_hw1.py"


class CountingSandbox:
    """The real sandbox, counting the runs it is asked for."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.runs = 0

    def run(self, request, **kwargs):
        self.runs += 1
        return self.sandbox.run(request, **kwargs)


class ScriptedSandbox:
    """Answers each run with the next of ``outcomes`` (a unit test's stand-in)."""

    def __init__(self, *outcomes: SandboxOutcome) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    def run(self, request, **kwargs):
        self.runs += 1
        return self.outcomes.pop(0)


def compiled(source: str) -> bytes:
    return marshal.dumps(compile(source, "submission.py", "exec"))


@pytest.fixture(scope="module")
def checker() -> NetHWSizesChecker:
    return NetHWSizesChecker()


# --- what decides a run ------------------------------------------------------------------------


def test_files_differing_only_in_their_answers_are_decided_by_the_same_code(checker):
    reference = checker.reference()
    right = solution_text(reference)
    wrong = solution_text(reference, wrong={"conv2.output": "(1, 64, 9, 9)"}, total="0.13M")
    starter = checker.starter_path("lec2_hw1.py").read_text(encoding="utf-8")
    assert right != wrong != starter
    assert python_executable_part(right) == python_executable_part(wrong) == python_executable_part(starter)
    assert compiled(python_executable_part(right)) == compiled(right)  # the same program, line for line


@pytest.mark.parametrize("source", [
    "x = 1\n# answer: (1, 32, 16, 16)\n\n#\n",
    "x = 1  # the answer on the last line: 5\n",
    "x = 1\r\n# crlf: (1, 2)\r\n",
    "x = 1\r# old mac line ends\r",
    "class A:\n    def f(self):\n        return 1\n    # indented answer\n# total: 3\n",
    "# only comments\n# here\n",
    "",
])
def test_what_is_dropped_changes_nothing_the_compiler_makes(source):
    part = python_executable_part(source)
    assert part is not None and len(part) <= len(source)
    assert compiled(part.replace("\r\n", "\n").replace("\r", "\n")) == compiled(
        source.replace("\r\n", "\n").replace("\r", "\n"))


@pytest.mark.parametrize("source, kept", [
    # A "comment" line that closes a string left open: it is code, and is kept.
    ('x = """\n# """; y = 2\n# answer\n', 'x = """\n# """; y = 2'),
    ("s = '''a\n# it's\n'''\n# answer\n", "s = '''a\n# it's\n'''"),
    # A comment holding a NUL would make the file fail to compile: kept, so it never shares a run.
    ("x = 1\n# bad \x00 byte\n", "x = 1\n# bad \x00 byte"),
])
def test_lines_that_could_change_the_program_are_kept(source, kept):
    assert python_executable_part(source) == kept


def test_code_ending_in_a_line_continuation_is_never_shared():
    assert python_executable_part("x = 1 + \\\n# 2\n") is None


@pytest.mark.parametrize("crafted", [
    "(" * 2_000_000, '"' * 2_000_000, "\\" * 2_000_000, "\n" * 2_000_000, "\r\n" * 1_000_000,
    "# (1) 1x1\n" * 200_000, "#" * 2_000_000, "a#" * 1_000_000, "# a #" * 400_000, " " * 2_000_000 + "#",
    "x = 1\n" * 300_000, "變" * 700_000,
])
def test_the_answers_are_found_in_one_pass_however_the_file_was_crafted(crafted):
    with trusted_cpu() as used:
        python_executable_part(crafted)
    assert used.seconds < 0.5, f"{used.seconds:.2f} s for {crafted[:12]!r}..."


# --- the run, once -----------------------------------------------------------------------------


def test_a_class_answering_differently_builds_the_unchanged_model_once(checker, sandbox):
    reference = checker.reference()
    counting = CountingSandbox(sandbox)
    right = grade_file(checker, filename=NAME, data=solution_text(reference).encode(), sandbox=counting)
    wrong = grade_file(checker, filename=NAME, sandbox=counting,
                       data=solution_text(reference, wrong={"conv2.output": "(1, 64, 9, 9)"}).encode())
    assert counting.runs == 1
    assert right.score == checker.points and wrong.score < right.score  # each file's answers, graded
    unchanged = [next(c for c in result.checks if c.name == "model_unchanged") for result in (right, wrong)]
    assert unchanged[0].passed and unchanged[0].feedback == unchanged[1].feedback
    assert right.output == wrong.output


def test_a_file_whose_code_differs_is_built_again(checker, sandbox):
    reference = checker.reference()
    counting = CountingSandbox(sandbox)
    grade_file(checker, filename=NAME, data=solution_text(reference).encode(), sandbox=counting)
    changed = solution_text(reference).replace("nn.Linear(128, 10)", "nn.Linear(128, 12)")
    result = grade_file(checker, filename=NAME, data=changed.encode(), sandbox=counting)
    assert counting.runs == 2
    unchanged = next(c for c in result.checks if c.name == "model_unchanged")
    assert not unchanged.passed and "fc2" in unchanged.feedback


CLEAN = SandboxOutcome(data={"built": True, "error": None, "load_error": None, "modules": []}, exit_code=0)


@pytest.mark.parametrize("first", [
    replace(CLEAN, data=None, limit_exceeded="wall_seconds", limit_message="took too long", exit_code=None),
    replace(CLEAN, data=None, error="MemoryError"),
    replace(CLEAN, sandbox_tampering=("lowered the zygote's RLIMIT_NOFILE to 64",)),
    replace(CLEAN, output_truncated=True),
    replace(CLEAN, exit_code=1),
])
def test_an_outcome_that_was_not_clean_is_never_reused(first):
    memo = RunMemo()
    request = SandboxRequest(harness="def f(scratch):\n    return 1\n", entry="f",
                             files={"a.py": b"x = 1\n# 1\n"})
    scripted = ScriptedSandbox(first, CLEAN)
    decided_by = {"a.py": b"x = 1\n"}
    assert memo.outcome(request, decided_by, lambda: scripted.run(request)) == first
    assert memo.outcome(request, decided_by, lambda: scripted.run(request)) == CLEAN
    assert memo.outcome(request, decided_by, lambda: scripted.run(request)) == CLEAN
    assert scripted.runs == 2 and memo.reused == 1


def test_a_run_is_reused_only_for_the_same_request():
    memo = RunMemo()
    request = SandboxRequest(harness="def f(scratch):\n    return 1\n", entry="f")
    scripted = ScriptedSandbox(*[CLEAN] * 5)
    for changed in (request, replace(request, entry="g"), replace(request, env={"A": "1"}),
                    replace(request, limits=replace(request.limits, wall_seconds=5.0))):
        memo.outcome(changed, {"a.py": b"x = 1\n"}, lambda changed=changed: scripted.run(changed))
    memo.outcome(request, {"a.py": b"x = 2\n"}, lambda: scripted.run(request))
    assert scripted.runs == 5 and memo.reused == 0


def test_a_checker_that_changes_a_reused_outcome_does_not_change_the_next_files():
    memo = RunMemo()
    request = SandboxRequest(harness="", entry="f")
    decided_by = {"a.py": b"x = 1\n"}
    first = memo.outcome(request, decided_by, lambda: replace(CLEAN, data={"modules": ["conv1"]}))
    first.data["modules"].append("x")
    memo.outcome(request, decided_by, lambda: CLEAN).data["modules"].append("y")
    assert memo.outcome(request, decided_by, lambda: CLEAN).data == {"modules": ["conv1"]}


def test_the_memo_keeps_its_most_recently_used_outcomes():
    memo = RunMemo(entries=2)
    request = SandboxRequest(harness="", entry="f")
    runs = []

    def outcome(code: bytes) -> SandboxOutcome:
        def run() -> SandboxOutcome:
            runs.append(code)
            return CLEAN
        return memo.outcome(request, {"a.py": code}, run)

    outcome(b"1"), outcome(b"2"), outcome(b"1"), outcome(b"3"), outcome(b"1"), outcome(b"2")
    assert runs == [b"1", b"2", b"3", b"2"]  # "2" was the least recently used when "3" came


def test_each_test_starts_with_an_empty_memo():
    assert run_memo.reused == 0

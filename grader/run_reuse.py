"""Reusing the outcome of a sandbox run that would come out the same: a class's shared code runs once.

A whole class uploads lec2_hw1 with the starter's ``NetHW`` unchanged and only their answers (Python
comments at the end of the file) differing. Building that model in the sandbox is most of a
grading's cost (a fork, a run, a clean-up: about 25 ms of CPU, and about 5 ms on the trusted side),
yet for every such file it describes the same model. So a checker can ask for a run to be reused:
``Checker.run(..., decided_by=...)`` names files that decide the run's outcome as fully as its files
do, and a run whose request and deciding files are an earlier clean run's gets that run's outcome.

- ``python_executable_part(code)`` is what decides a run of one Python file: the file without the
  comment and blank lines after its last statement. They change nothing the interpreter does, and
  the part kept sits at the same lines and columns, so even a traceback or warning of the run names
  the same places.
- Only a clean outcome is kept: the harness returned its data, no limit was reached, nothing was
  cut from the output, and the run left the sandbox as it found it. Anything else (an error, a
  timeout under load, a run that tampered with the sandbox) is never reused: the next file runs.
- The memo lives in the grading process (``RUN_REUSE_ENTRIES`` outcomes, least recently used
  first out), so it is empty after every restart and never shared across hosts.

A reused outcome is what the same code produced in an earlier run. Code whose outcome is not decided
by its text (it reads the clock, draws random numbers, or reads its own comments to choose its
layers) may have come out otherwise this time; a checker asks for reuse only where that cannot cost
points (lec2_hw1's structure check is feedback worth 0 points).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace

from grader.sandbox.types import SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)

# A class shares a few codes; each outcome holds at most its output's kept tails (2 x 64 KiB).
RUN_REUSE_ENTRIES = 64
# What follows a file's last statement and changes nothing: line breaks, blanks and comments that
# hold no quote, no backslash and no NUL (so they can neither close a string the code left open nor
# be joined to a line before them), matched on the file reversed: one pass from its end, however long.
_TRAILING_NOTHING_REVERSED = re.compile(r"(?:[\r\n \t\f]+|[^'\"\\\x00\r\n]*#)*")


def python_executable_part(code: str) -> str | None:
    """``code`` without the comments and blank lines after its last statement (a student's written
    answers), which change nothing the interpreter does; None when that cannot be told for sure.

    Linear in the file's size, whatever it holds (Python's tokenizer takes minutes on some crafted
    files). The part kept is the file's own first lines, unchanged, so a run of it puts every
    statement at the same line and column. None when the kept part ends in a backslash (the next
    line would be joined to it).
    """
    trailing = _TRAILING_NOTHING_REVERSED.match(code[::-1]).end()
    part = code[:len(code) - trailing]
    return None if part.endswith("\\") else part


def reusable(outcome: SandboxOutcome) -> bool:
    """Whether another run of the same code would be expected to give ``outcome`` again."""
    return (outcome.ok and outcome.exit_code == 0 and not outcome.output_truncated
            and not outcome.sandbox_tampering)


class RunMemo:
    """Clean outcomes of earlier runs, by what decided them (thread-safe, least recently used out)."""

    def __init__(self, entries: int = RUN_REUSE_ENTRIES) -> None:
        self._entries = entries
        self._outcomes: OrderedDict[str, SandboxOutcome] = OrderedDict()
        self._lock = threading.Lock()
        self.reused = 0  # how many runs this memo saved

    def outcome(self, request: SandboxRequest, decided_by: Mapping[str, bytes],
                run: Callable[[], SandboxOutcome]) -> SandboxOutcome:
        """The outcome of ``request``: an earlier clean one decided by the same, or ``run()``'s.

        ``decided_by``: files that decide the run as fully as ``request.files`` do (the student's code
        without its trailing comments, ``python_executable_part``).
        """
        key = _memo_key(request, decided_by)
        with self._lock:
            earlier = self._outcomes.get(key)
            if earlier is not None:
                self._outcomes.move_to_end(key)
                self.reused += 1
                logger.debug("the outcome of run %s reused (the same code)", earlier.run_id or "?")
                return _copy(earlier)
        outcome = run()
        if reusable(outcome):
            with self._lock:
                self._outcomes[key] = _copy(outcome)
                while len(self._outcomes) > self._entries:
                    self._outcomes.popitem(last=False)
        return outcome

    def clear(self) -> None:
        with self._lock:
            self._outcomes.clear()
            self.reused = 0


def _copy(outcome: SandboxOutcome) -> SandboxOutcome:
    # Each grading gets data of its own: a checker that changes what it was given cannot change the
    # next file's.
    return replace(outcome, data=copy.deepcopy(outcome.data))


def _memo_key(request: SandboxRequest, decided_by: Mapping[str, bytes]) -> str:
    """Everything of the request, with ``decided_by`` in place of its files."""
    def digests(files: Mapping[str, bytes]) -> dict[str, str]:
        return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}

    everything = {
        "files": digests(decided_by), "harness": request.harness, "entry": request.entry,
        "limits": asdict(request.limits), "env": dict(request.env), "fresh_process": request.fresh_process,
        "data_files": digests(request.data_files), "hidden_paths": list(request.hidden_paths),
    }
    return hashlib.sha256(json.dumps(everything, sort_keys=True, default=str).encode()).hexdigest()


# The grading process's memo (each Celery pool process has its own).
run_memo = RunMemo()

"""Grading one file with one checker: the single path used by the worker and ``manage.py grade``.

``grade_file`` grades a file completely (its pre-check first, if the checker has one).
``precheck_file`` runs only the pre-check: the portal calls it on the CPU queue, and hands a file
that passes to ``grade_file(..., prechecked=True)`` on a GPU worker later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from grader.checker import Checker, Precheck, Sandbox
from grader.content import RejectedUpload, SubmissionFile, read_submission
from grader.messages import Message
from grader.results import GradeResult, TrainingPoint
from grader.sandbox.types import SandboxFailure, SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)

TAMPERING_NOTE = "Run %(run)s of the student's code %(change)s; the sandbox was cleaned or replaced before the next run."
GRADER_FAILED_MESSAGE = Message(
    "The grader itself failed on this file. Your submission is kept; course staff see it marked "
    "as a grader error and will regrade it."
)


class GradingSandbox:
    """The sandbox a checker is given: the process's sandbox, where live progress goes, and what
    staff must hear about the runs.

    ``progress(point)`` passes a training point on to whoever asked ``grade_file`` for progress
    (the portal shows it on the result page while training runs); without a listener it is dropped.
    ``staff_notes`` collects what the sandbox reported about a run that tampered with it; the
    result carries them to course staff (the student's own result stays about their answers).
    """

    def __init__(self, sandbox: Sandbox, on_progress: Callable[[TrainingPoint], None] | None = None) -> None:
        self._sandbox = sandbox
        self._on_progress = on_progress
        self.staff_notes: list[str] = []

    def run(self, request: SandboxRequest, *, on_report: Callable[[bytes], None] | None = None) -> SandboxOutcome:
        outcome = self._sandbox.run(request) if on_report is None else self._sandbox.run(request, on_report=on_report)
        for change in getattr(outcome, "sandbox_tampering", ()):
            self.staff_notes.append(TAMPERING_NOTE % {"run": getattr(outcome, "run_id", "") or "?", "change": change})
        return outcome

    def progress(self, point: TrainingPoint) -> None:
        if self._on_progress is not None:
            self._on_progress(point)


def grade_file(
    checker: Checker, *, filename: str, data: bytes, sandbox: Sandbox, max_bytes: int | None = None,
    prechecked: bool = False, on_progress: Callable[[TrainingPoint], None] | None = None,
    interruptions: tuple[type[BaseException], ...] = (), options: Mapping[str, Any] | None = None,
) -> GradeResult:
    """Validate the file as an upload would, then run the checker on it: its pre-check first (unless
    ``prechecked``: the file passed it already), then ``check``.

    ``options`` are the assignment's grading choices the checker understands (``Checker.options``),
    e.g. {"follow_through_credit": 0.5}; a checker ignores the ones it does not know.

    ``on_progress`` receives a training checker's live points (validated, display only).
    Never raises for anything about the file: unreadable content is a ``rejected`` result and a
    checker bug is an ``error`` result (logged with its traceback for staff). Raises
    ``SandboxFailure`` when the sandbox itself broke: that is nobody's answer, so the caller tries
    again rather than storing a grade. Raises the caller's ``interruptions`` (exceptions that stop
    a grading from outside, such as a task's time limit) rather than calling them checker bugs.
    """
    started = time.monotonic()
    checker = checker.with_options(options)
    grading_sandbox = GradingSandbox(sandbox, on_progress)

    def grade(submission: SubmissionFile) -> GradeResult:
        if not prechecked:
            precheck = checker.precheck(submission, grading_sandbox)
            if precheck is not None and not precheck.passed:
                return precheck.result
        return checker.check(submission, grading_sandbox)

    result = _guarded(checker, filename=filename, data=data, max_bytes=max_bytes, call=grade,
                      interruptions=interruptions)
    if grading_sandbox.staff_notes:
        result = replace(result, staff_notes=(*result.staff_notes, *grading_sandbox.staff_notes))
    logger.info(
        "graded %s with %s: %s %g/%g in %.3fs",
        filename, checker.slug, result.status, result.score, result.max_score, time.monotonic() - started,
    )
    return result


def precheck_file(
    checker: Checker, *, filename: str, data: bytes, sandbox: Sandbox, max_bytes: int | None = None,
    interruptions: tuple[type[BaseException], ...] = (),
) -> Precheck:
    """Validate the file and run only the checker's pre-check (seconds, on the CPU).

    Returns ``Precheck(passed=True, ...)`` when the file may go on to ``grade_file(...,
    prechecked=True)`` (always, for a checker without a pre-check), and otherwise the file's final
    result: rejected, failed pre-check, or a grader error. Raises ``SandboxFailure`` as
    ``grade_file`` does, and the caller's ``interruptions``.
    """
    found: list[Precheck] = []

    def precheck(submission: SubmissionFile) -> GradeResult:
        outcome = checker.precheck(submission, GradingSandbox(sandbox))
        if outcome is None:
            outcome = Precheck(passed=True, result=checker.result([]))
        found.append(outcome)
        return outcome.result

    result = _guarded(checker, filename=filename, data=data, max_bytes=max_bytes, call=precheck,
                      interruptions=interruptions)
    if found and found[0].passed and result is found[0].result:
        return found[0]
    return Precheck(passed=False, result=result)


def _guarded(checker: Checker, *, filename: str, data: bytes, max_bytes: int | None,
             call: Callable[[SubmissionFile], GradeResult],
             interruptions: tuple[type[BaseException], ...] = ()) -> GradeResult:
    """``call`` on the file read as an upload: a refusal or a checker bug becomes a result."""
    try:
        submission = read_submission(
            filename, data, accepted_extensions=checker.accepted_extensions, max_bytes=max_bytes
        )
    except RejectedUpload as refusal:
        return GradeResult.rejected(refusal.reason, max_score=checker.points)
    try:
        result = call(submission)
    except (SandboxFailure, *interruptions):
        raise
    except Exception:
        logger.exception("checker %s failed on %s", checker.slug, filename)
        return GradeResult.error(GRADER_FAILED_MESSAGE, max_score=checker.points)
    if not isinstance(result, GradeResult):
        logger.error("checker %s returned %r instead of a GradeResult", checker.slug, type(result))
        return GradeResult.error(GRADER_FAILED_MESSAGE, max_score=checker.points)
    return result

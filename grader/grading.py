"""Grading one file with one checker: the single path used by the worker and ``manage.py grade``."""

from __future__ import annotations

import logging
import time

from grader.checker import Checker, Sandbox
from grader.content import RejectedUpload, read_submission
from grader.results import GradeResult
from grader.sandbox.types import SandboxFailure

logger = logging.getLogger(__name__)

GRADER_FAILED_MESSAGE = (
    "The grader itself failed on this file. Your submission is kept; course staff see it marked "
    "as a grader error and will regrade it."
)


def grade_file(
    checker: Checker, *, filename: str, data: bytes, sandbox: Sandbox, max_bytes: int | None = None,
    interruptions: tuple[type[BaseException], ...] = (),
) -> GradeResult:
    """Validate the file as an upload would, then run the checker on it.

    Never raises for anything about the file: unreadable content is a ``rejected`` result and a
    checker bug is an ``error`` result (logged with its traceback for staff). Raises
    ``SandboxFailure`` when the sandbox itself broke: that is nobody's answer, so the caller tries
    again rather than storing a grade. Raises the caller's ``interruptions`` (exceptions that stop
    a grading from outside, such as a task's time limit) rather than calling them checker bugs.
    """
    started = time.monotonic()
    try:
        submission = read_submission(
            filename, data, accepted_extensions=checker.accepted_extensions, max_bytes=max_bytes
        )
    except RejectedUpload as refusal:
        return GradeResult.rejected(refusal.message, max_score=checker.points)
    try:
        result = checker.check(submission, sandbox)
    except (SandboxFailure, *interruptions):
        raise
    except Exception:
        logger.exception("checker %s failed on %s", checker.slug, filename)
        return GradeResult.error(GRADER_FAILED_MESSAGE, max_score=checker.points)
    if not isinstance(result, GradeResult):
        logger.error("checker %s returned %r instead of a GradeResult", checker.slug, type(result))
        return GradeResult.error(GRADER_FAILED_MESSAGE, max_score=checker.points)
    logger.info(
        "graded %s with %s: %s %.2f/%.2f in %.3fs",
        filename, checker.slug, result.status, result.score, result.max_score, time.monotonic() - started,
    )
    return result

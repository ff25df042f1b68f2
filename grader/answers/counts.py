"""Turning one answer from an ``AnswerSheet`` into a ``CheckOutcome`` with feedback that says why.

Shared by checkers that ask for counts (parameters, say): exact integers only, rounded figures
refused with a reason, known misconceptions named; an answer read more than one way that would
score differently goes to a TA (``grader.answers.review``).
"""

from __future__ import annotations

from collections.abc import Iterable

from grader.answers.review import reviewed
from grader.answers.shapes import Count
from grader.answers.sheet import Answer
from grader.results import CheckOutcome


def count_check(
    name: str,
    answer: Answer,
    *,
    expected: int,
    points: float,
    what: str,
    mistakes: Iterable[tuple[int, str]] = (),
    hint: str = "",
    where: str = "",
) -> CheckOutcome:
    """Grade ``answer`` against the exact count ``expected``.

    ``what`` names the count in feedback ("the total number of parameters"); ``mistakes`` are
    (wrong count, "it ... because ...") pairs computed by the reference; ``hint`` is said after an
    unrecognised wrong count; ``where`` tells an unanswered student where to write it.
    """
    mistakes = tuple(mistakes)

    def graded(reading: Answer) -> CheckOutcome:
        return _count_outcome(name, reading, expected=expected, points=points, what=what, mistakes=mistakes,
                              hint=hint, where=where)

    return reviewed(answer, graded, what=what)


def _count_outcome(
    name: str, answer: Answer, *, expected: int, points: float, what: str, mistakes: tuple[tuple[int, str], ...],
    hint: str, where: str,
) -> CheckOutcome:
    def failed(feedback: str) -> CheckOutcome:
        return CheckOutcome(name, passed=False, points=0.0, max_points=points, feedback=feedback)

    at = f" ({answer.where()})" if answer.where() else ""
    if answer.status == "unanswered":
        return failed(f"No answer found for {what}." + (f" {where}" if where else ""))
    if answer.status == "unreadable" or not isinstance(answer.value, Count):
        return failed(f"Could not read “{answer.written}”{at} as a whole number.")
    count = answer.value
    if not count.exact:
        close = abs(count.value - expected) <= 0.05 * max(expected, 1)
        return failed(
            f"{count.text}{at} is a rounded figure, not an exact count: write every digit "
            "(e.g. 123456 or 123,456)." + (" It is close, though." if close else "")
        )
    if int(count.value) == expected:
        return CheckOutcome(name, passed=True, points=points, max_points=points, feedback=f"Right: {count.text}.")
    for value, why in mistakes:
        if value == int(count.value):
            return failed(f"{count.text}{at} is wrong: it {why}.")
    return failed(f"{count.text}{at} is wrong." + (f" {hint}" if hint else ""))

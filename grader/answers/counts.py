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
from grader.messages import Message, Text, sentences
from grader.results import CheckOutcome


def count_check(
    name: str,
    answer: Answer,
    *,
    expected: int,
    points: float,
    what: Text,
    mistakes: Iterable[tuple[int, Text]] = (),
    hint: Text = "",
    where: Text = "",
) -> CheckOutcome:
    """Grade ``answer`` against the exact count ``expected``.

    ``what`` names the count in feedback ("the total number of parameters"); ``mistakes`` are
    (wrong count, "it ... because ...") pairs computed by the reference; ``hint`` is said after an
    unrecognised wrong count; ``where`` tells an unanswered student where to write it. Each may be
    a ``Message``: the feedback is then also stored as one (``i18n``), for readers of any language.
    """
    mistakes = tuple(mistakes)

    def graded(reading: Answer) -> CheckOutcome:
        return _count_outcome(name, reading, expected=expected, points=points, what=what, mistakes=mistakes,
                              hint=hint, where=where)

    return reviewed(answer, graded, what=what)


def _count_outcome(
    name: str, answer: Answer, *, expected: int, points: float, what: Text, mistakes: tuple[tuple[int, Text], ...],
    hint: Text, where: Text,
) -> CheckOutcome:
    def failed(feedback: Text) -> CheckOutcome:
        return CheckOutcome.saying(name, feedback, passed=False, points=0.0, max_points=points)

    at = answer.at()
    if answer.status == "unanswered":
        return failed(sentences(Message("No answer found for %(what)s.", what=what), where))
    if answer.status == "unreadable" or not isinstance(answer.value, Count):
        return failed(Message("Could not read “%(written)s”%(where)s as a whole number.", written=answer.written, where=at))
    count = answer.value
    if not count.exact:
        close = abs(count.value - expected) <= 0.05 * max(expected, 1)
        return failed(sentences(
            Message("%(count)s%(where)s is a rounded figure, not an exact count: write every digit "
                    "(e.g. 123456 or 123,456).", count=count.text, where=at),
            Message("It is close, though.") if close else ""))
    if int(count.value) == expected:
        return CheckOutcome.saying(name, Message("Right: %(shape)s.", shape=count.text), passed=True, points=points,
                                   max_points=points)
    for value, why in mistakes:
        if value == int(count.value):
            return failed(Message("%(shape)s%(where)s is wrong: %(why)s", shape=count.text, where=at,
                                  why=Message("it %(why)s.", why=why)))
    return failed(sentences(Message("%(shape)s%(where)s is wrong.", shape=count.text, where=at), hint))

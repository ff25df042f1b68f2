"""Grading an answer the reader is not sure of: every reading is graded, and where they would score
differently the check is uncertain, keeps the best points, and asks a TA.

A doubt that changes nothing is not worth a TA's time: two different answers that are both wrong
are wrong (the feedback names the one read), and a size the reader could not attribute that would
not score anyway changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from grader.answers.sheet import UNATTRIBUTED, Answer, place_message
from grader.messages import Message, Text, listed, sentences
from grader.results import CheckOutcome, Reading

_MAX_READINGS = 6


def reviewed(answer: Answer, grade: Callable[[Answer], CheckOutcome], *, what: Text) -> CheckOutcome:
    """The outcome of ``answer`` as ``grade`` scores it, uncertain where one of its alternative
    readings would score differently: then it keeps the best points of any reading, lists every
    reading (``CheckOutcome.readings``) and says a TA will check. ``what`` names the question in
    feedback ("conv2's output", "the total number of parameters"); the feedback is also a message
    (``i18n``) for readers of any language."""
    read = grade(answer)
    if not answer.alternatives:
        if answer.doubt and answer.status != "answered":
            # Not read in full: nothing to keep, but a TA reads what the grader could not.
            said = sentences(read.i18n or read.feedback,
                             Message("Not sure: %(doubt)s. A TA will read your file.", doubt=answer.doubt))
            return replace(read, uncertain=True, readings=(_reading(answer, read, first=True),),
                           feedback=str(said), i18n=said if isinstance(said, Message) else None)
        return read
    graded = [(alternative, grade(alternative)) for alternative in answer.alternatives]
    if all(outcome.points == read.points for _, outcome in graded):
        return read
    best = max([read, *(outcome for _, outcome in graded)], key=lambda outcome: outcome.points)
    # The readings that would change the points first; then the other answers written for it (not
    # sizes from elsewhere that change nothing).
    shown = [pair for pair in graded if pair[1].points != read.points]
    shown += [pair for pair in graded if pair[1].points == read.points and pair[0].doubt != UNATTRIBUTED]
    readings = [_reading(answer, read, first=True)]
    readings += [_reading(alternative, outcome) for alternative, outcome in shown[: _MAX_READINGS - 1]]
    outcome = CheckOutcome(read.name, passed=best.passed, points=best.points, max_points=read.max_points,
                           uncertain=True, readings=tuple(readings))
    said = uncertain_message(what, outcome, why=answer.doubt or Message("the text can be read more than one way"))
    return replace(outcome, feedback=str(said), i18n=said)


def uncertain_message(what: Text, outcome: CheckOutcome, *, why: Text) -> Message:
    """What an answer read more than one way says, in any language: why the reader doubts, the ways
    it can be read, and what happens next."""
    ways = listed([Message("“%(text)s” (%(place)s)", text=reading.text, place=place_message(reading.place))
                   if reading.place else f"“{reading.text}”" for reading in outcome.readings if reading.text],
                  alternatives=True)
    return Message("Could not read your answer for %(what)s with confidence (%(why)s): it could be %(ways)s. A TA "
                   "will check how it was read; until then it keeps %(points)s points.",
                   what=what, why=why, ways=ways or Message("no answer"), points=f"{outcome.points:g}")


def review_summary(checks: Sequence[CheckOutcome]) -> Text:
    """How many scored answers are right, and how many wait for a TA: "28 of 33 answers are
    right. 2 could not be read with confidence: ..." (a message, for readers of any language)."""
    scored = [check for check in checks if check.max_points > 0]
    right = sum(check.passed and not check.uncertain for check in scored)
    uncertain = sum(check.uncertain for check in scored)
    summary = Message("%(right)s of %(count)s answers are right.", right=right, count=len(scored))
    return sentences(summary, Message(
        "%(count)s could not be read with confidence: they keep their points until a TA has checked how they "
        "were read.", count=uncertain) if uncertain else "")


def _reading(answer: Answer, outcome: CheckOutcome, *, first: bool = False) -> Reading:
    if answer.status == "answered":
        note = "read as the answer" if first else str(answer.doubt or "another answer written for it")
        return Reading(answer.as_written(), answer.where(), outcome.points, note)
    if answer.status == "unreadable":
        return Reading(answer.written, answer.where(), outcome.points, "text that is not a size or a count")
    return Reading("", "", outcome.points, "no answer written for it")


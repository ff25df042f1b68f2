"""The engine's stored messages (``grader.messages``) as text in the active language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext

from grader.messages import Message, message_or_text, render

# The language the engine writes its stored English text (and its msgids) in.
ENGINE_LANGUAGE = "en"


def feedback_text(raw_message: Any, english: str) -> str:
    """What was stored as ``english`` text and ``raw_message`` (its ``{"msgid", "params"}``), in the
    active language: the English text itself for English readers (it may say a little more, such
    as the reader's exact doubt), the message translated for the others, and the English text when
    there is no message or it is malformed (results stored before messages were)."""
    if english and (get_language() or ENGINE_LANGUAGE).split("-")[0] == ENGINE_LANGUAGE:
        return english
    return render(message_or_text(raw_message, english), gettext)


def engine_text(msgid: str) -> str:
    """A text the engine declares as a msgid with no values, such as a hand-graded problem's title
    (``ManualProblem.title``), in the active language: rendered as the checker's own messages are, so
    the report pages, the e-mails and the receipt (whose message names the problems) all agree."""
    return render(Message(msgid), gettext)

"""The engine's stored messages (``grader.messages``) as text in the active language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from grader.messages import message_or_text, render


def feedback_text(raw_message: Any, english: str) -> str:
    """``raw_message`` (a stored ``{"msgid", "params"}``) in the active language; ``english`` when
    there is none or it is malformed (results stored before messages were)."""
    return render(message_or_text(raw_message, english), gettext)

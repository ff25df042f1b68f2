"""Feedback that can be read in the reader's language: an English msgid and its values, rendered at display time.

A checker says ``Message("%(shape)s is wrong: %(why)s", shape="(1, 64, 16, 16)", why=other_message)``
instead of formatting an English sentence. The result stores the message (``to_dict``: ``{"msgid":
..., "params": {...}}``) next to its English text, so a student reading in Chinese and a TA
reading in English each see their own language for the same stored result: the portal renders it
with the active language's ``gettext`` (``render(message, gettext=...)``), everyone else in English.

Params are plain values (text, whole numbers, finite numbers, true/false) or nested messages,
rendered first. Text that is not ours to translate (a traceback line, what the student wrote) is
passed as a plain value. A msgid is always written literally as the first argument of ``Message``,
which is how ``manage.py makemessages`` finds it (the project's makemessages passes
``--keyword=Message`` to xgettext); its translation goes in ``courseportal/locale``.

Rendering never raises: a translation whose placeholders do not fit falls back to the English
msgid, and a message that cannot be formatted at all shows its msgid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union

# A nested message deeper than this is not a message a checker wrote.
MAX_DEPTH = 8
MAX_MSGID_CHARACTERS = 2_000
MAX_PARAMS = 32
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

Param = Union[str, int, float, bool, "Message"]


class MessageFormatError(ValueError):
    """A stored message does not follow the ``{"msgid": ..., "params": {...}}`` shape."""


def english(msgid: str) -> str:
    """The ``gettext`` of the language msgids are written in."""
    return msgid


class Message:
    """An English msgid with ``%(name)s`` placeholders and the values that fill them. Immutable.

    ``Message(msgid, **params)``: params are plain values or nested ``Message`` objects. ``str()``
    gives the English text.
    """

    __slots__ = ("msgid", "params")
    msgid: str
    params: tuple[tuple[str, Param], ...]

    def __init__(self, msgid: str, /, **params: Param) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", tuple(sorted(params.items())))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Message is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, self.params))

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}{''.join(f', {name}={value!r}' for name, value in self.params)})"

    def __str__(self) -> str:
        return render(self)

    def param(self, name: str) -> Param | None:
        return dict(self.params).get(name)

    def to_dict(self) -> dict[str, Any]:
        return {"msgid": self.msgid,
                "params": {name: value.to_dict() if isinstance(value, Message) else value for name, value in self.params}}

    @classmethod
    def from_dict(cls, raw: Any, *, depth: int = 0) -> Message:
        """The message a stored document holds; raises ``MessageFormatError`` for any other shape
        (unknown keys, params that are not plain values or messages, a msgid its params do not fill)."""
        if depth > MAX_DEPTH:
            raise MessageFormatError("messages are nested too deeply")
        if not isinstance(raw, Mapping) or not set(raw) <= {"msgid", "params"} or "msgid" not in raw:
            raise MessageFormatError("a message is an object with a msgid and params")
        msgid, params = raw["msgid"], raw.get("params", {})
        if not isinstance(msgid, str) or not msgid or len(msgid) > MAX_MSGID_CHARACTERS:
            raise MessageFormatError("a msgid is non-empty text")
        if not isinstance(params, Mapping) or len(params) > MAX_PARAMS:
            raise MessageFormatError("params are an object")
        values: dict[str, Param] = {}
        for name, value in params.items():
            if not isinstance(name, str) or not _PARAM_NAME.match(name):
                raise MessageFormatError(f"{name!r} is not a param name")
            values[name] = cls.from_dict(value, depth=depth + 1) if isinstance(value, Mapping) else _plain(value)
        message = cls(msgid, **values)
        if _formatted(msgid, message, english) is None:
            raise MessageFormatError(f"the params do not fill {msgid!r}")
        return message


Text = str | Message


def render(message: Text, gettext: Callable[[str], str] = english) -> str:
    """``message`` in the language of ``gettext`` (English by default); plain text as it is."""
    if isinstance(message, str):
        return message
    translated = gettext(message.msgid)
    text = _formatted(translated, message, gettext)
    if text is None and translated != message.msgid:
        text = _formatted(message.msgid, message, gettext)
    return text if text is not None else message.msgid


def sentences(*parts: Text) -> Text:
    """``parts`` as one message, each after the other with a space (no space in Chinese)."""
    return _folded(parts, lambda first, second: Message("%(first)s %(second)s", first=first, second=second))


def listed(items: Iterable[Text], *, alternatives: bool = False) -> Text:
    """"a, b and c" as one message (「a、b 和 c」 in Chinese); "a, b or c" for ``alternatives``."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return items[0] if items else ""
    head = _folded(items[:-1], lambda joined, item: Message("%(items)s, %(item)s", items=joined, item=item))
    if alternatives:
        return Message("%(items)s or %(last)s", items=head, last=items[-1])
    return Message("%(items)s and %(last)s", items=head, last=items[-1])


def either(items: Iterable[Text]) -> Text:
    """"a or b or c" as one message (「a 或 b 或 c」 in Chinese)."""
    return _folded(items, lambda joined, item: Message("%(items)s or %(last)s", items=joined, last=item))


def every(items: Iterable[Text]) -> Text:
    """"a and b and c" as one message (「a 和 b 和 c」 in Chinese)."""
    return _folded(items, lambda joined, item: Message("%(items)s and %(last)s", items=joined, last=item))


def separated(items: Iterable[Text]) -> Text:
    """"a; b; c" as one message (「a；b；c」 in Chinese)."""
    return _folded(items, lambda joined, item: Message("%(items)s; %(item)s", items=joined, item=item))


def _folded(items: Iterable[Text], join: Callable[[Text, Text], Message]) -> Text:
    """The non-empty ``items`` joined two at a time, from the left; "" when there are none."""
    kept = [item for item in items if item]
    if not kept:
        return ""
    joined = kept[0]
    for item in kept[1:]:
        joined = join(joined, item)
    return joined


def message_or_text(raw: Any, fallback: str) -> Text:
    """The message stored as ``raw`` (a ``to_dict``), or ``fallback`` when there is none or it is
    malformed: what a reader of stored results shows."""
    if raw is None:
        return fallback
    try:
        return Message.from_dict(raw)
    except MessageFormatError:
        return fallback


def _plain(value: Any) -> Param:
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise MessageFormatError(f"{value!r} is not a plain param")


def _formatted(template: str, message: Message, gettext: Callable[[str], str]) -> str | None:
    if not message.params and "%(" not in template:
        return template  # a plain sentence: a lone "%" in it is text, not a placeholder
    values = {name: render(value, gettext) if isinstance(value, Message) else value for name, value in message.params}
    try:
        return template % values
    except (KeyError, ValueError, TypeError, OverflowError):
        return None

"""Engine messages (``grader.messages``) survive the JSON round trip, render in any language with
that language's gettext, and never raise on what a stored document or a translation gets wrong."""

from __future__ import annotations

import pytest

from grader.messages import Message, MessageFormatError, listed, message_or_text, render, sentences

CHINESE = {"Right: %(shape)s.": "正確：%(shape)s。", "%(first)s %(second)s": "%(first)s%(second)s",
           "stride ignored": "忽略了 stride", "Broken %(shape)s": "壞了 %(nope)s"}


def test_a_nested_message_round_trips_and_renders_in_each_language():
    message = sentences(Message("Right: %(shape)s.", shape="(1, 64, 8, 8)"), Message("stride ignored"))
    stored = message.to_dict()
    assert Message.from_dict(stored) == message
    assert str(message) == "Right: (1, 64, 8, 8). stride ignored"
    assert render(message, lambda msgid: CHINESE.get(msgid, msgid)) == "正確：(1, 64, 8, 8)。忽略了 stride"


def test_a_translation_whose_placeholders_do_not_fit_falls_back_to_english():
    assert render(Message("Broken %(shape)s", shape="x"), lambda msgid: CHINESE.get(msgid, msgid)) == "Broken x"


@pytest.mark.parametrize("raw", [
    {"msgid": "%(a)s"}, {"msgid": ""}, {"msgid": "x", "params": {"1a": 1}}, {"msgid": "x", "params": {"a": [1]}},
    {"msgid": "x", "other": 1}, "text", {"msgid": "%(a)s", "params": {"a": float("nan")}},
])
def test_a_malformed_stored_message_is_refused_and_readers_show_the_english_text(raw):
    with pytest.raises(MessageFormatError):
        Message.from_dict(raw)
    assert message_or_text(raw, "as stored") == "as stored"


def test_lists_read_naturally():
    assert str(listed(["a", "b", "c"])) == "a, b and c"
    assert listed([]) == "" and sentences() == ""

"""The result frame is the only thing from inside the sandbox that the grader believes."""

from __future__ import annotations

import json
import os

import pytest

from grader.sandbox.boundary import (
    MAX_RESULT_BYTES,
    TAMPERED_MESSAGE,
    ResultFrameError,
    RunObservations,
    TailBuffer,
    decide_outcome,
    parse_result_frame,
)
from grader.sandbox.runner import MAX_RESULT_NESTING, json_nesting_depth, write_result
from grader.sandbox.types import SandboxLimits

NONCE = "a" * 32


def frame(**document) -> bytes:
    return json.dumps(document).encode() + b"\n"


def nested(depth: int, innermost: object = 1) -> object:
    value = innermost
    for _ in range(depth):
        value = [value]
    return value


def deep_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def raw_frame(*, data_text: str) -> bytes:
    """A frame with this run's nonce whose data is ``data_text`` as written (json.dumps could not)."""
    return ('{"nonce": "' + NONCE + '", "data": ' + data_text + "}\n").encode()


def test_a_well_formed_frame_gives_its_data():
    parsed = parse_result_frame(frame(nonce=NONCE, data={"built": True}), nonce=NONCE)
    assert parsed.data == {"built": True} and parsed.error is None


def test_a_harness_error_frame_gives_its_message():
    parsed = parse_result_frame(frame(nonce=NONCE, error="Traceback: boom"), nonce=NONCE)
    assert parsed.error == "Traceback: boom" and parsed.data is None


def test_nothing_written_means_no_frame():
    assert parse_result_frame(b"", nonce=NONCE) is None


@pytest.mark.parametrize("raw", [
    frame(nonce="b" * 32, data=1),  # forged without the nonce
    frame(data=1),
    frame(nonce=NONCE, data=1) + frame(nonce=NONCE, data=2),  # a second frame after the real one
    frame(nonce=NONCE, data=1)[:-1],  # no newline: cut short
    frame(nonce=NONCE, data=1, score=100),  # fields outside the schema
    frame(nonce=NONCE, data=1, error="both"),
    frame(nonce=NONCE),
    frame(nonce=NONCE, error=["not", "text"]),
    b"[1, 2]\n",
    b"not json\n",
    frame(nonce=NONCE, data="x" * MAX_RESULT_BYTES),
    (deep_text(100_000) + "\n").encode(),
    raw_frame(data_text=deep_text(100_000)),
    frame(nonce=NONCE, data=nested(MAX_RESULT_NESTING + 1)),
    raw_frame(data_text="[" * 100_000),
], ids=["wrong-nonce", "no-nonce", "two-frames", "unterminated", "extra-field", "data-and-error",
        "neither", "error-not-text", "not-an-object", "not-json", "too-large", "nested-deep",
        "nested-deep-inside-data", "nested-one-past-the-limit", "unbalanced-and-deep"])
def test_anything_but_one_valid_frame_is_refused(raw):
    with pytest.raises(ResultFrameError):
        parse_result_frame(raw, nonce=NONCE)


def test_data_nested_as_deep_as_allowed_is_accepted():
    data = nested(MAX_RESULT_NESTING - 1, innermost={"brackets in text": "[[[[{{{{"})
    assert parse_result_frame(frame(nonce=NONCE, data=data), nonce=NONCE).data == data


@pytest.mark.parametrize("text, depth", [
    (b"1", 0), (b"[]", 1), (b'{"a": [[1], {"b": []}]}', 4), (b'["]]]]", "\\\"[[[["]', 1),
    (b"[{[{}]}]", 4), (deep_text(500).encode(), MAX_RESULT_NESTING + 1),
])
def test_nesting_depth_is_read_from_the_text_ignoring_brackets_in_strings(text, depth):
    assert json_nesting_depth(text, limit=MAX_RESULT_NESTING) == depth


def test_a_result_frame_nested_thousands_deep_is_the_students_tampering_not_a_grader_failure():
    observed = RunObservations(limit=None, exit_code=0, cpu_seconds=0.1, oom_kills=0,
                               result=(deep_text(100_000) + "\n").encode(), duration_s=0.1)
    outcome = decide_outcome(observed, limits=SandboxLimits(), nonce=NONCE, stdout=TailBuffer(10), stderr=TailBuffer(10))
    assert outcome.error == TAMPERED_MESSAGE and outcome.data is None


@pytest.mark.parametrize("depth", [MAX_RESULT_NESTING + 1, 100_000])
def test_a_harness_returning_data_nested_too_deep_gets_a_clear_error_frame(depth):
    read_end, write_end = os.pipe()
    write_result(write_end, NONCE, {"data": nested(depth)})
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        parsed = parse_result_frame(pipe.read(), nonce=NONCE)
    assert parsed.data is None
    assert parsed.error.startswith("the harness returned data that is not JSON")


def test_a_refused_frame_makes_an_outcome_without_data_that_says_why():
    observed = RunObservations(limit=None, exit_code=0, cpu_seconds=0.1, oom_kills=0,
                               result=frame(nonce="f" * 32, data={"score": 1000}), duration_s=0.1)
    outcome = decide_outcome(observed, limits=SandboxLimits(), nonce=NONCE, stdout=TailBuffer(10), stderr=TailBuffer(10))
    assert outcome.data is None and not outcome.ok
    assert outcome.error == TAMPERED_MESSAGE


def test_a_limit_the_worker_saw_wins_over_whatever_the_run_said():
    observed = RunObservations(limit="wall_time", exit_code=None, cpu_seconds=0.0, oom_kills=0,
                               result=b"", duration_s=20.0)
    outcome = decide_outcome(observed, limits=SandboxLimits(), nonce=NONCE, stdout=TailBuffer(10), stderr=TailBuffer(10))
    assert outcome.limit_exceeded == "wall_time"
    assert outcome.limit_message == "Your code ran longer than 20 s and was stopped."
    assert outcome.error is None


def test_tail_buffer_keeps_the_last_bytes_and_counts_all():
    tail = TailBuffer(keep=10)
    for chunk in (b"0123456789", b"abcdefghij", b"KLMNO"):
        tail.add(chunk)
    assert tail.total == 25 and tail.truncated
    assert tail.text() == "[… 15 earlier bytes not shown …]\nfghijKLMNO"

"""The result frame is the only thing from inside the sandbox that the grader believes."""

from __future__ import annotations

import json

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
from grader.sandbox.types import SandboxLimits

NONCE = "a" * 32


def frame(**document) -> bytes:
    return json.dumps(document).encode() + b"\n"


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
], ids=["wrong-nonce", "no-nonce", "two-frames", "unterminated", "extra-field", "data-and-error",
        "neither", "error-not-text", "not-an-object", "not-json", "too-large"])
def test_anything_but_one_valid_frame_is_refused(raw):
    with pytest.raises(ResultFrameError):
        parse_result_frame(raw, nonce=NONCE)


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

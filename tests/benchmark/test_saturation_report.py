"""The saturation mode's judgement and report, from made-up steps: a step keeps up only when
nothing is lost, refused or late and no queue grows; the headline is the last step before the first
that did not; CPU per upload is each part's ledger time over the step's accepted uploads."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courseportal.operations.benchmark.load_generator import Plan
from courseportal.operations.benchmark.saturation import (
    QUICK,
    SaturationOptions,
    saturation_summary,
    step_figures,
    step_line,
)
from courseportal.operations.benchmark.saturation_load import StudentRota, due_moments
from grader.run_reuse import python_executable_part

STARTED_AT = 1_000.0  # wall clock of the step's start; the load generator's own clock starts at 50


def outcome_and_times(*, rate: float = 4.0, seconds: float = 3.0, server_s=lambda index: 0.3,
                      unanswered: int = 0, never_graded: int = 0) -> tuple[dict, dict]:
    """A step as the load generator and the database would report it: ``rate * seconds`` uploads,
    each stored at its due moment and graded ``server_s(index)`` later."""
    records, submissions = [], {}
    count = round(rate * seconds)
    for index in range(count):
        due = index / rate
        pk = 100 + index
        missing = index >= count - never_graded
        records.append({"student": f"s{index}", "outcome": "accepted", "submission_id": pk,
                        "visible_s": None if missing else server_s(index) + 0.5, "result": None if missing else "graded",
                        "started_s": 50 + due + 0.01, "scheduled_s": 50 + due, "upload_s": 0.05,
                        "page_seconds": [0.02, 0.03]})
        created = STARTED_AT + due
        submissions[str(pk)] = {"created": created, "claimed": created + 0.05, "attempts": 1, "status": "graded",
                                "grading_s": 0.1, "graded": None if missing else created + server_s(index),
                                "notified": None if missing else created + server_s(index) + 0.01}
    outcome = {"step": 1, "rate": rate, "seconds": seconds, "started_s": 50.0, "started_at": STARTED_AT,
               "arrivals_ended_at": STARTED_AT + seconds, "ended_at": STARTED_AT + seconds + 1, "unserved": 0,
               "records": records}
    stored = [int(pk) for pk in submissions] + [900 + extra for extra in range(unanswered)]
    return outcome, {"submissions": submissions, "stored_since": stored}


def fake_cpu(*, uploads_seconds: float = 3.0) -> dict:
    """The ledger's reading of the step: 1.2 s web, 0.6 s worker, 0.36 s sandbox, 0.12 s broker."""
    whole = {"web": 1.2, "worker": 0.6, "sandbox": 0.36, "broker": 0.12, "beat": 0.0, "load_generator": 0.06,
             "benchmark": 0.03}
    return {"whole": whole, "whole_machine": 4.0, "arriving": whole, "arriving_machine": 4.0,
            "arriving_stolen": 0.6, "arriving_seconds": uploads_seconds}


def test_a_step_that_keeps_up_reports_cpu_per_upload_by_part():
    outcome, times = outcome_and_times()
    step = step_figures(outcome, times, cpu=fake_cpu(), database=None)
    assert (step["sustained"], step["why"]) == (True, "kept up")
    assert (step["sent"], step["accepted"], step["lost"], step["errors"]) == (12, 12, 0, 0)
    assert step["cpu_ms_web"] == 100.0 and step["cpu_ms_sandbox"] == 30.0
    assert step["cpu_ms_stack"] == pytest.approx((1.2 + 0.6 + 0.36 + 0.12) / 12 * 1000, abs=0.1)
    assert step["cpu_ms_database"] is None  # SQLite has no server of its own
    assert step["cores_stack"] == pytest.approx(2.28 / 3, abs=0.01)
    assert step["cores_other"] == pytest.approx((4.0 - 2.37) / 3, abs=0.01)
    assert step["cores_stolen"] == pytest.approx(0.6 / 3, abs=0.01)
    assert "taken by the host (steal) 0.2" in step_line(step)
    assert step["grading_p50_ms"] == 100.0 and step["queue_p50_ms"] == 50.0
    assert step["cpu_ms_web_per_request"] == pytest.approx(1.2 / (12 * 3) * 1000, abs=0.1)  # upload + 2 pages each


def test_a_queue_that_grows_within_the_step_is_not_sustained():
    outcome, times = outcome_and_times(seconds=6.0, server_s=lambda index: 0.3 + index * 0.2)
    step = step_figures(outcome, times, cpu=fake_cpu(), database=None)
    assert step["sustained"] is False
    assert "grew" in step["why"]


def test_an_upload_without_a_result_is_lost_and_one_stored_without_an_answer_is_an_error():
    outcome, times = outcome_and_times(never_graded=1, unanswered=1)
    step = step_figures(outcome, times, cpu=fake_cpu(), database=None)
    assert (step["lost"], step["errors"], step["sustained"]) == (1, 1, False)
    assert "1 lost" in step["why"] and "1 errors" in step["why"]


def test_the_headline_is_the_last_step_before_the_first_that_did_not_keep_up():
    kept = [step_figures(*outcome_and_times(rate=rate), cpu=fake_cpu(), database=None) for rate in (2.0, 4.0)]
    failed = step_figures(*outcome_and_times(rate=8.0, never_graded=2), cpu=fake_cpu(), database=1234)
    summary = saturation_summary([*kept, failed], options=SaturationOptions(), students=30, sign_in_s=1.0)
    assert summary["saturation_sustained_uploads_per_s"] == 4.0
    assert summary["saturation_sustained_cpu_ms_per_upload"] == kept[1]["cpu_ms_stack"]
    assert summary["saturation_stopped_at"].startswith("8/s: 2 lost")
    assert summary["saturation_lost"] == 2
    assert failed["cpu_ms_database"] == 0.0  # a server was named; it spent nothing in this made-up step
    assert all("CPU ms per upload: web" in step_line(step) for step in summary["saturation_steps"])


def test_a_class_keeps_one_upload_in_flight_and_the_rate_limit():
    class Student:
        def __init__(self, username: str) -> None:
            self.username = username

    first, second = Student("a"), Student("b")
    rota = StudentRota([first, second], uploads_per_minute=2, window_s=60)
    assert rota.take(0.0) is first and rota.take(0.1) is second
    assert rota.take(0.2) is None  # both in flight
    rota.give_back(first)
    assert rota.take(1.0) is first
    rota.give_back(first)
    assert rota.take(2.0) is None  # first has sent 2 this minute, second is in flight
    assert rota.take(60.5) is first  # the first upload left the window


def test_uploads_are_due_evenly_at_the_step_rate():
    assert due_moments(rate=4.0, seconds=1.0) == [0.0, 0.25, 0.5, 0.75]
    assert due_moments(rate=0.1, seconds=1.0) == [0.0]


def test_the_command_refuses_bad_saturation_options_before_starting_anything():
    with pytest.raises(CommandError, match="--quick"):
        call_command("benchmark", "--quick")
    with pytest.raises(CommandError, match="rate must be above 0"):
        call_command("benchmark", "--saturate", "--saturate-rates", "5,0")
    with pytest.raises(CommandError, match="--step-seconds"):
        call_command("benchmark", "--saturate", "--step-seconds", "0")
    with pytest.raises(CommandError, match="--distinct-code"):
        call_command("benchmark", "--distinct-code")
    assert QUICK.students < SaturationOptions().students


def test_distinct_code_gives_every_upload_code_of_its_own_and_otherwise_the_class_shares_it():
    starter = "import torch\n\nclass NetHW:\n    pass\n\n# conv1: input (1, 3, 32, 32)\n"
    shared = Plan(base_url="", course="c", assignment="a", scenario="saturate", students=[], file_text=starter)
    distinct = replace(shared, distinct_code=True)
    codes = {python_executable_part(distinct.file_of("a", serial).decode()) for serial in range(3)}
    assert len(codes) == 3
    assert {python_executable_part(shared.file_of("a", serial).decode()) for serial in range(3)} == {
        python_executable_part(starter)}

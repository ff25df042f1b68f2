"""The benchmark's order of work and the figures it computes from what it observed.

1. Throwaway state: a temporary folder with its own database, media, cache, broker and ports.
2. Before anything else runs: the sandbox's overhead, grading one lec2_hw1 file against plain
   ``python`` on it, and the gradebook at two class sizes (each a median of ``runs``).
3. The stack starts (broker, worker with ``concurrency`` slots, beat, gunicorn), then the load
   generator, a separate process, signs students in and runs, one after the other: the idle
   uploads, the deadline burst, (with ``poison``) the burst again with poisoned uploads mixed in,
   and (with ``flood``) one student flooding while others upload. With ``saturate`` the stack runs
   only the saturation mode instead: the arrival rate raised step by step until the service cannot
   keep up (``saturation``).
4. The database is audited for uploads left without a result; everything is stopped and removed.

With ``training``: before the stack starts, lec2_hw3's pre-check and one whole grading of its
starter (the student's training time and what grading adds); once it runs, one training upload on
an idle system and a burst of ``training_students`` uploading within ``training_window_s``, each
timed to its first feedback (the pre-check's verdict on the page) and to its result.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from courseportal.operations.benchmark.figures import median, percentile, rounded
from courseportal.operations.benchmark.saturation import SaturationOptions, saturation_run
from courseportal.operations.benchmark.stack import SANDBOX_UID_SHIFT, BenchmarkStack

# In the result page's status block once a training file passed its pre-check (its badge).
TRAINING_FEEDBACK_MARKER = "status-training"

# The first idle uploads wake the worker's slots (their sandboxes may still be importing torch);
# they are not counted.
IDLE_WARM_UP_UPLOADS = 2


@dataclass(frozen=True)
class BenchmarkOptions:
    students: int = 300
    seconds: float = 60.0
    runs: int = 5
    idle_uploads: int = 10
    flood: bool = False
    poison: int = 0
    flood_others: int = 8
    flood_interval_s: float = 0.2
    gradebook_students: int = 500
    gradebook_assignments: int = 30
    gradebook_submissions: int = 3
    concurrency: int = 2
    web_workers: int = 2
    result_timeout_s: float = 600.0
    database_url: str | None = None
    keep: bool = False
    training: bool = False
    training_students: int = 50
    training_window_s: float = 60.0
    # The burst's file: the starter trained for this many epochs (0: as given), so that a burst of
    # many students fits in a CPU-only run; the idle figures use the starter as given.
    training_epochs: int = 2
    training_result_timeout_s: float = 3600.0
    # --saturate: the arrival rate raised step by step (see ``saturation``).
    saturate: bool = False
    saturation: SaturationOptions = SaturationOptions()


def benchmark_run(options: BenchmarkOptions, *, say: Callable[[str], None] = print) -> dict:
    """Run every measurement on a throwaway stack and return the figures (``figures.FIGURE_LABELS``).

    Raises ``StackFailed`` if a part of the stack or a task would not run; whatever happens, the
    processes it started are stopped and (unless ``keep``) its folder is removed.
    """
    root = Path(tempfile.mkdtemp(prefix="courseportal-benchmark-"))
    stack = BenchmarkStack(root=root, repository=Path(settings.BASE_DIR), database_url=options.database_url,
                           sandbox_base_uid=settings.SANDBOX_BASE_UID + SANDBOX_UID_SHIFT,
                           concurrency=options.concurrency, web_workers=options.web_workers)
    figures: dict = {"cores": os.cpu_count(), "runs": options.runs}
    try:
        say(f"state in {root}; creating the database")
        stack.prepare()
        groups = {"saturate": options.saturation.students} if options.saturate else {
            "idle": options.idle_uploads + IDLE_WARM_UP_UPLOADS, "burst": options.students,
            "poisoned_burst": options.students if options.poison else 0, "poisoner": options.poison,
            "flood": (options.flood_others + 1) if options.flood else 0,
            "tidle": 1 if options.training else 0,
            "tburst": options.training_students if options.training else 0,
        }
        population = stack.run_task("prepare", {"groups": groups, "training_epochs": options.training_epochs})
        if options.saturate:  # a mode of its own, bounded in time: the other measurements are left out
            say(f"starting the stack (worker concurrency {options.concurrency}) at {stack.base_url}")
            stack.start()
            figures.pop("runs")  # no medians over runs in this mode
            figures.update(saturation_run(stack, population, options.saturation, say))
            return figures
        say("measuring the sandbox and grading one lec2_hw1 file against plain python")
        figures.update(stack.run_task("grading-cost", {"runs": options.runs}))
        if options.training:
            say("measuring lec2_hw3: its pre-check, and one whole grading of its starter")
            figures.update(stack.run_task("training-cost", {"runs": options.runs}))
        say(f"measuring the gradebook ({options.gradebook_students} students x {options.gradebook_assignments} "
            f"assignments x {options.gradebook_submissions} submissions, and half as many students)")
        figures.update(stack.run_task("gradebook", {
            "students": options.gradebook_students, "small_students": max(1, options.gradebook_students // 2),
            "assignments": options.gradebook_assignments,
            "submissions_per_assignment": options.gradebook_submissions, "runs": options.runs,
        }))
        say(f"starting the stack (worker concurrency {options.concurrency}) at {stack.base_url}")
        stack.start()
        figures.update(_idle(stack, population, options, say))
        figures.update(_burst(stack, population, options, say))
        if options.poison:
            figures.update(_poisoned_burst(stack, population, options, figures, say))
        if options.flood:
            figures.update(_flood(stack, population, options, figures["upload_to_result_p50_s"], say))
        if options.training:
            figures.update(_training_idle(stack, population, options, say))
            figures.update(_training_burst(stack, population, options, say))
    finally:
        stack.stop()
        if options.keep:
            say(f"kept the benchmark's state and logs in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return figures


def _plan(population: dict, options: BenchmarkOptions, scenario: str, accounts: list[str],
          poisoners: list[str] | None = None) -> dict:
    return {
        "course": population["course"], "assignment": population["assignment"], "scenario": scenario,
        "students": [{"username": account, "password": population["password"]} for account in accounts],
        "file_text": population["file_text"], "seconds": options.seconds,
        "result_timeout_s": options.result_timeout_s, "flood_interval_s": options.flood_interval_s,
        "poisoners": poisoners or [], "poison_file_text": population["poison_file_text"] if poisoners else "",
    }


def _idle(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, say) -> dict:
    say(f"idle: {options.idle_uploads} uploads, one at a time")
    outcome = _load(stack, _plan(population, options, "idle", population["groups"]["idle"]))
    counted = outcome["records"][IDLE_WARM_UP_UPLOADS:]
    problems = [record for record in counted if record["visible_s"] is None]
    if problems:
        raise RuntimeError(f"idle uploads without a result: {problems}")
    times = [record["visible_s"] for record in counted]
    return {"upload_to_result_p50_s": rounded(median(times)), "upload_to_result_p95_s": rounded(percentile(times, 95))}


def _burst(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, say) -> dict:
    accounts = population["groups"]["burst"]
    say(f"deadline burst: {len(accounts)} students upload within {options.seconds:g} s")
    records = _load(stack, _plan(population, options, "burst", accounts))["records"]
    audit = stack.run_task("audit", {"accounts": accounts, "assignment": population["assignment"]})
    accepted = [record for record in records if record["outcome"] == "accepted"]
    shown = [record for record in accepted if record["visible_s"] is not None]
    times = [record["visible_s"] for record in shown]
    span = (max(r["started_s"] + r["visible_s"] for r in shown) - min(r["started_s"] for r in records)) if shown else 0
    return {
        "burst_students": len(accounts),
        "burst_seconds": options.seconds,
        "burst_grades_per_s": rounded(len(shown) / span if span else 0.0, 2),
        "burst_time_to_result_p50_s": rounded(median(times)),
        "burst_time_to_result_p95_s": rounded(percentile(times, 95)),
        "burst_time_to_result_max_s": rounded(max(times, default=float("nan"))),
        "burst_server_p95_s": rounded(percentile(audit["server_seconds"], 95)),
        # An accepted upload is lost if the page never showed its result or the database has none.
        "burst_lost": max(len(accepted) - len(shown), audit["without_result"]),
        "burst_errors": len(records) - len(accepted) + sum(1 for r in shown if r["result"] != "graded"),
        "burst_claimed_more_than_once": audit["claimed_more_than_once"],
    }


def _poisoned_burst(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, figures: dict,
                    say) -> dict:
    """The burst again, by other students, with ``options.poison`` poisoned uploads from yet others
    mixed in at random moments: the others' time to result, next to the burst without poison."""
    others, poisoners = population["groups"]["poisoned_burst"], population["groups"]["poisoner"]
    say(f"poisoned burst: {len(others)} students and {len(poisoners)} poisoned uploads within {options.seconds:g} s")
    accounts = _interleaved(others, poisoners)
    records = _load(stack, _plan(population, options, "burst", accounts, poisoners=poisoners))["records"]
    audit = stack.run_task("audit", {"accounts": others, "assignment": population["assignment"]})
    poison_audit = stack.run_task("audit", {"accounts": poisoners, "assignment": population["assignment"]})
    honest = [record for record in records if record["student"] not in poisoners]
    poisoned = [record for record in records if record["student"] in poisoners]
    accepted = [record for record in honest if record["outcome"] == "accepted"]
    times = [record["visible_s"] for record in accepted if record["visible_s"] is not None]
    poison_times = [record["visible_s"] for record in poisoned if record["visible_s"] is not None]
    unpoisoned_p95 = figures.get("burst_time_to_result_p95_s")
    return {
        "poison_uploads": len(poisoners),
        "poison_others_p50_s": rounded(median(times)),
        "poison_others_p95_s": rounded(percentile(times, 95)),
        "poison_others_max_s": rounded(max(times, default=float("nan"))),
        "poison_others_slowdown_p95": rounded(percentile(times, 95) / unpoisoned_p95 if unpoisoned_p95 else float("nan"), 2),
        "poison_others_lost": max(len(accepted) - len(times), audit["without_result"]),
        "poison_errors": (len(honest) - len(accepted) + sum(1 for record in accepted if record["visible_s"] is not None
                                                             and record["result"] != "graded")
                          + sum(1 for record in poisoned if record["outcome"] != "accepted")),
        "poison_time_to_result_max_s": rounded(max(poison_times, default=float("nan"))),
        "poison_unfinished": max(len(poisoned) - len(poison_times), poison_audit["without_result"]),
    }


def _interleaved(others: list[str], poisoners: list[str]) -> list[str]:
    """``others`` with ``poisoners`` spread evenly among them: the burst gives the n-th account the
    n-th upload moment, so the poisoned uploads land across the window, not all at its end."""
    accounts, total = list(others), len(others) + len(poisoners)
    for index, poisoner in enumerate(poisoners):
        accounts.insert(int((index + 0.5) * total / len(poisoners)), poisoner)
    return accounts


def _flood(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, idle_p50_s: float, say) -> dict:
    accounts = population["groups"]["flood"]
    say(f"flood: {accounts[0]} uploads every {options.flood_interval_s:g} s while {len(accounts) - 1} others upload")
    records = _load(stack, _plan(population, options, "flood", accounts))["records"]
    flooder = [record for record in records if record["scenario"] == "flooder"]
    others = [record for record in records if record["scenario"] == "flood"]
    times = [record["visible_s"] for record in others if record["visible_s"] is not None]
    p50 = median(times)
    return {
        "flood_uploads_sent": len(flooder),
        "flood_uploads_refused": sum(1 for record in flooder if record["outcome"] == "refused"),
        "flood_others_p50_s": rounded(p50),
        "flood_others_p95_s": rounded(percentile(times, 95)),
        "flood_slowdown": rounded(p50 / idle_p50_s if idle_p50_s else float("nan"), 2),
        "flood_errors": (sum(1 for record in others if record["visible_s"] is None)
                         + sum(1 for record in flooder if record["outcome"] == "error")),
    }


def _training_plan(population: dict, options: BenchmarkOptions, scenario: str, accounts: list[str],
                   file_text: str) -> dict:
    return {**_plan(population, options, scenario, accounts), "assignment": population["training_assignment"],
            "file_text": file_text, "seconds": options.training_window_s,
            "result_timeout_s": options.training_result_timeout_s, "idle_poll_interval_s": 0.25,
            "feedback_marker": TRAINING_FEEDBACK_MARKER}


def _training_idle(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, say) -> dict:
    say("training, idle: one lec2_hw3 upload (the starter as given) through HTTP")
    accounts = population["groups"]["tidle"]
    record = _load(stack, _training_plan(population, options, "training_idle", accounts,
                                         population["training_starter_text"]))["records"][0]
    audit = stack.run_task("training-audit", {"accounts": accounts, "assignment": population["training_assignment"]})
    if record["visible_s"] is None or not audit["student_seconds"]:
        raise RuntimeError(f"the idle training upload got no result: {record} {audit}")
    return {
        "training_idle_first_feedback_s": rounded(record["feedback_s"]),
        "training_idle_upload_to_result_s": rounded(record["visible_s"]),
        "training_idle_service_overhead_s": rounded(record["visible_s"] - audit["student_seconds"][0]),
    }


def _training_burst(stack: BenchmarkStack, population: dict, options: BenchmarkOptions, say) -> dict:
    accounts = population["groups"]["tburst"]
    say(f"training burst: {len(accounts)} students upload lec2_hw3 within {options.training_window_s:g} s")
    records = _load(stack, _training_plan(population, options, "training_burst", accounts,
                                          population["training_file_text"]))["records"]
    audit = stack.run_task("training-audit", {"accounts": accounts, "assignment": population["training_assignment"]})
    accepted = [record for record in records if record["outcome"] == "accepted"]
    shown = [record for record in accepted if record["visible_s"] is not None]
    feedback = [record["feedback_s"] for record in accepted if record["feedback_s"] is not None]
    results = [record["visible_s"] for record in shown]
    return {
        "training_burst_students": len(accounts),
        "training_burst_seconds": options.training_window_s,
        "training_burst_epochs": options.training_epochs,
        "training_burst_first_feedback_p50_s": rounded(median(feedback)),
        "training_burst_first_feedback_p95_s": rounded(percentile(feedback, 95)),
        "training_burst_time_to_result_p50_s": rounded(median(results)),
        "training_burst_time_to_result_p95_s": rounded(percentile(results, 95)),
        "training_burst_time_to_result_max_s": rounded(max(results, default=float("nan"))),
        "training_burst_student_seconds_p50": rounded(median(audit["student_seconds"])),
        "training_burst_slot_seconds_p50": rounded(median(audit["gpu_seconds"])),
        "training_burst_lost": max(len(accepted) - len(shown), audit["without_result"]),
        "training_burst_errors": len(records) - len(accepted) + sum(1 for r in shown if r["result"] != "graded"),
        "training_burst_started_more_than_once": audit["started_more_than_once"],
    }


def _load(stack: BenchmarkStack, plan: dict) -> dict:
    outcome = stack.run_load(plan)
    if "sign_in_error" in outcome:
        raise RuntimeError(f"the load generator could not sign in: {outcome['sign_in_error']}")
    return outcome

"""Measure (not a test: run it by name) the grading task's own CPU and queries per lec2_hw1 grading.

    python -m pytest -q -p no:randomly -s tests/submissions/measure_grading_task_cost.py [-k stub|bwrap]

Grades N submitted lec2_hw1 files one after another as the worker does (``submission_grade`` in
autocommit, its on-commit work run: the next upload's send and the result e-mail), timing each with
``time.process_time()`` (this process only: the sandbox's own processes are not counted) and
counting its queries. ``stub``: the sandbox's answer is canned (no run at all); ``bwrap``: the real
warm-pool sandbox, as the worker uses it (root and bubblewrap needed). MEASURE_PROFILE=1 prints
cProfile's top functions of the timed gradings.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.lec2_hw1.tests.conftest import CanonicalStructureSandbox
from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.submissions.services import submission_create, submission_grade
from grader.registry import get_checker
from tests.conftest import make_assignment, make_user
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db(transaction=True)
ANSWERS = Path(get_checker("lec2_hw1").folder()) / "tests" / "golden" / "wrong_one_forgotten_stride.py"
WARM_UP = 5
TIMED = int(os.environ.get("MEASURE_GRADINGS", "40"))


def measure(course, monkeypatch) -> None:
    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send",
                        lambda **kwargs: None)  # no broker: the upload is "sent", the worker is us
    assignment = make_assignment(course, "lec2_hw1")
    submissions = []
    for number in range(WARM_UP + TIMED):
        student = make_user(f"3105{number:05d}")
        membership_set(course=course, user=student, role=Membership.Role.STUDENT)
        submissions.append(submission_create(student=student, assignment=assignment,
                                             upload=upload(f"{student.username}_lec2_hw1.py", ANSWERS.read_bytes())))
    phases = _phases_timed(monkeypatch) if os.environ.get("MEASURE_PHASES") else None
    for submission in submissions[:WARM_UP]:
        assert submission_grade(submission_id=submission.pk) is not None
    profile = cProfile.Profile(time.process_time) if os.environ.get("MEASURE_PROFILE") else None
    cpu_ms, queries = [], []
    for submission in submissions[WARM_UP:]:
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            if profile:
                profile.enable()
            result = submission_grade(submission_id=submission.pk)
            if profile:
                profile.disable()
            cpu_ms.append((time.process_time() - started) * 1000)
        assert result is not None and result.status == "graded"
        queries.append(len(captured.captured_queries))
    print(f"\n{TIMED} gradings: CPU ms per task median {statistics.median(cpu_ms):.1f} "
          f"(min {min(cpu_ms):.1f}, max {max(cpu_ms):.1f}); queries per task {sorted(set(queries))}")
    if phases:
        print("CPU ms per task in:", {name: round(statistics.median(times[WARM_UP:]), 2) for name, times in phases.items()})
    if os.environ.get("MEASURE_SQL"):
        print("\n".join(query["sql"][:200] for query in captured.captured_queries))
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)


def _phases_timed(monkeypatch) -> dict[str, list[float]]:
    """Time a few named steps of the task (each call's CPU ms)."""
    from courseportal.submissions.services import notify, pipeline

    phases: dict[str, list[float]] = {}

    def timed(module, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                phases.setdefault(name, []).append((time.process_time() - started) * 1000)
        monkeypatch.setattr(module, name, wrapper)

    for name in ("grade_file", "result_fields", "_result_write", "result_notify", "_next_waiting_send", "blob_read"):
        timed(pipeline, name)
    timed(notify, "email_send")
    return phases


def test_stub(course, monkeypatch):
    sandbox = CanonicalStructureSandbox.of(get_checker("lec2_hw1"))
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: sandbox)
    measure(course, monkeypatch)


def test_bwrap(course, monkeypatch):
    measure(course, monkeypatch)

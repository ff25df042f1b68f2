"""``manage.py benchmark`` in a small mode: the whole real stack runs and nothing is lost.

Timing targets are not asserted here (they are read from the full run's figures in
docs/performance.md); this proves the command works end to end on throwaway state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import on_postgresql, scratch_database

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(300)]

REPO_ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--students", "20", "--seconds", "4", "--runs", "1", "--idle-uploads", "3", "--flood",
         "--gradebook-students", "20", "--gradebook-assignments", "3", "--gradebook-submissions", "2"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """The command's JSON figures, and the development state folder it was pointed at.

    In the PostgreSQL pass the benchmark fills an empty database of its own on that server.
    """
    development_state = tmp_path_factory.mktemp("development-state")
    env = {**os.environ, "COURSEPORTAL_VAR_DIR": str(development_state), "DJANGO_SETTINGS_MODULE": "courseportal.settings"}
    env.pop("DATABASE_URL", None)
    with scratch_database("benchmark") as database_url:
        on_database = ["--database-url", database_url] if database_url else []
        finished = subprocess.run([sys.executable, "manage.py", "benchmark", *SMALL, *on_database, "--json"],
                                  cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert finished.returncode == 0, finished.stderr[-4000:]
    return json.loads(finished.stdout.strip().splitlines()[-1]), development_state


def test_deadline_burst_loses_nothing_and_answers_every_upload(small_run):
    figures, _ = small_run
    assert figures["burst_students"] == 20
    assert figures["burst_lost"] == 0
    assert figures["burst_errors"] == 0
    assert figures["burst_grades_per_s"] > 0
    assert 0 < figures["burst_time_to_result_p50_s"] <= figures["burst_time_to_result_p95_s"] \
        <= figures["burst_time_to_result_max_s"]


def test_every_figure_is_measured(small_run):
    figures, _ = small_run
    measured = ["sandbox_overhead_ms", "hw1_grade_s", "hw1_grade_reused_s", "hw1_bare_python_s",
                "python_import_torch_s", "upload_to_result_p50_s", "upload_to_result_p95_s", "gradebook_ms",
                "flood_others_p50_s"]
    assert all(isinstance(figures[name], float) and figures[name] > 0 for name in measured), figures
    assert figures["cores"] == os.cpu_count()
    assert figures["hw1_grade_to_bare_ratio"] == pytest.approx(figures["hw1_grade_s"] / figures["hw1_bare_python_s"],
                                                               rel=0.05)
    # A grading that builds the model in the sandbox costs more than one that reuses the class's build.
    assert figures["hw1_grade_reused_s"] < figures["hw1_grade_s"]


def test_benchmark_ran_on_the_sessions_database_engine(small_run):
    figures, _ = small_run
    assert figures["database"] == ("postgresql" if on_postgresql() else "sqlite")


def test_gradebook_query_count_does_not_grow_with_the_class(small_run):
    figures, _ = small_run
    assert figures["gradebook_small_students"] < 20
    assert figures["gradebook_queries"] == figures["gradebook_small_queries"]


def test_flooding_student_is_rate_limited_without_errors(small_run):
    figures, _ = small_run
    assert figures["flood_errors"] == 0
    assert figures["flood_uploads_sent"] > figures["flood_uploads_refused"] > 0


def test_benchmark_leaves_the_development_state_untouched(small_run):
    _, development_state = small_run
    assert list(development_state.iterdir()) == []

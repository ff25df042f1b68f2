"""``startassignment`` scaffolds a checker that is discovered and grades; ``sync_assignments``
registers every checker in a course, once."""

from __future__ import annotations

import sys
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

import assignments
from courseportal.courses.models import Assignment
from grader import registry
from grader.grading import grade_file
from tests.conftest import checkers_registered


@pytest.fixture
def fresh_registry(settings):
    with checkers_registered(settings):
        yield


@pytest.fixture
def scaffold_folder(tmp_path, monkeypatch, fresh_registry):
    """A second folder of assignment packages, searched like assignments/ itself."""
    folder = tmp_path / "more_assignments"
    folder.mkdir()
    monkeypatch.setattr(assignments, "__path__", [*assignments.__path__, str(folder)])
    yield folder
    for name in [name for name in sys.modules if name.startswith("assignments.lec9_scaffolded")]:
        del sys.modules[name]


def test_a_scaffolded_assignment_is_discovered_and_grades_its_own_starter(scaffold_folder, sandbox):
    call_command("startassignment", "lec9_scaffolded", "--title", "Scaffold test", "--directory", str(scaffold_folder),
                 stdout=StringIO())
    assert registry.discover().errors == {}
    checker = registry.get_checker("lec9_scaffolded")
    starter = checker.starter_path("lec9_scaffolded.py").read_text(encoding="utf-8")

    unanswered = grade_file(checker, filename="a.py", data=starter.encode(), sandbox=sandbox)
    assert (unanswered.status, unanswered.score, unanswered.max_score) == ("graded", 0.0, checker.points)
    assert "No answer found" in unanswered.checks[0].feedback

    filled = starter.replace("總參數量:", f"總參數量: {checker.total_params()}")
    graded = grade_file(checker, filename="a.py", data=filled.encode(), sandbox=sandbox)
    assert graded.score == checker.points
    for name in ("checker.py", "tests/test_checker.py", "tests/golden/unanswered_starter.py"):
        compile((scaffold_folder / "lec9_scaffolded" / name).read_text(), name, "exec")


@pytest.mark.parametrize("slug", ["Lec1", "1abc", "has-dash", "x"])
def test_startassignment_refuses_slugs_that_are_not_python_names(tmp_path, slug):
    with pytest.raises(CommandError, match="not a valid slug"):
        call_command("startassignment", slug, "--directory", str(tmp_path))


def test_startassignment_never_overwrites_an_assignment(tmp_path):
    (tmp_path / "lec2_hw1").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        call_command("startassignment", "lec2_hw1", "--directory", str(tmp_path))


def test_sync_registers_every_checker_once_in_the_course_time_zone(course, fresh_registry):
    output = StringIO()
    call_command("sync_assignments", "--course", course.slug, "--due", "2025-11-30T23:59", stdout=output)
    slugs = set(Assignment.objects.filter(course=course).values_list("slug", flat=True))
    assert {"lec2_hw1", "lec2_hw2", "lec1_mlp_params"} <= slugs
    hw1 = Assignment.objects.get(course=course, slug="lec2_hw1")
    assert hw1.due_at == datetime(2025, 11, 30, 23, 59, tzinfo=ZoneInfo(course.time_zone))
    assert hw1.title == registry.get_checker("lec2_hw1").title
    assert "lec2_hw1: created" in output.getvalue()

    again = StringIO()
    call_command("sync_assignments", "--course", course.slug, "--due", "2026-01-01T00:00", stdout=again)
    assert Assignment.objects.filter(course=course).count() == len(slugs)
    assert Assignment.objects.get(course=course, slug="lec2_hw1").due_at == hw1.due_at
    assert "lec2_hw1: exists, unchanged" in again.getvalue()


def test_sync_explains_an_unknown_course_and_a_bad_date(course):
    with pytest.raises(CommandError, match="No course 'nope'"):
        call_command("sync_assignments", "--course", "nope", "--due", "2025-11-30T23:59")
    with pytest.raises(CommandError, match="not a date"):
        call_command("sync_assignments", "--course", course.slug, "--due", "next friday")

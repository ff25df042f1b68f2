"""``startassignment`` scaffolds a checker that is discovered and grades, written with a handful
of the engine's names."""

from __future__ import annotations

import ast
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

import assignments
from grader import grade_file, registry
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

    filled = starter.replace("總參數量:", f"總參數量: {checker.reference()['total_params']}")
    graded = grade_file(checker, filename="a.py", data=filled.encode(), sandbox=sandbox)
    assert graded.score == checker.points
    for name in ("checker.py", "tests/test_checker.py", "tests/golden/unanswered_starter.py"):
        compile((scaffold_folder / "lec9_scaffolded" / name).read_text(), name, "exec")


def test_a_scaffolded_checker_needs_at_most_five_names_from_the_engine(scaffold_folder):
    call_command("startassignment", "lec9_scaffolded", "--directory", str(scaffold_folder), stdout=StringIO())
    tree = ast.parse((scaffold_folder / "lec9_scaffolded" / "checker.py").read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and (node.module or "").split(".")[0] == "grader" for alias in node.names]
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and (node.module or "").split(".")[0] == "grader"}
    assert modules == {"grader"} and 0 < len(names) <= 5, names


@pytest.mark.parametrize("slug", ["Lec1", "1abc", "has-dash", "x"])
def test_startassignment_refuses_slugs_that_are_not_python_names(tmp_path, slug):
    with pytest.raises(CommandError, match="not a valid slug"):
        call_command("startassignment", slug, "--directory", str(tmp_path))


def test_startassignment_never_overwrites_an_assignment(tmp_path):
    (tmp_path / "lec2_hw1").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        call_command("startassignment", "lec2_hw1", "--directory", str(tmp_path))

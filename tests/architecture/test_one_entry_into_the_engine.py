"""The worker, ``manage.py grade`` and the benchmark grade through one engine function,
``grader.grade_file``, so they cannot drift apart: nothing else calls a checker's ``check``."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_ENTRY = REPO_ROOT / "grader" / "grading.py"
GRADERS = {
    "the worker's grading service": REPO_ROOT / "courseportal/submissions/services/pipeline.py",
    "manage.py grade": REPO_ROOT / "grader/management/commands/grade.py",
    "the benchmark": REPO_ROOT / "courseportal/operations/benchmark/stack_tasks.py",
}


def calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Call)]


def names_imported_from_grader(path: Path) -> set[str]:
    return {alias.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module == "grader" for alias in node.names}


def test_only_the_engine_entry_calls_a_checkers_check():
    callers = [
        f"{path.relative_to(REPO_ROOT)}:{call.lineno}"
        for folder in ("courseportal", "grader")
        for path in (REPO_ROOT / folder).rglob("*.py")
        for call in calls(path)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "check" and len(call.args) == 2
    ]
    assert callers == [f"{ENGINE_ENTRY.relative_to(REPO_ROOT)}:{call.lineno}" for call in calls(ENGINE_ENTRY)
                       if isinstance(call.func, ast.Attribute) and call.func.attr == "check"]


def test_the_worker_the_grade_command_and_the_benchmark_grade_with_grader_grade_file():
    for who, path in GRADERS.items():
        called = {call.func.id for call in calls(path) if isinstance(call.func, ast.Name)}
        assert "grade_file" in called and "grade_file" in names_imported_from_grader(path), who

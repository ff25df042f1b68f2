"""Time rules live in ``courseportal/courses/deadlines.py``: nothing else compares an assignment's
dates with the clock, in code or in a template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOME = REPO_ROOT / "courseportal" / "courses" / "deadlines.py"
DATES = {"due_at", "opens_at"}
CLOCK = {"now", "at", "today"}


def names_in(node: ast.AST) -> set[str]:
    return {getattr(child, "attr", getattr(child, "id", "")) for child in ast.walk(node)}


def clock_comparisons(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Compare) and names_in(node) & DATES and names_in(node) & CLOCK]


def test_no_code_but_the_deadlines_module_compares_assignment_dates_with_the_clock():
    found = [f"{path.relative_to(REPO_ROOT)}:{line}"
             for path in (REPO_ROOT / "courseportal").rglob("*.py")
             if path != HOME and "migrations" not in path.parts
             for line in clock_comparisons(path)]
    assert found == []
    assert clock_comparisons(HOME), "the deadlines module itself must be what the scan finds"


def test_no_template_measures_time_to_an_assignment_date():
    measured = re.compile(r"(due_at|opens_at)\s*\|\s*(timeuntil|timesince)")
    found = [str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "courseportal").rglob("*.html")
             if measured.search(path.read_text(encoding="utf-8"))]
    assert found == []

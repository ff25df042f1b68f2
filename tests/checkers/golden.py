"""Golden tests for checkers: real submissions in ``<checker folder>/tests/golden/``, each with the
result it must get in ``<name>.expected.json`` next to it.

Run with ``UPDATE_GOLDEN=1`` to write the expected files from the current checker, then read the
diff before keeping it: an expected file is a claim about what the student is told.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from grader.checker import Checker, Sandbox
from grader.grading import grade_file

EXPECTED_SUFFIX = ".expected.json"


def golden_submissions(checker_class: type[Checker]) -> list[Path]:
    """Every submission in the checker's ``tests/golden`` folder, sorted by name."""
    folder = checker_class.folder() / "tests" / "golden"
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and not path.name.endswith(EXPECTED_SUFFIX) and not path.name.startswith(".")
    )


def golden_result(checker: Checker, submission: Path, sandbox: Sandbox) -> dict[str, Any]:
    """The result of grading ``submission`` as the worker would, minus the captured output.

    The golden file's name stands in for the uploaded name, with its extension.
    """
    result = grade_file(checker, filename=submission.name, data=submission.read_bytes(), sandbox=sandbox)
    document = result.to_dict()
    document.pop("output")
    return document


def assert_matches_golden(document: dict[str, Any], submission: Path) -> None:
    expected_path = submission.with_name(submission.name + EXPECTED_SUFFIX)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not expected_path.is_file():
        raise AssertionError(
            f"{submission.name} has no expected result yet: run UPDATE_GOLDEN=1 pytest on this test, "
            f"then read {expected_path.name} and keep it only if every score and message is right."
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert document == expected, f"{submission.name} no longer gets the result in {expected_path.name}"

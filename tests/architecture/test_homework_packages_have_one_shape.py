"""Every homework package in ``assignments/`` has the same shape: ``checker.py``, ``reference.py``
where it has one, the starter files its checker declares, and ``tests/`` with golden files and their
test. Nothing else, so a TA who has read one knows where everything is in all of them."""

from __future__ import annotations

from pathlib import Path

import pytest

import assignments
from grader.registry import all_checkers
from grader.testing import EXPECTED_SUFFIX, golden_submissions

ASSIGNMENTS = Path(assignments.__file__).resolve().parent
PACKAGES = sorted(path for path in ASSIGNMENTS.iterdir() if path.is_dir() and (path / "__init__.py").is_file())


def checker_in(folder: Path):
    return next(cls for cls in all_checkers().values() if cls.folder() == folder)


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda path: path.name)
def test_a_homework_package_holds_only_its_checker_reference_starters_and_tests(folder):
    allowed = {"__init__.py", "checker.py", "reference.py", "tests", "__pycache__", *checker_in(folder).starter_files}
    assert sorted(entry.name for entry in folder.iterdir() if entry.name not in allowed) == []


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda path: path.name)
def test_a_homework_package_has_golden_submissions_with_expected_results_and_their_test(folder):
    checker = checker_in(folder)
    submissions = golden_submissions(checker)
    assert (folder / "tests" / "test_checker.py").is_file()
    assert submissions, f"{folder.name} has no golden submissions"
    assert all(path.with_name(path.name + EXPECTED_SUFFIX).is_file() for path in submissions)

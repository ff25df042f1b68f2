"""Real lec2_hw1 submissions in, the results students are told out (see tests/checkers/golden.py)."""

from __future__ import annotations

import shutil

import pytest

from assignments.lec2_hw1.checker import NetHWSizesChecker
from assignments.lec2_hw1.reference import reference_load
from tests.checkers.golden import assert_matches_golden, golden_result, golden_submissions


@pytest.fixture(scope="module")
def reference_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("lec2_hw1-reference")
    reference_load(version=NetHWSizesChecker().version, cache_dir=cache)
    return cache


@pytest.mark.parametrize("submission", golden_submissions(NetHWSizesChecker), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, settings, reference_cache, sandbox):
    shutil.copytree(reference_cache, settings.GRADER_CACHE_DIR, dirs_exist_ok=True)
    assert_matches_golden(golden_result(NetHWSizesChecker(), submission, sandbox), submission)

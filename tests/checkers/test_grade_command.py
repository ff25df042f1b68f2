"""``manage.py grade <slug> <file> --json`` prints the worker's result object, always as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from assignments.lec2_hw1.tests.solution import full_marks_text

ROOT = Path(__file__).resolve().parents[2]


def run_grade(path: Path) -> tuple[int, dict]:
    stdout = StringIO()
    code = 0
    try:
        call_command("grade", "lec2_hw1", str(path), "--json", stdout=stdout)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(stdout.getvalue())


def test_a_correct_file_is_graded_in_the_sandbox_with_full_marks(references_cached_once, tmp_path):
    path = tmp_path / "anything.py"  # no account/file-name rule here
    path.write_text(full_marks_text(), encoding="utf-8")
    code, result = run_grade(path)
    assert code == 0
    assert (result["status"], result["score"], result["max_score"]) == ("graded", 25.0, 25.0)
    unchanged = next(item for item in result["checks"] if item["name"] == "model_unchanged")
    assert unchanged["passed"], unchanged["feedback"]


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("empty.py", b"", "empty"),
        ("binary.py", b"\x7fELF\x02\x01\x01\x00\x00\x00" * 20, "binary"),
        ("broken.ipynb", b'{"cells": [', "not a valid Jupyter notebook"),
        ("unreadable.py", bytes(range(128, 256)) * 8, "Big5"),
        ("answers.txt", b"conv1: input (1, 3, 32, 32)", "not accepted"),
    ],
)
def test_content_an_upload_would_refuse_is_rejected_with_a_message(tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    code, result = run_grade(path)
    assert code != 0
    assert result["status"] == "rejected" and words in result["message"]


def test_a_missing_file_is_rejected_as_json(tmp_path):
    code, result = run_grade(tmp_path / "nowhere.py")
    assert code != 0 and result["status"] == "rejected"


def test_the_command_line_prints_json_and_no_traceback(tmp_path):
    path = tmp_path / "empty.py"
    path.write_bytes(b"")
    completed = subprocess.run(
        [sys.executable, "manage.py", "grade", "lec2_hw1", str(path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "GRADER_CACHE_DIR": str(tmp_path / "cache"), "SANDBOX": "unsafe-dev"},
    )
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["status"] == "rejected"
    assert "Traceback" not in completed.stderr


def test_a_result_that_needs_review_says_so_and_shows_each_reading(references_cached_once):
    golden = ROOT / "assignments" / "lec2_hw1" / "tests" / "golden" / "review_two_different_answers_without_a_final_one.py"
    stdout = StringIO()
    call_command("grade", "lec2_hw1", str(golden), stdout=stdout)
    printed = stdout.getvalue()
    assert "needs review" in printed.splitlines()[0]
    assert "[TA?] pool1.output" in printed and "reading: “(1, 32, 16, 16)”" in printed


def test_several_files_are_graded_in_turn_one_json_line_each_and_the_exit_status_is_the_worst(
        references_cached_once, tmp_path):
    right, empty = tmp_path / "right.py", tmp_path / "empty.py"
    right.write_text(full_marks_text(), encoding="utf-8")
    empty.write_bytes(b"")
    stdout = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("grade", "lec2_hw1", str(right), str(empty), "--json", stdout=stdout)

    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert exit_.value.code == 1
    assert [line["file"] for line in lines] == [str(right), str(empty)]
    assert [line["result"]["status"] for line in lines] == ["graded", "rejected"]
    assert lines[0]["result"]["score"] == 25.0 and all(line["elapsed_s"] >= 0 for line in lines)

"""A checker's version (the key of its cached references, and of its starter's handout lines) is
worked out once per process for each state of its files, yet a TA's edit of the checker or its
starter makes a new version at the next grading; its tests and compiled files never do."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from grader.checker import folder_version, version_derived


def checker_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hw"
    (folder / "tests" / "golden").mkdir(parents=True)
    (folder / "__pycache__").mkdir()
    (folder / "data").mkdir()
    (folder / "checker.py").write_text("class C: pass\n")
    (folder / "starter.py").write_text("# write your answers here\n")
    (folder / "data" / "weights.txt").write_text("1 2 3\n")
    (folder / "tests" / "golden" / "full_marks.py").write_text("# 42\n")
    (folder / "__pycache__" / "checker.cpython-311.pyc").write_bytes(b"\0compiled")
    return folder


def digest_of_every_file(folder: Path) -> str:
    """The version as it was defined before it was cached: every file but tests and compiled ones."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and relative.parts[0] not in ("tests", "__pycache__") and path.suffix != ".pyc":
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def test_the_version_is_the_digest_of_the_checkers_files(tmp_path):
    folder = checker_folder(tmp_path)
    assert folder_version(folder) == digest_of_every_file(folder)


def test_an_edited_starter_makes_a_new_version_and_a_new_handout(tmp_path):
    folder = checker_folder(tmp_path)
    first = folder_version(folder)
    assert version_derived(folder, first, "handout", lambda: "old") == "old"
    starter = folder / "starter.py"
    starter.write_text("# write your ANSWERS here\n")  # the same size: only its time tells
    os.utime(starter, ns=(starter.stat().st_atime_ns, starter.stat().st_mtime_ns + 1_000_000))
    second = folder_version(folder)
    assert second != first and second == digest_of_every_file(folder)
    assert version_derived(folder, second, "handout", lambda: "new") == "new"
    assert version_derived(folder, second, "handout", lambda: "computed again") == "new"


def test_a_new_file_makes_a_new_version_but_tests_and_compiled_files_do_not(tmp_path):
    folder = checker_folder(tmp_path)
    first = folder_version(folder)
    (folder / "tests" / "golden" / "another.py").write_text("# 41\n")
    (folder / "__pycache__" / "starter.cpython-311.pyc").write_bytes(b"\0")
    (folder / "data" / "stale.pyc").write_bytes(b"\0")
    assert folder_version(folder) == first
    (folder / "data" / "more.txt").write_text("4\n")
    assert folder_version(folder) != first and folder_version(folder) == digest_of_every_file(folder)

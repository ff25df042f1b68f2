"""Hostile submissions graded through the real path (``manage.py grade`` in a subprocess).

Each suite grades all its hostile files in turn in one ``manage.py grade`` process, so they share
one warm sandbox pool as a worker's queue would: one run's attack must not reach the next.

Secrets, the database and other students' files are placed where a careless sandbox would show
them: world-readable (and the decoys world-writable), so only the sandbox's own view of the
filesystem protects them. For every case: the grade finishes on time with a clear message, the
answer is still graded, no secret is in the result, nothing outside scratch changed, no
connection arrived and no process survived.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.sandbox.conftest import needs_bwrap_as_root
from tests.sandbox.hostile import (
    HOSTILE_CASES,
    LEC2_HW1_FULL_MARKS,
    TAMPERING_LOG_LINE,
    WRITE_MARKER,
    HostileCase,
    lec2_hw1_submission,
    listen_on_a_free_port,
    processes_left,
    uid_claimed_by,
)
from tests.sandbox.hostile_checker import LIMITS, HostileSuiteChecker

pytestmark = [pytest.mark.slow, pytest.mark.sandbox, needs_bwrap_as_root]

REPO_ROOT = Path(__file__).resolve().parents[2]
# Replacing a zygote that imports torch (after a run that killed it, say), on a shared 2-core machine.
START_UP_MARGIN_S = 12.0
MARKER_FOLDERS = ["/", "/etc", "/usr", "/usr/lib", "/opt", "/work", str(REPO_ROOT), sys.prefix,
                  os.path.join(sys.prefix, "lib"), "/var", "/root", "/tmp"]


@dataclass
class HostSetup:
    """A worker's world as a hostile file would love to see it."""

    folder: Path
    token: str
    env: dict[str, str]
    decoys: dict[Path, bytes]
    listener: socket.socket

    def changed_decoys(self) -> list[str]:
        return [str(path) for path, content in self.decoys.items() if path.read_bytes() != content]


@pytest.fixture(scope="module")
def host() -> Iterator[HostSetup]:
    folder = Path(tempfile.mkdtemp(prefix="hostile-host-", dir="/tmp"))
    folder.chmod(0o777)
    token = secrets.token_hex(12)
    database = folder / "courseportal.sqlite3"
    other_students_file = folder / "media" / "blobs" / "310510999_lec2_hw1.py"
    decoys = {
        database: f"DECOY database {token}\n".encode(),
        other_students_file: f"DECOY another student's answers {token}\n".encode(),
    }
    for path, content in decoys.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o777)
        path.write_bytes(content)
        path.chmod(0o666)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "DJANGO_SETTINGS_MODULE": "courseportal.settings",
        "DJANGO_ENV": "development",
        "SANDBOX": os.environ.get("HOSTILE_SUITE_SANDBOX", "bwrap"),
        "SECRET_KEY": f"worker-secret-key-{token}",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": f"redis://:broker-password-{token}@127.0.0.1:6390/0",
        "COURSEPORTAL_VAR_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "GRADER_CACHE_DIR": str(REPO_ROOT / "var" / "cache"),
        "GRADER_EXTRA_CHECKER_MODULES": "tests.sandbox.hostile_checker",
    }
    listener = listen_on_a_free_port()
    try:
        yield HostSetup(folder, token, env, decoys, listener)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Graded:
    result: dict
    raw_output: str  # everything the grading process printed, for all the files it graded
    elapsed_s: float  # this file's grading, in a warm pool
    slot_uid: int | None  # the sandbox uid the grading process claimed


def grade_in_turn(host: HostSetup, slug: str, files: dict[str, tuple[str, bytes]]) -> dict[str, Graded]:
    """Grade ``files`` (key -> (file name, content)) one after another in one grading process."""
    paths = []
    for key, (file_name, content) in files.items():
        path = host.folder / "upload" / slug / key / file_name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        paths.append(path)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "grade", slug, *map(str, paths), "--json"],
        cwd=REPO_ROOT, env=host.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,  # a hostile file that escaped must not reach pytest's process group
    )
    try:
        stdout, stderr = process.communicate(timeout=60 * len(files))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
    assert process.returncode == 0, f"grade exited {process.returncode}:\n{stderr.decode()[-3000:]}"
    # Read at once: the claim's note stays only until another process (another test process,
    # say) claims that uid.
    slot_uid = uid_claimed_by(process.pid)
    raw_output = stdout.decode() + stderr.decode()
    lines = [json.loads(line) for line in stdout.decode().splitlines()]
    assert [line["file"] for line in lines] == list(map(str, paths))
    return {key: Graded(line["result"], raw_output, line["elapsed_s"], slot_uid)
            for key, line in zip(files, lines, strict=True)}


@pytest.fixture(scope="module")
def suite_graded(host) -> dict[str, Graded]:
    return grade_in_turn(host, HostileSuiteChecker.slug,
                         {case.file_name: (case.file_name, case.read_bytes()) for case in HOSTILE_CASES})


def reported_to_staff(graded: Graded) -> bool:
    """The result carries a note for course staff about this run (the grading log says it too)."""
    return bool(graded.result.get("staff_notes"))


def assert_nothing_escaped(host: HostSetup, graded: Graded) -> None:
    assert host.token not in graded.raw_output, "a secret reached the stored result or the logs"
    assert host.changed_decoys() == []
    planted = [folder for folder in MARKER_FOLDERS + [str(host.folder)] if os.path.exists(os.path.join(folder, WRITE_MARKER))]
    for folder in planted:
        os.unlink(os.path.join(folder, WRITE_MARKER))
    assert planted == []
    with pytest.raises(BlockingIOError):
        host.listener.accept()
    assert graded.slot_uid is not None and graded.slot_uid >= settings.SANDBOX_BASE_UID
    assert processes_left({graded.slot_uid}, wait_s=5.0) == []


@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda case: case.file_name.removesuffix(".py"))
def test_hostile_submission_is_contained_and_still_graded(host, suite_graded, case: HostileCase):
    graded = suite_graded[case.file_name]
    result = graded.result
    assert graded.elapsed_s < LIMITS.wall_seconds + START_UP_MARGIN_S
    checks = {check["name"]: check for check in result["checks"]}
    assert result["status"] == "graded"
    assert checks["answer"]["passed"] and checks["answer"]["points"] == 5.0
    assert checks["runs"]["passed"] is case.runs_cleanly
    assert result["score"] == (10.0 if case.runs_cleanly else 5.0)
    if case.limits:
        assert any(LIMITS.describe(limit) == result["message"] for limit in case.limits), result["message"]
    assert case.message_contains in result["message"]
    assert reported_to_staff(graded) is case.reported_to_staff, result
    if case.reported_to_staff:
        assert TAMPERING_LOG_LINE in graded.raw_output  # and in the grading process's log
    assert_nothing_escaped(host, graded)


def test_printing_hundreds_of_megabytes_keeps_the_end_of_the_output(suite_graded):
    output = suite_graded["print_flood.py"].result["output"]
    assert output.startswith("[… ") and "earlier bytes not shown" in output
    assert len(output.encode()) <= LIMITS.output_bytes + 200
    assert output.rstrip().endswith("flood")


lec2_hw1_ready = pytest.mark.skipif(
    not (REPO_ROOT / "assignments/lec2_hw1/checker.py").exists() or not LEC2_HW1_FULL_MARKS.exists(),
    reason="the lec2_hw1 checker is not there yet",
)


LEC2_HW1_CASES = [case for case in HOSTILE_CASES if case.file_name != "well_behaved.py"]


@pytest.fixture(scope="module")
def lec2_hw1_graded(host) -> dict[str, Graded]:
    return grade_in_turn(host, "lec2_hw1", {case.file_name: ("310510123_lec2_hw1.py", lec2_hw1_submission(case))
                                            for case in LEC2_HW1_CASES})


@lec2_hw1_ready
@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", LEC2_HW1_CASES, ids=lambda case: case.file_name.removesuffix(".py"))
def test_hostile_lec2_hw1_submission_still_gets_every_answer_marked(host, lec2_hw1_graded, case: HostileCase):
    from assignments.lec2_hw1.checker import NetHWSizesChecker

    graded = lec2_hw1_graded[case.file_name]
    result = graded.result
    checker_limits = NetHWSizesChecker.limits
    assert graded.elapsed_s < checker_limits.wall_seconds + START_UP_MARGIN_S
    assert result["status"] == "graded"
    assert result["score"] == result["max_score"] == NetHWSizesChecker.points
    structure = {check["name"]: check for check in result["checks"]}["model_unchanged"]
    assert structure["passed"] is case.runs_cleanly
    if case.limits:
        assert any(checker_limits.describe(limit) in structure["feedback"] for limit in case.limits), structure
    elif not case.runs_cleanly:
        assert case.message_contains in structure["feedback"]
    assert reported_to_staff(graded) is case.reported_to_staff, result
    assert_nothing_escaped(host, graded)

"""Sandbox uids are claimed host-wide: no two live processes share one, a dead one's is reused.

Several worker containers on one host mount the same claims folder; here separate processes stand
in for them (a flock behaves the same across containers: same kernel, same file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from grader.sandbox import cgroups
from grader.sandbox.slots import UID_RANGE, claim_sandbox_uid, uid_is_claimed
from grader.sandbox.types import SandboxFailure, SandboxRequest
from tests.sandbox.conftest import harness, needs_bwrap_as_root

pytestmark = pytest.mark.sandbox
REPO_ROOT = Path(__file__).resolve().parents[2]
BASE = 61000
# A process that claims a uid, prints it, and holds it until its stdin closes (or it is killed).
HOLDER = """
import sys
from pathlib import Path
from grader.sandbox.slots import claim_sandbox_uid
claim = claim_sandbox_uid({base}, claims_dir=Path({claims_dir!r}), first_choice=0)
print(claim.uid, flush=True)
sys.stdin.read()
"""


def start_holder(claims_dir: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER.format(base=BASE, claims_dir=str(claims_dir))],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    return process, int(process.stdout.readline())


def test_processes_claiming_at_the_same_moment_never_get_the_same_uid(tmp_path):
    holders = [
        subprocess.Popen([sys.executable, "-c", HOLDER.format(base=BASE, claims_dir=str(tmp_path))],
                         cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    try:
        uids = [int(holder.stdout.readline()) for holder in holders]
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
    assert sorted(uids) == list(range(BASE, BASE + 8))


def test_a_killed_processes_uid_is_claimed_again(tmp_path):
    holder, held_uid = start_holder(tmp_path)
    assert uid_is_claimed(held_uid, claims_dir=tmp_path)
    beside = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    assert beside.uid != held_uid
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert not uid_is_claimed(held_uid, claims_dir=tmp_path)
    again = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    assert again.uid == held_uid
    beside.release()
    again.release()


def test_a_released_uid_is_free_again_and_one_process_can_hold_several(tmp_path):
    first = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    second = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    assert (first.uid, second.uid) == (BASE, BASE + 1)
    assert f"pid {os.getpid()} on " in (tmp_path / str(BASE)).read_text()
    first.release()
    assert not uid_is_claimed(BASE, claims_dir=tmp_path) and uid_is_claimed(BASE + 1, claims_dir=tmp_path)
    again = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    assert again.uid == BASE
    again.release()
    second.release()


def test_claims_start_at_the_preferred_uid_and_wrap_round_the_range(tmp_path):
    claims = [claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=UID_RANGE - 1) for _ in range(2)]
    assert [claim.uid for claim in claims] == [BASE + UID_RANGE - 1, BASE]
    for claim in claims:
        claim.release()


def test_a_forked_child_does_not_keep_its_parents_uid_held(tmp_path):
    claim = claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0)
    ready_read, ready_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(ready_write, b"forked")  # fork's after-child hooks have run by now
        time.sleep(30)
        os._exit(0)
    os.close(ready_write)
    assert os.read(ready_read, 6) == b"forked"
    os.close(ready_read)
    try:
        assert uid_is_claimed(claim.uid, claims_dir=tmp_path)
        claim.release()  # the parent is done with it while the child lives on
        assert not uid_is_claimed(claim.uid, claims_dir=tmp_path)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_every_uid_held_is_a_clear_sandbox_failure(tmp_path):
    claims = [claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0, uid_range=2) for _ in range(2)]
    with pytest.raises(SandboxFailure, match=f"all 2 sandbox uids from {BASE} are held by other processes"):
        claim_sandbox_uid(BASE, claims_dir=tmp_path, first_choice=0, uid_range=2)
    for claim in claims:
        claim.release()


@needs_bwrap_as_root
def test_a_pool_runs_student_code_as_the_uid_it_claimed_and_gives_it_back_when_closed(make_pool):
    pool = make_pool()
    assert pool.run(SandboxRequest(harness=harness("return os.getuid()"), entry="main")).data == pool.uid
    assert uid_is_claimed(pool.uid)
    pool.close()
    assert not uid_is_claimed(pool.uid)


@pytest.mark.skipif("memory" not in cgroups.available_controllers(), reason="needs a writable memory cgroup")
def test_only_run_cgroups_of_uids_nobody_holds_are_removed_as_orphans():
    held = claim_sandbox_uid(settings.SANDBOX_BASE_UID)
    ours = claim_sandbox_uid(settings.SANDBOX_BASE_UID)
    free_uid = next(uid for uid in range(settings.SANDBOX_BASE_UID + UID_RANGE - 1, settings.SANDBOX_BASE_UID, -1)
                    if not uid_is_claimed(uid))
    parent = cgroups.CGROUP_ROOT / "memory" / cgroups.PARENT
    parent.mkdir(exist_ok=True)
    # Another container's live run (its pid means nothing here), a dead process's, a stale one of ours.
    live, orphan, stale = (parent / f"uid{uid}-pid1-run1" for uid in (held.uid, free_uid, ours.uid))
    try:
        for path in (live, orphan, stale):
            path.mkdir()
        cgroups.remove_orphans(own_uid=ours.uid)
        assert live.is_dir() and not orphan.exists() and not stale.exists()
    finally:
        for path in (live, orphan, stale):
            if path.exists():
                path.rmdir()
        held.release()
        ours.release()

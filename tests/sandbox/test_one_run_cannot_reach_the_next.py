"""Nothing one run does in its warm sandbox reaches the next run graded there.

A run shares its zygote's uid and IPC namespace, so it can lower the zygote's limits, priority and
CPU share (every later child inherits them) and leave IPC objects for the next student to read.
Each attack here is made for real; the run that made it is reported to staff, its own result still
stands, and the next run in the same pool sees the sandbox exactly as before the attack.
"""

from __future__ import annotations

import itertools
import logging
import os
import statistics
import time
from dataclasses import dataclass, replace

import pytest

from grader.sandbox.pool import WARM_MODULES
from grader.sandbox.types import SandboxLimits, SandboxOutcome, SandboxRequest
from tests.sandbox.conftest import harness, needs_bwrap_as_root
from tests.sandbox.hostile import HOSTILE_CASES, LEC2_HW1_FULL_MARKS, TAMPERING_LOG_LINE, lec2_hw1_submission

pytestmark = [pytest.mark.sandbox, needs_bwrap_as_root]

QUICK = SandboxLimits(wall_seconds=15, cpu_seconds=10, memory_bytes=512 * 1024**2, processes=16)
IOPRIO_SET = {"x86_64": 251, "aarch64": 30}.get(os.uname().machine)

# What a run inherits from the zygote, as the run itself sees it, and the zygote's own limits.
IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(os.uname().machine, -1)
INHERITED_VIEW = f"""
import ctypes, resource
names = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))
return {{
    "limits": {{name: resource.getrlimit(getattr(resource, name)) for name in names}},
    "zygote_limits": open("/proc/2/limits").read(),
    "nice": os.getpriority(os.PRIO_PROCESS, 0),
    "policy": os.sched_getscheduler(0),
    "affinity": sorted(os.sched_getaffinity(0)),
    "io_priority": ctypes.CDLL(None, use_errno=True).syscall({IOPRIO_GET}, 1, 0),
}}
"""


def request(body: str, limits: SandboxLimits = QUICK) -> SandboxRequest:
    return SandboxRequest(harness=harness(body), entry="main", limits=limits)


@dataclass(frozen=True)
class ZygoteAttack:
    name: str
    body: str  # returns True once the change to PID 2 was made
    reported_as: str  # words of the staff report


ZYGOTE_ATTACKS = [
    ZygoteAttack("open_files", "import resource\nresource.prlimit(2, resource.RLIMIT_NOFILE, (64, 64))\nreturn True",
                 "RLIMIT_NOFILE from"),
    ZygoteAttack("data_size", "import resource\nresource.prlimit(2, resource.RLIMIT_DATA, (64 * 1024**2,) * 2)\n"
                 "return True", "RLIMIT_DATA from"),
    ZygoteAttack("cpu_time", "import resource\nresource.prlimit(2, resource.RLIMIT_CPU, (3, 3))\nreturn True",
                 "RLIMIT_CPU from"),
    ZygoteAttack("nice", "os.setpriority(os.PRIO_PROCESS, 2, 19)\nreturn True", "nice from 0 to 19"),
    ZygoteAttack("nice_of_every_process_of_the_uid", "os.setpriority(os.PRIO_USER, os.getuid(), 19)\nreturn True",
                 "nice from 0 to 19"),
    ZygoteAttack("idle_scheduling", "os.sched_setscheduler(2, os.SCHED_IDLE, os.sched_param(0))\nreturn True",
                 "scheduling policy from SCHED_OTHER to SCHED_IDLE"),
    ZygoteAttack("batch_scheduling", "os.sched_setscheduler(2, os.SCHED_BATCH, os.sched_param(0))\nreturn True",
                 "scheduling policy from SCHED_OTHER to SCHED_BATCH"),
    ZygoteAttack("one_cpu", "os.sched_setaffinity(2, {min(os.sched_getaffinity(0))})\nreturn True", "CPU affinity"),
    ZygoteAttack("idle_io", f"import ctypes\nreturn ctypes.CDLL(None).syscall({IOPRIO_SET}, 1, 2, 3 << 13) == 0",
                 "I/O priority from default class, level 0 to idle class, level 0"),
]


@pytest.mark.parametrize("attack", ZYGOTE_ATTACKS, ids=lambda attack: attack.name)
def test_a_run_that_changes_its_zygote_is_reported_and_the_next_run_inherits_nothing_of_it(make_pool, attack, caplog):
    if attack.name == "one_cpu" and len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: pinning to it changes nothing")
    pool = make_pool()
    before = pool.run(request(INHERITED_VIEW)).data
    with caplog.at_level(logging.WARNING, logger="grader.sandbox.pool"):
        attacked = pool.run(request(attack.body))
    assert attacked.data is True, attacked  # the attack worked inside, and the run's own result stands
    assert attacked.tampered_with_sandbox
    assert any(attack.reported_as in sentence for sentence in attacked.sandbox_tampering), attacked.sandbox_tampering
    assert f"sandbox run {attacked.run_id} " in caplog.text and TAMPERING_LOG_LINE in caplog.text
    after = pool.run(request(INHERITED_VIEW))
    assert after.data == before
    assert not after.tampered_with_sandbox
    assert pool.zygotes_started == 2  # a hard limit or nice cannot be undone: a new zygote serves


def test_a_process_left_running_cannot_change_the_zygote_after_it_was_checked(make_pool):
    pool = make_pool()
    before = pool.run(request(INHERITED_VIEW)).data
    # The daemon waits for the run's own process to end, then lowers PID 2's nice at once: the
    # zygote must have killed it before looking at its settings, or reported the change.
    lurker = pool.run(request(
        "run = os.getpid()\nif os.fork() == 0:\n    os.setsid()\n"
        "    while os.path.exists(f'/proc/{run}/stat') and open(f'/proc/{run}/stat').read().split()[2] != 'Z':\n"
        "        pass\n    os.setpriority(os.PRIO_PROCESS, 2, 19)\n    os._exit(0)\nreturn True"
    ))
    after = pool.run(request(INHERITED_VIEW))
    assert after.data == before, lurker.sandbox_tampering


def test_a_run_forked_after_a_limit_was_lowered_still_gets_the_limits_it_was_promised(make_pool):
    pool = make_pool()
    pool.run(request("import resource\nresource.prlimit(2, resource.RLIMIT_NOFILE, (64, 64))\nreturn 1"))
    opens_many = pool.run(request("files = [open('/dev/null') for _ in range(500)]\nreturn len(files)"))
    assert opens_many.ok and opens_many.data == 500, opens_many


def test_ipc_objects_a_run_leaves_are_removed_before_the_next_run_in_the_same_zygote(make_pool, caplog):
    leaver = next(case for case in HOSTILE_CASES if case.file_name == "leave_ipc_objects.py")
    pool = make_pool()
    with caplog.at_level(logging.WARNING, logger="grader.sandbox.pool"):
        left = pool.run(run_file(leaver.read_bytes()))
    assert left.ok and left.stdout.startswith("left ") and "-1" not in left.stdout  # each object was made
    assert left.sandbox_tampering == (
        "left 1 SysV shared memory segment (64 MB)", "left 1 SysV message queue (6 bytes)",
        "left 1 SysV semaphore set", "left 1 POSIX message queue",
    )
    assert f"sandbox run {left.run_id} " in caplog.text and "Cleaned up; the zygote serves on." in caplog.text
    seen = pool.run(request(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "return {'sysv': [open('/proc/sysvipc/' + kind).read().count(chr(10)) - 1 for kind in ('shm', 'msg', 'sem')],"
        " 'posix': os.listdir('/dev/mqueue'), 'shmget': libc.shmget(0x5EC12E7, 0, 0),"
        " 'mq_open': libc.mq_open(b'/courseportal-channel', os.O_RDONLY)}"
    ))
    assert seen.data == {"sysv": [0, 0, 0], "posix": [], "shmget": -1, "mq_open": -1}
    assert not seen.tampered_with_sandbox
    assert pool.zygotes_started == 1  # the same warm zygote served both


def test_shared_memory_left_by_three_runs_is_given_back_to_the_host(make_pool):
    segment_bytes = 256 * 1024**2
    leave_segment = (
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
        f"segment = libc.shmget(0, {segment_bytes}, 0o1600)\n"
        f"ctypes.memset(libc.shmat(segment, None, 0), 1, {segment_bytes})\nreturn segment"
    )
    pool = make_pool()
    limits = replace(QUICK, memory_bytes=segment_bytes + 256 * 1024**2)
    host_shared_before = host_shared_memory_bytes()
    outcomes = [pool.run(request(leave_segment, limits)) for _ in range(3)]
    assert [outcome.sandbox_tampering for outcome in outcomes] == [("left 1 SysV shared memory segment (256 MB)",)] * 3
    # 768 MB would still be held; other work on the host moves this figure by far less.
    assert host_shared_memory_bytes() - host_shared_before < segment_bytes / 2
    assert pool.zygotes_started == 1


def test_keyring_calls_fail_so_no_key_reaches_the_next_run(make_pool):
    keyring = next(case for case in HOSTILE_CASES if case.file_name == "keyring_channel.py")
    pool = make_pool()
    tried = pool.run(run_file(keyring.read_bytes()))
    assert tried.ok
    assert tried.stdout.count("Function not implemented") == 2, tried.stdout  # session and user keyring
    assert not tried.tampered_with_sandbox  # nothing was changed, so nothing to report
    keys = pool.run(request("return open('/proc/keys').read()")).data
    assert "courseportal-channel" not in keys


def host_shared_memory_bytes() -> int:
    with open("/proc/meminfo") as meminfo:
        fields = dict(line.split(":", 1) for line in meminfo)
    return int(fields["Shmem"].split()[0]) * 1024


def run_file(content: bytes) -> SandboxRequest:
    body = "import runpy\nrunpy.run_path(os.path.join(scratch, 'submission.py'))\nreturn True"
    return SandboxRequest(harness=harness(body), entry="main", files={"submission.py": content}, limits=QUICK)


class RecordingSandbox:
    """The pool, keeping every outcome, so a test can look past what grade_file returns."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.outcomes: list[SandboxOutcome] = []

    def run(self, request: SandboxRequest) -> SandboxOutcome:
        outcome = self.pool.run(request)
        self.outcomes.append(outcome)
        return outcome


@pytest.mark.timeout(300)
def test_an_honest_file_graded_after_each_attacker_in_the_same_warm_pool_gets_the_same_result_as_fast(make_pool):
    from assignments.lec2_hw1.checker import NetHWSizesChecker
    from grader.grading import grade_file

    checker = NetHWSizesChecker()
    sandbox = RecordingSandbox(make_pool(warm_modules=WARM_MODULES))
    full_marks, serials = LEC2_HW1_FULL_MARKS.read_bytes(), itertools.count()

    def honest() -> bytes:
        # A statement of its own: its code runs in the zygote, not reused from an earlier honest run.
        return full_marks + b"\nhonest_upload = %d\n" % next(serials)

    def grade(data: bytes):
        started = time.perf_counter()
        result = grade_file(checker, filename="310510123_lec2_hw1.py", data=data, sandbox=sandbox)
        return result, time.perf_counter() - started

    grade(honest())  # the zygote imports torch
    baseline_result, _ = grade(honest())
    baseline_s = statistics.median(grade(honest())[1] for _ in range(5))
    assert baseline_result.score == baseline_result.max_score
    attackers = [case for case in HOSTILE_CASES if case.file_name in (
        "tamper_with_zygote.py", "leave_ipc_objects.py", "keyring_channel.py", "kill_parent.py")]
    for attacker in attackers:
        attacked, _ = grade(lec2_hw1_submission(attacker))
        runs_before = len(sandbox.outcomes)
        assert attacked.score == attacked.max_score, (attacker.file_name, attacked.message)  # still theirs
        assert sandbox.outcomes[-1].tampered_with_sandbox is attacker.reported_to_staff, attacker.file_name
        sandbox.pool.prestart(wait=True)  # a replaced zygote has imported torch again
        after = [grade(honest()) for _ in range(3)]
        assert len(sandbox.outcomes) == runs_before + 3, "every honest file ran"
        assert all(result == baseline_result for result, _ in after), attacker.file_name
        assert not any(outcome.tampered_with_sandbox for outcome in sandbox.outcomes[-3:])
        after_s = statistics.median(seconds for _, seconds in after)
        # Under nice 19 or SCHED_IDLE on a busy machine this takes seconds, not milliseconds.
        assert after_s < 3 * baseline_s + 0.2, (attacker.file_name, baseline_s, after_s)

"""Hostile submissions (data files here) and what grading each must come to.

Every file also carries an answer (``# answer: 42``) that the tests-only checker
(``tests/sandbox/hostile_checker.py``) scores on the trusted side, so each case also proves that
the answers are still graded whatever the code did. ``lec2_hw1_submission`` turns a case into a
correct lec2_hw1 submission with the same attack appended, for pushing through the real checker
(or a Celery worker).

Every attack is bounded in its own code (forks capped, memory capped, loops end), so a broken
sandbox cannot take down the machine running the tests.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.sandbox.types import LimitName

HOSTILE_DIR = Path(__file__).resolve().parent
# The server the connect_out case tries to reach: the test listens on the first free one.
LISTEN_PORTS = tuple(range(47011, 47021))
# Every file the write_outside case manages to create carries this name.
WRITE_MARKER = "HOSTILE_WAS_HERE"
# Processes the fork_many case leaves behind, if any survive, carry this name.
SURVIVOR_NAME = "hostile-sleeper"


@dataclass(frozen=True)
class HostileCase:
    file_name: str
    # The limit the run must be stopped for (None: it ends by itself); several are acceptable
    # where the machine's load decides which comes first.
    limits: tuple[LimitName, ...]
    # Words the student must read in the result's message (the clear explanation).
    message_contains: str
    # Whether running the code counts as a success (only for code that does nothing wrong).
    runs_cleanly: bool = True
    # Whether the worker's log names the run as having tampered with the sandbox (it changed or
    # left something that had to be undone before the next run).
    reported_to_staff: bool = False

    @property
    def path(self) -> Path:
        return HOSTILE_DIR / self.file_name

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


HOSTILE_CASES = (
    HostileCase("well_behaved.py", limits=(), message_contains="ran"),
    HostileCase("read_secrets.py", limits=(), message_contains="ran"),
    HostileCase("write_outside.py", limits=(), message_contains="ran"),
    HostileCase("connect_out.py", limits=(), message_contains="ran"),
    HostileCase("fork_many.py", limits=("processes",), message_contains="processes", runs_cleanly=False),
    HostileCase("memory_hog.py", limits=("memory",), message_contains="of memory", runs_cleanly=False),
    HostileCase("endless_loop.py", limits=("cpu_time", "wall_time"), message_contains="and was stopped",
                runs_cleanly=False),
    HostileCase("print_flood.py", limits=("output",), message_contains="printed more than", runs_cleanly=False),
    HostileCase("kill_parent.py", limits=(), message_contains="sandbox process", runs_cleanly=False,
                reported_to_staff=True),
    HostileCase("forge_result.py", limits=(), message_contains="private result channel", runs_cleanly=False),
    HostileCase("forge_deep_result.py", limits=(), message_contains="private result channel", runs_cleanly=False),
    HostileCase("tamper_with_zygote.py", limits=(), message_contains="ran", reported_to_staff=True),
    HostileCase("leave_ipc_objects.py", limits=(), message_contains="ran", reported_to_staff=True),
    HostileCase("keyring_channel.py", limits=(), message_contains="ran"),
)
# The worker's log line for a run that tampered with the sandbox (grader.sandbox.pool).
TAMPERING_LOG_LINE = "tampered with the sandbox"


# A full-marks lec2_hw1 submission kept by that checker's golden tests.
LEC2_HW1_FULL_MARKS = HOSTILE_DIR.parents[2] / "assignments/lec2_hw1/tests/golden/full_marks_tuples.py"


def lec2_hw1_submission(case: HostileCase) -> bytes:
    """A full-marks lec2_hw1 file with ``case``'s attack appended (it runs when the file is run)."""
    return LEC2_HW1_FULL_MARKS.read_bytes() + b"\n\n" + case.read_bytes()


def listen_on_a_free_port() -> socket.socket:
    """A non-blocking listener on the first free port of ``LISTEN_PORTS``: connect_out's target."""
    for port in LISTEN_PORTS:
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            continue
        listener.listen(8)
        listener.setblocking(False)
        return listener
    pytest.fail(f"none of the ports {LISTEN_PORTS} is free")


def uid_claimed_by(pid: int) -> int | None:
    """The sandbox uid process ``pid`` claimed, from the note in its claim file (which stays after
    the process ends, until another process claims that uid)."""
    from grader.sandbox.slots import CLAIMS_DIR

    for path in CLAIMS_DIR.iterdir():
        with contextlib.suppress(OSError):
            if path.read_text().startswith(f"pid {pid} on "):
                return int(path.name)
    return None


def uids_claimed_under(pid: int) -> set[int]:
    """The sandbox uids that process ``pid`` and its descendants hold now: a live worker's slots.
    (Uids are claimed host-wide, so another test run's processes may hold the first ones.)"""
    family = {pid}
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(entry)] = int(_stat_fields(int(entry))[PPID])
    grew = True
    while grew:
        grown = {child for child, parent in parents.items() if parent in family}
        grew = not grown <= family
        family |= grown
    return {uid for member in family if (uid := uid_claimed_by(member)) is not None}


def processes_left(uids: set[int], *, wait_s: float = 0.0) -> list[str]:
    """Processes named like fork_many's sleepers or owned by ``uids``, once none remain or
    ``wait_s`` has passed (processes of a stopped run take a moment to be reaped)."""
    def left() -> list[str]:
        found = []
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
                owner = os.stat(f"/proc/{entry}").st_uid
            except OSError:
                continue
            if comm == SURVIVOR_NAME or owner in uids:
                found.append(f"{entry} {comm} uid={owner}")
        return found

    return _until_none(left, wait_s=wait_s)


def processes_owned_by(uids: set[int]) -> set[tuple[int, int]]:
    """(pid, start time) of every process owned by ``uids`` now: which processes these are, even
    once a uid a dead worker let go is claimed by another worker on the host."""
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if os.stat(f"/proc/{entry}").st_uid in uids:
                found.add((int(entry), int(_stat_fields(int(entry))[STARTED])))
    return found


def still_running(processes: set[tuple[int, int]], *, wait_s: float = 0.0) -> list[str]:
    """Those of ``processes`` (from ``processes_owned_by``) still running once none are or ``wait_s`` has passed."""
    def left() -> list[str]:
        found = []
        for pid, started in processes:
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(_stat_fields(pid)[STARTED]) == started:
                    found.append(f"{pid} {Path(f'/proc/{pid}/comm').read_text().strip()}")
        return found

    return _until_none(left, wait_s=wait_s)


# Fields of /proc/PID/stat after the command's closing parenthesis (the command may hold spaces).
PPID = 1
STARTED = 19


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _until_none(find, *, wait_s: float) -> list[str]:
    """``find()`` again and again until it finds nothing or ``wait_s`` has passed (processes of a
    stopped run take a moment to be reaped); what it found last."""
    give_up = time.monotonic() + wait_s
    while (found := find()) and time.monotonic() <= give_up:
        time.sleep(0.1)
    return found

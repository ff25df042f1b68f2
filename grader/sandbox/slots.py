"""Which unprivileged uid this process's student code runs as: one per process, claimed host-wide.

Every process that runs student code (a Celery prefork child, ``manage.py grade``, a test, the
start-up probe) claims a uid in ``SANDBOX_BASE_UID .. SANDBOX_BASE_UID + UID_RANGE - 1`` by
holding an exclusive ``flock`` on ``CLAIMS_DIR/<uid>``. Every worker container on a host mounts
the same ``CLAIMS_DIR`` (docker-compose.yml), so no two processes on one host run student code as
the same uid, whichever container they are in: RLIMIT_NPROC (counted per uid across the host),
key quotas and signals stay apart.

The kernel drops a flock when the last descriptor of its open file is closed, so a claim lasts
exactly as long as the process holding it, however that process ends (SIGKILL and OOM kills
included); the file stays and the next claimer reuses it. A forked child closes its copy at once
(``os.register_at_fork``) and claims its own, so a claim never outlives its owner in a child.
Each file holds the owner's pid and host name, for operators (``cat``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from grader.sandbox.types import SandboxFailure

# /run is a tmpfs on every systemd host and in containers: claims never survive a reboot.
CLAIMS_DIR = Path("/run/courseportal-sandbox-uids")
UID_RANGE = 10000
# Celery prefork child N looks at SANDBOX_BASE_UID + N first (0..999), everything else from
# 1000 on, so on a host with one worker container the uids still say which child is which.
WORKER_SLOTS = 1000

_claims_of_this_process: list[UidClaim] = []


class UidClaim:
    """A uid this process holds until ``release()`` or its death."""

    def __init__(self, uid: int, fd: int, path: Path) -> None:
        self.uid = uid
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(ValueError):
            _claims_of_this_process.remove(self)

    def __repr__(self) -> str:
        return f"UidClaim(uid={self.uid}, held={self.held})"


def claim_sandbox_uid(base_uid: int, *, claims_dir: Path = CLAIMS_DIR, first_choice: int | None = None,
                      uid_range: int = UID_RANGE) -> UidClaim:
    """Claim the first free uid from ``base_uid + first_choice`` on (wrapping round the range).

    ``first_choice`` defaults to this process's preference (``preferred_offset``). Raises
    ``SandboxFailure`` if the claims folder cannot be used or every uid in the range is held.
    """
    try:
        claims_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError as error:
        raise SandboxFailure(f"the sandbox uid claims folder {claims_dir} cannot be created: {error}") from error
    start = preferred_offset() if first_choice is None else first_choice
    for step in range(uid_range):
        uid = base_uid + (start + step) % uid_range
        claim = _try_claim(uid, claims_dir / str(uid))
        if claim is not None:
            return claim
    raise SandboxFailure(
        f"all {uid_range} sandbox uids from {base_uid} are held by other processes on this host "
        f"(see {claims_dir}); fewer grading processes, or a larger range"
    )


def uid_is_claimed(uid: int, *, claims_dir: Path = CLAIMS_DIR) -> bool:
    """Whether some live process (this one included) holds ``uid`` now."""
    try:
        fd = os.open(claims_dir / str(uid), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock just taken
    return False


def worker_slot() -> int:
    """This process's slot in its worker: the Celery prefork child index (0, 1, ...), or 0 outside
    a worker (``manage.py grade``, a test). Training runs pick their GPU by it."""
    index = _prefork_child_index()
    return index if index is not None else 0


def preferred_offset() -> int:
    index = _prefork_child_index()
    return index % WORKER_SLOTS if index is not None else WORKER_SLOTS


def _try_claim(uid: int, path: Path) -> UidClaim | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    claim = UidClaim(uid, fd, path)
    _claims_of_this_process.append(claim)
    return claim


def _forget_claims_inherited_over_fork() -> None:
    # The parent's descriptors keep its locks; closing the child's copies keeps a dead parent's
    # uids from looking held while a child it forked lives on.
    for claim in list(_claims_of_this_process):
        claim.release()


os.register_at_fork(after_in_child=_forget_claims_inherited_over_fork)


def _prefork_child_index() -> int | None:
    try:
        from billiard.process import current_process
    except ImportError:
        return None
    index = getattr(current_process(), "index", None)
    return index if isinstance(index, int) else None

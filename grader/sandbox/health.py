"""Is the sandbox usable here? Answered by starting one and looking at it from the inside.

Used by the Django system check (``grader/checks.py``) and at Celery worker start
(``courseportal/celery.py``): a worker that cannot isolate student code refuses to start, unless the
operator chose ``SANDBOX=unsafe-dev`` and is told so loudly.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from grader.conf import engine_setting
from grader.sandbox import bwrap, cgroups, seccomp
from grader.sandbox.runner import SYSCALL_NUMBERS
from grader.sandbox.slots import claim_sandbox_uid
from grader.sandbox.types import SandboxFailure, SandboxLimits, SandboxRequest

logger = logging.getLogger(__name__)

DOCS = "docs/sandbox.md"
PROBE_HARNESS = '''
import ctypes, errno, os, socket

def keyrings_refused():
    """add_key must fail with ENOSYS: the seccomp filter is in place."""
    number = {add_key_numbers!r}.get(os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)
    return number is not None and libc.syscall(number, b"user", b"probe", b"x", 1, -3) == -1 \
        and ctypes.get_errno() == errno.ENOSYS

def probe(scratch):
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    written_outside = []
    for path in ("/probe", "/usr/probe", {venv!r} + "/probe"):
        try:
            open(path, "w").close()
            written_outside.append(path)
        except OSError:
            pass
    return {{
        "uid": os.getuid(),
        "capabilities": [status[name].strip() for name in ("CapEff", "CapPrm", "CapBnd")],
        "private_paths_visible": [path for path in {private_paths!r} if os.path.exists(path)],
        "interfaces": [name for _, name in socket.if_nameindex()],
        "written_outside_scratch": written_outside,
        "keyrings_refused": keyrings_refused(),
    }}
'''
USERNS_HINT = (
    "bwrap could not create its namespaces as an unprivileged user. On a host, allow unprivileged "
    "user namespaces (sysctl user.max_user_namespaces > 0; on Ubuntu 24.04 also "
    "kernel.apparmor_restrict_unprivileged_userns=0). In Docker, start the worker with "
    "security_opt [seccomp=unconfined, apparmor=unconfined] (or the profiles in " + DOCS + ")."
)
INTERPRETER_HINT = (
    "The Python interpreter cannot be read by the sandbox uid. Make the virtualenv from a system "
    "Python that every user can read (e.g. /usr/bin/python3.11); a pyenv Python under /root is "
    "mode 0700."
)


@dataclass(frozen=True)
class SandboxHealth:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@cache
def sandbox_health() -> SandboxHealth:
    """Start a sandbox as the probe uid, run a probe in it, and list what is wrong (cached)."""
    problems = _preconditions()
    if problems:
        return SandboxHealth(problems=problems)
    from grader.sandbox.pool import Zygote

    controllers = cgroups.available_controllers()
    notes = [] if controllers >= {"memory", "pids"} else [
        "cgroup v1 memory/pids controllers are not writable here: memory is limited by address "
        "space and processes by RLIMIT_NPROC only (see " + DOCS + ")."
    ]
    try:
        # A uid of its own, like any slot: the probe may run beside live workers on this host.
        claim = claim_sandbox_uid(engine_setting("SANDBOX_BASE_UID"))
        try:
            zygote = Zygote(bwrap.SandboxSpec(uid=claim.uid))
            try:
                outcome = zygote.execute(_probe_request(), controllers=controllers).outcome
            finally:
                zygote.stop()
        finally:
            claim.release()
    except SandboxFailure as failure:
        return SandboxHealth(problems=[_explain(str(failure))], notes=notes)
    if not outcome.ok:
        detail = outcome.error or outcome.limit_message or outcome.stderr
        return SandboxHealth(problems=[_explain(f"the sandbox probe failed: {detail}")], notes=notes)
    return SandboxHealth(problems=_isolation_problems(outcome.data), notes=notes)


def require_working_sandbox() -> None:
    """Raise ``SystemExit`` with the reasons if student code could not be isolated here."""
    if engine_setting("SANDBOX") == "unsafe-dev":
        logger.critical(
            "SANDBOX=unsafe-dev: student code runs WITHOUT ANY ISOLATION in this worker. "
            "Never use this with real students."
        )
        return
    health = sandbox_health()
    for note in health.notes:
        logger.warning("sandbox: %s", note)
    if health.problems:
        message = "Refusing to start: the sandbox does not work here.\n- " + "\n- ".join(health.problems)
        logger.critical(message)
        raise SystemExit(message)


def _preconditions() -> list[str]:
    problems = []
    if shutil.which("bwrap") is None or not Path(bwrap.BWRAP).exists():
        problems.append(f"bubblewrap is not installed ({bwrap.BWRAP}); apt-get install bubblewrap.")
    if os.geteuid() != 0:
        problems.append(
            "The grading worker must start as root so that it can run student code as an unprivileged "
            f"uid of its own (claimed from SANDBOX_BASE_UID={engine_setting('SANDBOX_BASE_UID')} on); it never "
            "runs student code as root."
        )
    try:
        seccomp.keyring_filter()
    except seccomp.UnsupportedArchitecture as error:
        problems.append(f"{error}: add its numbers to grader/sandbox/runner.py SYSCALL_NUMBERS.")
    real_interpreter = Path(os.path.realpath(sys.executable))
    if _blocking_folder(real_interpreter) is not None:
        problems.append(f"{INTERPRETER_HINT} ({sys.executable} is {real_interpreter})")
    for root in bwrap.python_environment_roots():
        blocker = _blocking_folder(root)
        if blocker is not None:
            problems.append(
                f"The Python environment {root} is not reachable by the sandbox uid ({blocker} is mode "
                f"{blocker.stat().st_mode & 0o777:o}). Check the project out (and make its virtualenv) "
                "under a folder every user may enter, e.g. /srv/courseportal, not under /root."
            )
    return problems


def _blocking_folder(path: Path) -> Path | None:
    """The first of ``path`` or its folders that an unrelated uid cannot read through, if any."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    if path.stat().st_mode & 0o005 != 0o005:
        return path
    return None


def _probe_request() -> SandboxRequest:
    harness = PROBE_HARNESS.format(
        venv=str(sys.prefix), private_paths=private_paths(),
        add_key_numbers={machine: numbers["add_key"] for machine, numbers in SYSCALL_NUMBERS.items()},
    )
    return SandboxRequest(harness=harness, entry="probe", limits=SandboxLimits(wall_seconds=30))


def private_paths() -> list[str]:
    """Paths student code must never see: the engine, the checkers, the cached references, and what
    the project names in ``GRADER_PRIVATE_PATHS`` (its source, settings, database, uploads)."""
    import assignments

    engine = Path(__file__).resolve().parents[1]
    paths = [engine, *(Path(folder) for folder in assignments.__path__), Path(engine_setting("GRADER_CACHE_DIR")),
             *(Path(path) for path in engine_setting("GRADER_PRIVATE_PATHS"))]
    return [str(path) for path in paths]


def _isolation_problems(facts: dict) -> list[str]:
    problems = []
    if facts.get("uid") == 0:
        problems.append("student code would run as uid 0.")
    if any(int(mask, 16) for mask in facts.get("capabilities", [])):
        problems.append(f"student code would hold capabilities: {facts.get('capabilities')}.")
    if facts.get("private_paths_visible"):
        problems.append(f"private paths are visible inside the sandbox: {facts['private_paths_visible']}.")
    if set(facts.get("interfaces", [])) - {"lo"}:
        problems.append(f"the sandbox has network interfaces besides loopback: {facts.get('interfaces')}.")
    if facts.get("written_outside_scratch"):
        problems.append(f"the sandbox could write outside its scratch space: {facts['written_outside_scratch']}.")
    if not facts.get("keyrings_refused"):
        problems.append("the kernel keyring system calls are not refused inside the sandbox (seccomp filter).")
    return problems


def _explain(failure: str) -> str:
    lowered = failure.lower()
    if "namespace" in lowered or "uid map" in lowered or "operation not permitted" in lowered:
        return f"{failure}\n  {USERNS_HINT}"
    if "permission denied" in lowered and ("python" in lowered or "execvp" in lowered):
        return f"{failure}\n  {INTERPRETER_HINT}"
    return failure

"""Per-run cgroups (v1 ``memory`` and ``pids`` controllers), where the host offers them.

The worker (root) creates one cgroup per run and per controller, sets its limit, and hands the
zygote an open ``cgroup.procs`` descriptor; the forked child writes its own pid there before any
student code runs, so everything the run starts is counted. Memory is counted from the fork on,
which is what the memory limit is about: the zygote's already-imported torch is shared, not
charged. Afterwards the worker reads the counters (OOM kills, refused forks) it alone can trust,
and removes the cgroups.

Without these controllers the sandbox still works: memory falls back to an address-space rlimit
and processes to RLIMIT_NPROC (see ``docs/sandbox.md``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.slots import uid_is_claimed

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT = "courseportal-sandbox"
CONTROLLER_LIMIT_FILES = {"memory": "memory.limit_in_bytes", "pids": "pids.max"}


def available_controllers() -> frozenset[str]:
    """The v1 controllers this process can create child cgroups in."""
    return frozenset(
        controller
        for controller in CONTROLLER_LIMIT_FILES
        if (CGROUP_ROOT / controller / "tasks").is_file() and os.access(CGROUP_ROOT / controller, os.W_OK)
    )


def _parent(controller: str) -> Path:
    return CGROUP_ROOT / controller / PARENT


@dataclass(frozen=True)
class RunCounters:
    oom_kills: int = 0
    refused_forks: int = 0
    peak_memory_bytes: int = 0


class RunCgroups:
    """The cgroups of one run. ``open_procs_files`` is what the child writes its pid into."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = paths

    @classmethod
    def create(cls, *, name: str, controllers: frozenset[str], memory_bytes: int, processes: int) -> RunCgroups:
        paths: dict[str, Path] = {}
        try:
            if "memory" in controllers:
                paths["memory"] = _make(
                    "memory", name,
                    {"memory.limit_in_bytes": memory_bytes, "memory.memsw.limit_in_bytes": memory_bytes},
                )
            if "pids" in controllers:
                paths["pids"] = _make("pids", name, {"pids.max": processes})
        except OSError:
            cls(paths).remove()
            raise
        return cls(paths)

    def open_procs_files(self) -> dict[str, int]:
        return {
            f"cgroup:{controller}": os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
            for controller, path in self.paths.items()
        }

    def refused_forks(self) -> int:
        path = self.paths.get("pids")
        return _keyed_counter(path / "pids.events", "max") if path else 0

    def counters(self) -> RunCounters:
        memory = self.paths.get("memory")
        if memory is None:
            return RunCounters(refused_forks=self.refused_forks())
        return RunCounters(
            oom_kills=_keyed_counter(memory / "memory.oom_control", "oom_kill"),
            refused_forks=self.refused_forks(),
            peak_memory_bytes=_read_int(memory / "memory.max_usage_in_bytes"),
        )

    def remove(self) -> bool:
        """Kill anything left in these cgroups and remove them; False if something was left."""
        everything_was_gone = True
        for path in self.paths.values():
            for _ in range(200):
                pids = _member_pids(path)
                if not pids:
                    break
                everything_was_gone = False
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.005)
            _remove_dir(path)
        return everything_was_gone


def _make(controller: str, name: str, limits: dict[str, int]) -> Path:
    parent = _parent(controller)
    parent.mkdir(exist_ok=True)
    path = parent / name
    path.mkdir()
    for file_name, value in limits.items():
        target = path / file_name
        if target.exists():
            target.write_text(str(value))
    return path


def _member_pids(path: Path) -> list[int]:
    try:
        return [int(line) for line in (path / "cgroup.procs").read_text().split()]
    except FileNotFoundError:
        return []


def _remove_dir(path: Path) -> None:
    for _ in range(100):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as error:
            if error.errno != errno.EBUSY:
                raise
            time.sleep(0.005)


def _keyed_counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return int(parts[1])
    except (FileNotFoundError, ValueError):
        pass
    return 0


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0


def remove_orphans(*, own_uid: int) -> None:
    """Remove run cgroups left by processes that are gone (they crashed mid-run).

    A run's cgroup is named after its run id, which starts with the sandbox uid (``uid61003-``).
    Uids are claimed host-wide (``grader.sandbox.slots``) and pids are not unique across worker
    containers sharing this hierarchy, so the owner is judged by its uid: gone if nobody holds
    that uid now, or if it is ``own_uid``, which this process has just claimed and not used yet.
    """
    for controller in CONTROLLER_LIMIT_FILES:
        parent = _parent(controller)
        if not parent.is_dir():
            continue
        for path in parent.iterdir():
            owner = path.name.removeprefix("uid").split("-")[0]
            if not (path.name.startswith("uid") and owner.isdigit() and path.is_dir()):
                continue
            if int(owner) == own_uid or not uid_is_claimed(int(owner)):
                with contextlib.suppress(OSError):
                    RunCgroups({controller: path}).remove()

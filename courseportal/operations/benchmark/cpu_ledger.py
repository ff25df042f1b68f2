"""CPU time per part of the stack (web, worker, sandboxes, broker, ...), read from ``/proc``.

The kernel keeps two sums per process in ``/proc/<pid>/stat``: its own CPU time (utime + stime)
and that of the children it has reaped (cutime + cstime). Summing own + reaped over the live
processes of a tree gives the tree's CPU exactly: a child's time moves into its parent's reaped
sum when it exits and is waited for, never lost and never counted twice.

Parts of the stack are nested, though: the sandboxes (bwrap, its zygote and the runs the zygote
forks and reaps) are children of the worker's grading processes, and when a zygote is replaced its
bwrap's whole time lands in the grading process's reaped sum. So the ledger samples every process
a few times a second and remembers each one's part; when a parent's reaped sum grows, the growth
is the final time of the children that vanished since the last sample, and what they spent since
they were last seen goes to their part, not the parent's (a child's final time holds its own
children's that it reaped, so vanished grandchildren's seen time comes off too). Children that lived and died between two
samples (a run forked by a zygote) were never seen; their time goes to the part their parent's
children belong to, which is the parent's own part.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessTimes:
    """One process as ``/proc/<pid>/stat`` shows it; times in seconds."""

    pid: int
    parent: int
    name: str
    started: int  # clock ticks after boot: tells a reused pid from the process seen before
    own_s: float
    reaped_s: float

    @property
    def total_s(self) -> float:
        return self.own_s + self.reaped_s


def parse_stat(text: str) -> ProcessTimes:
    """A ``/proc/<pid>/stat`` line; the name may hold spaces and parentheses, so split at the last ``)``."""
    head, _, rest = text.rpartition(")")
    pid_text, _, name = head.partition(" (")
    fields = rest.split()
    # Fields after the name, counted from 3 (state) as in proc(5): ppid 4, utime 14, stime 15,
    # cutime 16, cstime 17, starttime 22.
    ticks = [int(value) for value in fields[11:15]]
    return ProcessTimes(pid=int(pid_text), parent=int(fields[1]), name=name, started=int(fields[19]),
                        own_s=(ticks[0] + ticks[1]) / CLOCK_TICKS_PER_SECOND,
                        reaped_s=(ticks[2] + ticks[3]) / CLOCK_TICKS_PER_SECOND)


def read_processes(proc: Path = PROC) -> dict[int, ProcessTimes]:
    """Every process readable now (one that exits while being read is skipped)."""
    found = {}
    for entry in os.scandir(proc):
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = parse_stat((proc / entry.name / "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue
    return found


def machine_busy_s(proc: Path = PROC) -> float:
    """CPU seconds every core of the machine spent on anything but idling since boot (``/proc/stat``),
    less the time the host took the cores away (``machine_stolen_s``)."""
    return _busy_s(_machine_times(proc))


def machine_stolen_s(proc: Path = PROC) -> float:
    """CPU seconds since boot that this virtual machine's cores were ready to run but the host ran
    something else (``steal`` in ``/proc/stat``): a step run while the host takes a fifth of the cores
    is not a step on the same machine, and its report says so."""
    return _stolen_s(_machine_times(proc))


def _machine_times(proc: Path) -> list[int]:
    """The first line of ``/proc/stat``: user nice system idle iowait irq softirq steal guest guest_nice, in ticks."""
    return [int(value) for value in (proc / "stat").read_text().split("\n", 1)[0].split()[1:]]


def _busy_s(values: list[int]) -> float:
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    guest = sum(values[8:10])  # already counted in user and nice
    return (sum(values) - idle - guest) / CLOCK_TICKS_PER_SECOND - _stolen_s(values)


def _stolen_s(values: list[int]) -> float:
    return (values[7] if len(values) > 7 else 0) / CLOCK_TICKS_PER_SECOND


@dataclass(frozen=True)
class Parts:
    """Which part of the stack a process belongs to: the part of its nearest ancestor (or itself)
    named in ``roots`` (pid -> part); below a root of part P, a process whose name is in
    ``nested[P]`` (name -> part) starts that part for itself and its descendants."""

    roots: Mapping[int, str]
    nested: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def part_of(self, pid: int, processes: Mapping[int, ProcessTimes]) -> str | None:
        chain = []
        current = pid
        while current in processes and current not in self.roots and len(chain) < 64:
            chain.append(processes[current])
            current = processes[current].parent
        if current not in self.roots:
            return None
        part = self.roots[current]
        for process in reversed(chain):  # from just below the root down to ``pid``
            part = self.nested.get(part, {}).get(process.name, part)
        return part


@dataclass
class _Seen:
    times: ProcessTimes
    part: str


class CpuLedger:
    """CPU seconds per part since the first sample; call ``sample`` a few times a second."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.totals: dict[str, float] = {part: 0.0 for part in set(parts.roots.values())}
        for nested in parts.nested.values():
            self.totals.update({part: 0.0 for part in nested.values()})
        self._seen: dict[int, _Seen] | None = None

    def sample(self, processes: Mapping[int, ProcessTimes]) -> dict[str, float]:
        """Take in the processes as they are now; returns the totals so far (part -> CPU seconds)."""
        if self._seen is None:  # the baseline: time spent before it is not counted
            self._seen = self._classified(processes, previous={})
            return dict(self.totals)
        current = self._classified(processes, previous=self._seen)
        vanished = [seen for pid, seen in self._seen.items() if pid not in current
                    or current[pid].times.started != seen.times.started]
        for pid, now in current.items():
            before = self._seen.get(pid)
            if before is None or before.times.started != now.times.started:
                self._add(now.part, now.times.total_s)  # started since the last sample: all of it is new
                continue
            self._add(now.part, now.times.own_s - before.times.own_s)
            reaped = now.times.reaped_s - before.times.reaped_s
            if reaped > 0:
                self._attribute_reaped(parent=now, reaped_s=reaped, children=_vanished_below(pid, vanished))
        self._seen = current
        return dict(self.totals)

    def _classified(self, processes: Mapping[int, ProcessTimes], *, previous: Mapping[int, _Seen]) -> dict[int, _Seen]:
        classified = {}
        for pid, times in processes.items():
            known = previous.get(pid)
            # A process keeps the part it was first seen in (an orphan re-parented to init stays counted).
            part = known.part if known and known.times.started == times.started else self.parts.part_of(pid, processes)
            if part is not None:
                classified[pid] = _Seen(times, part)
        return classified

    def _attribute_reaped(self, *, parent: _Seen, reaped_s: float, children: Iterable[_Seen]) -> None:
        children = list(children)
        already_counted = sum(child.times.total_s for child in children)
        unseen = reaped_s - already_counted  # the children's time since their last sample, and unseen children's
        if unseen <= 0:
            return
        parts = {child.part for child in children}
        self._add(parts.pop() if len(parts) == 1 else parent.part, unseen)

    def _add(self, part: str, seconds: float) -> None:
        if seconds > 0:
            self.totals[part] = self.totals.get(part, 0.0) + seconds


def _vanished_below(pid: int, vanished: Iterable[_Seen]) -> list[_Seen]:
    """The vanished children of ``pid`` and, below them, their vanished descendants: a child's final
    time (which ``pid`` reaped) holds what it reaped from its own children in turn, so the time all
    of them were already counted for must come off."""
    by_parent: dict[int, list[_Seen]] = {}
    for seen in vanished:
        by_parent.setdefault(seen.times.parent, []).append(seen)
    found, parents = [], [pid]
    while parents:
        children = by_parent.pop(parents.pop(), [])
        found += children
        parents += [child.times.pid for child in children]
    return found


@dataclass(frozen=True)
class LedgerSample:
    at: float  # wall clock (time.time()), to line up with the load generator's and the database's times
    parts: Mapping[str, float]  # CPU seconds per part since the baseline
    machine_s: float  # busy CPU seconds of the whole machine since boot
    stolen_s: float  # CPU seconds the host took from this machine's cores since boot


class CpuTimeline:
    """A ledger sampled in a background thread every ``interval_s``; ``between`` answers per window."""

    def __init__(self, parts: Parts, *, interval_s: float = 0.5, proc: Path = PROC) -> None:
        self.ledger = CpuLedger(parts)
        self.interval_s = interval_s
        self.proc = proc
        self.samples: list[LedgerSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-ledger", daemon=True)

    def __enter__(self) -> CpuTimeline:
        self.take()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self.take()

    def take(self) -> None:
        at = time.time()
        totals = self.ledger.sample(read_processes(self.proc))
        machine = _machine_times(self.proc)  # read once: busy and stolen from the same moment
        self.samples.append(LedgerSample(at=at, parts=totals, machine_s=_busy_s(machine), stolen_s=_stolen_s(machine)))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.take()

    def between(self, start: float, end: float) -> tuple[dict[str, float], float]:
        """CPU seconds per part, and of the whole machine, from ``start`` to ``end`` (wall clock),
        each end read from the samples on either side of it (linear in between)."""
        first, last = self._at(start), self._at(end)
        parts = {part: max(0.0, last.parts.get(part, 0.0) - first.parts.get(part, 0.0)) for part in last.parts}
        return parts, max(0.0, last.machine_s - first.machine_s)

    def stolen_between(self, start: float, end: float) -> float:
        """CPU seconds the host took from this machine's cores from ``start`` to ``end`` (wall clock)."""
        return max(0.0, self._at(end).stolen_s - self._at(start).stolen_s)

    def _at(self, moment: float) -> LedgerSample:
        samples = self.samples
        if not samples:
            raise ValueError("the timeline has no samples")
        after = next((index for index, sample in enumerate(samples) if sample.at >= moment), len(samples) - 1)
        if after == 0 or samples[after].at <= moment:
            return samples[after]
        low, high = samples[after - 1], samples[after]
        share = (moment - low.at) / (high.at - low.at)
        names = set(low.parts) | set(high.parts)
        return LedgerSample(
            at=moment,
            parts={name: low.parts.get(name, 0.0) + share * (high.parts.get(name, 0.0) - low.parts.get(name, 0.0))
                   for name in names},
            machine_s=low.machine_s + share * (high.machine_s - low.machine_s),
            stolen_s=low.stolen_s + share * (high.stolen_s - low.stolen_s),
        )

"""A small process supervisor: starts the stack's processes, relays their output, stops them all.

Each child runs in its own session, so the terminal's Ctrl-C reaches only the supervisor, which
then stops the children in reverse order of start (web first, broker last). Children are also
asked to die with the supervisor (``PR_SET_PDEATHSIG``), and a guard process outlives it to stop
whatever of their groups is left (``orphan_guard.py``), so even ``kill -9`` of the supervisor leaves
no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

PR_SET_PDEATHSIG = 1
ORPHAN_GUARD = Path(__file__).with_name("orphan_guard.py")
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _die_with_parent() -> None:
    # Runs in the forked child before exec: only async-signal-safe work (one system call).
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class ProcessSpec:
    """One supervised program. ``wait_ready`` (optional) blocks until it serves, or raises."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    wait_ready: Callable[[], None] | None = None


class StackFailed(RuntimeError):
    pass


class Supervisor:
    """Runs ``specs`` until a stop signal, restarting a crashed one unless it keeps crashing."""

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        *,
        out: TextIO = sys.stdout,
        cwd: str | None = None,
        stop_timeout_s: float = 15.0,
        max_restarts: int = 3,
        restart_window_s: float = 60.0,
    ) -> None:
        self.specs = list(specs)
        self.out = out
        self.cwd = cwd
        self.stop_timeout_s = stop_timeout_s
        self.max_restarts = max_restarts
        self.restart_window_s = restart_window_s
        self.processes: dict[str, subprocess.Popen] = {}
        self._crashes: dict[str, deque[float]] = {spec.name: deque() for spec in specs}
        self._stop_requested = threading.Event()
        self._write_lock = threading.Lock()
        self._relays: list[threading.Thread] = []
        self._label_width = max((len(spec.name) for spec in specs), default=6)
        self._guard: subprocess.Popen | None = None

    def say(self, name: str, line: str) -> None:
        with self._write_lock:
            self.out.write(f"{name:>{self._label_width}} | {line.rstrip()}\n")
            self.out.flush()

    def request_stop(self, signum: int | None = None, frame=None) -> None:
        self._stop_requested.set()

    def run(self, *, on_ready: Callable[[], None] | None = None) -> int:
        """Start everything, supervise until SIGINT/SIGTERM/SIGHUP, stop everything; return an exit code."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        self._start_guard()
        try:
            try:
                for spec in self.specs:
                    if self._stop_requested.is_set():
                        return 0
                    self._start(spec)
                    if spec.wait_ready:
                        spec.wait_ready()
            except Exception as error:
                self.say("stack", f"could not start: {error}")
                return 1
            if on_ready:
                on_ready()
            return self._watch()
        finally:
            self.stop_all()
            self._stop_guard()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, spec: ProcessSpec) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env}
        process = subprocess.Popen(
            list(spec.argv), cwd=self.cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        self.processes[spec.name] = process
        self._tell_guard(f"watch {process.pid}")
        relay = threading.Thread(target=self._relay, args=(spec.name, process), daemon=True)
        relay.start()
        self._relays.append(relay)
        self.say("stack", f"started {spec.name} (pid {process.pid})")

    def _relay(self, name: str, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            self.say(name, raw.decode("utf-8", "replace"))
        process.stdout.close()

    def _watch(self) -> int:
        while not self._stop_requested.wait(0.25):
            for spec in self.specs:
                code = self.processes[spec.name].poll()
                if code is None:
                    continue
                if not self._may_restart(spec.name):
                    self.say("stack", f"{spec.name} exited with code {code} {self.max_restarts} times "
                                      f"within {self.restart_window_s:g} s; stopping the stack")
                    return 1
                self.say("stack", f"{spec.name} exited with code {code}; restarting it")
                self._kill_group(self.processes[spec.name])
                self._start(spec)
        self.say("stack", "stopping (signal received)")
        return 0

    def _may_restart(self, name: str) -> bool:
        now = time.monotonic()
        crashes = self._crashes[name]
        crashes.append(now)
        while crashes and now - crashes[0] > self.restart_window_s:
            crashes.popleft()
        return len(crashes) < self.max_restarts

    def stop_all(self) -> None:
        """Stop children newest first: SIGTERM to each, then SIGKILL to whatever of its group is left."""
        for spec in reversed(self.specs):
            process = self.processes.pop(spec.name, None)
            if process is None:
                continue
            if process.poll() is None:
                self.say("stack", f"stopping {spec.name}")
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    self.say("stack", f"{spec.name} did not stop within {self.stop_timeout_s:g} s; killing it")
            self._kill_group(process)
            process.wait()
        for relay in self._relays:
            relay.join(timeout=2)

    def _kill_group(self, process: subprocess.Popen) -> None:
        # Children of the child (Celery's pool, gunicorn's workers, a sandboxed run) share its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        self._tell_guard(f"forget {process.pid}")

    def _start_guard(self) -> None:
        self._guard = subprocess.Popen(
            [sys.executable, str(ORPHAN_GUARD), str(self.stop_timeout_s)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True, text=True,
        )

    def _tell_guard(self, line: str) -> None:
        if self._guard is None:
            return
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._guard.stdin.write(line + "\n")
            self._guard.stdin.flush()

    def _stop_guard(self) -> None:
        if self._guard is None:
            return
        self._tell_guard("done")
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._guard.stdin.close()
        self._guard.wait()
        self._guard = None

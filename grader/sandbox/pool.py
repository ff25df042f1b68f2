"""The warm pool: one sandboxed zygote per worker slot, forking one isolated child per run.

Importing torch costs seconds; forking a process that already has costs milliseconds. The zygote
(``runner.py``) lives inside a bubblewrap sandbox for its whole life and forks a child per run;
the child joins the run's cgroups, applies rlimits, reads the request and runs it. The zygote is
replaced after ``SANDBOX_RECYCLE_AFTER_RUNS`` runs, after any run that hit a limit, and whenever
it looks unwell. ``fresh_process`` runs (training, GPU) get a sandbox of their own that imports
nothing before the fork, so CUDA is never initialised in a process that forks; only they may show
data files read-only or hide host paths (both are fixed when a sandbox starts).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import logging
import os
import secrets
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from grader.content import human_size
from grader.sandbox import bwrap, cgroups, seccomp
from grader.sandbox.boundary import MAX_RESULT_BYTES, ReportLines, RunObservations, TailBuffer, decide_outcome
from grader.sandbox.runner import FD_ROLES, REPORT_ROLE, precompiled_harness, receive_frame, send_frame
from grader.sandbox.slots import UidClaim
from grader.sandbox.types import LimitName, SandboxFailure, SandboxLimits, SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)

WARM_MODULES = ("numpy", "torch")
READY_TIMEOUT_S = 60.0
# How often the worker looks at the cgroup counters while a run is going.
POLL_INTERVAL_S = 0.1
# After the zygote says the run finished, the output pipes must reach end-of-file within this.
DRAIN_TIMEOUT_S = 2.0
READ_CHUNK = 64 * 1024
# Processes the sandbox needs besides the run's own (bwrap, its reaper, the zygote, slack).
SANDBOX_OWN_PROCESSES = 8
ZYGOTE_DIED_DURING_RUN = "ended with the sandbox's zygote (PID 2) dead (killed, or made to fail)"
_run_numbers = itertools.count(1)


def new_run_id(uid: int) -> str:
    """Names one run in logs and in its cgroups' names; starts with the uid (see ``cgroups``)."""
    return f"uid{uid}-pid{os.getpid()}-run{next(_run_numbers)}"


@dataclass(frozen=True)
class RunRecord:
    outcome: SandboxOutcome
    sandbox_is_reusable: bool


class Zygote:
    """One started sandbox with its zygote; ``execute`` runs one request in a forked child."""

    def __init__(self, spec: bwrap.SandboxSpec) -> None:
        if os.geteuid() != 0:
            raise SandboxFailure(
                f"the bwrap sandbox needs the grading process to start as root: it runs student code "
                f"as the unprivileged uid {spec.uid}, never as itself (see docs/sandbox.md)"
            )
        self.spec = spec
        self.runs = 0
        self.ready = False
        self._control, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sandbox = bwrap.launch(spec, control_fd=inside.fileno())
        except (OSError, seccomp.UnsupportedArchitecture) as error:
            self._control.close()
            raise SandboxFailure(f"bwrap could not be started: {error}") from error
        finally:
            inside.close()

    @property
    def alive(self) -> bool:
        return self._sandbox.process.poll() is None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Block until the zygote has imported its warm modules; raise ``SandboxFailure`` if it died."""
        if self.ready:
            return
        self._control.settimeout(timeout)
        try:
            message, _ = receive_frame(self._control)
        except (OSError, ValueError) as error:
            message = None
            logger.error("sandbox zygote did not become ready: %s", error)
        finally:
            self._control.settimeout(None)
        if not message or message.get("event") != "ready":
            details = self._sandbox.setup_errors().strip() or "no message"
            self.stop()
            raise SandboxFailure(f"the sandbox did not start (uid {self.spec.uid}): {details}")
        self.ready = True
        logger.debug("sandbox zygote (uid %d) ready", self.spec.uid)

    def stop(self) -> None:
        self._control.close()
        self._sandbox.kill()

    def execute(self, request: SandboxRequest, *, controllers: frozenset[str],
                on_report: Callable[[bytes], None] | None = None) -> RunRecord:
        self.wait_ready()
        self.runs += 1
        limits = request.limits
        run_id = new_run_id(self.spec.uid)
        run_cgroups = cgroups.RunCgroups.create(
            name=run_id, controllers=controllers, memory_bytes=limits.memory_bytes, processes=limits.processes,
        ) if controllers else None
        try:
            record = self._execute(request, run_cgroups, on_report, run_id=run_id)
        finally:
            left_nothing_behind = run_cgroups.remove() if run_cgroups is not None else True
        if not left_nothing_behind and record.sandbox_is_reusable:
            logger.error("a run left processes in its cgroups after the zygote's clean-up; recycling")
            record = RunRecord(outcome=record.outcome, sandbox_is_reusable=False)
        if record.outcome.tampered_with_sandbox:
            logger.warning(
                "sandbox run %s (uid %d) tampered with the sandbox: %s. %s", run_id, self.spec.uid,
                "; ".join(record.outcome.sandbox_tampering),
                "Cleaned up; the zygote serves on." if record.sandbox_is_reusable else "The zygote is replaced.",
            )
        return record

    def _execute(self, request: SandboxRequest, run_cgroups: cgroups.RunCgroups | None,
                 on_report: Callable[[bytes], None] | None, *, run_id: str) -> RunRecord:
        limits = request.limits
        nonce = secrets.token_hex(16)
        run = _RunPipes.open(run_cgroups, report=on_report is not None)
        control_message = {"fds": run.roles, "limits": _child_limits(limits, memory_cgroup=bool(
            run_cgroups and "memory" in run_cgroups.paths))}
        started = time.monotonic()
        try:
            send_frame(self._control, control_message, run.child_fds)
        except OSError as error:
            run.close_all()
            raise SandboxFailure(f"the sandbox zygote is gone: {error}") from error
        run.close_child_ends()
        watch = _RunWatch(self._control, run, payload=_payload(request, nonce), limits=limits,
                          run_cgroups=run_cgroups, deadline=started + limits.wall_seconds, on_report=on_report)
        watch.wait()
        if watch.limit is not None or watch.finished is None or not watch.streams_closed:
            watch.forget_control()
            self.stop()  # the PID namespace goes with it: every process of the run is gone
            watch.drain_after_kill()
        watch.close()
        run.close_all()
        counters = run_cgroups.counters() if run_cgroups else cgroups.RunCounters()
        finished = watch.finished or {}
        observed = RunObservations(
            limit=watch.limit,
            exit_code=finished.get("exit_code"),
            cpu_seconds=float(finished.get("cpu_seconds", 0.0)),
            oom_kills=counters.oom_kills,
            result=bytes(watch.result),
            duration_s=time.monotonic() - started,
            sandbox_tampering=_tampering(finished, zygote_died=watch.zygote_lost and watch.limit is None),
            run_id=run_id,
        )
        outcome = decide_outcome(observed, limits=limits, nonce=nonce, stdout=watch.stdout, stderr=watch.stderr)
        # A changed setting cannot be changed back (no process in the sandbox may raise a hard
        # limit or lower nice): only a new zygote is as the worker started it.
        reusable = (self.alive and outcome.limit_exceeded is None and bool(finished.get("clean"))
                    and not finished.get("changed"))
        return RunRecord(outcome=outcome, sandbox_is_reusable=reusable)


def _tampering(finished: dict, *, zygote_died: bool) -> tuple[str, ...]:
    """The zygote's report of what a run changed or left behind, as sentences for staff."""
    found = [f"changed the zygote's {change}" for change in finished.get("changed", [])]
    for what, count, size in finished.get("left_behind", []):
        found.append(f"left {count} {what}{'s' if count != 1 else ''}" + (f" ({human_size(size)})" if size else ""))
    if zygote_died:
        found.append(ZYGOTE_DIED_DURING_RUN)
    return tuple(found)


def _payload(request: SandboxRequest, nonce: str) -> bytes:
    return json.dumps({
        "harness": request.harness,
        **precompiled_harness(request.harness),
        "entry": request.entry,
        "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
        "env": dict(request.env),
        "nonce": nonce,
    }).encode()


def _child_limits(limits: SandboxLimits, *, memory_cgroup: bool) -> dict:
    return {
        "cpu_seconds": limits.cpu_seconds,
        "file_size_bytes": limits.file_size_bytes,
        "nproc": limits.processes + SANDBOX_OWN_PROCESSES,
        # Without a memory cgroup the address space is the only memory limit there is.
        "address_space_bytes": None if memory_cgroup else limits.memory_bytes,
    }


class _RunPipes:
    """The pipes of one run: the worker's ends and the child's ends (sent to the zygote)."""

    def __init__(self, worker_ends: dict[str, int], child_ends: dict[str, int]) -> None:
        self.worker_ends = worker_ends
        self.child_ends = child_ends

    @classmethod
    def open(cls, run_cgroups: cgroups.RunCgroups | None, *, report: bool = False) -> _RunPipes:
        worker_ends, child_ends = {}, {}
        request_read, request_write = os.pipe()
        worker_ends["request"], child_ends["request"] = request_write, request_read
        for role in FD_ROLES[1:] + ((REPORT_ROLE,) if report else ()):
            read_end, write_end = os.pipe()
            worker_ends[role], child_ends[role] = read_end, write_end
        if run_cgroups is not None:
            child_ends.update(run_cgroups.open_procs_files())
        return cls(worker_ends, child_ends)

    @property
    def roles(self) -> list[str]:
        return list(self.child_ends)

    @property
    def child_fds(self) -> list[int]:
        return list(self.child_ends.values())

    def close_child_ends(self) -> None:
        for fd in self.child_ends.values():
            os.close(fd)
        self.child_ends = {}

    def close_all(self) -> None:
        self.close_child_ends()
        for fd in self.worker_ends.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.worker_ends = {}


class _RunWatch:
    """Feeds the request in, collects output and the result, and enforces the worker-side limits."""

    def __init__(self, control: socket.socket, pipes: _RunPipes, *, payload: bytes, limits: SandboxLimits,
                 run_cgroups: cgroups.RunCgroups | None, deadline: float,
                 on_report: Callable[[bytes], None] | None = None) -> None:
        self.control = control
        self.limits = limits
        self.run_cgroups = run_cgroups
        self.deadline = deadline
        self.stdout = TailBuffer(limits.output_bytes)
        self.stderr = TailBuffer(limits.output_bytes)
        self.result = bytearray()
        self.finished: dict | None = None
        self.zygote_lost = False
        self.limit: LimitName | None = None
        self._payload = memoryview(payload)
        self._selector = selectors.DefaultSelector()
        self._streams = {
            pipes.worker_ends["stdout"]: self.stdout.add,
            pipes.worker_ends["stderr"]: self.stderr.add,
            pipes.worker_ends["result"]: self._add_result,
        }
        if on_report is not None:
            reports = ReportLines(on_report, max_line_bytes=limits.report_line_bytes,
                                  max_total_bytes=limits.report_bytes)
            self._streams[pipes.worker_ends[REPORT_ROLE]] = reports.add
        for fd in self._streams:
            os.set_blocking(fd, False)
            self._selector.register(fd, selectors.EVENT_READ)
        self._request_fd = pipes.worker_ends["request"]
        os.set_blocking(self._request_fd, False)
        self._selector.register(self._request_fd, selectors.EVENT_WRITE)
        self._selector.register(control, selectors.EVENT_READ)
        self._pipes = pipes

    def wait(self) -> None:
        next_poll = time.monotonic() + POLL_INTERVAL_S
        drain_deadline = None
        while self._streams or (self.finished is None and not self.zygote_lost):
            now = time.monotonic()
            if self.finished is not None or self.zygote_lost:
                drain_deadline = drain_deadline or now + DRAIN_TIMEOUT_S
                if now >= drain_deadline:
                    return
            if now >= self.deadline:
                self.limit = "wall_time"
                return
            timeout = min(self.deadline, next_poll, drain_deadline or self.deadline) - now
            for key, _ in self._selector.select(max(timeout, 0)):
                self._handle(key.fd)
            if self.stdout.total + self.stderr.total > self.limits.max_output_bytes:
                self.limit = "output"
                return
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + POLL_INTERVAL_S
                if self.run_cgroups is not None and self.run_cgroups.refused_forks():
                    self.limit = "processes"
                    return
        if self.run_cgroups is not None and self.run_cgroups.refused_forks():
            self.limit = "processes"

    @property
    def streams_closed(self) -> bool:
        return not self._streams

    def close(self) -> None:
        self._selector.close()

    def forget_control(self) -> None:
        self._unregister(self.control.fileno())

    def drain_after_kill(self) -> None:
        """The sandbox was killed: read what is left in the pipes (they reach EOF at once)."""
        if self._request_fd in self._selector.get_map():
            self._unregister(self._request_fd)
        give_up = time.monotonic() + DRAIN_TIMEOUT_S
        while self._streams and time.monotonic() < give_up:
            for key, _ in self._selector.select(0.05):
                self._handle(key.fd)

    def _handle(self, fd: int) -> None:
        if fd == self.control.fileno():
            self._read_control()
        elif fd == self._request_fd:
            self._write_request()
        else:
            self._read_stream(fd)

    def _read_control(self) -> None:
        try:
            message, _ = receive_frame(self.control)
        except (OSError, ValueError):
            message = None
        if message is None:
            self.zygote_lost = True
            self._unregister(self.control.fileno())
        elif message.get("event") == "finished":
            self.finished = message

    def _write_request(self) -> None:
        try:
            written = os.write(self._request_fd, self._payload[:READ_CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:
            written = len(self._payload)  # the child is gone; its fate is reported separately
        self._payload = self._payload[written:]
        if not self._payload:
            self._unregister(self._request_fd)
            os.close(self._pipes.worker_ends.pop("request"))

    def _read_stream(self, fd: int) -> None:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        if chunk:
            self._streams[fd](chunk)
        else:
            self._unregister(fd)
            del self._streams[fd]

    def _add_result(self, chunk: bytes) -> None:
        if len(self.result) <= MAX_RESULT_BYTES:
            self.result += chunk

    def _unregister(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(fd)


class WarmPoolSandbox:
    """This worker slot's sandbox: ``run(SandboxRequest) -> SandboxOutcome``.

    Student code runs as ``uid_claim.uid``, which the pool holds until ``close()`` (see
    ``grader.sandbox.slots``): no other process on the host runs student code as that uid.
    """

    def __init__(self, *, uid_claim: UidClaim, recycle_after_runs: int,
                 warm_modules: tuple[str, ...] = WARM_MODULES) -> None:
        self.uid_claim = uid_claim
        self.uid = uid_claim.uid
        self.recycle_after_runs = max(1, recycle_after_runs)
        self.warm_modules = warm_modules
        self.controllers = cgroups.available_controllers()
        self.zygotes_started = 0
        self._zygote: Zygote | None = None
        if self.controllers:
            cgroups.remove_orphans(own_uid=self.uid)
        # --die-with-parent would end the zygote anyway; closing first also reaps it.
        self._owner_pid = os.getpid()
        atexit.register(self.close)

    def prestart(self, *, wait: bool = False) -> None:
        """Start the zygote now (it imports torch in the background) so the first run is fast;
        with ``wait``, return once it is ready (``SandboxFailure`` if it would not start)."""
        if self._zygote is None or not self._zygote.alive:
            self._replace_zygote()
        if wait:
            assert self._zygote is not None
            self._zygote.wait_ready()

    def run(self, request: SandboxRequest, *, on_report: Callable[[bytes], None] | None = None) -> SandboxOutcome:
        """Run ``request``; ``on_report`` (if given) gets each line the run writes on its report channel."""
        if request.fresh_process:
            return self._run_fresh(request, on_report)
        if request.data_files or request.hidden_paths:
            raise ValueError("data_files and hidden_paths need a fresh_process run: a warm zygote's view is fixed")
        self.prestart()
        assert self._zygote is not None
        try:
            record = self._zygote.execute(request, controllers=self.controllers, on_report=on_report)
        except SandboxFailure:
            self._discard_zygote()
            raise
        if not record.sandbox_is_reusable or self._zygote.runs >= self.recycle_after_runs:
            self._replace_zygote()
        return record.outcome

    def zygote_cpu_seconds(self) -> tuple[float, float] | None:
        """(its own, its runs') CPU seconds so far of the warm zygote now serving, or None."""
        return self._zygote._sandbox.zygote_cpu_seconds() if self._zygote is not None else None

    def close(self) -> None:
        if os.getpid() == self._owner_pid:  # a forked child must not end its parent's zygote
            self._discard_zygote()
            self.uid_claim.release()

    def _run_fresh(self, request: SandboxRequest, on_report: Callable[[bytes], None] | None) -> SandboxOutcome:
        spec = bwrap.SandboxSpec(uid=self.uid, devices=bwrap.gpu_devices(),
                                 data_files=tuple(request.data_files.items()), hidden_paths=request.hidden_paths)
        if request.data_files:
            request = replace(request, env={**request.env, bwrap.DATA_DIR_VARIABLE: bwrap.DATA_DIR_IN_SANDBOX})
        zygote = Zygote(spec)
        try:
            return zygote.execute(request, controllers=self.controllers, on_report=on_report).outcome
        finally:
            zygote.stop()

    def _replace_zygote(self) -> None:
        self._discard_zygote()
        self._zygote = Zygote(bwrap.SandboxSpec(uid=self.uid, warm_modules=self.warm_modules))
        self.zygotes_started += 1

    def _discard_zygote(self) -> None:
        if self._zygote is not None:
            self._zygote.stop()
            self._zygote = None

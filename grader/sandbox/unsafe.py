"""SANDBOX=unsafe-dev: runs the harness in a plain subprocess with a timeout. No isolation at all.

For a laptop without bubblewrap only (and the GPU check script on a machine without it); every use
is logged as a warning. It speaks the same protocol as the real sandbox (``runner.py once``), its
result passes the same validation, and it offers the same report channel and data files; hidden
paths are not hidden (nothing is).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader.sandbox.boundary import ReportLines, RunObservations, TailBuffer, decide_outcome
from grader.sandbox.bwrap import DATA_DIR_VARIABLE
from grader.sandbox.runner import REPORT_FD_VARIABLE
from grader.sandbox.types import SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("runner.py")
# After the run ends, how long its report channel may take to reach end-of-file.
REPORT_DRAIN_S = 2.0


class UnsafeSubprocessSandbox:
    def run(self, request: SandboxRequest, *, on_report: Callable[[bytes], None] | None = None) -> SandboxOutcome:
        logger.warning("SANDBOX=unsafe-dev: running student code WITHOUT isolation")
        nonce = secrets.token_hex(16)
        payload = json.dumps({
            "harness": request.harness,
            "entry": request.entry,
            "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
            "nonce": nonce,
        }).encode()
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="unsafe-sandbox-") as folder, \
                tempfile.TemporaryFile() as result_file:
            scratch = Path(folder) / "work"
            scratch.mkdir()
            env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch), **request.env}
            if request.data_files:
                env[DATA_DIR_VARIABLE] = str(_write_data_files(Path(folder) / "data", request.data_files))
            with _ReportChannel(on_report, request) as channel:
                if channel.write_fd is not None:
                    env[REPORT_FD_VARIABLE] = str(channel.write_fd)
                limit, exit_code, stdout, stderr = _run_runner(
                    payload, scratch=scratch, env=env, pass_fds=(result_file.fileno(), *channel.fds),
                    result_fd=result_file.fileno(), channel=channel, timeout=request.limits.wall_seconds)
            result_file.seek(0)
            result = result_file.read()
        observed = RunObservations(
            limit=limit, exit_code=exit_code, cpu_seconds=0.0, oom_kills=0, result=result,
            duration_s=time.monotonic() - started,
        )
        return decide_outcome(observed, limits=request.limits, nonce=nonce,
                              stdout=_tail(stdout, request), stderr=_tail(stderr, request))


def _run_runner(payload: bytes, *, scratch: Path, env: dict[str, str], pass_fds: tuple[int, ...], result_fd: int,
                channel: _ReportChannel, timeout: float):
    process = subprocess.Popen(
        [sys.executable, "-I", str(RUNNER), "once", str(result_fd)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=scratch, pass_fds=pass_fds, env=env,
        start_new_session=True,
    )
    channel.started()
    try:
        stdout, stderr = process.communicate(payload, timeout=timeout)
        return None, process.returncode, stdout, stderr
    except subprocess.TimeoutExpired:
        _kill_group(process)
        stdout, stderr = process.communicate()
        return "wall_time", process.returncode, stdout or b"", stderr or b""


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _write_data_files(folder: Path, files) -> Path:
    folder.mkdir()
    for name, content in files.items():
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"data file name {name!r} must be a plain name")
        (folder / name).write_bytes(content)
        (folder / name).chmod(0o444)
    return folder


class _ReportChannel:
    """A pipe whose write end the run inherits and whose lines a thread hands to ``on_report``."""

    def __init__(self, on_report: Callable[[bytes], None] | None, request: SandboxRequest) -> None:
        self.read_fd = self.write_fd = None
        self._thread: threading.Thread | None = None
        if on_report is not None:
            self.read_fd, self.write_fd = os.pipe()
            self._lines = ReportLines(on_report, max_line_bytes=request.limits.report_line_bytes,
                                      max_total_bytes=request.limits.report_bytes)

    @property
    def fds(self) -> tuple[int, ...]:
        return () if self.write_fd is None else (self.write_fd,)

    def __enter__(self) -> _ReportChannel:
        if self.read_fd is not None:
            self._thread = threading.Thread(target=self._read, daemon=True)
            self._thread.start()
        return self

    def started(self) -> None:
        """The run holds its own copy of the write end now: ours must go, or the reader never ends."""
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None

    def _read(self) -> None:
        while chunk := os.read(self.read_fd, 64 * 1024):
            self._lines.add(chunk)

    def __exit__(self, *exc_info) -> None:
        self.started()
        if self._thread is not None:
            self._thread.join(REPORT_DRAIN_S)
        if self.read_fd is not None and (self._thread is None or not self._thread.is_alive()):
            os.close(self.read_fd)


def _tail(raw: bytes, request: SandboxRequest) -> TailBuffer:
    buffer = TailBuffer(request.limits.output_bytes)
    buffer.add(raw)
    return buffer

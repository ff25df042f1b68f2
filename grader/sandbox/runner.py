"""Runs inside the sandbox: the zygote that forks one child per run, and the run itself.

This file is the only project file bound into the sandbox, so it imports nothing but the standard
library. Two ways to start it:

``runner.py zygote CONTROL_FD [MODULE ...]``
    Imports the warm modules (torch, ...), says ``ready`` on the control socket, then serves runs
    one at a time until the socket closes. Per run the trusted side sends a small control frame
    and the run's file descriptors (request pipe, stdout, stderr, result pipe, cgroup files); the
    zygote forks, waits for the child, kills every other process in its PID namespace, wipes the
    scratch space and answers ``finished`` with the child's exit status and CPU time. The zygote
    never reads a request's payload, so nothing of one student's submission stays in the memory
    that the next student's child inherits.

``runner.py once RESULT_FD`` (``SANDBOX=unsafe-dev`` only)
    Reads one request from stdin, runs it in the current directory, writes the result frame.

A request payload is JSON: ``harness`` (trusted source), ``entry`` (function name), ``files``
(name -> base64), ``env`` and ``nonce``. The result frame is one JSON line on the result pipe,
``{"nonce": ..., "data": ...}`` or ``{"nonce": ..., "error": "..."}``, written after the harness
returns. Student code shares this process, so the trusted side accepts the frame only if it is the
only thing on that pipe and carries the nonce; stdout and stderr are captured and never parsed.

When the trusted side opens a report channel (a ``report`` descriptor beside the others), the run
finds its number in ``$SANDBOX_REPORT_FD`` and may write lines there while it runs (training
progress); the worker reads them as they come, bounded and for display only.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import time
import traceback

FRAME_HEADER = struct.Struct(">I")
MAX_CONTROL_FRAME_BYTES = 1024 * 1024
SCRATCH_ROOTS = ("/tmp", "/dev/shm")
SCRATCH_DIR = "/tmp/work"
# bwrap's reaper is PID 1 of the sandbox's PID namespace and the zygote is PID 2: the only place
# where "kill every process I may signal" means "every process of this sandbox".
ZYGOTE_PID_IN_NAMESPACE = 2
SETUP_FAILED_EXIT_CODE = 121
PR_SET_DUMPABLE = 4
FD_ROLES = ("request", "stdout", "stderr", "result")
# Optional, after FD_ROLES: the report channel, named to the run in this environment variable.
REPORT_ROLE = "report"
REPORT_FD_VARIABLE = "SANDBOX_REPORT_FD"


# --- Framing shared with the trusted side (grader.sandbox.pool imports these) ---------------------


def send_frame(sock: socket.socket, document: dict, fds: list[int] | None = None) -> None:
    """Send one length-prefixed JSON frame, with ``fds`` attached to its first byte."""
    body = json.dumps(document).encode()
    data = FRAME_HEADER.pack(len(body)) + body
    sent = socket.send_fds(sock, [data], fds) if fds else sock.send(data)
    if sent < len(data):
        sock.sendall(data[sent:])


def receive_frame(sock: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """The next frame and the descriptors that came with it; ``(None, [])`` at end of stream."""
    header, fds = _receive_exactly(sock, FRAME_HEADER.size, max_fds)
    if header is None:
        return None, fds
    (length,) = FRAME_HEADER.unpack(header)
    if length > MAX_CONTROL_FRAME_BYTES:
        raise ValueError(f"control frame of {length} bytes is too large")
    body, _ = _receive_exactly(sock, length, 0)
    if body is None:
        return None, fds
    return json.loads(body), fds


def _receive_exactly(sock: socket.socket, count: int, max_fds: int) -> tuple[bytes | None, list[int]]:
    chunks: list[bytes] = []
    received = 0
    fds: list[int] = []
    while received < count:
        if max_fds and not fds:
            chunk, new_fds, _flags, _address = socket.recv_fds(sock, count - received, max_fds)
            fds.extend(new_fds)
        else:
            chunk = sock.recv(count - received)
        if not chunk:
            return None, fds
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks), fds


# --- One run: files in, harness called, one result frame out -----------------------------------


def run_request(request: dict, scratch: str) -> dict:
    """Write the request's files into ``scratch`` and call the harness; ``{"data"}`` or ``{"error"}``."""
    try:
        for name, encoded in request.get("files", {}).items():
            if os.path.dirname(os.path.normpath(name)) or name.startswith(".") or not name:
                raise ValueError(f"file name {name!r} must be a plain name")
            with open(os.path.join(scratch, name), "wb") as handle:
                handle.write(base64.b64decode(encoded))
        namespace: dict = {"__name__": "courseportal_harness"}
        exec(compile(request["harness"], "<harness>", "exec"), namespace)
        return {"data": namespace[request["entry"]](scratch)}
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from student code too
        return {"error": describe_exception(error)}


def describe_exception(error: BaseException) -> str:
    """The traceback a student can read: the harness's and this file's own frames left out."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    own_file = os.path.basename(__file__)
    kept = [line for line in lines if own_file not in line and "<harness>" not in line]
    return "".join(kept)[-4000:]


def write_result(result_fd: int, nonce: str, report: dict) -> None:
    try:
        line = json.dumps({"nonce": nonce, **report})
    except (TypeError, ValueError) as error:
        line = json.dumps({"nonce": nonce, "error": f"the harness returned data that is not JSON: {error}"})
    view = memoryview(line.encode() + b"\n")
    while view:
        view = view[os.write(result_fd, view):]


# --- The zygote ----------------------------------------------------------------------------------


def serve_as_zygote(control_fd: int, warm_modules: list[str]) -> None:
    _set_dumpable(False)  # the children, which run student code, cannot ptrace or read our /proc
    warmed = _import_warm_modules(warm_modules)
    control = socket.socket(fileno=control_fd)
    send_frame(control, {"event": "ready", "warm": warmed, "python": sys.version.split()[0]})
    while True:
        message, fds = receive_frame(control, max_fds=len(FD_ROLES) + 4)
        if message is None:
            return
        _wipe_scratch()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _become_run(control, message, fds)  # never returns
        for fd in fds:
            os.close(fd)
        _, status, usage = os.wait4(pid, 0)
        child_seconds = time.monotonic() - started
        clean = _kill_other_processes() and _wipe_scratch()
        send_frame(control, {
            "event": "finished",
            "exit_code": os.waitstatus_to_exitcode(status),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
            "child_seconds": child_seconds,
            "clean": clean,
        })


def _import_warm_modules(names: list[str]) -> list[str]:
    warmed = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            continue
        warmed.append(name)
    return warmed


def _become_run(control: socket.socket, message: dict, fds: list[int]) -> None:
    """In the forked child: confine this process, then run the request. Never returns."""
    exit_code = 0
    try:
        roles = dict(zip(message["fds"], fds, strict=True))
        os.setsid()
        for role, fd in roles.items():
            if role.startswith("cgroup:"):
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
        control.close()
        os.dup2(roles["stdout"], 1)
        os.dup2(roles["stderr"], 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        for fd in (devnull, roles["stdout"], roles["stderr"]):
            os.close(fd)
        _set_dumpable(True)
        _apply_limits(message["limits"])
        request = _read_request(roles["request"])
        channels = {REPORT_FD_VARIABLE: str(roles[REPORT_ROLE])} if REPORT_ROLE in roles else {}
        _enter_scratch({**request.get("env", {}), **channels})
    except BaseException:  # noqa: BLE001 - nothing of the student's has run yet
        os.write(2, ("sandbox setup failed:\n" + traceback.format_exc()).encode())
        os._exit(SETUP_FAILED_EXIT_CODE)
    try:
        report = run_request(request, SCRATCH_DIR)
        _flush_standard_streams()
        write_result(roles["result"], request["nonce"], report)
    except BaseException:  # noqa: BLE001
        exit_code = 1
    # os._exit: no atexit handler the student registered runs after the result is written.
    os._exit(exit_code)


def _apply_limits(limits: dict) -> None:
    for signal_number in (signal.SIGXCPU, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, signal.SIG_DFL)
    cpu = int(limits["cpu_seconds"] + 0.999)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if limits.get("address_space_bytes"):
        current = _address_space_bytes()
        resource.setrlimit(resource.RLIMIT_AS, (current + limits["address_space_bytes"],) * 2)


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _read_request(fd: int) -> dict:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks))


def _enter_scratch(extra_env: dict) -> None:
    os.makedirs(SCRATCH_DIR, mode=0o700)
    os.chdir(SCRATCH_DIR)
    os.environ.clear()
    os.environ.update({
        "PATH": "/usr/bin:/bin",
        "HOME": SCRATCH_DIR,
        "TMPDIR": SCRATCH_DIR,
        "LANG": "C.UTF-8",
        "USER": "student",
        "LOGNAME": "student",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        **{str(key): str(value) for key, value in extra_env.items()},
    })


def _kill_other_processes() -> bool:
    """SIGKILL everything in this PID namespace but its reaper and us; True once all are gone."""
    if os.getpid() != ZYGOTE_PID_IN_NAMESPACE:
        raise RuntimeError("refusing kill(-1) outside the sandbox's PID namespace")
    for _ in range(400):
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        _reap_children()
        survivors = [entry for entry in os.listdir("/proc") if entry.isdigit() and int(entry) > 2]
        if not survivors:
            return True
        time.sleep(0.005)
    return False


def _reap_children() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wipe_scratch() -> bool:
    """Empty /tmp and /dev/shm (the sandbox's only writable places); False if something stayed."""
    for root in SCRATCH_ROOTS:
        if not os.path.isdir(root):
            continue
        for entry in os.listdir(root):
            path = os.path.join(root, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=_make_writable_and_retry)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    return not any(os.listdir(root) for root in SCRATCH_ROOTS if os.path.isdir(root))


def _make_writable_and_retry(function, path, _error) -> None:
    # A student may chmod 000 a folder in scratch; we own it, so we may open it up again.
    parent = os.path.dirname(path)
    for target in (parent, path):
        with contextlib.suppress(OSError):
            os.chmod(target, 0o700, follow_symlinks=False)
    try:
        function(path)
    except FileNotFoundError:
        pass
    except OSError:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)


def _set_dumpable(dumpable: bool) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0)


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


# --- SANDBOX=unsafe-dev ------------------------------------------------------------------------


def run_once(result_fd: int) -> None:
    request = json.loads(sys.stdin.buffer.read())
    sys.stdin = open(os.devnull)  # noqa: SIM115 - student code must not read the request
    report = run_request(request, os.getcwd())
    _flush_standard_streams()
    write_result(result_fd, request.get("nonce", ""), report)


def main(argv: list[str]) -> None:
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "zygote":
        serve_as_zygote(int(argv[2]), argv[3:])
    elif mode == "once":
        run_once(int(argv[2]))
    else:
        raise SystemExit("usage: runner.py zygote CONTROL_FD [MODULE ...] | runner.py once RESULT_FD")


if __name__ == "__main__":
    main(sys.argv)

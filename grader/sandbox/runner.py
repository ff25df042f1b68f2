"""Runs inside the sandbox: the zygote that forks one child per run, and the run itself.

This file is the only project file bound into the sandbox, so it imports nothing but the standard
library. Two ways to start it:

``runner.py zygote CONTROL_FD [MODULE ...]``
    Imports the warm modules (torch, ...), says ``ready`` on the control socket, then serves runs
    one at a time until the socket closes. Per run the trusted side sends a small control frame
    and the run's file descriptors (request pipe, stdout, stderr, result pipe, cgroup files); the
    zygote forks, waits for the child, checks that the run changed none of the zygote's own
    settings that the next child would inherit, kills every other process in its PID namespace,
    removes every IPC object, wipes the scratch space and answers ``finished`` with the child's
    exit status, CPU time and anything the run changed or left behind. The zygote never reads a
    request's payload, so nothing of one student's submission stays in the memory that the next
    student's child inherits.

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
import ctypes
import functools
import gc
import importlib.util
import json
import marshal
import os
import re
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
# Deeper results are refused on both sides of the boundary: json would recurse past Python's
# limit long before the 4 MiB cap, and no harness needs more than a few levels.
MAX_RESULT_NESTING = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_ALL_BUT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# A run shares the zygote's uid, so it may change these settings of PID 2 (prlimit, setpriority,
# sched_setscheduler, sched_setaffinity, ioprio_set) and every later child would inherit them.
RESOURCE_LIMITS = {}
for _name in sorted(name for name in dir(resource) if name.startswith("RLIMIT_")):
    RESOURCE_LIMITS.setdefault(getattr(resource, _name), _name)
SCHEDULING_POLICIES = {
    getattr(os, name): name for name in ("SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE", "SCHED_FIFO", "SCHED_RR")
    if hasattr(os, name)
}
# System call numbers the standard library has no wrapper for (the trusted side's seccomp filter
# uses the keyring ones). Other architectures are refused by grader.sandbox.health.
SYSCALL_NUMBERS = {
    "x86_64": {"add_key": 248, "request_key": 249, "keyctl": 250, "ioprio_get": 252, "sched_getattr": 315},
    "aarch64": {"add_key": 217, "request_key": 218, "keyctl": 219, "ioprio_get": 31, "sched_getattr": 275},
}
IOPRIO_WHO_PROCESS = 1
IO_PRIORITY_CLASSES = {0: "default", 1: "real-time", 2: "best-effort", 3: "idle"}
# struct sched_attr: size, policy, flags, nice, priority, runtime, deadline, period, util_min, util_max
SCHED_ATTR = struct.Struct("=IIQiIQQQII")
IPC_RMID = 0
# /proc/sysvipc/<file>: what one object is called, and the column that holds its bytes (if any).
SYSV_IPC_FILES = {"shm": ("SysV shared memory segment", 3), "msg": ("SysV message queue", 3),
                  "sem": ("SysV semaphore set", None)}
MQUEUE_DIR = "/dev/mqueue"  # bwrap --mqueue: the POSIX message queues of this IPC namespace
# The file name of harness code in tracebacks (left out of what the student reads), and the
# version of compiled code this interpreter reads (a precompiled harness must match it).
HARNESS_FILENAME = "<harness>"
_MARSHAL_MAGIC = importlib.util.MAGIC_NUMBER.hex()
# madvise(2): make huge pages of a range now (Linux 6.1+); the size of one on x86_64 and aarch64 (4 KiB pages).
MADV_COLLAPSE = 25
HUGE_PAGE_BYTES = 2 * 1024 * 1024
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


@functools.lru_cache(maxsize=32)
def precompiled_harness(source: str) -> dict[str, str]:
    """Payload fields that carry ``source`` already compiled (``marshal``), for ``harness_code``.

    The worker compiles each harness once instead of every run compiling it again (a millisecond
    of each lec2_hw1 run). Only trusted harness source is compiled here, never a student's file.
    Empty when it does not compile: the run then compiles it and reports the error as before.
    """
    try:
        code = compile(source, HARNESS_FILENAME, "exec")
    except (SyntaxError, ValueError):
        return {}
    return {"harness_code": base64.b64encode(marshal.dumps(code)).decode(), "harness_magic": _MARSHAL_MAGIC}


def harness_code(request: dict):
    """The request's harness as a code object: the worker's compilation when it was made by this
    same interpreter version, otherwise compiled here from the source."""
    if request.get("harness_magic") == _MARSHAL_MAGIC and "harness_code" in request:
        with contextlib.suppress(ValueError, EOFError, TypeError):
            return marshal.loads(base64.b64decode(request["harness_code"]))
    return compile(request["harness"], HARNESS_FILENAME, "exec")


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
        exec(harness_code(request), namespace)
        return {"data": namespace[request["entry"]](scratch)}
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from student code too
        return {"error": describe_exception(error)}


def describe_exception(error: BaseException) -> str:
    """The traceback a student can read: the harness's and this file's own frames left out."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    own_file = os.path.basename(__file__)
    kept = [line for line in lines if own_file not in line and HARNESS_FILENAME not in line]
    return "".join(kept)[-4000:]


def write_result(result_fd: int, nonce: str, report: dict) -> None:
    try:
        line = json.dumps({"nonce": nonce, **report})
        # The frame's own object is one level; the data may use the rest.
        if json_nesting_depth(line.encode(), limit=MAX_RESULT_NESTING + 1) > MAX_RESULT_NESTING + 1:
            raise ValueError(f"it is nested more than {MAX_RESULT_NESTING} levels deep")
    except (TypeError, ValueError, RecursionError) as error:
        line = json.dumps({"nonce": nonce, "error": f"the harness returned data that is not JSON: {error}"})
    view = memoryview(line.encode() + b"\n")
    while view:
        view = view[os.write(result_fd, view):]


def json_nesting_depth(text: bytes, *, limit: int) -> int:
    """How many arrays and objects deep the JSON ``text`` goes; counting stops past ``limit``.

    Read from the text, without parsing it: strings are dropped, every bracket becomes ``(`` or
    ``)`` and each pass peels one level (``()`` removed), so a hostile document costs at most
    ``limit`` linear passes in C and no recursion. Unbalanced text stops the count; it is not
    JSON, and parsing it says so.
    """
    brackets = _JSON_STRING.sub(b"", text).translate(_AS_PARENTHESES, _ALL_BUT_BRACKETS)
    depth = 0
    while brackets and depth <= limit:
        peeled = brackets.replace(b"()", b"")
        if len(peeled) == len(brackets):
            break
        brackets, depth = peeled, depth + 1
    return depth


# --- The zygote ----------------------------------------------------------------------------------


def serve_as_zygote(control_fd: int, warm_modules: list[str]) -> None:
    _set_dumpable(False)  # the children, which run student code, cannot ptrace or read our /proc
    warmed = _import_warm_modules(warm_modules)
    as_started = inheritable_settings()
    control = socket.socket(fileno=control_fd)
    send_frame(control, {"event": "ready", "warm": warmed, "python": sys.version.split()[0]})
    runs = 0
    while True:
        if runs == 1:
            # Tuning for cheaper forks costs about a third of a second and pays off over many runs:
            # done after the first run, so the grading that started this zygote never waits for it.
            _tune_for_forking(warmed)
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
        runs += 1
        child_seconds = time.monotonic() - started
        clean, changed, left_behind = _clean_up_after_run(as_started)
        send_frame(control, {
            "event": "finished",
            "exit_code": os.waitstatus_to_exitcode(status),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
            "child_seconds": child_seconds,
            "clean": clean,
            "changed": changed,
            "left_behind": left_behind,
        })


def _clean_up_after_run(as_started: dict[str, object]) -> tuple[bool, list[str], list[list]]:
    """Kill what the run left running, see what it changed, remove its IPC objects, empty scratch.

    Returns whether all of it is gone, ``settings_changed_since(as_started)``, and
    ``[what, count, bytes]`` for each kind of IPC object the run left (those are a channel to the
    next run, and SysV shared memory outlives every process and cgroup).
    """
    try:
        processes_gone = _kill_other_processes()
    except OSError:  # listing /proc failed (the run lowered our RLIMIT_NOFILE?); kill(-1) was sent
        processes_gone = False
    # Only now: until it was killed, a process the run left could still change our settings.
    changed = settings_changed_since(as_started)
    try:
        left_behind, ipc_gone = _remove_ipc_objects()
        return processes_gone and ipc_gone and _wipe_scratch(), changed, left_behind
    except (OSError, MemoryError, ValueError) as error:
        return False, changed, [[f"clean-up failed ({error})", 1, 0]]


def _import_warm_modules(names: list[str]) -> list[str]:
    warmed = []
    for name in names:
        try:
            __import__(name)
        except ImportError:
            continue
        warmed.append(name)
    return warmed


def _tune_for_forking(warmed: list[str]) -> None:
    if "torch" in warmed:
        _warm_up_torch()
    _back_with_huge_pages()


def _warm_up_torch() -> None:
    """Build one of each common ``torch.nn`` layer and list its parameters, once, in the zygote.

    A child otherwise does this work again for the first time in every run: torch's lazily made
    state (its weight-initialisation path, operator look-ups) and the interpreter's specialised
    bytecode for ``nn.Module``, all of which every child now inherits from here (a forked child
    that builds lec2_hw1's model: about 4 ms less CPU; docs/sandbox.md, "Overhead"). Only our own
    layers are built and nothing runs forward (no thread pool starts); the random generator's
    state is put back, so a run draws the same numbers as without the warm-up.
    """
    import torch

    nn = torch.nn
    generator_state = torch.get_rng_state()
    try:
        model = nn.Sequential(
            nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.ConvTranspose2d(2, 2, 2),
            nn.Conv2d(2, 2, 1, bias=False), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(2, 2), nn.BatchNorm1d(2), nn.LayerNorm(2), nn.Dropout(0.5), nn.Linear(2, 2),
        )
        for _name, module in model.named_modules():
            for _parameter_name, parameter in module.named_parameters(recurse=False):
                tuple(parameter.shape)
    except Exception:  # noqa: BLE001 - a warm-up that fails costs time, never a run
        pass
    finally:
        torch.set_rng_state(generator_state)
    gc.collect()


def _back_with_huge_pages() -> int:
    """Ask the kernel to back the zygote's private memory with 2 MiB pages; the bytes it did.

    Forking copies one page-table entry per 4 KiB page mapped (torch leaves about 140 MiB of
    private memory: about 36,000 entries), and the child's exit frees them again; with huge pages
    fork copies one entry per 2 MiB (fork and exit together: about 8 ms less CPU per run;
    docs/sandbox.md, "Overhead"). A child that
    writes to such a page gets its own 4 KiB copy as before (copy-on-write, charged to the run's
    memory cgroup), so nothing is shared that was not shared before. ``MADV_COLLAPSE`` (Linux 6.1)
    is synchronous; on older kernels or with transparent huge pages set to ``never`` it fails
    and the zygote forks as before.
    """
    try:
        with open("/proc/self/maps") as listing:
            regions = [line.split() for line in listing]
    except OSError:
        return 0
    madvise = _libc().madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    collapsed = 0
    for fields in regions:
        # Private writable memory: anonymous (no path) or the heap; file-backed pages are not copied by fork.
        if len(fields) < 5 or fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        start, end = (int(address, 16) for address in fields[0].split("-"))
        first = -(-start // HUGE_PAGE_BYTES) * HUGE_PAGE_BYTES
        last = end // HUGE_PAGE_BYTES * HUGE_PAGE_BYTES
        if last > first and madvise(first, last - first, MADV_COLLAPSE) == 0:
            collapsed += last - first
    return collapsed


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


def inheritable_settings() -> dict[str, object]:
    """This process's settings that a forked child inherits and another process of our uid can
    change: every resource limit, scheduling policy and priority, nice, CPU affinity, I/O
    priority and utilisation clamps. Plain values, comparable with ``==``."""
    settings: dict[str, object] = {
        name: tuple("unlimited" if value == resource.RLIM_INFINITY else value for value in resource.getrlimit(number))
        for number, name in RESOURCE_LIMITS.items()
    }
    policy = os.sched_getscheduler(0)
    settings["scheduling policy"] = SCHEDULING_POLICIES.get(policy, policy)
    settings["real-time priority"] = os.sched_getparam(0).sched_priority
    settings["nice"] = os.getpriority(os.PRIO_PROCESS, 0)
    settings["CPU affinity"] = sorted(os.sched_getaffinity(0))
    settings["I/O priority"] = _io_priority()
    settings["scheduling attributes"] = _scheduling_attributes()
    return settings


def settings_changed_since(before: dict[str, object]) -> list[str]:
    """``"<setting> from <before> to <now>"`` for each of ``inheritable_settings`` that changed."""
    now = inheritable_settings()
    return [f"{name} from {before[name]} to {now.get(name)}" for name in before if now.get(name) != before[name]]


def _io_priority() -> str | None:
    value = _syscall("ioprio_get", IOPRIO_WHO_PROCESS, 0)
    if value is None or value < 0:
        return None
    return f"{IO_PRIORITY_CLASSES.get(value >> 13, value >> 13)} class, level {value & 0xFF}"


def _scheduling_attributes() -> str | None:
    """sched_getattr's flags and utilisation clamps, which os.sched_* do not show."""
    attributes = ctypes.create_string_buffer(SCHED_ATTR.size)
    if _syscall("sched_getattr", 0, attributes, SCHED_ATTR.size, 0) != 0:
        return None
    fields = SCHED_ATTR.unpack(attributes.raw)
    return f"flags {fields[2]:#x}, utilisation clamp {fields[-2]}..{fields[-1]}"


def _syscall(name: str, *arguments: object) -> int | None:
    number = SYSCALL_NUMBERS.get(os.uname().machine, {}).get(name)
    if number is None:
        return None
    result = _libc().syscall(number, *arguments)
    return result if result >= 0 else -ctypes.get_errno()


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _remove_ipc_objects() -> tuple[list[list], bool]:
    """Remove every SysV IPC object and POSIX message queue of this IPC namespace (only runs
    make them). Returns ``[what, count, bytes]`` per kind found, and whether none is left."""
    found: list[list] = []
    for file_name, (what, size_column) in SYSV_IPC_FILES.items():
        objects = _sysv_ipc_objects(file_name, size_column)
        for identifier, _size in objects:
            _remove_sysv_ipc_object(file_name, identifier)
        if objects:
            found.append([what, len(objects), sum(size for _, size in objects)])
    queues = os.listdir(MQUEUE_DIR) if os.path.isdir(MQUEUE_DIR) else []
    for name in queues:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(MQUEUE_DIR, name))
    if queues:
        found.append(["POSIX message queue", len(queues), 0])
    if not found:
        return found, True
    left = any(_sysv_ipc_objects(name, None) for name in SYSV_IPC_FILES) or bool(queues and os.listdir(MQUEUE_DIR))
    return found, not left


def _sysv_ipc_objects(file_name: str, size_column: int | None) -> list[tuple[int, int]]:
    """(identifier, bytes) of each object in /proc/sysvipc/``file_name`` (this IPC namespace's)."""
    try:
        with open(f"/proc/sysvipc/{file_name}") as listing:
            rows = [line.split() for line in listing.readlines()[1:]]
    except FileNotFoundError:
        return []
    return [(int(row[1]), int(row[size_column]) if size_column is not None else 0) for row in rows if row]


def _remove_sysv_ipc_object(file_name: str, identifier: int) -> None:
    libc = _libc()
    if file_name == "shm":
        libc.shmctl(identifier, IPC_RMID, None)
    elif file_name == "msg":
        libc.msgctl(identifier, IPC_RMID, None)
    else:
        libc.semctl(identifier, 0, IPC_RMID)


def _set_dumpable(dumpable: bool) -> None:
    _libc().prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0)


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

"""Starting one bubblewrap sandbox: who it runs as, what it can see, and nothing else.

The worker (root) drops to the slot's unprivileged uid *before* exec'ing bwrap, so bwrap builds
its namespaces as an ordinary user (an unprivileged user namespace) and student code never holds
a capability, inside or outside. The runner is copied in (``--ro-bind-data``), so the project's
folder itself is never needed inside; the Python environment is bound by path and must be
reachable by the slot uid, which ``grader.sandbox.health`` checks (bwrap 0.8 resolves even
``--ro-bind-fd`` sources by path, so a descriptor opened by root does not get around a 0700
folder such as /root).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox import seccomp
from grader.sandbox.runner import MQUEUE_DIR

BWRAP = "/usr/bin/bwrap"
RUNNER_SOURCE = Path(__file__).with_name("runner.py")
RUNNER_IN_SANDBOX = "/opt/courseportal/runner.py"
ENVIRONMENT_IN_SANDBOX = Path("/opt/courseportal/env")
# Where a fresh-process run finds ``SandboxRequest.data_files``, and the variable that says so.
DATA_DIR_IN_SANDBOX = "/opt/courseportal/data"
DATA_DIR_VARIABLE = "SANDBOX_DATA_DIR"
# Each sandbox's /tmp and /dev/shm are private tmpfs mounts; their pages are also charged to the
# run's memory cgroup, so these are ceilings on top of the memory limit, not instead of it.
SCRATCH_TMPFS_BYTES = 1024**3
SHM_TMPFS_BYTES = 256 * 1024**2
# Read-only files from /etc that the interpreter and its libraries need; nothing else of /etc.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "nsswitch.conf")
SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    # One thread per library: the host's cores are shared by every worker slot.
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass(frozen=True)
class SandboxSpec:
    """What one sandbox is: its uid, the modules its zygote imports, what else it may see."""

    uid: int
    warm_modules: tuple[str, ...] = ()
    devices: tuple[str, ...] = field(default_factory=tuple)
    # Extra host paths shown read-only at the same place (data sets for training runs).
    read_only_paths: tuple[str, ...] = field(default_factory=tuple)
    # (name, content) copied in read-only under DATA_DIR_IN_SANDBOX: no host path is involved, so
    # nothing but these bytes (never a folder's other files) can be seen, whatever the folder's mode.
    data_files: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)
    # Host paths inside what the sandbox shows (the Python environment, /usr) covered by an empty
    # read-only folder.
    hidden_paths: tuple[str, ...] = field(default_factory=tuple)


def python_in_sandbox() -> str:
    """The interpreter's path inside the sandbox, where the environment sits at a fixed place."""
    mounts = dict(python_environment_mounts())
    for host, inside in mounts.items():
        if Path(sys.executable).is_relative_to(host):
            return str(Path(inside) / Path(sys.executable).relative_to(host))
    base = Path(sys.base_prefix)
    return str(Path(mounts.get(base, base)) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")


def python_environment_mounts() -> list[tuple[Path, Path]]:
    """(host folder, folder inside the sandbox) for each of ``python_environment_roots``.

    The virtualenv is shown at a fixed path, not its own: a checkout under /tmp (as CI may make)
    would otherwise land inside the sandbox's private /tmp and vanish under it. A virtualenv is
    relocatable for this purpose: Python finds its prefix from the interpreter's location.
    """
    prefix = Path(sys.prefix)
    return [(root, ENVIRONMENT_IN_SANDBOX if root == prefix else root) for root in python_environment_roots()]


def python_environment_roots() -> list[Path]:
    """Folders the interpreter needs besides /usr: the virtualenv, and a base install elsewhere."""
    roots = [Path(sys.prefix)]
    base = Path(sys.base_prefix)
    if base != Path(sys.prefix) and not base.is_relative_to("/usr"):
        roots.append(base)
    return [root for root in roots if not root.is_relative_to("/usr")]


def path_in_sandbox(host_path: str | os.PathLike) -> str | None:
    """Where the sandbox shows ``host_path`` (the environment sits elsewhere inside), or None if it
    does not show it at all."""
    path = Path(host_path)
    for host, inside in python_environment_mounts():
        if path.is_relative_to(host):
            return str(Path(inside) / path.relative_to(host))
    return str(path) if path.is_relative_to("/usr") else None


def gpu_devices() -> tuple[str, ...]:
    """NVIDIA device nodes present on this host (bound only into fresh-process runs)."""
    try:
        names = os.listdir("/dev")
    except OSError:
        return ()
    return tuple(sorted(f"/dev/{name}" for name in names if name.startswith("nvidia")))


class LaunchedSandbox:
    """A started bwrap process and the descriptors it must keep until it has read them."""

    def __init__(self, process: subprocess.Popen, stderr_file) -> None:
        self.process = process
        self._stderr_file = stderr_file

    def setup_errors(self) -> str:
        """What bwrap (or the zygote before it took over) printed to stderr, for operators."""
        self._stderr_file.seek(0)
        return self._stderr_file.read().decode("utf-8", "replace")[-4000:]

    def kill(self) -> None:
        """End the sandbox and every process in it.

        SIGKILL goes to bwrap's child first, the PID namespace's init: when a namespace's init
        dies the kernel kills and reaps everything inside, and the outer bwrap reaps the init and
        exits. Killing the outer bwrap first would leave that init to the host's init to reap.
        """
        if self.process.poll() is None:
            for pid in _children(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()
        self._stderr_file.close()


    def zygote_cpu_seconds(self) -> tuple[float, float] | None:
        """(its own, its reaped children's) CPU seconds of the process bwrap runs (the zygote), read
        from the host's /proc; None once it is gone. For measurements (``measure.cpu_per_run_ms``)."""
        inner = _children(self.process.pid)  # bwrap's PID-namespace init, whose child is the zygote
        zygote = _children(inner[0]) if inner else []
        if not zygote:
            return None
        try:
            with open(f"/proc/{zygote[0]}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks, (int(fields[13]) + int(fields[14])) / ticks


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except (OSError, ValueError):
        return []


def launch(spec: SandboxSpec, *, control_fd: int) -> LaunchedSandbox:
    """Start bwrap as ``spec.uid`` running the zygote on ``control_fd``. Raises ``OSError``."""
    opened: list[int] = []
    try:
        arguments = _arguments(spec, control_fd=control_fd, opened=opened)
        stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the sandbox
        process = subprocess.Popen(
            arguments,
            executable=BWRAP,
            env={},  # bwrap's own environment is readable as /proc/1/environ inside: keep it empty
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
            pass_fds=(control_fd, *opened),
            user=spec.uid,
            group=spec.uid,
            extra_groups=[],
            close_fds=True,
        )
    finally:
        for fd in opened:
            os.close(fd)
    return LaunchedSandbox(process, stderr_file)


def _arguments(spec: SandboxSpec, *, control_fd: int, opened: list[int]) -> list[str]:
    def readable_fd(content: str | bytes) -> str:
        # A memfd, not a pipe: the runner is larger than a pipe's buffer.
        fd = os.memfd_create("sandbox-file", os.MFD_CLOEXEC)
        os.write(fd, content.encode() if isinstance(content, str) else content)
        os.lseek(fd, 0, os.SEEK_SET)
        opened.append(fd)
        return str(fd)

    def data_file(content: str | bytes, destination: str) -> list[str]:
        return ["--ro-bind-data", readable_fd(content), destination]

    arguments = [
        "bwrap", "--unshare-all", "--unshare-user", "--disable-userns",
        "--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox",
        "--ro-bind", "/usr", "/usr",
    ]
    for name in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / name
        if target.is_symlink():
            arguments += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            arguments += ["--ro-bind", str(target), str(target)]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            arguments += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    arguments += data_file(f"student:x:{spec.uid}:{spec.uid}:student:/tmp/work:/usr/sbin/nologin\n", "/etc/passwd")
    arguments += data_file(f"student:x:{spec.uid}:\n", "/etc/group")
    arguments += data_file("127.0.0.1 localhost sandbox\n::1 localhost\n", "/etc/hosts")
    # The mqueue filesystem of the sandbox's own IPC namespace: where the zygote finds the POSIX
    # message queues a run left, to remove them.
    arguments += ["--proc", "/proc", "--dev", "/dev", "--mqueue", MQUEUE_DIR]
    arguments += ["--size", str(SCRATCH_TMPFS_BYTES), "--tmpfs", "/tmp"]
    arguments += ["--size", str(SHM_TMPFS_BYTES), "--tmpfs", "/dev/shm"]
    for device in spec.devices:
        arguments += ["--dev-bind", device, device]
    for host, inside in python_environment_mounts():
        arguments += ["--ro-bind", str(host), str(inside)]
    for path in spec.read_only_paths:
        arguments += ["--ro-bind", str(path), str(path)]
    for host in spec.hidden_paths:
        hidden = path_in_sandbox(host)
        if hidden is None:
            continue  # not shown anyway
        if Path(host).is_dir():
            arguments += ["--tmpfs", hidden, "--remount-ro", hidden]
        else:
            arguments += ["--ro-bind", "/dev/null", hidden]
    for name, content in spec.data_files:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"data file name {name!r} must be a plain name")
        arguments += data_file(content, f"{DATA_DIR_IN_SANDBOX}/{name}")
    arguments += data_file(RUNNER_SOURCE.read_bytes(), RUNNER_IN_SANDBOX)
    arguments += ["--remount-ro", "/", "--chdir", "/tmp"]
    arguments += ["--add-seccomp-fd", readable_fd(seccomp.keyring_filter())]
    for name, value in SANDBOX_ENV.items():
        arguments += ["--setenv", name, value]
    arguments += [python_in_sandbox(), "-I", "-B", RUNNER_IN_SANDBOX, "zygote", str(control_fd)]
    return arguments + list(spec.warm_modules)

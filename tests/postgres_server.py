"""A throwaway PostgreSQL server from Debian's packages, for the test suite's PostgreSQL pass.

``make test`` runs the suite a second time through this module::

    python -m tests.postgres_server -- python -m pytest -m "integration or postgres"

It creates a cluster in a new temporary folder (``initdb``), runs ``postgres`` there as an
unprivileged user (``postgres``, or ``nobody`` where Debian's user is missing; the invoking user
when not root), listening on a unix socket in that folder only (no TCP), creates an empty database
``courseportal`` and runs the command with ``DATABASE_URL`` pointing at it. Whatever happens (the
command fails, Ctrl-C, SIGTERM) the server is stopped and the folder removed; if this process is
killed outright, the kernel tells the server and the command to quit (``PR_SET_PDEATHSIG``) and
only the folder is left in the temporary directory.

The server trades durability for speed (``fsync=off``): it holds nothing worth keeping.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "courseportal"
SUPERUSER = "postgres"
READY_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
# Settings for a disposable server on a small shared machine: nothing must survive a crash, and
# the integration tests' workers plus the test process need only a few dozen connections.
SERVER_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "64MB",
}


class PostgresUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class TemporaryPostgres:
    root: Path
    process: subprocess.Popen

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = DATABASE_NAME) -> str:
        """A ``DATABASE_URL`` for ``database`` on this server (host: the socket's folder)."""
        return f"postgresql://{SUPERUSER}@{quote(str(self.socket_dir), safe='')}/{database}"


def server_binary(name: str) -> Path:
    """``initdb`` or ``postgres`` from Debian's ``postgresql-NN`` package (newest installed)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found is None:
        raise PostgresUnavailable(f"{name} not found: install Debian's postgresql package (make system-packages)")
    return Path(found)


def server_account() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable("running as root, but neither a postgres nor a nobody account exists")


@contextmanager
def temporary_postgres() -> Iterator[TemporaryPostgres]:
    """A running server with an empty ``courseportal`` database; stopped and deleted on exit."""
    root = Path(tempfile.mkdtemp(prefix="courseportal-postgres-"))
    account = server_account()
    process: subprocess.Popen | None = None
    try:
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        as_account = _as_account(account)
        data = root / "data"
        subprocess.run([str(server_binary("initdb")), "--pgdata", str(data), "--username", SUPERUSER,
                        "--auth", "trust", "--encoding", "UTF8", "--no-locale", "--no-sync"],
                       check=True, capture_output=True, cwd=root, **as_account)
        options = [argument for name, value in SERVER_SETTINGS.items() for argument in ("-c", f"{name}={value}")]
        with open(root / "server.log", "wb") as log:
            if account is not None:
                os.chown(root / "server.log", account.pw_uid, account.pw_gid)
            process = subprocess.Popen(
                [str(server_binary("postgres")), "-D", str(data), "-k", str(root), *options],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_quit_with_parent, cwd=root, **as_account,
            )
        server = TemporaryPostgres(root=root, process=process)
        _wait_until_ready(server)
        _create_database(server, DATABASE_NAME)
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _as_account(account: pwd.struct_passwd | None) -> dict:
    # (The programs run in the temporary folder, not in the caller's, which that account may not
    # be allowed to read: a checkout under /root.)
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": [],
            "env": {**os.environ, "HOME": str(account.pw_dir), "USER": account.pw_name}}


def _quit_with_parent() -> None:
    # Runs in the forked child after the switch to the server's account (which would clear it):
    # SIGQUIT is PostgreSQL's immediate shutdown.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)


def _end_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _log_tail(server: TemporaryPostgres) -> str:
    path = server.root / "server.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _wait_until_ready(server: TemporaryPostgres) -> None:
    import psycopg

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise PostgresUnavailable(f"postgres exited with {server.process.returncode}:\n{_log_tail(server)}")
        try:
            psycopg.connect(server.url("postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"postgres not ready after {READY_TIMEOUT_S:g} s:\n"
                                          f"{_log_tail(server)}") from None
            time.sleep(0.1)


def _create_database(server: TemporaryPostgres, name: str) -> None:
    import psycopg

    with psycopg.connect(server.url("postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _stop(process: subprocess.Popen) -> None:
    """Fast shutdown (SIGINT: disconnect clients, no checkpoint wait), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _raise_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.postgres_server",
        description="Run COMMAND with DATABASE_URL pointing at a throwaway PostgreSQL server.")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command (after --)")
    command = parser.parse_args(argv).command
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("give a command after --")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)  # so that the server is stopped and removed
    with temporary_postgres() as server:
        url = server.url()
        print(f"postgres_server: {url} (data in {server.root})", file=sys.stderr, flush=True)
        return subprocess.run(command, env={**os.environ, "DATABASE_URL": url},
                              preexec_fn=_end_with_parent).returncode


if __name__ == "__main__":
    sys.exit(main())

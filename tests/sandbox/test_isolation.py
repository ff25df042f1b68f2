"""What student code can reach from inside: who it is, what it sees, and what stops a bad host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import bwrap, health, seccomp
from grader.sandbox.pool import Zygote
from grader.sandbox.types import SandboxRequest
from tests.sandbox.conftest import harness, needs_bwrap_as_root, suite_uid

pytestmark = pytest.mark.sandbox
REPO_ROOT = Path(__file__).resolve().parents[2]


def run_in_sandbox(body: str, **spec_fields):
    zygote = Zygote(bwrap.SandboxSpec(uid=suite_uid(), **spec_fields))
    try:
        return zygote.execute(SandboxRequest(harness=harness(body), entry="main"), controllers=frozenset()).outcome
    finally:
        zygote.stop()


@needs_bwrap_as_root
def test_student_code_runs_as_the_slot_uid_without_any_capability():
    outcome = run_in_sandbox(
        "status = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
        "return {'uid': os.getuid(), 'caps': [status[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb')],"
        " 'outside': open('/proc/self/uid_map').read().split()}"
    )
    assert outcome.data["uid"] == suite_uid()
    assert outcome.data["caps"] == ["0000000000000000"] * 4


@needs_bwrap_as_root
def test_a_root_only_file_shown_in_the_sandbox_still_cannot_be_read():
    """Why bwrap is started as the slot uid: as root it would keep the power to read this."""
    assert os.stat("/etc/shadow").st_mode & 0o004 == 0
    outcome = run_in_sandbox("open('/etc/shadow').read()\nreturn 'read it'", read_only_paths=("/etc/shadow",))
    assert outcome.data is None
    assert "PermissionError: [Errno 13] Permission denied: '/etc/shadow'" in outcome.error


def test_an_environment_under_a_folder_others_cannot_enter_is_refused_clearly(monkeypatch, tmp_path):
    venv = tmp_path / "root-like" / "project" / ".venv"
    venv.mkdir(parents=True)
    os.chmod(tmp_path / "root-like", 0o700)  # like /root
    monkeypatch.setattr(sys, "prefix", str(venv))
    problems = health._preconditions()
    # The first such folder is named (pytest's own base folder is 0700 too, so it may be that one).
    assert any(
        f"The Python environment {venv} is not reachable by the sandbox uid (" in problem
        and " is mode 700)" in problem and "not under /root" in problem for problem in problems
    ), problems


@needs_bwrap_as_root
def test_new_user_namespaces_cannot_be_made_inside():
    outcome = run_in_sandbox("import ctypes\nreturn ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0 "
                             "or ctypes.get_errno()")
    assert outcome.data != True  # noqa: E712 - True would mean unshare(CLONE_NEWUSER) worked


@needs_bwrap_as_root
def test_the_probe_finds_the_sandbox_sound_on_this_host():
    health.sandbox_health.cache_clear()
    assert health.sandbox_health().problems == []


def test_a_host_without_bwrap_gets_a_clear_refusal(monkeypatch, settings):
    monkeypatch.setattr(bwrap, "BWRAP", "/nonexistent/bwrap")
    health.sandbox_health.cache_clear()
    try:
        problems = health.sandbox_health().problems
        assert any("bubblewrap is not installed (/nonexistent/bwrap)" in problem for problem in problems)
        settings.SANDBOX = "bwrap"
        with pytest.raises(SystemExit, match="Refusing to start: the sandbox does not work here"):
            health.require_working_sandbox()
    finally:
        health.sandbox_health.cache_clear()


def test_an_interpreter_other_users_cannot_read_is_named_in_the_refusal(monkeypatch, tmp_path):
    private = tmp_path / "pyenv" / "bin"
    private.mkdir(parents=True)
    interpreter = private / "python3.11"
    interpreter.write_text("")
    os.chmod(tmp_path / "pyenv", 0o700)
    monkeypatch.setattr(sys, "executable", str(interpreter))
    problems = health._preconditions()
    assert any("cannot be read by the sandbox uid" in problem and str(interpreter) in problem for problem in problems)


def test_unsafe_dev_mode_starts_but_says_so_loudly(settings, caplog):
    settings.SANDBOX = "unsafe-dev"
    health.require_working_sandbox()
    assert "WITHOUT ANY ISOLATION" in caplog.text


@pytest.mark.timeout(60)
def test_a_celery_worker_that_cannot_isolate_student_code_refuses_to_start():
    # As an unprivileged user the worker cannot run student code as per-slot uids.
    if os.geteuid() != 0:
        pytest.skip("needs root to start the worker as another user")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "REDIS_URL": "redis://127.0.0.1:1/0",
           "DJANGO_SETTINGS_MODULE": "courseportal.settings", "SANDBOX": "bwrap"}
    completed = subprocess.run(
        ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
         str(REPO_ROOT / ".venv/bin/celery"), "-A", "courseportal", "worker", "--pool", "solo", "-Q", "checks"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=50,
    )
    assert completed.returncode != 0
    assert "Refusing to start: the sandbox does not work here" in completed.stderr + completed.stdout
    assert "must start as root" in completed.stderr + completed.stdout


def test_a_machine_whose_system_call_numbers_the_filter_does_not_know_is_refused_clearly(monkeypatch):
    with pytest.raises(seccomp.UnsupportedArchitecture, match="not riscv64"):
        seccomp.keyring_filter("riscv64")
    monkeypatch.setattr(seccomp.os, "uname", lambda: os.uname_result(("Linux", "host", "6", "1", "riscv64")))
    problems = health._preconditions()
    assert any("not riscv64" in problem and "SYSCALL_NUMBERS" in problem for problem in problems), problems

"""The warm pool: recycling, outcomes, output handling, and clean-up between runs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from grader.sandbox.types import SandboxLimits, SandboxRequest
from tests.sandbox.conftest import harness, needs_bwrap_as_root

pytestmark = [pytest.mark.sandbox, needs_bwrap_as_root]

QUICK = SandboxLimits(wall_seconds=10, cpu_seconds=5, memory_bytes=256 * 1024**2, processes=16)


def request(body: str, **fields) -> SandboxRequest:
    return SandboxRequest(harness=harness(body), entry="main", limits=fields.pop("limits", QUICK), **fields)


def test_zygote_is_replaced_after_the_configured_number_of_runs(make_pool):
    pool = make_pool(recycle_after_runs=3)
    zygote_pids = {pool.run(request("return os.getppid()")).data for _ in range(7)}
    assert pool.zygotes_started == 3  # the first, then after runs 3 and 6
    assert len(zygote_pids) == 1  # every zygote is PID 2 of its own namespace
    assert pool.run(request("return 'still serving'")).data == "still serving"


def test_zygote_is_replaced_after_a_run_hits_a_limit(make_pool):
    pool = make_pool()
    assert pool.run(request("return 1")).ok
    assert pool.zygotes_started == 1
    outcome = pool.run(request("while True: pass", limits=replace(QUICK, cpu_seconds=1)))
    assert outcome.limit_exceeded == "cpu_time"
    assert outcome.limit_message == "Your code used more than 1 s of CPU time and was stopped."
    assert pool.zygotes_started == 2
    assert pool.run(request("return 2")).data == 2


def test_student_exception_is_reported_with_its_traceback_not_as_a_crash(make_pool):
    files = {"student.py": b"def answer():\n    return 1 / 0\n"}
    outcome = make_pool().run(request(
        "sys.path.insert(0, scratch)\nimport student\nreturn student.answer()", files=files,
    ))
    assert outcome.data is None and outcome.limit_exceeded is None
    assert "ZeroDivisionError: division by zero" in outcome.error
    assert 'student.py", line 2, in answer' in outcome.error
    assert "runner.py" not in outcome.error and "<harness>" not in outcome.error
    assert outcome.exit_code == 0


def test_output_past_the_kept_size_is_cut_keeping_the_tail(make_pool):
    limits = replace(QUICK, output_bytes=1024)
    outcome = make_pool().run(request(
        "for number in range(5000):\n    print('line', number)\nprint('THE END')\nreturn 'done'", limits=limits,
    ))
    assert outcome.ok and outcome.data == "done"
    assert outcome.output_truncated
    assert outcome.stdout.endswith("line 4999\nTHE END\n")
    assert "line 0\n" not in outcome.stdout
    assert len(outcome.stdout.encode()) < 1024 + 100  # the tail plus a one-line note


def test_printing_past_the_output_limit_ends_the_run(make_pool):
    limits = replace(QUICK, output_bytes=1024, max_output_bytes=1024**2)
    outcome = make_pool().run(request("while True:\n    print('x' * 1000)", limits=limits))
    assert outcome.limit_exceeded == "output"
    assert outcome.limit_message == "Your code printed more than 1 MB and was stopped; only the last 1 KB are kept."


def test_each_run_starts_with_empty_scratch_space(make_pool):
    pool = make_pool()
    pool.run(request("open('left-behind', 'w').write('x')\nopen('/dev/shm/also', 'w').write('x')\nreturn 1"))
    seen = pool.run(request("return [os.listdir('.'), os.listdir('/tmp'), os.listdir('/dev/shm')]")).data
    assert seen == [[], ["work"], []]


def test_processes_a_run_leaves_behind_are_gone_before_the_next_run(make_pool):
    pool = make_pool()
    left = pool.run(request("pid = os.fork()\nif pid == 0:\n    os.setsid(); time.sleep(60); os._exit(0)\nreturn pid"))
    assert isinstance(left.data, int)
    visible = pool.run(request("return sorted(int(p) for p in os.listdir('/proc') if p.isdigit())")).data
    assert left.data not in visible
    assert visible[:2] == [1, 2] and len(visible) == 3  # bwrap's reaper, the zygote, this run
    assert pool.zygotes_started == 1


def test_wall_clock_limit_stops_a_sleeping_run_on_time(make_pool):
    outcome = make_pool().run(request("time.sleep(30)", limits=replace(QUICK, wall_seconds=1.5)))
    assert outcome.limit_exceeded == "wall_time"
    assert outcome.limit_message == "Your code ran longer than 1.5 s and was stopped."
    assert outcome.duration_s < 1.5 + 1.0


def test_memory_limit_is_reported_as_memory(make_pool):
    outcome = make_pool().run(request("blocks = [bytearray(32 * 1024**2) for _ in range(40)]\nreturn 1"))
    assert outcome.limit_exceeded == "memory"
    assert outcome.limit_message == "Your code used more than 256 MB of memory and was stopped."


def test_writing_a_file_past_the_size_limit_is_reported(make_pool):
    limits = replace(QUICK, file_size_bytes=1024**2)
    outcome = make_pool().run(request("open('big', 'wb').write(b'0' * 4 * 1024**2)", limits=limits))
    assert outcome.limit_exceeded == "file_size"
    assert outcome.limit_message == "Your code wrote a file larger than 1 MB and was stopped."


def test_a_fresh_process_run_does_not_inherit_the_zygotes_imports(make_pool):
    pool = make_pool(warm_modules=("fractions",))
    body = "return 'fractions' in sys.modules"
    assert pool.run(request(body)).data is True
    assert pool.run(request(body, fresh_process=True)).data is False


def test_request_environment_reaches_the_run_but_the_workers_does_not(make_pool, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "worker-secret-value")
    outcome = make_pool().run(request("return dict(os.environ)", env={"CUDA_VISIBLE_DEVICES": "0"}))
    assert outcome.data["CUDA_VISIBLE_DEVICES"] == "0"
    assert "SECRET_KEY" not in outcome.data
    assert outcome.data["HOME"] == outcome.data["TMPDIR"] == "/tmp/work"


def test_a_run_cannot_look_into_the_zygote_that_forked_it(make_pool):
    body = (
        "refused = []\n"
        "for path in ('/proc/2/environ', '/proc/2/mem', '/proc/2/fd'):\n"
        "    try:\n"
        "        os.listdir(path) if path.endswith('fd') else open(path, 'rb').read(1)\n"
        "    except PermissionError:\n"
        "        refused.append(path)\n"
        "return [os.getppid(), refused]"
    )
    assert make_pool().run(request(body)).data == [2, ["/proc/2/environ", "/proc/2/mem", "/proc/2/fd"]]

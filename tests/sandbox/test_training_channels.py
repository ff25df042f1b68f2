"""What training runs need from the sandbox: a report channel read while the run goes on, data files
shown read-only, and host paths hidden (bubblewrap), and the same from SANDBOX=unsafe-dev."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sklearn.datasets

from grader.sandbox.types import SandboxLimits, SandboxRequest
from grader.sandbox.unsafe import UnsafeSubprocessSandbox
from tests.sandbox.conftest import harness, needs_bwrap_as_root

QUICK = SandboxLimits(wall_seconds=15, cpu_seconds=10, memory_bytes=512 * 1024**2, processes=16, report_line_bytes=64)
REPORTS = """
fd = int(os.environ["SANDBOX_REPORT_FD"])
os.write(fd, b"first\\n")
time.sleep(1.5)
os.write(fd, b"x" * 200 + b"\\nsecond\\npartial")
return "done"
"""
DATA = """
folder = os.environ["SANDBOX_DATA_DIR"]
try:
    open(os.path.join(folder, "train.npy"), "wb").write(b"changed")
    written = True
except OSError as error:
    written = type(error).__name__
return [sorted(os.listdir(folder)), open(os.path.join(folder, "train.npy"), "rb").read().decode(), written]
"""
SKLEARN_DATA = str(Path(sklearn.datasets.__file__).parent / "data")


def run_collecting(sandbox, request: SandboxRequest):
    arrivals: list[tuple[bytes, float]] = []
    started = time.monotonic()
    outcome = sandbox.run(request, on_report=lambda line: arrivals.append((line, time.monotonic() - started)))
    return outcome, arrivals, time.monotonic() - started


@pytest.mark.sandbox
@needs_bwrap_as_root
@pytest.mark.parametrize("fresh", [False, True], ids=["warm", "fresh"])
def test_report_lines_arrive_while_the_run_goes_on_and_overlong_ones_are_dropped(make_pool, fresh):
    outcome, arrivals, took = run_collecting(make_pool(), SandboxRequest(
        harness=harness(REPORTS), entry="main", limits=QUICK, fresh_process=fresh))
    assert outcome.data == "done"
    assert [line for line, _ in arrivals] == [b"first", b"second"]
    assert arrivals[0][1] < took - 1.0  # read before the run ended, not after


@pytest.mark.sandbox
@needs_bwrap_as_root
def test_data_files_are_shown_read_only_to_a_fresh_run_and_refused_to_a_warm_one(make_pool):
    pool = make_pool()
    request = SandboxRequest(harness=harness(DATA), entry="main", limits=QUICK, fresh_process=True,
                             data_files={"train.npy": b"the training set", "labels.npy": b"0123"})
    outcome = pool.run(request)
    assert outcome.data == [["labels.npy", "train.npy"], "the training set", "OSError"], outcome
    with pytest.raises(ValueError, match="fresh_process"):
        pool.run(SandboxRequest(harness=harness(DATA), entry="main", data_files={"a": b""}))


@pytest.mark.sandbox
@needs_bwrap_as_root
def test_a_hidden_path_is_an_empty_read_only_folder_in_a_fresh_run(make_pool):
    body = """
visible = sys.modules.get("sklearn") is None and __import__("sklearn.datasets").datasets.__file__
folder = os.path.join(os.path.dirname(visible), "data")
try:
    open(os.path.join(folder, "digits.csv.gz"), "wb")
    written = True
except OSError:
    written = False
return [os.listdir(folder), written]
"""
    hidden = SandboxRequest(harness=harness(body), entry="main", limits=QUICK, fresh_process=True,
                            hidden_paths=(SKLEARN_DATA,))
    assert make_pool().run(hidden).data == [[], False]
    shown = SandboxRequest(harness=harness(body), entry="main", limits=QUICK, fresh_process=True)
    assert "digits.csv.gz" in make_pool().run(shown).data[0]


def test_unsafe_dev_offers_the_same_report_channel_and_data_files():
    sandbox = UnsafeSubprocessSandbox()
    outcome, arrivals, _ = run_collecting(sandbox, SandboxRequest(harness=harness(REPORTS), entry="main",
                                                                  limits=QUICK))
    assert outcome.data == "done" and [line for line, _ in arrivals] == [b"first", b"second"]
    outcome = sandbox.run(SandboxRequest(harness=harness(DATA), entry="main", limits=QUICK,
                                         data_files={"train.npy": b"the training set"}))
    assert outcome.data[0] == ["train.npy"]  # read-only by mode only: root may still write (no isolation)


def test_unsafe_dev_stops_a_run_at_its_wall_clock_limit():
    request = SandboxRequest(harness=harness("time.sleep(30)"), entry="main",
                             limits=SandboxLimits(wall_seconds=1.0))
    started = time.monotonic()
    outcome = UnsafeSubprocessSandbox().run(request, on_report=lambda line: None)
    assert outcome.limit_exceeded == "wall_time" and time.monotonic() - started < 6

"""The saturation mode's CPU ledger: each part of the stack is charged exactly its own processes'
CPU, including children that lived and died between two samples, from ``/proc`` as the kernel keeps it."""

from __future__ import annotations

import pytest

from courseportal.operations.benchmark.cpu_ledger import (
    CLOCK_TICKS_PER_SECOND,
    CpuLedger,
    CpuTimeline,
    LedgerSample,
    Parts,
    ProcessTimes,
    machine_busy_s,
    machine_stolen_s,
    parse_stat,
)

WEB, WORKER, GRADING, BWRAP, ZYGOTE, STRANGER = 10, 20, 21, 22, 23, 99
PARTS = Parts(roots={WEB: "web", WORKER: "worker"}, nested={"worker": {"bwrap": "sandbox"}})


def process(pid: int, parent: int, name: str, own_s: float, reaped_s: float = 0.0, started: int = 1) -> ProcessTimes:
    return ProcessTimes(pid=pid, parent=parent, name=name, started=started, own_s=own_s, reaped_s=reaped_s)


def snapshot(*processes: ProcessTimes) -> dict[int, ProcessTimes]:
    return {p.pid: p for p in processes}


def test_a_stat_line_is_read_even_when_the_name_has_spaces_and_parentheses():
    fields = ["S", "7"] + ["0"] * 9 + ["100", "50", "30", "20"] + ["0"] * 4 + ["12345"] + ["0"] * 30
    times = parse_stat(f"42 (my (odd) name) {' '.join(fields)}")
    assert (times.pid, times.parent, times.name, times.started) == (42, 7, "my (odd) name", 12345)
    assert times.own_s == pytest.approx(150 / CLOCK_TICKS_PER_SECOND)
    assert times.reaped_s == pytest.approx(50 / CLOCK_TICKS_PER_SECOND)


def test_each_part_is_charged_its_own_processes_and_strangers_are_left_out():
    ledger = CpuLedger(PARTS)
    ledger.sample(snapshot(process(WEB, 1, "gunicorn", 5.0), process(WORKER, 1, "celery", 3.0),
                           process(STRANGER, 1, "other", 1.0)))
    totals = ledger.sample(snapshot(process(WEB, 1, "gunicorn", 5.4), process(WORKER, 1, "celery", 3.1),
                                    process(STRANGER, 1, "other", 9.0)))
    assert totals == pytest.approx({"web": 0.4, "worker": 0.1, "sandbox": 0.0})


def test_a_sandbox_that_ends_between_samples_is_charged_to_the_sandbox_not_the_worker():
    """A replaced zygote's whole time lands in the grading process's reaped sum; what it spent after
    its last sample (and the runs it reaped, never seen) is the sandbox's."""
    ledger = CpuLedger(PARTS)
    worker = process(WORKER, 1, "celery", 1.0)
    ledger.sample(snapshot(worker, process(GRADING, WORKER, "celery", 2.0),
                           process(BWRAP, GRADING, "bwrap", 0.1), process(ZYGOTE, BWRAP, "python3", 0.5)))
    # The zygote reaped runs nobody saw (0.3 s): the sandbox's, as the zygote is.
    totals = ledger.sample(snapshot(worker, process(GRADING, WORKER, "celery", 2.2),
                                    process(BWRAP, GRADING, "bwrap", 0.1),
                                    process(ZYGOTE, BWRAP, "python3", 0.6, reaped_s=0.3)))
    assert totals == pytest.approx({"web": 0.0, "worker": 0.2, "sandbox": 0.4})
    # The zygote and bwrap end: the grading process reaps bwrap's final 1.3 s, which holds the
    # zygote's; 0.1 + 0.9 of it were counted already, 0.3 is new, and the sandbox's.
    totals = ledger.sample(snapshot(worker, process(GRADING, WORKER, "celery", 2.25, reaped_s=1.3)))
    assert totals == pytest.approx({"web": 0.0, "worker": 0.25, "sandbox": 0.7})


def test_a_reused_pid_is_a_new_process_whose_time_is_all_new():
    ledger = CpuLedger(PARTS)
    ledger.sample(snapshot(process(WEB, 1, "gunicorn", 1.0), process(11, WEB, "gunicorn", 4.0, started=5)))
    totals = ledger.sample(snapshot(process(WEB, 1, "gunicorn", 1.0, reaped_s=4.5),
                                    process(11, WEB, "gunicorn", 0.2, started=9)))
    assert totals["web"] == pytest.approx(0.5 + 0.2)


def test_a_window_between_samples_is_read_linearly():
    timeline = CpuTimeline(PARTS)
    timeline.samples = [LedgerSample(at=100.0, parts={"web": 0.0}, machine_s=50.0, stolen_s=10.0),
                        LedgerSample(at=102.0, parts={"web": 1.0}, machine_s=54.0, stolen_s=10.4),
                        LedgerSample(at=104.0, parts={"web": 1.0, "sandbox": 2.0}, machine_s=58.0, stolen_s=11.2)]
    parts, machine = timeline.between(101.0, 104.0)
    assert parts == pytest.approx({"web": 0.5, "sandbox": 2.0})
    assert machine == pytest.approx(6.0)
    assert timeline.stolen_between(101.0, 104.0) == pytest.approx(1.0)


def test_time_the_host_took_from_the_cores_is_steal_not_work_on_the_machine(tmp_path):
    # /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice, in ticks.
    ticks = CLOCK_TICKS_PER_SECOND
    (tmp_path / "stat").write_text(f"cpu  {3 * ticks} 0 {ticks} {50 * ticks} {ticks} 0 0 {2 * ticks} {ticks} 0\n"
                                   "cpu0 1 2 3\n")
    assert machine_busy_s(tmp_path) == pytest.approx(3 + 1)  # user (guest inside it, not again) + system
    assert machine_stolen_s(tmp_path) == pytest.approx(2)

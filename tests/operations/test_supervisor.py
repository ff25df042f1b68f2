"""The runstack supervisor: restarts what crashes, gives up on what keeps crashing, stops in order."""

from __future__ import annotations

import io
import re
import threading
import time

from courseportal.operations.supervisor import ProcessSpec, Supervisor


def run_until(supervisor: Supervisor, *, stop_when: str, timeout_s: float = 20) -> int:
    """Run ``supervisor``, asking it to stop once ``stop_when`` appears in its output."""

    def stop_when_seen():
        deadline = time.monotonic() + timeout_s
        while stop_when not in supervisor.out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        supervisor.request_stop()

    watcher = threading.Thread(target=stop_when_seen, daemon=True)
    watcher.start()
    code = supervisor.run()
    watcher.join()
    return code


def test_a_child_that_keeps_crashing_stops_the_stack_with_an_error():
    out = io.StringIO()
    supervisor = Supervisor([ProcessSpec("flaky", ["sh", "-c", "exit 3"])], out=out, max_restarts=3)

    assert supervisor.run() == 1
    assert out.getvalue().count("started flaky") == 3
    assert "flaky exited with code 3 3 times" in out.getvalue()


def test_a_child_that_crashes_once_is_restarted_and_the_stack_goes_on(tmp_path):
    once = f"if [ -e {tmp_path}/crashed ]; then echo second life; sleep 30; else touch {tmp_path}/crashed; exit 1; fi"
    out = io.StringIO()
    supervisor = Supervisor([ProcessSpec("phoenix", ["sh", "-c", once])], out=out)

    assert run_until(supervisor, stop_when="second life") == 0
    assert "phoenix exited with code 1; restarting it" in out.getvalue()
    assert "phoenix | second life" in out.getvalue()


def test_children_stop_in_reverse_order_of_start_and_none_is_left_running():
    out = io.StringIO()
    specs = [ProcessSpec(name, ["sleep", "30"]) for name in ("broker", "worker", "web")]
    supervisor = Supervisor(specs, out=out)

    assert run_until(supervisor, stop_when="started web") == 0
    assert re.findall(r"stopping (\w+)$", out.getvalue(), flags=re.MULTILINE) == ["web", "worker", "broker"]
    assert supervisor.processes == {}


def test_a_child_that_ignores_sigterm_is_killed_after_the_stop_timeout():
    stubborn = ["sh", "-c", "trap '' TERM; echo armed; while true; do sleep 0.1; done"]
    out = io.StringIO()
    supervisor = Supervisor([ProcessSpec("stubborn", stubborn)], out=out, stop_timeout_s=0.5)

    assert run_until(supervisor, stop_when="armed") == 0
    assert "stubborn did not stop within 0.5 s; killing it" in out.getvalue()

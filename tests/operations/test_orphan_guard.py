"""The guard that outlives the runstack supervisor stops every watched group, even one deaf to SIGTERM."""

from __future__ import annotations

import os
import subprocess

from courseportal.operations.orphan_guard import guard


def deaf_group() -> subprocess.Popen:
    """A process group whose leader ignores SIGTERM, like a worker stuck in its warm shutdown."""
    return subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60 & wait"], start_new_session=True)


def test_a_vanished_supervisor_s_groups_are_killed_after_the_grace_period():
    stubborn, forgotten = deaf_group(), deaf_group()
    try:
        stopped = guard([f"watch {stubborn.pid}\n", f"watch {forgotten.pid}\n", f"forget {forgotten.pid}\n"],
                        grace_s=0.5)
        stubborn.wait(timeout=5)

        assert stopped == {stubborn.pid}
        assert stubborn.returncode == -9  # it ignored the SIGTERM; the SIGKILL after the grace period got it
        assert forgotten.poll() is None
    finally:
        for process in (stubborn, forgotten):
            os.killpg(process.pid, 9)
            process.wait()


def test_a_supervisor_that_stopped_cleanly_leaves_its_groups_alone():
    bystander = deaf_group()
    try:
        assert guard([f"watch {bystander.pid}\n", "done\n"], grace_s=0.1) == set()
        assert bystander.poll() is None
    finally:
        os.killpg(bystander.pid, 9)
        bystander.wait()

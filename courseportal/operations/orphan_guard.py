"""Outlives the runstack supervisor to stop its children if it dies without stopping them.

``PR_SET_PDEATHSIG`` alone is not enough: it sends one SIGTERM to each direct child, and a child
that then shuts down slowly (a Celery worker's warm shutdown retrying a broker that died in the same
instant) keeps its whole process group alive. So the supervisor starts this small process in a
session of its own and tells it, one line each on its stdin, the process groups it starts
("watch PGID"), the ones it has stopped itself ("forget PGID"), and that it stopped cleanly ("done").
If stdin reaches end of file without "done", the supervisor is gone: every watched group gets
SIGTERM, then SIGKILL once the grace period is over.

Run as a script (``python orphan_guard.py GRACE_S``), not as part of the package: importing
``courseportal`` loads Django and Celery, which a guard has no use for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time


def _signal_groups(groups: set[int], signum: int) -> set[int]:
    """Send ``signum`` to every group; return the groups that still had a process in them."""
    alive = set()
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)
            alive.add(pgid)
    return alive


def guard(lines, grace_s: float) -> set[int]:
    """Follow the supervisor's lines; return the groups stopped because it vanished (empty if it said "done")."""
    watched: set[int] = set()
    for line in lines:
        command, _, argument = line.strip().partition(" ")
        if command == "watch":
            watched.add(int(argument))
        elif command == "forget":
            watched.discard(int(argument))
        elif command == "done":
            return set()
    alive = _signal_groups(watched, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = _signal_groups(alive, 0)
    _signal_groups(alive, signal.SIGKILL)
    return watched


if __name__ == "__main__":
    # Ignore the terminal's Ctrl-C: the supervisor handles it and then says "done".
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guard(sys.stdin, float(sys.argv[1]))

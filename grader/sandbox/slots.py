"""Which worker slot this process is, and so which unprivileged uid its student code runs as.

Each Celery prefork child is one slot (billiard numbers them 0, 1, ...). Anything else that grades
(``manage.py grade``, a test, a solo worker) takes a slot from a separate range, picked by its pid,
so it never shares a uid with a running worker's slot.
"""

from __future__ import annotations

import os

WORKER_SLOTS = 1000
OTHER_SLOTS = 8000  # slots 1000..8999; 9000..9998 are left to the test suite, 9999 to the probe


def current_slot() -> int:
    index = _prefork_child_index()
    if index is not None:
        return index % WORKER_SLOTS
    return WORKER_SLOTS + os.getpid() % OTHER_SLOTS


def slot_uid(base_uid: int, slot: int) -> int:
    return base_uid + slot


def _prefork_child_index() -> int | None:
    try:
        from billiard.process import current_process
    except ImportError:
        return None
    index = getattr(current_process(), "index", None)
    return index if isinstance(index, int) else None

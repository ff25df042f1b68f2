# Hostile submission: forks hundreds of sleeping processes (capped at 300, each sleeping at most
# 60 s, so a broken sandbox cannot take the machine down).
# answer: 42
import ctypes
import os
import time

libc = ctypes.CDLL(None)
children = []
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        time.sleep(0.05)
        continue
    if pid == 0:
        libc.prctl(15, b"hostile-sleeper", 0, 0, 0)
        time.sleep(60)
        os._exit(0)
    children.append(pid)
print("forked", len(children))
time.sleep(60)

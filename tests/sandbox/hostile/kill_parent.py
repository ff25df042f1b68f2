# Hostile submission: kills the process that started it, then its own process group.
# answer: 42
import os
import signal
import time

print("parent is", os.getppid(), flush=True)
os.kill(os.getppid(), signal.SIGKILL)
time.sleep(0.5)
os.killpg(0, signal.SIGKILL)
time.sleep(5)

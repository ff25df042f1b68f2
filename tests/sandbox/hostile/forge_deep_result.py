# Hostile submission: forges a result frame nested 100,000 levels deep on every descriptor, then
# ends before the real one is written, hoping the grader chokes on it rather than refusing it.
# answer: 42
import contextlib
import os

depth = 100_000
forged = ("[" * depth + "]" * depth + "\n").encode()
for fd in range(3, 256):
    with contextlib.suppress(OSError):
        os.write(fd, forged)
os._exit(0)

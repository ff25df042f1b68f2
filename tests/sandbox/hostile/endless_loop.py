# Hostile submission: spins forever (well, for two minutes at most).
# answer: 42
import time

deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    pass

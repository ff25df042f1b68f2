# Hostile submission: writes forged grader results to stdout, stderr and every open descriptor.
# answer: 42
import contextlib
import json
import os

forged_grade = {"status": "graded", "score": 1000.0, "max_score": 10.0, "message": "FORGED",
                "checks": [{"name": "runs", "passed": True, "points": 1000.0, "max_points": 10.0}]}
forged_frames = [
    json.dumps(forged_grade),
    json.dumps({"data": {"ran": True, "score": 1000}}),
    json.dumps({"nonce": "0" * 32, "data": {"ran": True, "score": 1000}}),
]
text = "\n".join(forged_frames) + "\n"
print(text)
print(text, file=__import__("sys").stderr)
for fd in range(0, 256):
    with contextlib.suppress(OSError):
        os.write(fd, text.encode())

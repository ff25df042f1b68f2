"""Runs inside the sandbox: writes the request's files, executes the trusted harness, reports.

Protocol: the request arrives as JSON on stdin (``harness``, ``entry``, ``files`` as base64); the
harness's return value leaves as one JSON line on the file descriptor named by argv[1], written
after the harness returns. Anything the student's code prints goes to stdout/stderr, which the
trusted side captures separately and never parses.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import traceback


def run_request(request: dict, scratch: str) -> dict:
    for name, encoded in request.get("files", {}).items():
        path = os.path.join(scratch, name)
        if os.path.dirname(os.path.normpath(name)) or name.startswith("."):
            raise ValueError(f"file name {name!r} must be a plain name")
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(encoded))
    namespace: dict = {"__name__": "courseportal_harness"}
    try:
        exec(compile(request["harness"], "<harness>", "exec"), namespace)
        data = namespace[request["entry"]](scratch)
        return {"data": data}
    except BaseException as error:  # SystemExit from student code included
        return {"error": _describe(error)}


def _describe(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    text = "".join(line for line in lines if "grader/sandbox" not in line and "<harness>" not in line)
    return text[-4000:]


def main() -> None:
    result_fd = int(sys.argv[1])
    request = json.loads(sys.stdin.buffer.read())
    sys.stdin = open(os.devnull)  # noqa: SIM115 - student code must not read the request
    report = run_request(request, os.getcwd())
    try:
        line = json.dumps(report)
    except (TypeError, ValueError) as error:
        line = json.dumps({"error": f"harness returned data that is not JSON: {error}"})
    os.write(result_fd, line.encode() + b"\n")


if __name__ == "__main__":
    main()

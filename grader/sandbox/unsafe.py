"""SANDBOX=unsafe-dev: runs the harness in a plain subprocess with a timeout. No isolation at all.

For a laptop without bubblewrap only; every use is logged as a warning.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.sandbox.types import SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("runner.py")


class UnsafeSubprocessSandbox:
    def run(self, request: SandboxRequest) -> SandboxOutcome:
        logger.warning("SANDBOX=unsafe-dev: running student code WITHOUT isolation")
        payload = json.dumps({
            "harness": request.harness,
            "entry": request.entry,
            "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
        }).encode()
        read_end, write_end = os.pipe()
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="unsafe-sandbox-") as scratch:
            try:
                completed = subprocess.run(
                    [sys.executable, str(RUNNER), str(write_end)],
                    input=payload, capture_output=True, cwd=scratch, pass_fds=(write_end,),
                    timeout=request.limits.wall_seconds, env={"PATH": "/usr/bin:/bin", **request.env},
                )
            except subprocess.TimeoutExpired as expired:
                os.close(write_end)
                os.close(read_end)
                return SandboxOutcome(
                    limit_exceeded="wall_time", limit_message=request.limits.describe("wall_time"),
                    stdout=_tail(expired.stdout, request), stderr=_tail(expired.stderr, request),
                    duration_s=time.monotonic() - started,
                )
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reader:
            report_line = reader.read().splitlines()[-1:] or [b"{}"]
        report = json.loads(report_line[0])
        return SandboxOutcome(
            data=report.get("data"), error=report.get("error"), exit_code=completed.returncode,
            stdout=_tail(completed.stdout, request), stderr=_tail(completed.stderr, request),
            duration_s=time.monotonic() - started,
        )


def _tail(raw: bytes | None, request: SandboxRequest) -> str:
    return (raw or b"")[-request.limits.output_bytes:].decode("utf-8", "replace")

"""SANDBOX=unsafe-dev: runs the harness in a plain subprocess with a timeout. No isolation at all.

For a laptop without bubblewrap only; every use is logged as a warning. It speaks the same
protocol as the real sandbox (``runner.py once``) and its result passes the same validation.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.sandbox.boundary import RunObservations, TailBuffer, decide_outcome
from grader.sandbox.types import SandboxOutcome, SandboxRequest

logger = logging.getLogger(__name__)
RUNNER = Path(__file__).with_name("runner.py")


class UnsafeSubprocessSandbox:
    def run(self, request: SandboxRequest) -> SandboxOutcome:
        logger.warning("SANDBOX=unsafe-dev: running student code WITHOUT isolation")
        nonce = secrets.token_hex(16)
        payload = json.dumps({
            "harness": request.harness,
            "entry": request.entry,
            "files": {name: base64.b64encode(data).decode() for name, data in request.files.items()},
            "nonce": nonce,
        }).encode()
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="unsafe-sandbox-") as scratch, \
                tempfile.TemporaryFile() as result_file:
            limit, exit_code, stdout, stderr = None, None, b"", b""
            try:
                completed = subprocess.run(
                    [sys.executable, "-I", str(RUNNER), "once", str(result_file.fileno())],
                    input=payload, capture_output=True, cwd=scratch, pass_fds=(result_file.fileno(),),
                    timeout=request.limits.wall_seconds, env={"PATH": "/usr/bin:/bin", **request.env},
                )
                exit_code, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
            except subprocess.TimeoutExpired as expired:
                limit, stdout, stderr = "wall_time", expired.stdout or b"", expired.stderr or b""
            result_file.seek(0)
            result = result_file.read()
        observed = RunObservations(
            limit=limit, exit_code=exit_code, cpu_seconds=0.0, oom_kills=0, result=result,
            duration_s=time.monotonic() - started,
        )
        return decide_outcome(observed, limits=request.limits, nonce=nonce,
                              stdout=_tail(stdout, request), stderr=_tail(stderr, request))


def _tail(raw: bytes, request: SandboxRequest) -> TailBuffer:
    buffer = TailBuffer(request.limits.output_bytes)
    buffer.add(raw)
    return buffer

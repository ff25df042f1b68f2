"""Fixtures for the sandbox tests: a small warm pool of our own, torn down after each test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings

from grader.sandbox.pool import WarmPoolSandbox

# Slots 9000..9998 are left to the test suite (grader/sandbox/slots.py).
TEST_SLOT = 9000 + os.getpid() % 999

needs_bwrap_as_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None, reason="the bwrap sandbox needs root and bubblewrap"
)


def suite_uid() -> int:
    return settings.SANDBOX_BASE_UID + TEST_SLOT


@pytest.fixture
def make_pool() -> Iterator[Callable[..., WarmPoolSandbox]]:
    """Build pools that import nothing heavy unless asked (fast to start); all closed afterwards."""
    pools: list[WarmPoolSandbox] = []

    def build(*, recycle_after_runs: int = 100, warm_modules: tuple[str, ...] = ()) -> WarmPoolSandbox:
        pool = WarmPoolSandbox(uid=suite_uid(), recycle_after_runs=recycle_after_runs, warm_modules=warm_modules)
        pools.append(pool)
        return pool

    yield build
    for pool in pools:
        pool.close()


def harness(body: str) -> str:
    """A harness whose entry ``main(scratch)`` runs ``body`` (indented for you)."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return f"import os, sys, time, signal\n\ndef main(scratch):\n{indented}\n"

"""Fixtures for the sandbox tests: a small warm pool of our own, torn down after each test."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings

from grader.sandbox.pool import WarmPoolSandbox
from grader.sandbox.slots import UidClaim, claim_sandbox_uid

needs_bwrap_as_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None, reason="the bwrap sandbox needs root and bubblewrap"
)


@functools.cache
def _suite_claim() -> UidClaim:
    # Claimed like any grading process, so no worker or other test run on this host shares it.
    return claim_sandbox_uid(settings.SANDBOX_BASE_UID)


def suite_uid() -> int:
    """A uid this test process holds for its whole life, for sandboxes started directly."""
    return _suite_claim().uid


@pytest.fixture
def make_pool() -> Iterator[Callable[..., WarmPoolSandbox]]:
    """Build pools that import nothing heavy unless asked (fast to start); all closed afterwards."""
    pools: list[WarmPoolSandbox] = []

    def build(*, recycle_after_runs: int = 100, warm_modules: tuple[str, ...] = ()) -> WarmPoolSandbox:
        pool = WarmPoolSandbox(uid_claim=claim_sandbox_uid(settings.SANDBOX_BASE_UID),
                               recycle_after_runs=recycle_after_runs, warm_modules=warm_modules)
        pools.append(pool)
        return pool

    yield build
    for pool in pools:
        pool.close()


def harness(body: str) -> str:
    """A harness whose entry ``main(scratch)`` runs ``body`` (indented for you)."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return f"import os, sys, time, signal\n\ndef main(scratch):\n{indented}\n"
from grader.testing import reference_cache_dir, references_cached_once  # noqa: F401,E402 - found by name

"""Fixtures for every ``assignments/<slug>/tests/``: the engine's own (``grader.testing``)."""

from grader.testing import (  # noqa: F401 - found by name
    reference_cache_dir,
    references_cached_once,
    runs_not_reused_across_tests,
    sandbox,
)

"""Fixtures for every ``assignments/<slug>/tests/``: the engine's own (``grader.testing``)."""

from grader.testing import reference_cache_dir, references_cached_once, sandbox  # noqa: F401 - found by name

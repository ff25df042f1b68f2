"""Fixtures for every ``assignments/<slug>/tests/``: the same isolation and sandbox as ``tests/``."""

from tests.checkers.conftest import sandbox  # noqa: F401 - fixtures are found by name
from tests.conftest import _isolated_media  # noqa: F401

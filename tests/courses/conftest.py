from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def in_english():
    """The messages asserted here are the English ones, whatever an earlier test left active."""
    with translation.override("en"):
        yield

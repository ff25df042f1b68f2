"""Fixtures shared by the test areas that run against live processes (integration, browser):
one broker per session, and the folders the test process and its worker processes share.

Loaded for the whole suite by the root conftest (``pytest_plugins``); the broker starts only when a
test asks for it. An area's conftest overrides the root's per-test ``_isolated_media`` with one that
asks for ``shared_media``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import SharedState, point_celery_app_at, share_test_database, valkey_server


@pytest.fixture(scope="session")
def shared_state() -> SharedState:
    return share_test_database()


@pytest.fixture
def shared_media(settings, shared_state):
    """The worker must read the same uploads, caches and mail folder as the test."""
    settings.MEDIA_ROOT = shared_state.media_root
    settings.GRADER_CACHE_DIR = shared_state.cache_dir
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for sent in shared_state.mail_dir.iterdir():
        sent.unlink()


@pytest.fixture(scope="session")
def broker() -> Iterator:
    with valkey_server() as server:
        restore = point_celery_app_at(server.url)
        yield server
        restore()

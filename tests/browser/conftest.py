"""Browser tests: Debian's Chromium driven by Playwright against a live portal, with a real broker
and a real Celery worker grading what the browser uploads (helpers from ``tests.stack``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from grader import registry
from tests.stack import (
    SharedState,
    point_celery_app_at,
    remove_shared_state,
    use_file_test_database,
    valkey_server,
    worker_env,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
CHECKER_MODULES = "tests.portal.checkers"


def pytest_configure(config):
    use_file_test_database()
    # Playwright's sync API keeps an event loop on the test thread; the ORM calls the tests make
    # there are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_unconfigure(config):
    remove_shared_state()


@pytest.fixture(scope="session")
def shared_state() -> SharedState:
    return use_file_test_database()


@pytest.fixture(autouse=True)
def _isolated_media(settings, shared_state):
    """Overrides the root conftest's per-test folders: the worker must read the same uploads."""
    settings.MEDIA_ROOT = shared_state.media_root
    settings.GRADER_CACHE_DIR = shared_state.cache_dir
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def portal_checker(settings):
    settings.GRADER_EXTRA_CHECKER_MODULES = [CHECKER_MODULES]
    registry.discover.cache_clear()
    registry.get_checker.cache_clear()
    yield
    registry.discover.cache_clear()
    registry.get_checker.cache_clear()


@pytest.fixture(scope="session")
def broker():
    with valkey_server() as server:
        restore = point_celery_app_at(server.url)
        yield server
        restore()


@pytest.fixture(scope="session")
def browser_worker_env(shared_state) -> dict[str, str]:
    return worker_env(shared_state, GRADER_EXTRA_CHECKER_MODULES=CHECKER_MODULES)


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()

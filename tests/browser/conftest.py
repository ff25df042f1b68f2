"""Browser tests: Debian's Chromium driven by Playwright against a live portal, with a real broker
and a real Celery worker grading what the browser uploads (helpers from ``tests.stack``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import checkers_registered
from tests.stack import (
    remove_shared_state,
    share_test_database,
    worker_env,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
CHECKER_MODULES = "tests.portal.checkers"


def pytest_configure(config):
    share_test_database()
    # Playwright's sync API keeps an event loop on the test thread; the ORM calls the tests make
    # there are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_unconfigure(config):
    remove_shared_state()


@pytest.fixture(autouse=True)
def _isolated_media(shared_media):
    """Overrides the root conftest's per-test folders: the worker must read the same uploads."""


@pytest.fixture(autouse=True)
def portal_checker(settings):
    with checkers_registered(settings, CHECKER_MODULES):
        yield


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


@pytest.fixture
def portal_waits_on_broker(settings, broker) -> Iterator[None]:
    """The live portal waits for results on the worker's broker (settled.py), as a deployed one does;
    other tests' pending pages render at once (no broker at the default address)."""
    from courseportal.submissions.services import settled

    settings.REDIS_URL = broker.url
    settled.reset_for_tests()
    yield
    settled.reset_for_tests()

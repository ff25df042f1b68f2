"""Integration tests: a real broker and real Celery worker processes grading the test database.

One broker serves the session; each module starts the worker(s) it needs. The test database is one
other processes can open (``tests.stack.share_test_database``: a file on SQLite, ``test_<name>`` on
PostgreSQL) and tests commit their rows (``transaction=True``)
so the worker process sees them; uploads, caches and mail live in one shared folder.
"""

from __future__ import annotations

import email

import pytest

from tests.conftest import checkers_registered
from tests.stack import (
    SharedState,
    remove_shared_state,
    share_test_database,
    worker_env,
)

CHECKER_MODULES = "tests.integration.checkers"


def pytest_configure(config):
    share_test_database()


def pytest_unconfigure(config):
    remove_shared_state()


@pytest.fixture(autouse=True)
def _isolated_media(shared_media):
    """Overrides the root conftest's per-test folders: the worker must read the same uploads."""


@pytest.fixture(autouse=True)
def integration_checkers(settings):
    with checkers_registered(settings, CHECKER_MODULES):
        yield


@pytest.fixture(autouse=True, scope="module")
def _empty_broker_per_module(request):
    """Messages a previous module left behind (a killed worker's unacknowledged task, say) must not
    reach this module's workers or confuse its checks of the queues."""
    if "broker" in request.fixturenames:
        request.getfixturevalue("broker").flush()


@pytest.fixture(scope="session")
def integration_worker_env(shared_state) -> dict[str, str]:
    return worker_env(shared_state, GRADER_EXTRA_CHECKER_MODULES=CHECKER_MODULES)


def mail_sent_to(shared_state: SharedState, address: str) -> list[email.message.Message]:
    """Every message the worker wrote to the file mail backend that is addressed to ``address``."""
    messages = []
    for path in sorted(shared_state.mail_dir.iterdir()):
        # The file backend appends messages separated by a line of dashes.
        for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk)
                if address in (message["To"] or ""):
                    messages.append(message)
    return messages

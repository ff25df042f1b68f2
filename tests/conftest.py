"""Personas and a course, built once through the services, shared by every test area."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courseportal.courses.models import Assignment, Course, Membership
from courseportal.courses.services import course_create, membership_set
from courseportal.submissions.services import notify
from grader import registry
from grader.testing import runs_not_reused_across_tests  # noqa: F401 - autouse, found by name

pytest_plugins = ["tests.live"]

PASSWORD = "correct-horse-battery-staple"


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering (database tests first)
def pytest_collection_modifyitems(config, items):
    """Files with a ``slow`` test first: ``make test`` hands whole files to its two test processes
    in this order (``--dist loadfile --no-loadscope-reorder``), so the long ones start at once and
    the many short ones even out the end, rather than one process training a model alone at the end
    while the other idles."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRADER_CACHE_DIR = tmp_path / "cache"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The real hasher costs ~0.4 s a password here; tests create dozens of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mail_server_never_rested(monkeypatch):
    """A test whose mail server failed makes its process's sweeps rest (``notify.MAIL_SERVER_REST_S``);
    the next test starts without that rest."""
    monkeypatch.setattr(notify, "_mail_server_rests_until", 0.0)


@contextmanager
def checkers_registered(settings, *modules: str) -> Iterator[None]:
    """Register tests-only checker modules for the duration; the registry forgets them after."""
    settings.GRADER_EXTRA_CHECKER_MODULES = list(modules)
    registry.discover.cache_clear()
    registry.get_checker.cache_clear()
    try:
        yield
    finally:
        registry.discover.cache_clear()
        registry.get_checker.cache_clear()


def make_user(username: str, *, email: str | None = None):
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=email if email is not None else f"{username}@example.edu"
    )


@pytest.fixture
def course(db) -> Course:
    return course_create(slug="ai-training-2", title="AI Training Course Series 2")


@pytest.fixture
def student(course):
    user = make_user("310510123")
    membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    return user


@pytest.fixture
def other_student(course):
    user = make_user("310510999")
    membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    return user


@pytest.fixture
def ta(course):
    user = make_user("ta_chen")
    membership_set(course=course, user=user, role=Membership.Role.TA)
    return user


@pytest.fixture
def instructor(course):
    user = make_user("prof_lin")
    membership_set(course=course, user=user, role=Membership.Role.INSTRUCTOR)
    return user


@pytest.fixture
def ta_of_another_course(db):
    """A TA, but of another course: staff rights must not reach this one."""
    other = course_create(slug="other-course", title="Another course")
    user = make_user("ta_elsewhere")
    membership_set(course=other, user=user, role=Membership.Role.TA)
    return user


@pytest.fixture
def outsider(db):
    """Signed in, but enrolled in no course."""
    return make_user("visitor")


def make_assignment(course: Course, checker_slug: str, *, slug: str | None = None, **fields) -> Assignment:
    now = timezone.now()
    defaults = {"title": checker_slug, "opens_at": now - timedelta(days=7), "due_at": now + timedelta(days=7)}
    defaults.update(fields)
    return Assignment.objects.create(course=course, slug=slug or checker_slug, checker_slug=checker_slug, **defaults)

"""``manage.py seed_demo``: a usable demo course whose printed logins work, however often it runs."""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courseportal.courses.deadlines import upload_window
from courseportal.courses.models import Assignment, Course, Membership
from grader import registry
from tests.conftest import checkers_registered

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture(autouse=True)
def registered_checkers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # PBKDF2: 0.4 s a password
    with checkers_registered(settings, "tests.integration.checkers"):
        yield


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+\S+\s+(\S+)\s+/ (\S+)$", output, flags=re.MULTILINE))


def test_demo_course_runs_on_taipei_time_with_every_checker_due_at_2359_in_two_weeks():
    seed()

    course = Course.objects.get(title="AI Training Course Series")
    assert course.time_zone == "Asia/Taipei"
    expected_due = datetime.combine(datetime.now(TAIPEI).date() + timedelta(days=14), time(23, 59), tzinfo=TAIPEI)
    assignments = Assignment.objects.filter(course=course)
    assert {a.slug for a in assignments} == set(registry.all_checkers()) >= {"it_add", "it_slow"}
    assert {a.due_at for a in assignments} == {expected_due}
    assert all(upload_window(assignment=a).may_upload for a in assignments)


def test_every_printed_login_signs_in_with_the_role_it_is_printed_with():
    logins = printed_logins(seed())

    assert {"310510123", "310510124"} <= set(logins)
    users = get_user_model().objects.in_bulk(list(logins), field_name="username")
    for username, password in logins.items():
        assert users[username].check_password(password), username
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles["310510123"] == Membership.Role.STUDENT
    assert Membership.Role.TA in roles.values() and Membership.Role.INSTRUCTOR in roles.values()


def test_running_it_again_creates_nothing_twice_and_restores_the_demo_passwords():
    logins = printed_logins(seed())
    student = get_user_model().objects.get(username="310510123")
    student.set_password("changed-by-someone")
    student.save()
    counts = (get_user_model().objects.count(), Membership.objects.count(), Assignment.objects.count())

    assert printed_logins(seed()) == logins
    assert (get_user_model().objects.count(), Membership.objects.count(), Assignment.objects.count()) == counts
    student.refresh_from_db()
    assert student.check_password(logins["310510123"])


def test_edited_due_dates_are_kept_unless_reset_dates_is_asked_for():
    seed()
    past = datetime(2024, 7, 15, 23, 59, tzinfo=TAIPEI)  # the course's original, long-past date
    Assignment.objects.update(due_at=past)

    seed()
    assert set(Assignment.objects.values_list("due_at", flat=True)) == {past}
    seed("--reset-dates")
    assert all(due > past for due in Assignment.objects.values_list("due_at", flat=True))


def test_it_refuses_to_create_published_passwords_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not Course.objects.exists()

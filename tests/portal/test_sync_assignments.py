"""``sync_assignments`` registers every checker in a course, once, in the course's time zone."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from courseportal.courses.models import Assignment
from grader import registry
from tests.conftest import checkers_registered


@pytest.fixture
def fresh_registry(settings):
    with checkers_registered(settings):
        yield


def test_sync_registers_every_checker_once_in_the_course_time_zone(course, fresh_registry):
    output = StringIO()
    call_command("sync_assignments", "--course", course.slug, "--due", "2025-11-30T23:59", stdout=output)
    slugs = set(Assignment.objects.filter(course=course).values_list("slug", flat=True))
    assert {"lec2_hw1", "lec2_hw2", "lec1_mlp_params"} <= slugs
    hw1 = Assignment.objects.get(course=course, slug="lec2_hw1")
    assert hw1.due_at == datetime(2025, 11, 30, 23, 59, tzinfo=ZoneInfo(course.time_zone))
    assert hw1.title == registry.get_checker("lec2_hw1").title
    assert "lec2_hw1: created" in output.getvalue()

    again = StringIO()
    call_command("sync_assignments", "--course", course.slug, "--due", "2026-01-01T00:00", stdout=again)
    assert Assignment.objects.filter(course=course).count() == len(slugs)
    assert Assignment.objects.get(course=course, slug="lec2_hw1").due_at == hw1.due_at
    assert "lec2_hw1: exists, unchanged" in again.getvalue()


def test_sync_explains_an_unknown_course_and_a_bad_date(course):
    with pytest.raises(CommandError, match="No course 'nope'"):
        call_command("sync_assignments", "--course", "nope", "--due", "2025-11-30T23:59")
    with pytest.raises(CommandError, match="not a date"):
        call_command("sync_assignments", "--course", course.slug, "--due", "next friday")

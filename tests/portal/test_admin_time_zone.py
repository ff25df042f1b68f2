"""Staff type and read assignment dates in the admin as wall-clock times in the course's own zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from courseportal.accounts.services import profile_language_set
from courseportal.courses.models import Assignment
from courseportal.courses.services import course_create
from tests.conftest import make_assignment

pytestmark = pytest.mark.django_db

TAIPEI = ZoneInfo("Asia/Taipei")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin_course(db):
    return course_create(slug="dl-berlin", title="Deep Learning Berlin", time_zone="Europe/Berlin")


def assignment_form(course, **fields) -> dict:
    """The Assignment admin's add/change form as a browser posts it, due "2025-04-01 23:59"."""
    return {"course": course.pk, "slug": "lec2_hw1", "checker_slug": "portal_echo", "title": "Homework 1",
            "description": "", "opens_at_0": "2025-03-01", "opens_at_1": "00:00:00",
            "due_at_0": "2025-04-01", "due_at_1": "23:59:00", "max_upload_bytes": "", "weight_percent": "25",
            "is_published": "on", **fields}


def course_form(course, assignments: list[dict], *, initial_assignments: int) -> dict:
    """The Course admin's change form with its assignments inline (and an empty memberships inline)."""
    data = {"slug": course.slug, "title": course.title, "time_zone": course.time_zone,
            "assignments-TOTAL_FORMS": str(len(assignments)), "assignments-INITIAL_FORMS": str(initial_assignments),
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    for index, assignment in enumerate(assignments):
        data.update({f"assignments-{index}-{name}": value for name, value in assignment.items()})
    return data


def inline_row(*, due_date: str, due_time: str, pk: int | None = None, slug: str = "lec2_hw1") -> dict:
    return {"id": "" if pk is None else str(pk), "slug": slug, "title": "Homework 1", "checker_slug": "portal_echo",
            "opens_at_0": "2025-03-01", "opens_at_1": "00:00:00", "due_at_0": due_date, "due_at_1": due_time,
            "weight_percent": "25", "is_published": "on"}


def test_due_date_typed_on_the_add_form_is_read_in_the_course_zone(course, admin_client):
    response = admin_client.post(reverse("admin:courses_assignment_add"), assignment_form(course))
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert course.time_zone == "Asia/Taipei"
    assert assignment.due_at == datetime(2025, 4, 1, 23, 59, tzinfo=TAIPEI)
    assert assignment.due_at == datetime(2025, 4, 1, 15, 59, tzinfo=UTC)
    assert assignment.opens_at == datetime(2025, 3, 1, 0, 0, tzinfo=TAIPEI)


def test_due_date_of_a_course_in_another_zone_is_read_in_that_zone(berlin_course, admin_client):
    admin_client.post(reverse("admin:courses_assignment_add"), assignment_form(berlin_course))
    assignment = Assignment.objects.get()
    assert assignment.due_at == datetime(2025, 4, 1, 23, 59, tzinfo=BERLIN)
    assert assignment.due_at == datetime(2025, 4, 1, 21, 59, tzinfo=UTC)  # Berlin is on summer time by April
    assert assignment.opens_at == datetime(2025, 3, 1, 0, 0, tzinfo=BERLIN)  # and on winter time in March


def test_change_form_shows_the_deadline_in_the_course_zone_and_saving_it_keeps_the_instant(berlin_course,
                                                                                          admin_client):
    due_at = datetime(2025, 4, 1, 23, 59, tzinfo=BERLIN)
    assignment = make_assignment(berlin_course, "portal_echo", slug="lec2_hw1", due_at=due_at,
                                 opens_at=datetime(2025, 3, 1, tzinfo=BERLIN))
    url = reverse("admin:courses_assignment_change", args=[assignment.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="due_at_0" value="2025-04-01"' in page
    assert 'name="due_at_1" value="23:59:00"' in page
    assert "Europe/Berlin, the course's time zone" in page
    assert admin_client.post(url, assignment_form(berlin_course)).status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_at == due_at


def test_add_form_before_a_course_is_chosen_names_the_default_zone(admin_client, settings):
    page = admin_client.get(reverse("admin:courses_assignment_add")).content.decode()
    assert settings.DEFAULT_COURSE_TIME_ZONE == "Asia/Taipei"
    assert "Time in the chosen course's time zone (Asia/Taipei unless the course sets another)" in page
    # The default opening time, now, is shown as the wall-clock time in Taipei, not in UTC.
    shown = re.search(r'name="opens_at_0" value="([\d-]+)".*?name="opens_at_1" value="([\d:]+)"', page, re.DOTALL)
    shown_opens_at = datetime.fromisoformat(f"{shown[1]}T{shown[2]}").replace(tzinfo=TAIPEI)
    assert abs(shown_opens_at - timezone.now()) < timedelta(minutes=1)


def test_moving_an_assignment_to_another_course_reads_its_dates_in_the_new_course_zone(course, berlin_course,
                                                                                      admin_client):
    assignment = make_assignment(course, "portal_echo", slug="lec2_hw1",
                                 due_at=datetime(2025, 4, 1, 23, 59, tzinfo=TAIPEI))
    url = reverse("admin:courses_assignment_change", args=[assignment.pk])
    assert admin_client.post(url, assignment_form(berlin_course)).status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_at == datetime(2025, 4, 1, 23, 59, tzinfo=BERLIN)


def test_time_skipped_by_daylight_saving_is_refused_and_nothing_is_saved(berlin_course, admin_client):
    # Berlin's clocks jump from 02:00 to 03:00 on 2025-03-30, so 02:30 that night names no instant.
    response = admin_client.post(reverse("admin:courses_assignment_add"),
                                 assignment_form(berlin_course, due_at_0="2025-03-30", due_at_1="02:30:00"))
    assert response.status_code == 200
    assert "2025-03-30 02:30 does not exist or happens twice in Europe/Berlin" in response.content.decode()
    assert not Assignment.objects.exists()


def test_assignment_list_shows_local_times_with_the_zone_named(course, berlin_course, admin_client):
    make_assignment(course, "portal_echo", slug="taipei_hw", due_at=datetime(2025, 4, 1, 23, 59, tzinfo=TAIPEI))
    make_assignment(berlin_course, "portal_echo", slug="berlin_hw", due_at=datetime(2025, 4, 1, 23, 59, tzinfo=BERLIN))
    page = admin_client.get(reverse("admin:courses_assignment_changelist")).content.decode()
    assert page.count("April 1, 2025, 11:59 p.m. (Asia/Taipei)") == 1
    assert page.count("April 1, 2025, 11:59 p.m. (Europe/Berlin)") == 1


def test_assignment_edited_inline_on_the_course_page_is_read_in_the_course_zone(berlin_course, admin_client):
    assignment = make_assignment(berlin_course, "portal_echo", slug="lec2_hw1",
                                 opens_at=datetime(2025, 3, 1, tzinfo=BERLIN),
                                 due_at=datetime(2025, 4, 1, 23, 59, tzinfo=BERLIN))
    url = reverse("admin:courses_course_change", args=[berlin_course.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="assignments-0-due_at_1" value="23:59:00"' in page
    assert "<div>Time in Europe/Berlin, the course's time zone.</div>" in page  # the inline's help under the field
    rows = [inline_row(pk=assignment.pk, due_date="2025-04-02", due_time="23:59:00"),
            inline_row(slug="lec2_hw2", due_date="2025-04-08", due_time="23:59:00")]
    response = admin_client.post(url, course_form(berlin_course, rows, initial_assignments=1))
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_at == datetime(2025, 4, 2, 23, 59, tzinfo=BERLIN)
    assert Assignment.objects.get(slug="lec2_hw2").due_at == datetime(2025, 4, 8, 23, 59, tzinfo=BERLIN)


def test_assignment_added_with_a_new_course_is_read_in_the_zone_typed_for_that_course(admin_client):
    new_course = {"slug": "dl-tokyo", "title": "Deep Learning Tokyo", "time_zone": "Asia/Tokyo",
                  "assignments-TOTAL_FORMS": "1", "assignments-INITIAL_FORMS": "0",
                  "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
                  **{f"assignments-0-{name}": value
                     for name, value in inline_row(due_date="2025-04-01", due_time="23:59:00").items()}}
    assert admin_client.post(reverse("admin:courses_course_add"), new_course).status_code == 302
    assert Assignment.objects.get().due_at == datetime(2025, 4, 1, 23, 59, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_submission_admin_shows_upload_times_in_the_course_zone(course, student, admin_client, assignment):
    from tests.portal.conftest import submit

    submission = submit(student, assignment)
    # Eight hours from UTC, so this text cannot match a time rendered in UTC.
    uploaded_in_taipei = date_format(submission.created_at.astimezone(TAIPEI), "DATETIME_FORMAT")
    changelist = admin_client.get(reverse("admin:submissions_submission_changelist")).content.decode()
    assert f"{uploaded_in_taipei} (Asia/Taipei)" in changelist
    detail = admin_client.get(reverse("admin:submissions_submission_change", args=[submission.pk])).content.decode()
    assert uploaded_in_taipei in detail
    assert "Times shown in" in detail


@pytest.mark.usefixtures("compiled_translations")
def test_zone_help_text_is_translated_for_staff_reading_chinese(berlin_course, admin_user, admin_client):
    profile_language_set(user=admin_user, language="zh-hant")
    assignment = make_assignment(berlin_course, "portal_echo", slug="lec2_hw1")
    page = admin_client.get(reverse("admin:courses_assignment_change", args=[assignment.pk])).content.decode()
    assert "以課程的時區 Europe/Berlin 計時。" in page

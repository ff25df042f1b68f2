"""Course staff manage courses in the Django admin: roster import, memberships that grant roles."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseportal.courses.models import Membership
from courseportal.courses.selectors import user_teaches
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROSTER = "account,name,email\n310510777,王大明,wang@example.edu\n310510778,Lin Mei,lin@example.edu\n"


def test_roster_csv_enrols_the_whole_class(course, admin_client):
    url = reverse("admin:courses_course_roster", args=[course.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"roster": SimpleUploadedFile("roster.csv", ROSTER.encode("utf-8-sig"))})
    assert response.status_code == 302
    enrolled = Membership.objects.filter(course=course, role=Membership.Role.STUDENT)
    assert sorted(enrolled.values_list("user__username", flat=True)) == ["310510777", "310510778"]
    assert get_user_model().objects.get(username="310510777").first_name == "王大明"


def test_big5_roster_from_excel_is_read(course, admin_client):
    url = reverse("admin:courses_course_roster", args=[course.pk])
    admin_client.post(url, {"roster": SimpleUploadedFile("roster.csv", ROSTER.encode("cp950"))})
    assert get_user_model().objects.get(username="310510777").first_name == "王大明"


def test_roster_with_a_bad_row_enrols_nobody_and_names_the_row(course, admin_client):
    url = reverse("admin:courses_course_roster", args=[course.pk])
    roster = ROSTER + "bad account!,Someone,x@example.edu\n"
    response = admin_client.post(url, {"roster": SimpleUploadedFile("roster.csv", roster.encode())})
    assert response.status_code == 400
    assert "row 4" in response.content.decode()  # the line a spreadsheet shows it on, header included
    assert not Membership.objects.filter(course=course).exists()


def test_course_page_links_to_the_roster_import(course, admin_client):
    page = admin_client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert reverse("admin:courses_course_roster", args=[course.pk]) in page


def test_ta_added_in_the_admin_gets_the_staff_permissions(course, admin_client):
    user = make_user("ta_new")
    response = admin_client.post(reverse("admin:courses_membership_add"),
                                 {"course": course.pk, "user": user.pk, "role": Membership.Role.TA})
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
    assert user_teaches(user=user, course=course)


def test_admin_pages_of_submissions_render(course, student, admin_client, assignment):
    from tests.portal.conftest import submit_and_grade

    submission = submit_and_grade(student, assignment)
    assert admin_client.get(reverse("admin:submissions_submission_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:submissions_submission_change", args=[submission.pk])).status_code == 200


def test_a_deadline_moved_in_the_admin_rescores_late_work_on_the_record(course, student, instructor, admin_client,
                                                                         assignment):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from courseportal.courses.services import assignment_rules_update
    from courseportal.submissions.models import GradeChange, Result
    from tests.portal.conftest import submit_and_grade

    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "late_policy": "per_day", "late_penalty_percent": Decimal(10)})
    submission = submit_and_grade(student, assignment)
    earlier = (timezone.now() - timedelta(hours=3)).astimezone(course.zone)
    url = reverse("admin:courses_assignment_change", args=[assignment.pk])
    response = admin_client.post(url, {
        "course": course.pk, "slug": "hw1", "checker_slug": "portal_echo", "title": "Homework 1", "description": "",
        "opens_at_0": "2020-01-01", "opens_at_1": "00:00:00", "due_at_0": f"{earlier:%Y-%m-%d}",
        "due_at_1": f"{earlier:%H:%M:%S}", "max_upload_bytes": "", "weight_percent": "100", "is_published": "on"})
    assert response.status_code == 302
    assert Result.objects.get(pk=submission.pk).counted_score == Decimal(9)
    entry = GradeChange.objects.get(submission=submission, reason=GradeChange.Reason.LATE_PENALTY)
    assert entry.changed_by.is_superuser


def test_scores_cannot_be_edited_in_the_admin(course, student, admin_client, assignment):
    from tests.portal.conftest import submit_and_grade

    submission = submit_and_grade(student, assignment)
    page = admin_client.get(reverse("admin:submissions_submission_change", args=[submission.pk])).content.decode()
    for field in ("score", "override_score", "counted_score", "late_penalty_percent"):
        assert f'name="result-0-{field}"' not in page


def test_a_report_assignment_added_in_the_admin_holds_its_scores(course, admin_client):
    from courseportal.courses.models import Assignment

    response = admin_client.post(reverse("admin:courses_assignment_add"), {
        "course": course.pk, "slug": "report", "checker_slug": "lec2_hw2", "title": "Report", "description": "",
        "opens_at_0": "2025-03-01", "opens_at_1": "00:00:00", "due_at_0": "2025-04-01", "due_at_1": "23:59:00",
        "max_upload_bytes": "", "weight_percent": "75", "is_published": "on"})
    assert response.status_code == 302
    assert Assignment.objects.get(slug="report").holds_scores is True


def test_the_course_pages_assignments_are_stacked_so_the_page_fits_a_laptop(course, admin_client, assignment):
    """As table columns, two date-and-time pickers beside slug, title and checker made the page 1,728 px
    wide at 1,280 (tests/browser/test_running_a_course.py measures it)."""
    page = admin_client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert 'id="assignments-group"' in page
    group = page[page.index('id="assignments-group"'):]
    assert 'data-inline-type="stacked"' in group[:400]

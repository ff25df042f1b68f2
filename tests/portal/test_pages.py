"""What students and staff see: deadlines in the course's zone, results, live status, staff lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Membership
from courseportal.courses.services import course_create, membership_set
from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_grade
from tests.conftest import PASSWORD, make_assignment, make_user
from tests.portal.conftest import signed_in, submit, submit_and_grade

pytestmark = pytest.mark.django_db


def test_home_lists_courses_with_deadlines_in_the_courses_time_zone(student, course):
    make_assignment(course, "portal_echo", slug="hw1", title="Homework 1",
                    due_at=datetime(2099, 1, 1, 15, 30, tzinfo=UTC))
    page = signed_in(student).get(reverse("home")).content.decode()
    assert "AI Training Course Series 2" in page and "Homework 1" in page
    assert "Asia/Taipei" in page
    assert "Jan. 1, 2099, 11:30 p.m." in page  # 15:30 UTC is 23:30 in Taipei
    assert " left" in page


def test_deadline_follows_a_course_in_another_zone(student):
    from courseportal.courses.models import Membership
    from courseportal.courses.services import membership_set

    berlin = course_create(slug="berlin", title="Berlin course", time_zone="Europe/Berlin")
    membership_set(course=berlin, user=student, role=Membership.Role.STUDENT)
    make_assignment(berlin, "portal_echo", slug="hw1", due_at=datetime(2099, 1, 1, 15, 30, tzinfo=UTC))
    page = signed_in(student).get(reverse("submissions:assignment", args=["berlin", "hw1"])).content.decode()
    assert "4:30 p.m." in page and "Europe/Berlin" in page


def test_closed_assignment_says_so_and_offers_no_upload_form(student, assignment):
    assignment.due_at = timezone.now() - timedelta(hours=1)
    assignment.save()
    page = signed_in(student).get(reverse("submissions:assignment", args=["ai-training-2", "hw1"])).content.decode()
    assert "Closed" in page and "uploads are no longer accepted" in page
    assert 'enctype="multipart/form-data"' not in page


def test_assignment_page_names_the_file_to_upload_and_links_the_starter(student, assignment):
    page = signed_in(student).get(reverse("submissions:assignment", args=["ai-training-2", "hw1"])).content.decode()
    assert "310510123_hw1.py" in page
    assert reverse("courses:starter", args=["ai-training-2", "hw1", "portal_echo_starter.py"]) in page


def test_result_page_shows_score_every_check_and_the_output(student, assignment):
    submission = submit_and_grade(student, assignment, b"answer = 41\n")
    page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "2 / 10" in page
    assert "file is not blank" in page and "answer is 42" in page
    assert "Set answer = 42." in page
    assert "echo: answer = 41" in page
    assert 'data-pending="false"' in page


def test_status_block_changes_from_queued_to_graded_for_the_poller(student, assignment):
    submission = submit(student, assignment)
    client = signed_in(student)
    status_url = reverse("submissions:status", args=[submission.pk])
    detail = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert f'data-poll-url="{status_url}?wait=1"' in detail and 'data-pending="true"' in detail

    queued = client.get(status_url)
    assert 'data-pending="true"' in queued.content.decode() and "Queued" in queued.content.decode()
    assert "no-store" in queued["Cache-Control"]

    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.RUNNING)
    assert "Running" in client.get(status_url).content.decode()

    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.QUEUED)
    submission_grade(submission_id=submission.pk)
    graded = client.get(status_url).content.decode()
    assert 'data-pending="false"' in graded and "10 / 10" in graded and "answer is 42" in graded
    assert graded.lstrip().startswith("<section") and "<html" not in graded


def test_poller_script_is_served_from_our_own_static_files(student, assignment):
    submission = submit(student, assignment)
    page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/static/courseportal/portal.js"]
    assert finders.find("courseportal/portal.js") and finders.find("courseportal/portal.css")
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', page)).replace("http://testserver", "")


def test_staff_see_who_submitted_and_can_regrade_students_do_not(student, ta, assignment):
    submission = submit_and_grade(student, assignment)
    staff_page = signed_in(ta).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "310510123" in staff_page and reverse("submissions:regrade", args=[submission.pk]) in staff_page
    own_page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert reverse("submissions:regrade", args=[submission.pk]) not in own_page


def test_staff_list_has_one_row_per_student_and_filters_by_account(student, other_student, ta, assignment):
    submit(student, assignment)
    submit(other_student, assignment)
    submit(other_student, assignment)
    client = signed_in(ta)
    url = reverse("submissions:assignment_list", args=["ai-training-2", "hw1"])
    page = client.get(url).content.decode()
    assert page.count("<tr") == 1 + 2 and "310510123" in page and "310510999" in page
    assert "1 upload<" in page and "2 uploads<" in page
    filtered = client.get(url, {"student": "999"}).content.decode()
    assert "310510999" in filtered and "310510123" not in filtered


def test_staff_list_takes_a_constant_number_of_queries(student, other_student, ta, course, assignment,
                                                       django_assert_max_num_queries):
    for _ in range(3):
        submit_and_grade(student, assignment)
        submit(other_student, assignment)
    client = signed_in(ta)
    url = reverse("submissions:assignment_list", args=["ai-training-2", "hw1"])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for number in range(5):
        classmate = make_user(f"3105109{number:02d}")
        membership_set(course=course, user=classmate, role=Membership.Role.STUDENT)
        submit_and_grade(classmate, assignment)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
    assert len(few) <= 14


def test_home_takes_a_constant_number_of_queries(student, course, assignment, django_assert_max_num_queries):
    for slug in ("hw2", "hw3", "hw4"):
        make_assignment(course, "portal_echo", slug=slug)
        submit(student, assignment)
    client = signed_in(student)
    client.get(reverse("home"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("home")).status_code == 200


def test_sign_in_with_the_form_lands_on_home(student, client):
    response = client.post(reverse("login"), {"username": "310510123", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "AI Training Course Series 2" in response.content.decode()



def test_the_site_administrators_home_leads_to_the_courses_not_to_their_tas(course, admin_client):
    page = admin_client.get(reverse("home")).content.decode()
    assert "Site administration" in page and reverse("admin:courses_course_changelist") in page
    assert reverse("admin:courses_course_change", args=[course.pk]) in page and course.title in page
    assert "You are not enrolled" not in page and "tell your teaching assistants" not in page


def test_a_student_without_courses_is_still_told_to_ask_their_tas(outsider):
    page = signed_in(outsider).get(reverse("home")).content.decode()
    assert "You are not enrolled in any course yet" in page and "Site administration" not in page

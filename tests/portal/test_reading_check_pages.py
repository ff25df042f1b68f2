"""The "check how it was read" pages: the student is told which answers a TA will look at (not that they
are wrong); the course's TAs and instructors, and nobody else, see the list and check a reading."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseportal.submissions.models import GradeChange
from courseportal.submissions.services import submission_create, submission_grade
from tests.conftest import checkers_registered, make_assignment
from tests.portal.conftest import signed_in, upload_file

pytestmark = pytest.mark.django_db
UNSURE = "fc2 output"


@pytest.fixture
def unsure(settings, course, student):
    with checkers_registered(settings, "tests.portal.checkers", "tests.submissions.checkers"):
        assignment = make_assignment(course, "unit_layers", slug="layers", title="Layers")
        submission = submission_create(student=student, assignment=assignment,
                                       upload=upload_file(f"{student.username}_layers.py", b"unsure\n"))
        submission_grade(submission_id=submission.pk)
        submission.refresh_from_db()
        yield submission


def list_url(submission) -> str:
    return reverse("submissions:reading_checks", args=[submission.assignment.course.slug, submission.assignment.slug])


def test_the_student_is_told_which_answer_a_ta_will_check_and_not_that_it_is_wrong(student, unsure):
    page = signed_in(student).get(reverse("submissions:detail", args=[unsure.pk])).content.decode()
    assert "Some answers could not be read with confidence" in page and "A TA will look" in page
    assert "<li>fc2 output</li>" in page and "a TA will check" in page and "25 / 25" in page
    assert "Check how it was read" not in page and 'name="reading_fc2 output"' not in page


def test_a_ta_chooses_a_reading_and_the_submission_leaves_the_list(ta, unsure):
    client = signed_in(ta)
    course_page = client.get(reverse("courses:course", args=[unsure.assignment.course.slug])).content.decode()
    assert f'href="{list_url(unsure)}"' in course_page and "Check how it was read (1)" in course_page
    listed = client.get(list_url(unsure)).content.decode()
    assert "310510123" in listed and UNSURE in listed
    page = client.get(reverse("submissions:detail", args=[unsure.pk])).content.decode()
    assert 'id="reading-check"' in page and "(no answer)" in page and "(1, 10) (line 3)" in page

    response = client.post(reverse("submissions:reading_check", args=[unsure.pk]),
                           {f"reading_{UNSURE}": "1", f"points_{UNSURE}": "", "note": "fc1's input, not an answer"})

    assert response.status_code == 302 and response.url == list_url(unsure)
    assert "310510123" not in client.get(list_url(unsure)).content.decode()
    assert "Check how it was read (" not in client.get(
        reverse("courses:course", args=[unsure.assignment.course.slug])).content.decode()
    change = GradeChange.objects.filter(submission=unsure).latest("id")
    assert (change.reason, change.changed_by, str(change.new_score)) == ("reading_check", ta, "24.375")
    history = client.get(reverse("submissions:detail", args=[unsure.pk])).content.decode()
    assert "Reading checked by a TA" in history and "24.375 / 25" in history and 'id="reading-check"' not in history
    assert "fc2 output: read as no answer, 0 points" in history and "fc1&#x27;s input, not an answer" in history


def test_other_points_without_points_are_refused_and_change_nothing(instructor, unsure):
    response = signed_in(instructor).post(reverse("submissions:reading_check", args=[unsure.pk]),
                                          {f"reading_{UNSURE}": "points", f"points_{UNSURE}": ""})
    assert response.status_code == 400 and "Enter the points, or choose a reading." in response.content.decode()
    unsure.result.refresh_from_db()
    assert unsure.result.awaits_reading_check


def test_nobody_but_the_courses_staff_sees_the_list_or_checks_a_reading(student, ta_of_another_course, outsider,
                                                                      unsure):
    for user in (student, ta_of_another_course, outsider):
        client = signed_in(user)
        assert client.get(list_url(unsure)).status_code == 404
        assert client.post(reverse("submissions:reading_check", args=[unsure.pk]),
                           {f"reading_{UNSURE}": "1"}).status_code == 404
    unsure.result.refresh_from_db()
    assert unsure.result.awaits_reading_check

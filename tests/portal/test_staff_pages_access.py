"""Every page and action of running a course is refused to students and to staff of another course, and
the instructor-only ones to TAs; nothing changes when they are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Assignment, Extension
from courseportal.courses.services import extension_grant
from courseportal.submissions.models import GradeChange, Regrade, Result
from courseportal.submissions.services import assignment_regrade
from tests.portal.conftest import signed_in, submit_and_grade

pytestmark = pytest.mark.django_db

COURSE, HW = "ai-training-2", "hw1"


@pytest.fixture
def scene(student, other_student, ta, instructor, assignment):
    """A graded submission, an extension and a regrade, so every page has something to show."""
    submission = submit_and_grade(student, assignment)
    extension = extension_grant(assignment=assignment, student=other_student, reason="Sick leave.",
                                due_at=assignment.due_at + timedelta(days=2), granted_by=instructor)
    regrade = assignment_regrade(assignment=assignment, started_by=ta)
    return {"submission": submission, "extension": extension, "regrade": regrade, "student": student}


def staff_pages(scene) -> list[str]:
    """Pages every member of the course's staff may read."""
    return [
        reverse("courses:course", args=[COURSE]),
        reverse("courses:students", args=[COURSE]),
        reverse("submissions:assignment_list", args=[COURSE, HW]),
        reverse("submissions:student_history", args=[COURSE, HW, scene["student"].pk]),
        reverse("submissions:regrade_progress", args=[scene["regrade"].pk]),
        reverse("submissions:regrade_progress_status", args=[scene["regrade"].pk]),
        reverse("gradebook:course", args=[COURSE]),
    ]


def instructor_pages() -> list[str]:
    return [reverse("courses:assignment_rules", args=[COURSE, HW]), reverse("courses:extensions", args=[COURSE, HW])]


def test_staff_pages_are_read_by_the_courses_tas_and_instructors(scene, ta, instructor):
    for user in (ta, instructor):
        for url in staff_pages(scene):
            assert signed_in(user).get(url).status_code == 200, (user, url)


def test_staff_pages_are_not_found_for_students_and_other_courses_staff(scene, student, ta_of_another_course,
                                                                        outsider):
    for user in (student, ta_of_another_course, outsider):
        for url in staff_pages(scene) + instructor_pages():
            assert signed_in(user).get(url).status_code == 404, (user, url)


def test_instructor_pages_are_forbidden_to_tas_and_open_to_instructors(scene, ta, instructor):
    for url in instructor_pages():
        assert signed_in(ta).get(url).status_code == 403, url
        assert signed_in(instructor).get(url).status_code == 200, url


def test_every_page_sends_anonymous_visitors_to_sign_in(scene, client):
    for url in staff_pages(scene) + instructor_pages() + [reverse("password_change")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def instructor_actions(scene) -> list[tuple[str, dict]]:
    future = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    return [
        (reverse("courses:assignment_rules", args=[COURSE, HW]),
         {"title": "Hijacked", "opens_at": "2020-01-01T00:00:00", "due_at": future, "grace_minutes": 5,
          "late_policy": "none", "late_penalty_percent": 0, "counted_submission": "best", "weight_percent": 100}),
        (reverse("courses:assignment_release", args=[COURSE, HW]), {}),
        (reverse("courses:extensions", args=[COURSE, HW]),
         {"student": "310510123", "due_at": future, "reason": "Because I say so."}),
        (reverse("courses:extension_revoke", args=[COURSE, HW, scene["extension"].pk]), {}),
    ]


def staff_actions(scene) -> list[tuple[str, dict]]:
    submission = scene["submission"]
    return [
        (reverse("submissions:override", args=[submission.pk]), {"score": 1, "reason": "Hijacked"}),
        (reverse("submissions:assignment_regrade", args=[COURSE, HW]), {}),
        (reverse("courses:student_password_reset", args=[COURSE, scene["student"].pk]), {}),
    ]


def state(scene) -> tuple:
    assignment = Assignment.objects.get(slug=HW)
    return (assignment.title, assignment.scores_released_at, assignment.holds_scores,
            sorted(Extension.objects.values_list("student__username", "reason")),
            Result.objects.get(pk=scene["submission"].pk).override_score, GradeChange.objects.count(),
            Regrade.objects.count())


def test_instructor_actions_are_refused_to_tas_students_and_other_courses_staff(scene, ta, student,
                                                                                ta_of_another_course):
    Assignment.objects.filter(slug=HW).update(holds_scores=True)
    before = state(scene)
    for url, data in instructor_actions(scene):
        assert signed_in(ta).post(url, data).status_code == 403, url
        for outsider in (student, ta_of_another_course):
            assert signed_in(outsider).post(url, data).status_code == 404, url
    assert state(scene) == before


def test_staff_actions_are_refused_to_students_and_other_courses_staff(scene, student, ta_of_another_course,
                                                                       mailoutbox):
    before = state(scene)
    for url, data in staff_actions(scene):
        for outsider in (student, ta_of_another_course):
            assert signed_in(outsider).post(url, data).status_code == 404, url
    assert state(scene) == before and mailoutbox == []


def test_staff_may_not_reset_a_colleagues_password(scene, ta, instructor, mailoutbox):
    response = signed_in(ta).post(reverse("courses:student_password_reset", args=[COURSE, instructor.pk]))
    assert response.status_code == 404 and mailoutbox == []

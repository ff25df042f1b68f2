"""The gradebook: the counted score per cell (each assignment's rule), weighted totals, CSV, constant
queries at class scale."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Assignment, Membership
from courseportal.courses.services import assignment_rules_update, membership_set
from courseportal.gradebook.selectors import gradebook_for
from courseportal.submissions.models import Blob, Result, Submission
from courseportal.submissions.services.pipeline import _give_up
from tests.conftest import make_assignment, make_user
from tests.portal.conftest import signed_in, submit, submit_and_grade

pytestmark = pytest.mark.django_db

FULL_MARKS, TWO_POINTS = b"answer = 42\n", b"answer = 41\n"


@pytest.fixture
def homework(course):
    """lec2-style weights: a checked homework worth 25% and a report worth 75%."""
    return (make_assignment(course, "portal_echo", slug="hw1", weight_percent=25),
            make_assignment(course, "portal_echo", slug="hw2", weight_percent=75))


def cell_scores(gradebook, account):
    row = next(row for row in gradebook.rows if row.account == account)
    return [None if cell is None else cell.score for cell in row.cells], row.total_percent


def test_best_and_latest_pick_different_submissions(course, student, homework):
    hw1, hw2 = homework
    submit_and_grade(student, hw1, TWO_POINTS)
    submit_and_grade(student, hw1, FULL_MARKS)
    submit_and_grade(student, hw1, TWO_POINTS)
    submit_and_grade(student, hw2, FULL_MARKS)
    best, best_total = cell_scores(gradebook_for(course=course), "310510123")
    counting(hw1, Assignment.CountedSubmission.LATEST)
    latest, latest_total = cell_scores(gradebook_for(course=course), "310510123")
    assert best == [10.0, 10.0] and best_total == pytest.approx(100.0)
    assert latest == [2.0, 10.0] and latest_total == pytest.approx(0.2 * 25 + 75)


def test_grader_errors_and_pending_uploads_do_not_count(course, student, homework):
    hw1, _hw2 = homework
    submit_and_grade(student, hw1, TWO_POINTS)
    crashed = submit(student, hw1, FULL_MARKS)
    Submission.objects.filter(pk=crashed.pk).update(status=Submission.Status.RUNNING, attempts=3,
                                                    claimed_at=timezone.now())
    crashed.refresh_from_db()
    _give_up(submission=crashed)  # the sweep's "grader kept crashing" result
    assert Result.objects.get(pk=crashed.pk).status == Result.Status.ERROR
    submit(student, hw1, FULL_MARKS)  # still queued
    counting(hw1, Assignment.CountedSubmission.LATEST)
    latest, total = cell_scores(gradebook_for(course=course), "310510123")
    assert latest == [2.0, None] and total == pytest.approx(0.2 * 25)


def test_students_without_submissions_appear_with_zero_and_staff_do_not(course, student, other_student, ta,
                                                                         instructor, homework):
    submit_and_grade(student, homework[0], FULL_MARKS)
    gradebook = gradebook_for(course=course)
    assert [row.account for row in gradebook.rows] == ["310510123", "310510999"]
    assert cell_scores(gradebook, "310510999") == ([None, None], 0.0)


def test_page_labels_each_assignments_rule_and_csv_exports_the_same_numbers(course, student, instructor,
                                                                            homework):
    hw1, hw2 = homework
    first = submit_and_grade(student, hw1, FULL_MARKS)
    submit_and_grade(student, hw1, TWO_POINTS)
    client = signed_in(instructor)
    best_page = client.get(reverse("gradebook:course", args=[course.slug])).content.decode()
    assert "25% · best" in best_page
    assert reverse("submissions:detail", args=[first.pk]) in best_page
    counting(hw1, Assignment.CountedSubmission.LATEST)
    page = client.get(reverse("gradebook:course", args=[course.slug])).content.decode()
    assert "25% · latest" in page and reverse("submissions:detail", args=[first.pk]) not in page

    response = client.get(reverse("gradebook:csv", args=[course.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="ai-training-2-gradebook.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Account", "Name", "hw1 (25%)", "hw2 (75%)", "Weighted total %"]
    assert rows[1] == ["310510123", "", "2", "", "5.00"]


def test_csv_defuses_names_a_spreadsheet_would_run_as_formulas(course, instructor, homework):
    user = make_user("310510555")
    user.first_name = "=HYPERLINK(\"http://evil\")"
    user.save()
    membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    response = signed_in(instructor).get(reverse("gradebook:csv", args=[course.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")


def gradebook_queries(client, course) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("gradebook:course", args=[course.slug])).status_code == 200
    return len(queries)


@pytest.mark.postgres
def test_gradebook_queries_do_not_grow_with_the_class(course, instructor, homework, django_assert_max_num_queries):
    client = signed_in(instructor)
    client.get(reverse("home"))  # the session's first request reads the language preference once
    submit_and_grade(make_enrolled(course, "310510001"), homework[0], FULL_MARKS)
    small = gradebook_queries(client, course)
    for number in range(2, 8):
        student = make_enrolled(course, f"3105100{number:02d}")
        for assignment in homework:
            submit_and_grade(student, assignment, FULL_MARKS)
            submit_and_grade(student, assignment, TWO_POINTS)
    make_assignment(course, "portal_echo", slug="hw3")
    assert gradebook_queries(client, course) == small
    with django_assert_max_num_queries(10):
        client.get(reverse("gradebook:course", args=[course.slug]))


def counting(assignment, rule) -> None:
    """Which submission counts for ``assignment``, set as an instructor would."""
    instructor = make_user(f"rules_{rule}")
    membership_set(course=assignment.course, user=instructor, role=Membership.Role.INSTRUCTOR)
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"counted_submission": rule})


def make_enrolled(course, account):
    user = make_user(account)
    membership_set(course=course, user=user, role=Membership.Role.STUDENT)
    return user


def bulk_class(course, *, students: int, assignments: int, submissions_each: int) -> None:
    """A whole class's history, written in bulk: going through the upload service for 45,000
    submissions would take minutes and prove nothing more about how the gradebook reads them.
    """
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"4105{number:05d}", first_name=f"Student {number}") for number in range(students)
    )
    Membership.objects.bulk_create(Membership(course=course, user=user) for user in users)
    homework = [make_assignment(course, "portal_echo", slug=f"hw{number}", weight_percent=100 // assignments)
                for number in range(assignments)]
    blob = Blob.objects.create(sha256="0" * 64, size=1)
    rows = [Submission(assignment=assignment, student=user, filename=f"{user.username}_{assignment.slug}.py",
                       blob=blob, status=Submission.Status.GRADED)
            for user in users for assignment in homework for _ in range(submissions_each)]
    created = Submission.objects.bulk_create(rows, batch_size=2000)
    now = timezone.now()
    Result.objects.bulk_create(
        (Result(submission=submission, status=Result.Status.GRADED, score=Decimal(number % 11), max_score=Decimal(10),
                counted_score=Decimal(number % 11), graded_at=now) for number, submission in enumerate(created)),
        batch_size=2000,
    )


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_gradebook_of_500_students_and_30_assignments_renders_in_constant_queries(
        course, instructor, django_assert_max_num_queries):
    # Its speed is a benchmark figure (manage.py benchmark: gradebook_ms), not a timed assertion.
    bulk_class(course, students=500, assignments=30, submissions_each=3)
    client = signed_in(instructor)
    client.get(reverse("home"))
    url = reverse("gradebook:course", args=[course.slug])
    for rule in (Assignment.CountedSubmission.BEST, Assignment.CountedSubmission.LATEST,
                 Assignment.CountedSubmission.LATEST_ON_TIME):
        Assignment.objects.filter(course=course).update(counted_submission=rule)  # 30 assignments at once
        with django_assert_max_num_queries(10):
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.count(b"<tr>") == 500 + 1
        assert response.content.count(b'<td class="number"><a href=') == 500 * 30

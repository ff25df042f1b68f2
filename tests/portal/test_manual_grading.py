"""Reports TAs grade by hand in the portal: what students and the gradebook show while a report awaits
its TA and once it is graded (through the rubric, on the grading page: ``tests/reports``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments.lec2_hw2.checker import PROBLEMS
from courseportal.accounts.services import profile_language_set
from courseportal.courses.models import Assignment, Membership
from courseportal.courses.services import assignment_rules_update, membership_set
from courseportal.gradebook.selectors import gradebook_for
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create, submission_grade
from tests.conftest import make_assignment, make_user
from tests.portal.conftest import signed_in, submit_and_grade
from tests.portal.test_csrf import csrf_token_of
from tests.reports.grading import grade_report

pytestmark = pytest.mark.django_db

REPORT = (Path(__file__).resolve().parents[2] / "assignments" / "lec2_hw2" / "tests" / "golden"
          / "complete_report.pdf").read_bytes()
NAMES = [problem.name for problem in PROBLEMS]


@pytest.fixture
def report_assignment(course):
    """lec2_hw2 as the course runs it: the PDF report, 75% of the homework, graded by TAs."""
    return make_assignment(course, "lec2_hw2", slug="lec2_hw2", title="Lecture 2-2 HW2", weight_percent=75)


@pytest.fixture
def report(student, report_assignment):
    return submit_report(student, report_assignment)


def submit_report(student, assignment) -> Submission:
    """Upload a report and run its automatic check, as the worker would."""
    submission = submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        f"{student.username}_{assignment.slug}.pdf", REPORT, content_type="application/pdf"))
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def grade_by_hand(submission, grader, points: list) -> None:
    """A TA's grade of every problem, through the rubric (tests.reports.grading)."""
    grade_report(submission, grader, points)


def page_of(user, submission) -> str:
    response = signed_in(user).get(reverse("submissions:detail", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_student_sees_awaiting_ta_grading_not_zero(student, report, report_assignment):
    client = signed_in(student)
    detail = client.get(reverse("submissions:detail", args=[report.pk])).content.decode()
    status = client.get(reverse("submissions:status", args=[report.pk])).content.decode()
    history = client.get(reverse("submissions:assignment", args=["ai-training-2", "lec2_hw2"])).content.decode()
    home = client.get(reverse("home")).content.decode()
    for page in (detail, status, history, home):
        assert "Awaiting TA grading" in page and "0 / 75" not in page
    assert "Grade this report" not in detail and "points_" not in detail


def test_chinese_student_sees_awaiting_ta_grading_in_chinese(student, report, compiled_translations):
    profile_language_set(user=student, language="zh-hant")
    assert "等待助教評分" in page_of(student, report)


def test_the_grading_page_posts_only_with_the_csrf_token(ta, instructor, report):
    client = signed_in(instructor, enforce_csrf_checks=True)
    url = reverse("reports:grade", args=[report.pk])
    page = client.get(url).content.decode()
    correct = re.findall(r'name="items_(problem_\w+)" value="(\d+)" data-points="0"', page)
    form = {f"items_{problem}": pk for problem, pk in correct} | {"then": "stay"}
    assert len(correct) == 3 and client.post(url, form).status_code == 403
    assert Result.objects.get(pk=report.pk).awaits_manual_grading
    token = csrf_token_of(client, url)
    assert client.post(url, {**form, "csrfmiddlewaretoken": token}).status_code == 302
    assert Result.objects.get(pk=report.pk).score == 75


def test_automatically_graded_assignments_have_no_grading_page(student, ta, assignment):
    submission = submit_and_grade(student, assignment)
    page = page_of(ta, submission)
    assert "grading page" not in page
    assert signed_in(ta).get(reverse("reports:grade", args=[submission.pk])).status_code == 404
    assert signed_in(ta).post(reverse("reports:grade", args=[submission.pk]), {"then": "stay"}).status_code == 404
    assert Result.objects.get(pk=submission.pk).score == 10


def test_the_submission_page_sends_staff_to_the_grading_page(ta, report):
    assert reverse("reports:grade", args=[report.pk]) in page_of(ta, report)


def test_regrade_of_a_hand_graded_report_is_refused_with_a_message(ta, report):
    grade_by_hand(report, ta, [20, 20, 20])
    assert "Regrade" not in page_of(ta, report)
    response = signed_in(ta).post(reverse("submissions:regrade", args=[report.pk]), follow=True)
    assert "a regrade would replace their grade" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Submission.Status.GRADED and Result.objects.get(pk=report.pk).score == 60


def test_staff_list_filters_the_reports_to_grade(student, other_student, ta, report_assignment):
    graded = submit_report(student, report_assignment)
    grade_by_hand(graded, ta, [25, 25, 25])
    waiting = submit_report(other_student, report_assignment)
    client = signed_in(ta)
    url = reverse("submissions:assignment_list", args=["ai-training-2", "lec2_hw2"])
    everything = client.get(url).content.decode()
    assert "310510123" in everything and "310510999" in everything and "?to_grade=1" in everything
    to_grade = client.get(url, {"to_grade": "1"}).content.decode()
    assert "310510999" in to_grade and "310510123" not in to_grade
    assert reverse("reports:grade", args=[waiting.pk]) in to_grade


def test_automatic_assignments_offer_no_to_grade_filter(ta, assignment):
    page = signed_in(ta).get(reverse("submissions:assignment_list", args=["ai-training-2", "hw1"])).content.decode()
    assert "to_grade" not in page


@pytest.fixture
def lecture(course, report_assignment):
    """lec2's two homeworks: a checked one worth 25% and the hand-graded report worth 75%."""
    return make_assignment(course, "portal_echo", slug="hw1", weight_percent=25), report_assignment


def row_of(gradebook, account):
    return next(row for row in gradebook.rows if row.account == account)


def counting(assignment, rule) -> None:
    """Which submission counts for ``assignment``, set as an instructor would."""
    instructor = make_user(f"rules_{rule}")
    membership_set(course=assignment.course, user=instructor, role=Membership.Role.INSTRUCTOR)
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"counted_submission": rule})


def report_cell(gradebook, account):
    column = next(index for index, assignment in enumerate(gradebook.assignments) if assignment.slug == "lec2_hw2")
    return row_of(gradebook, account).cells[column]


def test_gradebook_shows_a_report_awaiting_grading_as_pending_not_zero(course, student, lecture):
    hw1, hw2 = lecture
    submit_and_grade(student, hw1)
    submit_report(student, hw2)
    for rule in Assignment.CountedSubmission:
        counting(hw2, rule)
        gradebook = gradebook_for(course=course)
        row, cell = row_of(gradebook, "310510123"), report_cell(gradebook, "310510123")
        assert cell.awaiting_grading and cell.display == "pending"
        assert row.total_percent == pytest.approx(25.0) and row.provisional


def test_gradebook_counts_the_report_once_a_ta_graded_it(course, student, ta, lecture):
    hw1, hw2 = lecture
    submit_and_grade(student, hw1)
    grade_by_hand(submit_report(student, hw2), ta, [25, 20, 15])
    gradebook = gradebook_for(course=course)
    row, cell = row_of(gradebook, "310510123"), report_cell(gradebook, "310510123")
    assert cell.score == 60 and not cell.awaiting_grading and not cell.provisional and not row.provisional
    assert row.total_percent == pytest.approx(25 + 75 * 60 / 75)


def test_a_newer_report_awaiting_grading_makes_the_best_score_provisional(course, student, ta, instructor, lecture):
    _hw1, hw2 = lecture
    grade_by_hand(submit_report(student, hw2), ta, [10, 10, 10])
    submit_report(student, hw2)
    best_book = gradebook_for(course=course)
    counting(hw2, Assignment.CountedSubmission.LATEST)
    latest_book = gradebook_for(course=course)
    best, best_cell = row_of(best_book, "310510123"), report_cell(best_book, "310510123")
    latest, latest_cell = row_of(latest_book, "310510123"), report_cell(latest_book, "310510123")
    assert best_cell.score == 30 and not best_cell.awaiting_grading and best_cell.provisional and best.provisional
    assert best.total_percent == pytest.approx(75 * 30 / 75)
    assert latest_cell.awaiting_grading and latest.total_percent == 0.0 and latest.provisional
    counting(hw2, Assignment.CountedSubmission.BEST)
    page = signed_in(instructor).get(reverse("gradebook:course", args=[course.slug])).content.decode()
    assert '<td class="number provisional"><a href=' in page and "30</a>*</td>" in page


def test_gradebook_page_and_csv_label_pending_and_provisional(course, student, other_student, ta, instructor,
                                                               lecture):
    _hw1, hw2 = lecture
    waiting = submit_report(student, hw2)
    grade_by_hand(submit_report(other_student, hw2), ta, [25, 25, 25])
    client = signed_in(instructor)
    page = client.get(reverse("gradebook:course", args=[course.slug])).content.decode()
    assert f'<td class="number pending-grade"><a href="{reverse("submissions:detail", args=[waiting.pk])}">pending' \
        in page
    assert page.count(">provisional</span>") == 1 and "counts as nothing in the total until graded" in page
    csv_text = client.get(reverse("gradebook:csv", args=[course.slug])).content.decode("utf-8-sig")
    assert "310510123,,pending,,0.00" in csv_text and "310510999,,75,,75.00" in csv_text


def gradebook_queries(client, course) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("gradebook:course", args=[course.slug])).status_code == 200
    return len(queries)


def test_pending_reports_keep_the_gradebook_queries_constant(course, student, ta, instructor, lecture,
                                                             django_assert_max_num_queries):
    _hw1, hw2 = lecture
    client = signed_in(instructor)
    client.get(reverse("home"))  # the session's first request reads the language preference once
    submit_report(student, hw2)
    small = gradebook_queries(client, course)
    for number in range(1, 6):
        classmate = make_user(f"31051100{number}")
        membership_set(course=course, user=classmate, role=Membership.Role.STUDENT)
        grade_by_hand(submit_report(classmate, hw2), ta, [number, number, number])
        submit_report(classmate, hw2)
    assert gradebook_queries(client, course) == small
    with django_assert_max_num_queries(10):
        client.get(reverse("gradebook:course", args=[course.slug]))

"""TAs grade PDF reports by hand: the form, who may use it, what students and the gradebook show."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
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
from courseportal.submissions.services import result_grade_manually, submission_create, submission_grade
from tests.conftest import make_assignment, make_user
from tests.portal.conftest import signed_in, submit_and_grade
from tests.portal.test_csrf import csrf_token_of

pytestmark = pytest.mark.django_db

REPORT = (Path(__file__).resolve().parents[2] / "assignments" / "lec2_hw2" / "tests" / "golden"
          / "complete_report.pdf").read_bytes()
NAMES = [problem.check_name for problem in PROBLEMS]


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


def grade_form(points: list, feedback: list | None = None, comment: str = "") -> dict[str, object]:
    data: dict[str, object] = {"comment": comment}
    for name, earned, said in zip(NAMES, points, feedback or [""] * len(NAMES), strict=True):
        data[f"points_{name}"] = earned
        data[f"feedback_{name}"] = said
    return data


def grade_by_hand(submission, grader, points: list) -> None:
    result_grade_manually(submission=submission, grader=grader, points=dict(zip(NAMES, points, strict=True)),
                          feedback={}, comment="")


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


def test_ta_grades_through_the_form_and_the_student_sees_points_and_feedback(
        student, ta, report, django_capture_on_commit_callbacks):
    form_page = page_of(ta, report)
    assert "Grade this report" in form_page
    for problem in PROBLEMS:
        assert f'name="points_{problem.check_name}"' in form_page and problem.title in form_page
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(ta).post(reverse("submissions:grade", args=[report.pk]), grade_form(
            [20, "22.5", 18], ["Explain the identity shortcut.", "", "Compare with nearest neighbour."],
            comment="Solid report."))
    assert response.status_code == 302 and response.url == reverse("submissions:detail", args=[report.pk])

    student_page = page_of(student, report)
    assert "60.5 / 75" in student_page and "60.50" not in student_page and "Awaiting TA grading" not in student_page
    # 22.5 of 25 is points a TA gave, not a pass: hand-graded problems show points, never "Passed: yes".
    assert "22.5 / 25" in student_page and ">Passed<" not in student_page and 'data-label="Passed"' not in student_page
    assert "Explain the identity shortcut." in student_page and "Solid report." in student_page
    assert "graded by a TA" in student_page and "Grade this report" not in student_page
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [student.email]
    assert mail.outbox[0].subject == "[Lecture 2-2 HW2] 60.5/75"
    assert "Change the grade" in page_of(ta, report) and "ta_chen" in page_of(ta, report)


def test_grade_form_is_prefilled_with_the_stored_grade(ta, report):
    grade_by_hand(report, ta, [20, 21, 22])
    page = page_of(ta, report)
    assert f'name="points_{NAMES[1]}" value="21"' in page


@pytest.mark.parametrize("who", ["student", "other_student", "ta_of_another_course", "outsider"])
def test_only_staff_of_the_course_may_grade_everyone_else_gets_404(who, request, report):
    user = request.getfixturevalue(who)
    response = signed_in(user).post(reverse("submissions:grade", args=[report.pk]), grade_form([25, 25, 25]))
    assert response.status_code == 404
    result = Result.objects.get(pk=report.pk)
    assert result.awaits_manual_grading and result.score == 0 and mail.outbox == []


def test_anonymous_visitor_is_sent_to_sign_in(report, client):
    response = client.post(reverse("submissions:grade", args=[report.pk]), grade_form([25, 25, 25]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_get_of_the_grade_forms_address_lands_on_the_submission_page_and_grades_nothing(ta, report):
    response = signed_in(ta).get(reverse("submissions:grade", args=[report.pk]))
    assert response.status_code == 302 and response.url == reverse("submissions:detail", args=[report.pk])
    report.result.refresh_from_db()
    assert report.result.awaits_manual_grading and not report.result.is_manually_graded


def test_grade_form_needs_the_csrf_token(ta, instructor, report):
    client = signed_in(instructor, enforce_csrf_checks=True)
    url = reverse("submissions:grade", args=[report.pk])
    assert client.post(url, grade_form([25, 25, 25])).status_code == 403
    assert Result.objects.get(pk=report.pk).awaits_manual_grading
    token = csrf_token_of(client, reverse("submissions:detail", args=[report.pk]))
    assert client.post(url, {**grade_form([25, 25, 25]), "csrfmiddlewaretoken": token}).status_code == 302
    assert Result.objects.get(pk=report.pk).score == 75


@pytest.mark.parametrize("points", [[26, 10, 10], [10, -0.5, 10], [10, 10, ""], [10, "ten", 10]])
def test_points_out_of_range_are_refused_with_a_message_and_nothing_is_saved(points, ta, report):
    before = Result.objects.filter(pk=report.pk).values().get()
    response = signed_in(ta).post(reverse("submissions:grade", args=[report.pk]),
                                  grade_form(points, ["kept in the form", "", ""]))
    page = response.content.decode()
    assert response.status_code == 400
    assert "The grade was not saved; nothing was changed." in page and "kept in the form" in page
    assert Result.objects.filter(pk=report.pk).values().get() == before and mail.outbox == []


def test_points_above_the_maximum_say_what_the_maximum_is(ta, report):
    response = signed_in(ta).post(reverse("submissions:grade", args=[report.pk]), grade_form([10, 30, 10]))
    assert "Ensure this value is less than or equal to 25" in response.content.decode()


def test_automatically_graded_assignments_have_no_grade_form(student, ta, assignment):
    submission = submit_and_grade(student, assignment)
    assert "Grade this report" not in page_of(ta, submission)
    response = signed_in(ta).post(reverse("submissions:grade", args=[submission.pk]), {"points_grade": 5})
    assert response.status_code == 404
    assert Result.objects.get(pk=submission.pk).score == 10


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
    assert reverse("submissions:detail", args=[waiting.pk]) + "#grade" in to_grade


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

"""Regrade requests: after release a student asks for one problem to be looked at again, with a reason,
until the moment the instructor set; a TA answers on the grading page, changing the grade or not; a
change is in the grade history (reason: regrade request answered, the answer as its note) and the
student is e-mailed the answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courseportal.accounts.services import profile_language_set
from courseportal.reports.models import ProblemGrade, RegradeRequest
from courseportal.reports.services import (
    RequestRefused,
    grading_setup_update,
    regrade_request_answer,
    regrade_request_file,
)
from courseportal.submissions.models import GradeChange, Result
from courseportal.submissions.services import assignment_scores_release
from tests.portal.conftest import signed_in
from tests.reports.grading import PROBLEMS, grade_report, item, upload_report, with_items

pytestmark = pytest.mark.django_db


def requests_until(assignment, moment) -> None:
    grading_setup_update(assignment=assignment, anonymous=False, similarity_threshold=Decimal("0.4"),
                         regrade_requests_until=moment)


@pytest.fixture
def released_report(student, report_assignment, ta):
    report = upload_report(student, report_assignment)
    grade_report(report, ta, [20, 15, 25])
    assignment_scores_release(assignment=report_assignment)
    requests_until(report_assignment, timezone.now() + timedelta(days=7))
    return report


def test_a_student_asks_from_their_page_and_sees_the_request_waiting(released_report, student):
    client = signed_in(student)
    page = client.get(reverse("submissions:detail", args=[released_report.pk])).content.decode()
    assert "Ask for this problem to be looked at again" in page and "You may ask for a regrade" in page
    response = client.post(reverse("reports:regrade_request", args=[released_report.pk]),
                           {"problem": PROBLEMS[1], "reason": "I did compute the receptive field on page 2."},
                           follow=True)
    html = response.content.decode()
    assert "Your request was sent." in html and "Waiting for a TA's answer." in html
    request = RegradeRequest.objects.get()
    assert (request.problem, request.points_before, request.state) == (PROBLEMS[1], Decimal("15.00"), "open")


@pytest.mark.parametrize("when, complaint", [
    ("before_release", "not released yet"), ("closed", "closed"), ("never_opened", "closed"),
])
def test_requests_outside_their_window_are_refused(when, complaint, student, report_assignment, ta):
    report = upload_report(student, report_assignment)
    grade_report(report, ta, [20, 20, 20])
    if when != "before_release":
        assignment_scores_release(assignment=report_assignment)
    requests_until(report_assignment, {"before_release": timezone.now() + timedelta(days=1),
                                       "closed": timezone.now() - timedelta(seconds=1),
                                       "never_opened": None}[when])
    with pytest.raises(RequestRefused, match=complaint):
        regrade_request_file(submission=report, student=student, problem=PROBLEMS[0], reason="Please look again.")
    assert not RegradeRequest.objects.exists()


def test_one_open_request_per_problem_a_reason_and_a_graded_problem_are_needed(released_report, student):
    for problem, reason, complaint in [(PROBLEMS[0], "   ", "Say what"), ("problem_9", "Why?", "not been graded")]:
        with pytest.raises(RequestRefused, match=complaint):
            regrade_request_file(submission=released_report, student=student, problem=problem, reason=reason)
    regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[0], reason="Page 1.")
    with pytest.raises(RequestRefused, match="waiting for a TA"):
        regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[0], reason="Again.")


def test_the_ta_answers_on_the_grading_page_and_the_grade_follows_in_the_history(
        released_report, report_assignment, student, ta, django_capture_on_commit_callbacks, compiled_translations):
    request = regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[1],
                                   reason="The computation is on page 2.")
    client = signed_in(ta)
    page = client.get(reverse("reports:grade", args=[released_report.pk])).content.decode()
    assert "The computation is on page 2." in page and f'name="answer_{request.pk}"' in page
    correct = item(report_assignment, PROBLEMS[1], "Correct")
    form = {f"items_{problem}": [item(report_assignment, problem, "Correct").pk] for problem in PROBLEMS}
    form.update({f"adjustment_{PROBLEMS[0]}": "-5", f"items_{PROBLEMS[1]}": [correct.pk],
                 f"answer_{request.pk}": "You are right: it is on page 2.", "then": "stay"})
    mail.outbox.clear()
    profile_language_set(user=student, language="zh-hant")  # the e-mail is in the student's language, not the TA's
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:grade", args=[released_report.pk]), form)
    profile_language_set(user=student, language="en")
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.points_after, request.answered_by) == ("answered", Decimal("25.00"), ta)
    assert Result.objects.get(pk=released_report.pk).counted_score == 70
    change = GradeChange.objects.filter(submission=released_report).last()
    assert (change.reason, change.changed_by, change.old_score, change.new_score, change.note) == (
        GradeChange.Reason.REGRADE_REQUEST, ta, Decimal("60.00"), Decimal("70.00"), "You are right: it is on page 2.")
    assert len(mail.outbox) == 1 and "問題二：感受野: 15 → 25" in mail.outbox[0].body and "on page 2" in mail.outbox[0].body
    assert "你的重新評分申請已有回覆" in mail.outbox[0].subject
    student_page = signed_in(student).get(reverse("submissions:detail", args=[released_report.pk])).content.decode()
    assert "You are right: it is on page 2." in student_page and "(15 → 25 points)" in student_page


def test_an_answer_that_keeps_the_grade_changes_no_score(released_report, report_assignment, student, ta):
    request = regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[0],
                                   reason="Too harsh?")
    grade = ProblemGrade.objects.prefetch_related("items").get(submission=released_report, problem=PROBLEMS[0])
    before = GradeChange.objects.count()
    regrade_request_answer(request=request, answered_by=ta, answer="The pros and cons are missing.",
                           grade=with_items(*grade.items.all(), adjustment=str(grade.adjustment)))
    request.refresh_from_db()
    assert request.points_after == request.points_before == Decimal("20.00")
    assert GradeChange.objects.count() == before


def test_an_answered_request_cannot_be_answered_again_nor_without_words(released_report, student, ta):
    request = regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[0], reason="?")
    with pytest.raises(RequestRefused, match="Write an answer"):
        regrade_request_answer(request=request, answered_by=ta, answer="  ")
    regrade_request_answer(request=request, answered_by=ta, answer="Kept.")
    with pytest.raises(RequestRefused, match="answered already"):
        regrade_request_answer(request=request, answered_by=ta, answer="Again.")


def test_staff_see_the_requests_waiting_on_the_overview(released_report, student, ta):
    regrade_request_file(submission=released_report, student=student, problem=PROBLEMS[2], reason="Look again.")
    html = signed_in(ta).get(reverse("reports:overview", args=["ai-training-2", "lec2_hw2"])).content.decode()
    assert "Regrade requests waiting for an answer" in html and "Problem 3: feature-map upsampling" in html

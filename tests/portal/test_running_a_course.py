"""Staff run a course in the portal: rules and release, extensions, overrides, regrades, the lists; students
see plainly, before uploading, whether an upload is late and what it costs."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Assignment, Extension
from courseportal.courses.services import (
    assignment_rules_update,
    course_create,
    extension_grant,
    membership_set,
)
from courseportal.gradebook.selectors import gradebook_for
from courseportal.submissions.models import GradeChange, Regrade, Result, Submission
from courseportal.submissions.services import submission_grade
from tests.conftest import make_assignment, make_user
from tests.portal.conftest import GOOD_ANSWER, signed_in, submit_and_grade, upload_file

pytestmark = pytest.mark.django_db
COURSE, HW = "ai-training-2", "hw1"
TAIPEI = ZoneInfo("Asia/Taipei")


def wall_clock(moment) -> str:
    """``moment`` as the course's datetime-local field shows and takes it."""
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%dT%H:%M:%S")


def rules_form(assignment: Assignment, **changes) -> dict:
    data = {"title": assignment.title, "description": assignment.description,
            "opens_at": wall_clock(assignment.opens_at), "due_at": wall_clock(assignment.due_at),
            "grace_minutes": assignment.grace_minutes, "late_policy": assignment.late_policy,
            "late_penalty_percent": assignment.late_penalty_percent, "cutoff_at": "",
            "counted_submission": assignment.counted_submission, "weight_percent": assignment.weight_percent,
            "is_published": "on"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def late_policy(assignment, instructor, *, hours_ago: float = 1, percent: int = 10) -> None:
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() - timedelta(hours=hours_ago), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(percent)})


def test_the_instructor_sets_a_late_policy_in_the_courses_time_and_late_work_is_rescored(
        student, instructor, assignment):
    submission = submit_and_grade(student, assignment)
    due = timezone.now().astimezone(TAIPEI).replace(microsecond=0) - timedelta(hours=3)  # the upload came after
    response = signed_in(instructor).post(
        reverse("courses:assignment_rules", args=[COURSE, HW]),
        rules_form(assignment, due_at=wall_clock(due), late_policy="per_day", late_penalty_percent="10"))
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_at == due and assignment.late_policy == "per_day"
    result = Result.objects.get(pk=submission.pk)
    assert (result.late_periods, result.counted_score) == (1, Decimal(9))
    entry = GradeChange.objects.get(submission=submission, reason=GradeChange.Reason.LATE_PENALTY)
    assert entry.changed_by == instructor
    page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "10 → 9 (1 day late, 10%/day)" in page and "Late penalty" in page


@pytest.mark.parametrize("changes, field, message", [
    ({"cutoff_at": "2099-01-01T00:00:00"}, "cutoff_at", "A cutoff applies to late uploads only"),
    ({"late_policy": "per_day", "cutoff_at": "2000-01-01T00:00:00"}, "cutoff_at", "must come after the deadline"),
    ({"late_penalty_percent": "120"}, "late_penalty_percent", "from 0 to 100"),
    ({"opens_at": "2099-01-01T00:00:00"}, "due_at", "must come after the opening time"),
])
def test_rules_that_make_no_sense_are_refused_with_a_reason(instructor, assignment, changes, field, message):
    before = Assignment.objects.filter(pk=assignment.pk).values().get()
    response = signed_in(instructor).post(reverse("courses:assignment_rules", args=[COURSE, HW]),
                                          rules_form(assignment, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert Assignment.objects.filter(pk=assignment.pk).values().get() == before


def test_a_time_that_a_daylight_saving_change_skips_is_refused(instructor):
    berlin = course_create(slug="berlin", title="Berlin", time_zone="Europe/Berlin")
    membership_set(course=berlin, user=instructor, role="instructor")
    homework = make_assignment(berlin, "portal_echo", slug="hw1")
    data = rules_form(homework, due_at="2099-03-29T02:30:00")
    data["opens_at"] = homework.opens_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M:%S")
    response = signed_in(instructor).post(reverse("courses:assignment_rules", args=["berlin", "hw1"]), data)
    assert response.status_code == 400 and "does not exist or happens twice in Europe/Berlin" in \
        response.content.decode()


def test_releasing_from_the_rules_page(student, instructor, assignment):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"holds_scores": True})
    submission = submit_and_grade(student, assignment)
    client = signed_in(instructor)
    page = client.get(reverse("courses:assignment_rules", args=[COURSE, HW])).content.decode()
    assert "Release the scores now" in page
    assert "not yet released" in signed_in(student).get(reverse("submissions:detail", args=[submission.pk])
                                                         ).content.decode()
    response = client.post(reverse("courses:assignment_release", args=[COURSE, HW]), follow=True)
    assert "Scores released" in response.content.decode()
    assert "10 / 10" in signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()


def test_the_instructor_grants_and_withdraws_an_extension_the_student_sees(student, instructor, assignment):
    new_deadline = (assignment.due_at + timedelta(days=3)).replace(microsecond=0)
    client = signed_in(instructor)
    response = client.post(reverse("courses:extensions", args=[COURSE, HW]), {
        "student": "310510123", "due_at": wall_clock(new_deadline), "reason": "Hospital stay (certificate seen)."})
    assert response.status_code == 302
    extension = Extension.objects.get(student=student)
    assert extension.due_at == new_deadline and extension.granted_by == instructor
    student_page = signed_in(student).get(reverse("submissions:assignment", args=[COURSE, HW])).content.decode()
    assert "Your deadline" in student_page and "Hospital stay (certificate seen)." in student_page
    assert "extension" in signed_in(student).get(reverse("home")).content.decode()
    refused = client.post(reverse("courses:extensions", args=[COURSE, HW]), {
        "student": "310510123", "due_at": wall_clock(assignment.due_at - timedelta(days=1)), "reason": "x"})
    assert refused.status_code == 400 and "must end after the class deadline" in refused.content.decode()
    client.post(reverse("courses:extension_revoke", args=[COURSE, HW, extension.pk]))
    assert not Extension.objects.exists()


def test_staff_override_a_score_and_the_student_reads_why(student, ta, assignment):
    submission = submit_and_grade(student, assignment, b"answer = 41\n")
    client = signed_in(ta)
    response = client.post(reverse("submissions:override", args=[submission.pk]),
                           {"score": "9", "reason": "The answer is right; the checker misread it."})
    assert response.status_code == 302
    page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "9 / 10" in page and "Score overridden by staff" in page
    assert "The answer is right; the checker misread it." in page and "ta_chen" in page
    missing_reason = client.post(reverse("submissions:override", args=[submission.pk]), {"score": "3", "reason": ""})
    assert missing_reason.status_code == 400
    client.post(reverse("submissions:override", args=[submission.pk]), {"remove": "1", "reason": "Appeal rejected."})
    assert Result.objects.get(pk=submission.pk).counted_score == Decimal(2)


def test_the_staff_list_has_every_student_even_those_who_sent_nothing(course, student, other_student, ta,
                                                                      instructor, assignment):
    submit_and_grade(student, assignment)
    late_comer = make_user("310510555")
    membership_set(course=course, user=late_comer, role="student")
    extension_grant(assignment=assignment, student=late_comer, due_at=timezone.now() + timedelta(days=30),
                    reason="Exchange semester.", granted_by=instructor)
    client = signed_in(ta)
    page = client.get(reverse("submissions:assignment_list", args=[COURSE, HW])).content.decode()
    assert page.count("nothing yet") == 2 and "extension" in page and "10</span> / 10" in page
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(days=3))
    page = client.get(reverse("submissions:assignment_list", args=[COURSE, HW])).content.decode()
    # Only the student without an extension is missing work; the other still has time.
    assert page.count(">missing<") == 1 and page.count("nothing yet") == 1
    history = client.get(reverse("submissions:student_history", args=[COURSE, HW, student.pk])).content.decode()
    assert "Graded automatically" in history and "310510123_hw1.py" not in history


def test_a_staff_member_starts_a_regrade_of_everyone_and_follows_its_progress(student, ta, assignment):
    submit_and_grade(student, assignment)
    client = signed_in(ta)
    response = client.post(reverse("submissions:assignment_regrade", args=[COURSE, HW]))
    regrade = Regrade.objects.get()
    assert response.status_code == 302 and response.url == reverse("submissions:regrade_progress", args=[regrade.pk])
    page = client.get(response.url).content.decode()
    assert "0 of 1 graded" in page and 'data-pending="true"' in page
    again = client.post(reverse("submissions:assignment_regrade", args=[COURSE, HW]), follow=True)
    assert "already running" in again.content.decode()


def test_before_a_late_upload_the_student_sees_the_penalty_and_a_stale_page_costs_nothing(
        student, instructor, assignment, compiled_translations):
    late_policy(assignment, instructor, hours_ago=2)
    client = signed_in(student)
    page = client.get(reverse("submissions:assignment", args=[COURSE, HW])).content.decode()
    assert "This upload will be late." in page
    assert "Uploading now is 1 day late: 10% of the maximum (1 of 10 points)" in page
    assert 'name="accepted_penalty" value="10"' in page and "Upload late (−10%) and grade" in page
    url = reverse("submissions:upload", args=[COURSE, HW])
    stale = client.post(url, {"file": upload_file("310510123_hw1.py"), "accepted_penalty": "0"})
    said = stale.content.decode()
    assert stale.status_code == 400 and "The late penalty changed while this page was open." in said
    # One message, said once: not a refusal beside a late warning repeating its notice.
    assert said.count("Uploading now is 1 day late") == 1 and said.count('role="alert"') == 1
    assert "This upload will be late." not in said and "Upload late (−10%) and grade" in said
    assert not Submission.objects.exists()
    accepted = client.post(url, {"file": upload_file("310510123_hw1.py"), "accepted_penalty": "10"})
    assert accepted.status_code == 302
    submission = Submission.objects.get()
    submission_grade(submission_id=submission.pk)
    result = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "9 / 10" in result and "10 → 9 (1 day late, 10%/day)" in result


def test_a_chinese_student_at_2355_reads_that_the_upload_is_on_time_and_what_comes_after(
        student, instructor, assignment, compiled_translations):
    from courseportal.accounts.services import profile_language_set

    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() + timedelta(minutes=4), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(10)})
    profile_language_set(user=student, language="zh-hant")
    page = signed_in(student).get(reverse("submissions:assignment", args=[COURSE, HW])).content.decode()
    assert "現在上傳算準時" in page and "每晚一天（未滿一天以一天計）扣總分的 10%" in page


def test_within_the_grace_period_the_page_says_uploads_still_count_as_on_time(student, instructor, assignment):
    late_policy(assignment, instructor, hours_ago=0.02)
    page = signed_in(student).get(reverse("submissions:assignment", args=[COURSE, HW])).content.decode()
    assert "still count as on time" in page and "This upload will be late." not in page


def test_the_gradebook_marks_late_work_extensions_and_missing_work(course, student, other_student, instructor,
                                                                   assignment):
    late_policy(assignment, instructor, hours_ago=2)
    submit_and_grade(student, assignment, GOOD_ANSWER)
    third = make_user("310510555")
    membership_set(course=course, user=third, role="student")
    extension_grant(assignment=assignment, student=third, due_at=timezone.now() + timedelta(days=1),
                    reason="Visa interview.", granted_by=instructor)
    book = gradebook_for(course=course)
    rows = {row.account: row for row in book.rows}
    assert rows["310510123"].cells[0].is_late and rows["310510123"].cells[0].score == 9.0
    assert rows["310510999"].missing == (True,)
    assert rows["310510555"].missing == (False,) and rows["310510555"].extended == (True,)
    page = signed_in(instructor).get(reverse("gradebook:course", args=[COURSE])).content.decode()
    assert re.search(r">9</a> <span class=\"mark late\"", page)
    assert page.count('class="mark missing"') == 1 and page.count('class="mark extension"') == 1

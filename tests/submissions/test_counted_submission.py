"""Which submission counts, per assignment: the best, the latest, or the latest on time; one selector,
read by the gradebook and the student's pages alike."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Assignment
from courseportal.courses.services import assignment_rules_update
from courseportal.gradebook.selectors import gradebook_for
from courseportal.submissions.selectors import counted_result_of
from courseportal.submissions.services import submission_create, submission_grade
from tests.portal.conftest import signed_in
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db
Rule = Assignment.CountedSubmission


def graded(student, assignment, content: bytes, received_at=None):
    submission = submission_create(student=student, assignment=assignment, received_at=received_at,
                                   upload=upload(f"{student.username}_{assignment.slug}.py", content))
    submission_grade(submission_id=submission.pk)
    return submission


@pytest.fixture
def three_uploads(student, instructor, assignment, published):
    """Wrong on time, right on time, then wrong and a day late."""
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() + timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(10)})
    wrong = graded(student, assignment, b"# wrong\n")
    right = graded(student, assignment, b"# correct\n")
    late = graded(student, assignment, b"# wrong\n", received_at=timezone.now() + timedelta(hours=2))
    return wrong, right, late


def counts(assignment, student, instructor, rule):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"counted_submission": rule})
    return counted_result_of(assignment=assignment, student=student)


@pytest.mark.parametrize("rule, expected, score, late", [
    (Rule.BEST, 1, 10.0, False), (Rule.LATEST, 2, 0.0, True), (Rule.LATEST_ON_TIME, 1, 10.0, False)])
def test_the_rule_picks_the_submission_that_counts(three_uploads, student, instructor, assignment, rule, expected,
                                                    score, late):
    counted = counts(assignment, student, instructor, rule)
    assert counted.submission_id == three_uploads[expected].pk
    assert (counted.score, counted.is_late) == (score, late)


def test_latest_on_time_falls_back_to_the_latest_when_nothing_was_on_time(student, instructor, assignment, published):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() - timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(10), "counted_submission": Rule.LATEST_ON_TIME})
    graded(student, assignment, b"# correct\n")
    last = graded(student, assignment, b"# correct\n")
    counted = counted_result_of(assignment=assignment, student=student)
    assert counted.submission_id == last.pk and counted.score == 9.0 and counted.is_late


def test_the_best_compares_scores_after_the_late_penalty(student, instructor, assignment, published):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() + timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(50)})
    graded(student, assignment, b"# correct\n", received_at=timezone.now() + timedelta(hours=2))  # 10 -> 5
    on_time = graded(student, assignment, b"# correct\n")
    assert counted_result_of(assignment=assignment, student=student).submission_id == on_time.pk


def test_the_gradebook_and_the_students_pages_agree_on_what_counts(three_uploads, student, instructor, course,
                                                                    assignment):
    wrong, right, late = three_uploads
    counts(assignment, student, instructor, Rule.BEST)
    cell = gradebook_for(course=course).rows[0].cells[0]
    assert cell.submission_id == right.pk
    client = signed_in(student)
    page = client.get(reverse("submissions:assignment", args=[course.slug, assignment.slug])).content.decode()
    assert "Your best submission counts." in page and "Counting now: your upload of" in page
    assert page.count('class="counted"') == 1
    assert "This one counts for the grade." in client.get(
        reverse("submissions:detail", args=[right.pk])).content.decode()
    other = client.get(reverse("submissions:detail", args=[late.pk])).content.decode()
    assert "Your best one, from" in other and reverse("submissions:detail", args=[right.pk]) in other
    home = client.get(reverse("home")).content.decode()
    assert reverse("submissions:detail", args=[right.pk]) in home and "10 / 10" in home


@pytest.mark.parametrize("rule", list(Rule))
def test_one_students_counted_submission_agrees_with_the_whole_class_query(student, other_student, instructor,
                                                                           assignment, published, rule):
    """The result pages ask for one student without the gradebook's window functions; the rule (its
    filter and ranking) is the same one, so both answer alike: late, overridden, tied and refused."""
    from courseportal.submissions.selectors import counted_results
    from courseportal.submissions.services.overrides import result_override

    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={
        "due_at": timezone.now() + timedelta(hours=1), "late_policy": Assignment.LatePolicy.PER_DAY,
        "late_penalty_percent": Decimal(30), "counted_submission": rule})
    later = timezone.now() + timedelta(hours=2)
    for who, uploads in ((student, [(b"# correct\n", None), (b"# wrong\n", None), (b"# correct\n", later)]),
                         (other_student, [(b"# wrong\n", None), (b"# wrong\n", later)])):
        for content, received_at in uploads:
            graded(who, assignment, content, received_at=received_at)
    result_override(submission=graded(other_student, assignment, b"# wrong\n"), changed_by=instructor, score=7,
                    reason="regraded by hand")
    whole_class = counted_results(assignments=[assignment], with_receipt_times=True)
    for who in (student, other_student):
        assert counted_result_of(assignment=assignment, student=who) == whole_class[(who.pk, assignment.pk)]

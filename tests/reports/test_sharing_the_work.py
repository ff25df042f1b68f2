"""Splitting a class's reports between TAs: evenly (whole reports), by problem (TA A grades problem 1 for
everyone), or first come, first served with locks that expire and that others see; "next ungraded"
brings each grader their own; progress per grader and per problem; anonymous numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.reports.models import GraderShare, GradingLock
from courseportal.reports.selectors import assignment_reports, grading_progress, next_report, report_numbers
from courseportal.reports.services import (
    SetupRefused,
    grading_split,
    report_claim,
    report_grade_save,
    report_locks_renew,
)
from tests.portal.conftest import signed_in
from tests.reports.grading import PROBLEMS, grade_report, item, upload_report, with_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def class_reports(student, other_student, classmates, report_assignment):
    return [upload_report(user, report_assignment) for user in [student, other_student, *classmates]]


def test_shared_evenly_each_ta_gets_half_and_next_brings_only_theirs(class_reports, report_assignment, ta,
                                                                     second_ta):
    grading_split(assignment=report_assignment, split="by_student", graders=[ta, second_ta])
    rows = assignment_reports(assignment=report_assignment)
    mine = [row for row in rows if set(row.graders.values()) == {ta.pk}]
    theirs = [row for row in rows if set(row.graders.values()) == {second_ta.pk}]
    assert len(mine) == len(theirs) == 5
    seen, after = [], None
    while (row := next_report(rows=rows, grader=ta, after=after)) is not None and row.submission.pk not in seen:
        seen.append(row.submission.pk)
        grade_report(row.submission, ta, [20, 20, 20])
        rows, after = assignment_reports(assignment=report_assignment), row.submission.pk
    assert sorted(seen) == sorted(row.submission.pk for row in mine)
    assert next_report(rows=rows, grader=ta) is None and next_report(rows=rows, grader=second_ta) is not None
    progress = grading_progress(assignment=report_assignment, rows=rows)
    by_grader = {entry.grader.username: (entry.given, entry.remaining, entry.graded) for entry in progress.graders}
    assert by_grader["ta_chen"] == (15, 0, 15) and by_grader["ta_wang"] == (15, 15, 0)
    assert [entry.graded for entry in progress.problems] == [5, 5, 5] and progress.complete == 5


def test_by_problem_ta_a_grades_problem_one_for_everyone(class_reports, report_assignment, ta, second_ta, instructor):
    grading_split(assignment=report_assignment, split="by_problem",
                  problem_graders={PROBLEMS[0]: ta, PROBLEMS[1]: second_ta})
    rows = assignment_reports(assignment=report_assignment)
    row = next_report(rows=rows, grader=ta)
    assert row.problems_for(ta.pk) == [PROBLEMS[0]] and row.problems_for(second_ta.pk) == [PROBLEMS[1]]
    assert row.problems_for(instructor.pk) == [PROBLEMS[2]]  # problem 3 is anyone's
    # Opening the page claims only the TA's own problem: the other TA can grade problem 2 at once.
    signed_in(ta).get(reverse("reports:grade", args=[row.submission.pk]))
    signed_in(second_ta).get(reverse("reports:grade", args=[row.submission.pk]))
    assert dict(GradingLock.objects.filter(submission=row.submission).values_list("problem", "holder")) == {
        PROBLEMS[0]: ta.pk, PROBLEMS[1]: second_ta.pk}
    html = signed_in(ta).get(reverse("reports:grade", args=[row.submission.pk])).content.decode()
    assert html.count('name="items_problem_1_residual_blocks"') == 5 and 'name="items_problem_2_' not in html
    assert "ta_wang is grading this problem" in html


def test_a_split_names_only_the_courses_staff(class_reports, report_assignment, student, ta_of_another_course):
    for graders in ([student], [ta_of_another_course], []):
        with pytest.raises(SetupRefused):
            grading_split(assignment=report_assignment, split="by_student", graders=graders)
    assert not GraderShare.objects.exists()


def test_first_come_a_report_being_graded_is_locked_passed_by_and_shown(class_reports, report_assignment, ta,
                                                                         second_ta):
    first = class_reports[0]
    claim = report_claim(submission=first, grader=ta, problems=PROBLEMS)
    assert claim.held == set(PROBLEMS) and not claim.taken
    other = report_claim(submission=first, grader=second_ta, problems=PROBLEMS)
    assert other.held == set() and {holder.username for holder, _until in other.taken.values()} == {"ta_chen"}
    rows = assignment_reports(assignment=report_assignment)
    assert next_report(rows=rows, grader=second_ta).submission.pk != first.pk
    overview = signed_in(second_ta).get(reverse("reports:overview", args=["ai-training-2", "lec2_hw2"]))
    assert overview.content.decode().count('title="being graded">ta_chen<') == 3


def test_a_lock_expires_and_another_grader_may_take_it(class_reports, ta, second_ta):
    first = class_reports[0]
    report_claim(submission=first, grader=ta, problems=PROBLEMS)
    GradingLock.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert report_claim(submission=first, grader=second_ta, problems=PROBLEMS).held == set(PROBLEMS)
    assert report_locks_renew(submission=first, grader=ta) is None  # theirs no longer


def test_the_page_keeps_the_lock_while_it_is_open(class_reports, ta):
    first = class_reports[0]
    report_claim(submission=first, grader=ta, problems=PROBLEMS)
    GradingLock.objects.update(expires_at=timezone.now() + timedelta(seconds=30))
    response = signed_in(ta).post(reverse("reports:lock", args=[first.pk]))
    assert response.json()["held"] is True
    assert all(lock.expires_at > timezone.now() + timedelta(minutes=9) for lock in GradingLock.objects.all())


def test_a_grader_holds_one_report_at_a_time(class_reports, ta):
    report_claim(submission=class_reports[0], grader=ta, problems=PROBLEMS)
    report_claim(submission=class_reports[1], grader=ta, problems=PROBLEMS)
    assert set(GradingLock.objects.values_list("submission", flat=True)) == {class_reports[1].pk}


def test_save_and_next_goes_to_the_next_ungraded_report(class_reports, report_assignment, ta):
    first = next_report(rows=assignment_reports(assignment=report_assignment), grader=ta)
    correct = [item(report_assignment, problem, "Correct") for problem in PROBLEMS]
    client = signed_in(ta)
    client.get(reverse("reports:grade", args=[first.submission.pk]))
    response = client.post(reverse("reports:grade", args=[first.submission.pk]), {
        **{f"items_{entry.problem}": [entry.pk] for entry in correct}, "then": "next"}, follow=True)
    landed = response.redirect_chain[-1][0]
    assert landed.startswith("/reports/") and landed != reverse("reports:grade", args=[first.submission.pk])
    assert response.context["submission"].result.awaits_manual_grading


def test_next_and_previous_ungraded_pass_over_graded_reports_both_ways(class_reports, report_assignment, ta):
    rows = assignment_reports(assignment=report_assignment)
    grade_report(rows[1].submission, ta, [25, 25, 25])
    client = signed_in(ta)
    url = reverse("reports:next", args=["ai-training-2", "lec2_hw2"])
    expected = {f"?after={rows[0].submission.pk}": rows[2], f"?after={rows[2].submission.pk}&back=1": rows[0],
                f"?after={rows[0].submission.pk}&back=1": rows[-1]}
    for query, row in expected.items():
        assert client.get(url + query).url == reverse("reports:grade", args=[row.submission.pk]), query


def test_moving_on_gives_the_reports_locks_back_even_with_nothing_left_to_claim(class_reports, ta, second_ta):
    report = class_reports[0]
    signed_in(ta).get(reverse("reports:grade", args=[report.pk]))
    response = signed_in(ta).get(reverse("reports:next", args=["ai-training-2", "lec2_hw2"]) + f"?after={report.pk}")
    assert response.status_code == 302 and not GradingLock.objects.exists()
    html = signed_in(second_ta).get(reverse("reports:grade", args=[report.pk])).content.decode()
    assert "is grading this problem" not in html and 'id="save-and-next"' in html


def test_a_report_with_nothing_for_this_grader_offers_no_save(class_reports, ta, second_ta):
    report = class_reports[0]
    signed_in(ta).get(reverse("reports:grade", args=[report.pk]))
    html = signed_in(second_ta).get(reverse("reports:grade", args=[report.pk])).content.decode()
    assert "ta_chen is grading this problem" in html and 'id="save-and-next"' not in html
    assert 'id="next-ungraded"' in html


def test_saving_a_partly_graded_report_keeps_it_awaiting(class_reports, report_assignment, ta):
    report = class_reports[0]
    client = signed_in(ta)
    client.get(reverse("reports:grade", args=[report.pk]))
    correct = item(report_assignment, PROBLEMS[0], "Correct")
    response = client.post(reverse("reports:grade", args=[report.pk]),
                           {f"items_{PROBLEMS[0]}": [correct.pk], f"comment_{PROBLEMS[1]}": "", "then": "stay"})
    assert response.status_code == 302
    report.result.refresh_from_db()
    assert report.result.awaits_manual_grading and report.problem_grades.count() == 1


def test_a_form_error_keeps_what_was_entered_and_saves_nothing(class_reports, report_assignment, ta):
    report = class_reports[0]
    client = signed_in(ta)
    missing = item(report_assignment, PROBLEMS[0], "Pros and cons")
    response = client.post(reverse("reports:grade", args=[report.pk]), {
        f"items_{PROBLEMS[0]}": [missing.pk], f"adjustment_{PROBLEMS[0]}": "40", "then": "next"})
    html = response.content.decode()
    assert response.status_code == 400 and "Nothing was saved." in html and "less than or equal to 25" in html
    assert f'value="{missing.pk}" data-points="-8" data-key="3" checked' in html
    assert not report.problem_grades.exists()


def test_report_numbers_are_one_to_n_stable_and_not_in_account_order(class_reports, report_assignment):
    numbers = report_numbers(assignment=report_assignment)
    assert sorted(numbers.values()) == list(range(1, 11)) and numbers == report_numbers(assignment=report_assignment)
    by_account = [student_id for student_id, _number in sorted(numbers.items())]
    assert [numbers[student_id] for student_id in by_account] != list(range(1, 11))


def test_a_problem_given_to_someone_else_is_still_gradable_by_a_helper(class_reports, report_assignment, ta,
                                                                       second_ta):
    grading_split(assignment=report_assignment, split="by_student", graders=[second_ta])
    report = class_reports[0]
    signed_in(ta).get(reverse("reports:grade", args=[report.pk]))
    assert set(GradingLock.objects.filter(holder=ta).values_list("problem", flat=True)) == set(PROBLEMS)

    report_grade_save(submission=report, grader=ta, grades={
        PROBLEMS[0]: with_items(item(report_assignment, PROBLEMS[0], "Correct"))})

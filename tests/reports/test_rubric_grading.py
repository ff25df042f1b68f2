"""Grading a report with the rubric: each problem starts at its full points, the items applied and the
grader's adjustment are added within 0..full; the report's score is the sum once every problem is
graded, stored through the grade trail, held until release; a rubric item changed later changes every
report that uses it, each change recorded (reason: rubric item changed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from assignments.lec2_hw2.checker import RUBRIC, ReportChecker
from courseportal.reports.models import GradingLock, ProblemGrade, RubricItem
from courseportal.reports.services import (
    GradeRefused,
    RubricRefused,
    grading_setup_ensure,
    problem_points,
    report_claim,
    report_grade_save,
    rubric_item_create,
    rubric_item_delete,
    rubric_item_update,
)
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services import (
    assignment_scores_release,
    release_notify,
    submission_grade,
    submission_regrade,
)
from courseportal.submissions.services.regrades import RegradeRefused
from grader.results import GradeResult
from tests.conftest import make_assignment
from tests.reports.grading import PROBLEMS, grade_report, item, upload_report, with_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(student, report_assignment):
    return upload_report(student, report_assignment)


@pytest.mark.parametrize(("adjustments", "points"), [
    ([], "25.00"), (["0"], "25.00"), (["-8", "-3"], "14.00"), (["-25", "-8"], "0.00"), (["-8", "+12"], "25.00"),
    (["-2.5"], "22.50"),
])
def test_a_problem_starts_full_and_adjustments_stay_within_zero_and_full(adjustments, points):
    assert problem_points(full=Decimal(25), adjustments=[Decimal(a) for a in adjustments]) == Decimal(points)


def test_the_rubric_is_seeded_from_the_checker_once(report_assignment):
    grading_setup_ensure(assignment=report_assignment)
    grading_setup_ensure(assignment=report_assignment)
    stored = list(RubricItem.objects.filter(assignment=report_assignment).order_by("problem", "position")
                  .values_list("problem", "points", "comment"))
    declared = sorted(((entry.problem, Decimal(entry.points), entry.comment) for entry in RUBRIC),
                      key=lambda entry: entry[0])
    assert sorted(stored, key=lambda entry: entry[0]) == sorted(declared, key=lambda entry: entry[0])
    assert len(stored) == len(RUBRIC)


def test_the_check_alone_leaves_the_report_awaiting_its_ta_with_no_score(student, report_assignment,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = upload_report(student, report_assignment)
    result = Result.objects.get(pk=report.pk)
    assert result.awaits_manual_grading and result.counted_score is None and result.checks == []
    assert len(mail.outbox) == 1 and "awaiting TA grading" in mail.outbox[0].subject
    assert "0/75" not in mail.outbox[0].subject and "Graded" not in mail.outbox[0].body


def test_the_score_is_the_sum_once_every_problem_is_graded(report, report_assignment, ta):
    first = {PROBLEMS[0]: with_items(item(report_assignment, PROBLEMS[0], "Pros and cons"),
                                     item(report_assignment, PROBLEMS[0], "No diagram"),
                                     comment="Say when the bottleneck pays off.")}
    assert report_grade_save(submission=report, grader=ta, grades=first) is None
    assert Result.objects.get(pk=report.pk).awaits_manual_grading  # two problems still to grade
    rest = {PROBLEMS[1]: with_items(item(report_assignment, PROBLEMS[1], "Correct")),
            PROBLEMS[2]: with_items(item(report_assignment, PROBLEMS[2], "No code"), adjustment="2.5")}
    result = report_grade_save(submission=report, grader=ta, grades=rest)
    assert result.score == Decimal("14") + 25 + Decimal("19.5") and result.counted_score == Decimal("58.50")
    assert not result.awaits_manual_grading and result.is_manually_graded and result.graded_by == ta
    assert [check["name"] for check in result.checks] == list(PROBLEMS)
    assert result.checks[0]["title"] == "Problem 1: residual blocks" and result.checks[0]["points"] == 14.0
    assert "-8: Pros and cons are missing or wrong." in result.checks[0]["feedback"]
    assert "Say when the bottleneck pays off." in result.checks[0]["feedback"]
    change = GradeChange.objects.filter(submission=report).last()
    assert (change.reason, change.changed_by, change.old_score, change.new_score) == (
        GradeChange.Reason.HAND_GRADE, ta, None, Decimal("58.50"))


def test_a_held_grade_is_emailed_once_at_release_with_points_per_problem(report, report_assignment, ta,
                                                                        django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grade_report(report, ta, [20, 25, 12.5], comment="See the lecture notes.")
    assert mail.outbox == []  # held until the instructor releases
    with django_capture_on_commit_callbacks(execute=True):
        assignment_scores_release(assignment=report_assignment)
    release_notify(assignment_id=report_assignment.pk)
    release_notify(assignment_id=report_assignment.pk)  # a task run twice sends nothing more
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "57.5/75" in body and "Problem 3: feature-map upsampling: 12.5/25" in body
    assert "See the lecture notes." in body and "problem_3_upsampling" not in body


def test_grading_again_replaces_a_problem_and_records_who(report, report_assignment, ta, instructor):
    grade_report(report, ta, [10, 10, 10])
    result = report_grade_save(submission=report, grader=instructor, grades={
        PROBLEMS[0]: with_items(item(report_assignment, PROBLEMS[0], "Correct"))})
    assert result.score == 45 and result.graded_by == instructor
    assert list(GradeChange.objects.filter(submission=report).values_list("reason", "new_score")) == [
        (GradeChange.Reason.HAND_GRADE, Decimal("30.00")), (GradeChange.Reason.HAND_GRADE, Decimal("45.00"))]


@pytest.mark.parametrize("problem_input, complaint", [
    ({"problem_9": ([], "0")}, "no problem named problem_9"),
    ({PROBLEMS[0]: ([], "0")}, "apply at least one rubric item"),
    ({PROBLEMS[0]: ([], "-25.5")}, "between -25 and 25"),
    ({PROBLEMS[0]: ([], "NaN")}, "between -25 and 25"),
    ({PROBLEMS[0]: ([(PROBLEMS[1], "Correct")], "0")}, "rubric changed"),
])
def test_impossible_grades_are_refused_and_nothing_changes(problem_input, complaint, report, report_assignment, ta):
    grades = {problem: with_items(*(item(report_assignment, *entry) for entry in entries), adjustment=adjustment)
              for problem, (entries, adjustment) in problem_input.items()}
    with pytest.raises(GradeRefused, match=complaint):
        report_grade_save(submission=report, grader=ta, grades=grades)
    assert not ProblemGrade.objects.exists() and Result.objects.get(pk=report.pk).awaits_manual_grading


def test_a_problem_another_grader_holds_cannot_be_saved(report, report_assignment, ta, second_ta):
    assert report_claim(submission=report, grader=second_ta, problems=[PROBLEMS[0]]).held == {PROBLEMS[0]}
    with pytest.raises(GradeRefused, match="ta_wang is grading this problem"):
        report_grade_save(submission=report, grader=ta, grades={
            PROBLEMS[0]: with_items(item(report_assignment, PROBLEMS[0], "Correct"))})
    assert not ProblemGrade.objects.exists()


def test_an_automatic_assignment_cannot_be_graded_with_a_rubric(student, course, ta):
    assignment = make_assignment(course, "lec2_hw1")
    submission = Submission(assignment=assignment, student=student)
    with pytest.raises(GradeRefused, match="graded automatically"):
        report_grade_save(submission=submission, grader=ta, grades={"grade": with_items()})


def test_a_report_being_checked_again_cannot_be_graded_until_the_check_ends(report, ta):
    assert submission_regrade(submission=report) is True
    with pytest.raises(GradeRefused, match="being checked again"):
        grade_report(report, ta, [10, 10, 10])
    report.refresh_from_db()
    assert report.status == Submission.Status.QUEUED


def test_a_rejected_file_has_nothing_to_grade(student, report_assignment, ta, monkeypatch):
    monkeypatch.setattr(ReportChecker, "check", lambda self, submission, sandbox: GradeResult.rejected(
        "Not a report.", max_score=75))
    rejected = upload_report(student, report_assignment)
    with pytest.raises(GradeRefused, match="rejected"):
        grade_report(rejected, ta, [10, 10, 10])


def test_a_graded_report_is_never_regraded_automatically_and_a_late_check_keeps_the_grade(report, ta):
    grade_report(report, ta, [20, 20, 20])
    with pytest.raises(RegradeRefused, match="graded this report by hand"):
        submission_regrade(submission=report)
    Submission.objects.filter(pk=report.pk).update(status=Submission.Status.QUEUED)  # queued just before
    kept = submission_grade(submission_id=report.pk)
    assert kept.score == 60 and kept.is_manually_graded and not kept.awaits_manual_grading


def test_changing_an_items_points_changes_every_report_that_uses_it(student, other_student, report_assignment,
                                                                    ta, instructor):
    no_code = item(report_assignment, PROBLEMS[2], "No code")
    first, second = upload_report(student, report_assignment), upload_report(other_student, report_assignment)
    for submission in (first, second):
        grade_report(submission, ta, [25, 25, 25])
        report_grade_save(submission=submission, grader=ta, grades={PROBLEMS[2]: with_items(no_code)})
    untouched = Result.objects.get(pk=first.pk).counted_score
    assert untouched == Decimal("67.00")
    changed = rubric_item_update(item=no_code, changed_by=instructor, points="-5", comment="No code is given.")
    assert changed == 2
    for submission in (first, second):
        result = Result.objects.get(pk=submission.pk)
        assert result.counted_score == Decimal("70.00") and result.graded_by == ta  # the grader stays
        change = GradeChange.objects.filter(submission=submission).last()
        assert (change.reason, change.changed_by, change.old_score, change.new_score) == (
            GradeChange.Reason.RUBRIC_CHANGE, instructor, Decimal("67.00"), Decimal("70.00"))
        assert change.note == "No code is given. -8 → -5"
    assert ProblemGrade.objects.get(submission=first, problem=PROBLEMS[2]).points == 20


def test_a_comment_only_change_changes_no_score_and_records_nothing(report, report_assignment, ta, instructor):
    grade_report(report, ta, [25, 25, 25])
    correct = item(report_assignment, PROBLEMS[0], "Correct")
    before = GradeChange.objects.count()
    assert rubric_item_update(item=correct, changed_by=instructor, points="0", comment="Right, and clear.") == 0
    assert GradeChange.objects.count() == before
    assert "Right, and clear." not in str(Result.objects.get(pk=report.pk).checks)  # the score snapshot stays
    assert RubricItem.objects.get(pk=correct.pk).comment == "Right, and clear."


def test_removing_an_applied_item_gives_its_points_back_in_the_history(report, report_assignment, ta, instructor):
    missing = item(report_assignment, PROBLEMS[1], "The calculation steps")
    grade_report(report, ta, [25, 25, 25])
    report_grade_save(submission=report, grader=ta, grades={PROBLEMS[1]: with_items(missing)})
    assert rubric_item_delete(item=missing, changed_by=instructor) == 1
    assert Result.objects.get(pk=report.pk).counted_score == 75
    assert GradeChange.objects.filter(submission=report).last().reason == GradeChange.Reason.RUBRIC_CHANGE


@pytest.mark.parametrize("points, comment, complaint", [
    ("-26", "Too much.", "between -25 and 25"), ("1", "  ", "comment"), ("x", "Bad points.", "between"),
])
def test_rubric_items_that_cannot_apply_are_refused(points, comment, complaint, report_assignment):
    grading_setup_ensure(assignment=report_assignment)
    before = RubricItem.objects.count()
    with pytest.raises(RubricRefused, match=complaint):
        rubric_item_create(assignment=report_assignment, problem=PROBLEMS[0], points=points, comment=comment)
    assert RubricItem.objects.count() == before


def test_a_new_item_goes_to_the_end_of_its_problem(report_assignment):
    grading_setup_ensure(assignment=report_assignment)
    added = rubric_item_create(assignment=report_assignment, problem=PROBLEMS[0], points="-1.5",
                               comment="Figure unreadable.")
    last = RubricItem.objects.filter(assignment=report_assignment, problem=PROBLEMS[0]).order_by("position").last()
    assert added == last and added.points == Decimal("-1.50")


def test_saving_keeps_the_graders_lock_and_nobody_elses(report, report_assignment, ta):
    report_claim(submission=report, grader=ta, problems=PROBLEMS)
    grade_report(report, ta, [20, 20, 20])
    assert set(GradingLock.objects.values_list("holder", flat=True)) == {ta.pk}


def test_a_report_awaiting_its_grade_may_be_checked_again_and_still_awaits(report):
    assert submission_regrade(submission=report) is True
    submission_grade(submission_id=report.pk)
    assert Result.objects.get(pk=report.pk).awaits_manual_grading

"""Regrades by staff: one submission now, or a whole assignment in the background behind fresh uploads,
with its progress and whose score changed. Hand grades are kept; overrides stay on top."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courseportal.submissions.models import GradeChange, Regrade, RegradeItem, Result, Submission
from courseportal.submissions.selectors.pages import regrade_progress
from courseportal.submissions.services import (
    RegradeRefused,
    assignment_regrade,
    regrade_publish,
    result_override,
    submission_create,
    submission_grade,
    submission_sweep,
)
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


def graded(student, assignment, content: bytes = b"# correct\n") -> Submission:
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload(f"{student.username}_{assignment.slug}.py", content))
    submission_grade(submission_id=submission.pk)
    return submission


@pytest.fixture
def publish_at_once(monkeypatch):
    """The regrade's publishing task, run at once as the maintenance worker would."""
    monkeypatch.setattr("courseportal.submissions.services.regrades.maintenance_task_send",
                        lambda *, task, args: regrade_publish(regrade_id=args[0]))


def test_a_whole_assignment_regrade_goes_to_the_broker_behind_fresh_uploads(
        student, other_student, ta, assignment, published, publish_at_once, django_capture_on_commit_callbacks):
    first, second = graded(student, assignment), graded(other_student, assignment)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        regrade = assignment_regrade(assignment=assignment, started_by=ta)
    assert sorted(published) == sorted([(first.pk, "checks", "background"), (second.pk, "checks", "background")])
    assert regrade.whole_assignment and regrade.items.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        fresh = submission_create(student=student, assignment=assignment, upload=upload("310510123_hw.py"))
    # Not held back by the student's own submission waiting in the background regrade.
    assert published[-1] == (fresh.pk, "checks")


def test_progress_and_the_list_of_changed_scores(student, other_student, ta, assignment, published, publish_at_once,
                                                 django_capture_on_commit_callbacks):
    changes = graded(student, assignment)
    stays = graded(other_student, assignment)
    Result.objects.filter(pk=changes.pk).update(score=Decimal(4), counted_score=Decimal(4))  # the old checker's 4
    with django_capture_on_commit_callbacks(execute=True):
        regrade = assignment_regrade(assignment=assignment, started_by=ta)
    progress = regrade_progress(regrade=regrade)
    assert (progress.total, progress.done, progress.finished) == (2, 0, False)
    submission_grade(submission_id=changes.pk)
    progress = regrade_progress(regrade=Regrade.objects.get(pk=regrade.pk))
    assert (progress.done, progress.finished) == (1, False)
    submission_grade(submission_id=stays.pk)
    progress = regrade_progress(regrade=Regrade.objects.get(pk=regrade.pk))
    assert (progress.done, progress.percent, progress.finished) == (2, 100, True)
    assert [(item.submission_id, item.old_score, item.new_score, item.change) for item in progress.changed] == [
        (changes.pk, Decimal(4), Decimal(10), 6.0)]
    entry = GradeChange.objects.get(submission=changes, reason=GradeChange.Reason.REGRADE)
    assert entry.changed_by == ta and entry.details["regrade"] == regrade.pk


def test_a_regrade_that_changes_nothing_emails_nobody(student, ta, assignment, published, publish_at_once,
                                                      django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        submission = graded(student, assignment)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_regrade(assignment=assignment, started_by=ta)
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    assert mail.outbox == []


def test_overrides_stay_on_top_and_are_listed_as_kept(student, ta, assignment, published, publish_at_once,
                                                      django_capture_on_commit_callbacks):
    submission = graded(student, assignment, b"# wrong\n")
    result_override(submission=submission, changed_by=ta, score=7, reason="Partial credit agreed in class.")
    with django_capture_on_commit_callbacks(execute=True):
        regrade = assignment_regrade(assignment=assignment, started_by=ta)
    submission_grade(submission_id=submission.pk)
    item = RegradeItem.objects.get(regrade=regrade)
    assert (item.outcome, item.old_score, item.new_score) == (RegradeItem.Outcome.OVERRIDE_KEPT, Decimal(7), Decimal(7))
    assert regrade_progress(regrade=regrade).kept == (item,)


def test_a_second_whole_regrade_waits_for_the_first(student, ta, assignment, published, publish_at_once,
                                                    django_capture_on_commit_callbacks):
    graded(student, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_regrade(assignment=assignment, started_by=ta)
    with pytest.raises(RegradeRefused):
        assignment_regrade(assignment=assignment, started_by=ta)


def test_a_regrade_with_nothing_to_grade_is_finished_at_once(ta, assignment, published, publish_at_once,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        regrade = assignment_regrade(assignment=assignment, started_by=ta)
    regrade.refresh_from_db()
    assert regrade.finished_at is not None and regrade_progress(regrade=regrade).total == 0


def test_the_sweep_resends_lost_background_work_in_the_background(student, ta, assignment, published,
                                                                  monkeypatch, django_capture_on_commit_callbacks):
    submission = graded(student, assignment)
    monkeypatch.setattr("courseportal.submissions.services.regrades.maintenance_task_send",
                        lambda **kwargs: False)  # the broker is down when the regrade starts
    with django_capture_on_commit_callbacks(execute=True):
        assignment_regrade(assignment=assignment, started_by=ta)
    published.clear()
    submission_sweep()
    assert published == [(submission.pk, "checks", "background")]

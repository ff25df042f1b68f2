"""Held scores: students see "graded, not yet released" and get no e-mail until the instructor releases;
releasing shows every score and e-mails each student once. Reports graded by hand are held by default."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from courseportal.courses.services import assignment_rules_update, assignment_sync
from courseportal.submissions.models import Result
from courseportal.submissions.services import (
    assignment_scores_release,
    release_notify,
    result_override,
    submission_create,
    submission_grade,
    submission_sweep,
)
from courseportal.submissions.services.notify import RELEASE_NOTIFY_TASK
from tests.portal.conftest import signed_in
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def release_by_worker(monkeypatch):
    """The release task, run at once as a worker would run it."""
    sent = []

    def run_now(*, task, args):
        sent.append(task)
        assert task == RELEASE_NOTIFY_TASK
        release_notify(assignment_id=args[0])
        return True

    monkeypatch.setattr("courseportal.submissions.services.notify.maintenance_task_send", run_now)
    return sent


@pytest.fixture
def held(assignment, instructor):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"holds_scores": True})
    return assignment


def graded(student, assignment, callbacks, content: bytes = b"# correct\n"):
    with callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment,
                                       upload=upload(f"{student.username}_{assignment.slug}.py", content))
    with callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    return submission


def test_held_scores_are_not_emailed_nor_shown_to_the_student(student, held, published,
                                                               django_capture_on_commit_callbacks):
    submission = graded(student, held, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Result.objects.get(pk=submission.pk).notified_at is None
    client = signed_in(student)
    for url in (reverse("submissions:detail", args=[submission.pk]), reverse("submissions:status", args=[submission.pk]),
                reverse("submissions:assignment", args=[held.course.slug, held.slug]), reverse("home")):
        page = client.get(url).content.decode()
        assert "raded, not yet released" in page, url
        assert "10 / 10" not in page and 'class="checks"' not in page, url  # neither the score nor the checks


def test_staff_see_held_scores(student, ta, held, published, django_capture_on_commit_callbacks):
    submission = graded(student, held, django_capture_on_commit_callbacks)
    page = signed_in(ta).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "10 / 10" in page and "not yet released" not in page


def test_releasing_shows_the_scores_and_emails_each_student_once(student, other_student, instructor, held, published,
                                                                  release_by_worker,
                                                                  django_capture_on_commit_callbacks):
    graded(student, held, django_capture_on_commit_callbacks, b"# wrong\n")
    best = graded(student, held, django_capture_on_commit_callbacks)
    graded(other_student, held, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert assignment_scores_release(assignment=held) is True
    assert sorted(message.to[0] for message in mail.outbox) == [student.email, other_student.email]
    to_student = next(message for message in mail.outbox if message.to == [student.email])
    assert "scores released" in to_student.subject and "10/10" in to_student.body
    assert not Result.objects.filter(notified_at__isnull=True).exists()
    page = signed_in(student).get(reverse("submissions:detail", args=[best.pk])).content.decode()
    assert "10 / 10" in page and "not yet released" not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert assignment_scores_release(assignment=held) is False  # once
    release_notify(assignment_id=held.pk)
    assert len(mail.outbox) == 2


def test_a_score_graded_after_the_release_is_emailed_as_usual(student, held, published, release_by_worker,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assignment_scores_release(assignment=held)
    graded(student, held, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.endswith("10/10")


def test_a_refused_file_is_emailed_at_once_even_while_scores_are_held(student, held, published, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    from grader.results import GradeResult

    monkeypatch.setattr("courseportal.submissions.services.pipeline.grade_file",
                        lambda *args, **kwargs: GradeResult.rejected("The notebook is not valid JSON.", max_score=10))
    graded(student, held, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and "not valid JSON" in mail.outbox[0].body


def test_an_override_while_held_is_held_too(student, ta, held, published, django_capture_on_commit_callbacks):
    submission = graded(student, held, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        result_override(submission=submission, changed_by=ta, score=3, reason="Plagiarism hearing.")
    assert mail.outbox == []
    page = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert "Plagiarism hearing." not in page and "3 / 10" not in page


def test_turning_holding_off_releases_and_turning_it_on_holds_again(student, instructor, held, published,
                                                                     release_by_worker,
                                                                     django_capture_on_commit_callbacks):
    graded(student, held, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_rules_update(assignment=held, changed_by=instructor, changes={"holds_scores": False})
    assert len(mail.outbox) == 1 and held.scores_released_at is not None
    assignment_rules_update(assignment=held, changed_by=instructor, changes={"holds_scores": True})
    held.refresh_from_db()
    assert held.holds_scores and held.scores_released_at is None


def test_the_sweep_sends_release_emails_a_worker_never_sent(student, held, published, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    graded(student, held, django_capture_on_commit_callbacks)
    monkeypatch.setattr("courseportal.submissions.services.notify.maintenance_task_send",
                        lambda **kwargs: False)  # the broker is down
    with django_capture_on_commit_callbacks(execute=True):
        assignment_scores_release(assignment=held)
    assert mail.outbox == []
    assert submission_sweep()["release_emails"] == 1
    assert len(mail.outbox) == 1
    assert submission_sweep()["release_emails"] == 0


def test_hand_graded_reports_are_held_by_default(course):
    from django.utils import timezone

    assignments = {assignment.checker_slug: assignment for assignment in assignment_sync(course=course,
                                                                                         due_at=timezone.now())}
    assert assignments["lec2_hw2"].holds_scores is True
    assert assignments["lec2_hw1"].holds_scores is False

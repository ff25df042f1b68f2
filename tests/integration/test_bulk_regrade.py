"""A bulk regrade after a checker fix, started from the portal, graded by a real worker process behind
fresh uploads: scores change with history entries, the page shows progress and whose score changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.submissions.models import GradeChange, Regrade, RegradeItem, Result, Submission
from courseportal.submissions.selectors.pages import regrade_progress
from courseportal.submissions.services import result_override, submission_create
from tests.conftest import make_assignment, make_user
from tests.integration.checkers import FIX_FLAG
from tests.portal.conftest import signed_in
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def worker(django_db_setup, broker, integration_worker_env):
    # One grading process: the order in which it takes work is the order of the queue.
    with celery_worker(broker_url=broker.url, env=integration_worker_env, concurrency=1) as running:
        yield running


@pytest.fixture
def fixable(course, shared_state):
    (shared_state.cache_dir / FIX_FLAG).unlink(missing_ok=True)
    yield make_assignment(course, "it_fixable", slug="hw")
    (shared_state.cache_dir / FIX_FLAG).unlink(missing_ok=True)


def upload(student, assignment, content: bytes) -> Submission:
    return submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
        f"{student.username}_{assignment.slug}.py", content))


def all_graded(submissions, *, timeout_s: float = 60) -> None:
    ids = [submission.pk for submission in submissions]
    wait_until(lambda: Submission.objects.filter(pk__in=ids, status=Submission.Status.GRADED).count() == len(ids),
               timeout_s=timeout_s, what=f"submissions {ids} to be graded")


def classmates(course, count: int) -> list:
    people = []
    for number in range(count):
        person = make_user(f"3105106{number:02d}")
        membership_set(course=course, user=person, role=Membership.Role.STUDENT)
        people.append(person)
    return people


def test_a_regrade_after_a_checker_fix_changes_scores_on_the_record_with_progress(
        worker, course, student, other_student, ta, fixable, shared_state):
    right = upload(student, fixable, b"answer = 0\n")   # right, but the buggy checker says wrong
    wrong = upload(other_student, fixable, b"answer = 1\n")  # wrong, but the buggy checker says right
    overridden_student, = classmates(course, 1)
    overridden = upload(overridden_student, fixable, b"answer = 0\n")
    all_graded([right, wrong, overridden])
    assert [Result.objects.get(pk=s.pk).counted_score for s in (right, wrong)] == [Decimal(0), Decimal(2)]
    result_override(submission=overridden, changed_by=ta, score=Decimal("1.5"), reason="Agreed in office hours.")

    (shared_state.cache_dir / FIX_FLAG).touch()  # the TA fixes the checker
    client = signed_in(ta)
    response = client.post(reverse("submissions:assignment_regrade", args=[course.slug, fixable.slug]))
    regrade = Regrade.objects.get()
    assert response.url == reverse("submissions:regrade_progress", args=[regrade.pk])
    seen: list[int] = []

    def finished() -> bool:
        progress = regrade_progress(regrade=Regrade.objects.get(pk=regrade.pk))
        seen.append(progress.done)
        return progress.finished

    wait_until(finished, timeout_s=60, interval_s=0.05, what="the regrade to finish")
    assert seen[0] < 3 and seen[-1] == 3  # progress was visible on the way

    assert Result.objects.get(pk=right.pk).counted_score == Decimal(2)
    assert Result.objects.get(pk=wrong.pk).counted_score == Decimal(0)
    kept = Result.objects.get(pk=overridden.pk)
    assert (kept.counted_score, kept.score) == (Decimal("1.5"), Decimal(2))
    entries = GradeChange.objects.filter(reason=GradeChange.Reason.REGRADE)
    assert {(entry.submission_id, entry.old_score, entry.new_score, entry.changed_by_id) for entry in entries} == {
        (right.pk, Decimal(0), Decimal(2), ta.pk), (wrong.pk, Decimal(2), Decimal(0), ta.pk),
        (overridden.pk, Decimal("1.5"), Decimal("1.5"), ta.pk)}
    assert RegradeItem.objects.get(submission=overridden).outcome == RegradeItem.Outcome.OVERRIDE_KEPT

    page = client.get(reverse("submissions:regrade_progress", args=[regrade.pk])).content.decode()
    assert "3 of 3 graded" in page and "2 scores changed" in page
    assert "+2" in page and "-2" in page and student.username in page and other_student.username in page


def test_fresh_uploads_are_graded_before_a_waiting_regrade(worker, course, ta, fixable):
    *people, late_comer = classmates(course, 11)
    earlier = [upload(person, fixable, b"answer = 1\n") for person in people]
    all_graded(earlier)
    client = signed_in(ta)
    client.post(reverse("submissions:assignment_regrade", args=[course.slug, fixable.slug]))
    regrade = Regrade.objects.get()
    wait_until(lambda: regrade.items.filter(finished_at__isnull=False).exists(), timeout_s=30, interval_s=0.02,
               what="the regrade to start")
    fresh = upload(late_comer, fixable, b"answer = 1\n")
    all_graded([fresh])
    fresh.refresh_from_db()
    wait_until(lambda: Regrade.objects.get(pk=regrade.pk).finished_at, timeout_s=60, what="the regrade to finish")
    waiting_when_it_arrived = regrade.items.filter(finished_at__gt=fresh.received_at).count()
    overtaken = regrade.items.filter(finished_at__gt=fresh.graded_at).count()
    # Only the regrade grading already running when the upload arrived finished before it.
    assert waiting_when_it_arrived >= 5
    assert overtaken >= waiting_when_it_arrived - 1

"""A pending submission's page waits on the broker for the moment its result is stored, so the
page opened right after an upload shows the result itself and the poller answers at once
(courseportal/submissions/services/settled.py). Real valkey server; the database changes the
worker would make are made directly, behind the waiting page's back."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from courseportal.operations.broker import free_port
from courseportal.submissions.models import Submission
from courseportal.submissions.services import settled, submission_create, submission_grade
from courseportal.submissions.services.settled import submission_settled_announce, submission_settled_wait
from tests.portal.conftest import signed_in
from tests.submissions.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_on(settings, broker):
    """This process's waits and announcements go to the session's real valkey server."""
    settings.REDIS_URL = broker.url
    settings.RESULT_WAITERS_PER_PROCESS = 2
    settled.reset_for_tests()
    # Ids start again in every test; the session's server still holds the last test's announcements.
    for key in settled._client().scan_iter(settled._key("*")):
        settled._client().delete(key)
    yield broker
    settled.reset_for_tests()


@pytest.fixture
def pending(student, assignment) -> Submission:
    return submission_create(student=student, assignment=assignment, upload=upload(f"{student.username}_hw.py"))


def graded_behind_its_back(submission: Submission) -> Submission:
    """What the worker does while the page waits: the row is graded, the page's copy still says queued."""
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.GRADED)
    return Submission.objects.select_related("assignment").get(pk=submission.pk)


def timed_wait(submission: Submission, timeout_s: float):
    started = time.monotonic()
    waited = submission_settled_wait(submission=submission, timeout_s=timeout_s)
    return waited, time.monotonic() - started


def test_a_waiting_page_wakes_the_moment_the_result_is_announced(waiting_on, pending):
    stale = graded_behind_its_back(pending)
    stale.status = Submission.Status.QUEUED
    announcer = threading.Timer(0.3, submission_settled_announce, kwargs={"submission_id": pending.pk})
    announcer.start()
    waited, seconds = timed_wait(stale, 5.0)
    announcer.join()
    assert waited.held and waited.submission.status == Submission.Status.GRADED
    assert 0.25 < seconds < 2.0, seconds


def test_with_no_announcement_the_page_waits_its_time_and_still_shows_pending(waiting_on, pending):
    waited, seconds = timed_wait(pending, 0.3)
    assert waited.held and waited.submission.is_pending
    assert 0.28 < seconds < 1.5, seconds


def test_the_last_gradings_announcement_does_not_end_a_regrades_wait_early(waiting_on, pending):
    submission_settled_announce(submission_id=pending.pk)  # left over from the grading before the regrade
    waited, seconds = timed_wait(pending, 0.4)
    assert waited.held and waited.submission.is_pending
    assert seconds > 0.38, "a stale announcement woke the page for nothing"
    assert not waiting_on_key_exists(pending)


def waiting_on_key_exists(submission: Submission) -> bool:
    return bool(settled._client().exists(settled._key(submission.pk)))


def test_every_open_tab_of_the_page_wakes(waiting_on, pending):
    graded_behind_its_back(pending)
    submission_settled_announce(submission_id=pending.pk)
    for _tab in range(3):
        stale = Submission.objects.select_related("assignment").get(pk=pending.pk)
        stale.status = Submission.Status.RUNNING
        waited, seconds = timed_wait(stale, 5.0)
        assert waited.submission.status == Submission.Status.GRADED and seconds < 0.5, seconds


def test_no_more_requests_wait_at_once_than_the_bound_the_next_renders_at_once(waiting_on, pending):
    busy = settled._waiters()
    assert busy.acquire(blocking=False) and busy.acquire(blocking=False)  # RESULT_WAITERS_PER_PROCESS = 2
    try:
        waited, seconds = timed_wait(pending, 5.0)
    finally:
        busy.release()
        busy.release()
    assert not waited.held and waited.busy and seconds < 0.1, seconds


def test_a_poller_turned_away_by_a_busy_server_is_asked_to_come_back_later(waiting_on, student, pending):
    client = signed_in(student)
    status = reverse("submissions:status", args=[pending.pk])
    busy = settled._waiters()
    assert busy.acquire(blocking=False) and busy.acquire(blocking=False)  # RESULT_WAITERS_PER_PROCESS = 2
    try:
        turned_away = client.get(status, {"wait": "1"}).content.decode()
    finally:
        busy.release()
        busy.release()
    assert 'data-pending="true"' in turned_away and 'data-poll-after-ms="5000"' in turned_away


def test_a_broker_that_is_down_costs_no_wait_and_is_left_alone_for_a_while(settings, pending):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settled.reset_for_tests()
    try:
        submission_settled_announce(submission_id=pending.pk)  # logged, not raised
        waited, seconds = timed_wait(pending, 5.0)
        assert not waited.held and seconds < 0.5, seconds
        assert settled._broker_resting()
    finally:
        settled.reset_for_tests()


def test_a_page_whose_result_is_stored_already_never_waits(waiting_on, student, assignment, published,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(student=student, assignment=assignment,
                                       upload=upload(f"{student.username}_hw.py"))
        submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    waited, seconds = timed_wait(submission, 5.0)
    assert not waited.held and seconds < 0.05


def test_storing_a_result_announces_it_once_committed(waiting_on, pending, published,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        submission_grade(submission_id=pending.pk)
    assert not waiting_on_key_exists(pending), "announced before the result was committed"
    for callback in after_commit:
        callback()
    assert waiting_on_key_exists(pending)


def test_the_poller_asks_again_at_once_only_after_the_server_held_its_request(waiting_on, settings, student,
                                                                              pending):
    settings.RESULT_POLL_WAIT_S = 0.2
    client = signed_in(student)
    status = reverse("submissions:status", args=[pending.pk])
    held = client.get(status, {"wait": "1"}).content.decode()
    assert 'data-pending="true"' in held and 'data-poll-after-ms="0"' in held
    unheld = client.get(status).content.decode()  # no ?wait: an old page's poller
    assert 'data-poll-after-ms="2000"' in unheld and "?wait=1" in unheld

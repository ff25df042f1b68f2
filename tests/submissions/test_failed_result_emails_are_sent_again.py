"""A result e-mail the mail server refused (or that a stopped worker never sent) is not lost: the
sweep sends it once its result is a minute old, one e-mail per student and result, stopping at the
first failure so that a mail server that is down costs each sweep one try. Held scores stay the
release's to e-mail."""

from __future__ import annotations

import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from courseportal.courses.services import assignment_rules_update
from courseportal.submissions.models import Result
from courseportal.submissions.services import assignment_scores_release, notify, submission_sweep
from courseportal.submissions.services.notify import result_emails_sweep
from tests.conftest import make_assignment
from tests.submissions.test_release import graded

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_server_down(monkeypatch):
    """The mail server refuses every e-mail until the returned switch is turned off."""
    state = {"down": True}
    real_send = mail.send_mail

    def send(*args, **kwargs):
        if state["down"]:
            raise ConnectionRefusedError("mail server down")
        return real_send(*args, **kwargs)

    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail", send)
    return state


def a_minute_later():
    return timezone.now() + timedelta(seconds=61)


def test_a_result_email_the_mail_server_refused_is_sent_by_a_later_sweep(
        student, assignment, published, mail_server_down, django_capture_on_commit_callbacks):
    submission = graded(student, assignment, django_capture_on_commit_callbacks)
    assert mail.outbox == [] and Result.objects.get(pk=submission.pk).notified_at is None
    mail_server_down["down"] = False
    assert result_emails_sweep() == 0, "the first try has a minute before the sweep steps in"
    assert result_emails_sweep(now=a_minute_later()) == 1
    assert [message.to for message in mail.outbox] == [[student.email]]
    assert submission.filename in mail.outbox[0].body
    assert result_emails_sweep(now=a_minute_later()) == 0 and len(mail.outbox) == 1


def test_the_sweep_tries_one_email_while_the_mail_server_is_down_then_rests(
        student, other_student, assignment, published, mail_server_down, monkeypatch,
        django_capture_on_commit_callbacks):
    """A silent mail server costs a try EMAIL_TIMEOUT long, in a grading slot: one a sweep, and then
    none for MAIL_SERVER_REST_S."""
    for who in (student, other_student, student):
        graded(who, assignment, django_capture_on_commit_callbacks, content=f"# {who.pk}\n".encode())
    tries = []
    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail",
                        lambda *args, **kwargs: tries.append(args) or (_ for _ in ()).throw(TimeoutError()))
    assert result_emails_sweep(now=a_minute_later()) == 0
    assert len(tries) == 1
    assert Result.objects.filter(notified_at__isnull=True).count() == 3
    assert result_emails_sweep(now=a_minute_later()) == 0 and len(tries) == 1, "resting"
    later = time.monotonic() + notify.MAIL_SERVER_REST_S + 1
    monkeypatch.setattr(notify.time, "monotonic", lambda: later)
    mail_server_down["down"] = False
    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail", mail.send_mail)
    assert result_emails_sweep(now=a_minute_later()) == 3


def test_the_regular_sweep_sends_them_and_says_so(student, assignment, published, mail_server_down,
                                                  django_capture_on_commit_callbacks):
    submission = graded(student, assignment, django_capture_on_commit_callbacks)
    mail_server_down["down"] = False
    Result.objects.filter(pk=submission.pk).update(graded_at=timezone.now() - timedelta(minutes=5))
    assert submission_sweep()["result_emails"] == 1
    assert len(mail.outbox) == 1


def test_held_scores_are_left_to_the_release_email(student, assignment, published, instructor,
                                                   mail_server_down, django_capture_on_commit_callbacks):
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"holds_scores": True})
    graded(student, assignment, django_capture_on_commit_callbacks)
    mail_server_down["down"] = False
    assert result_emails_sweep(now=a_minute_later()) == 0 and mail.outbox == []
    assignment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_scores_release(assignment=assignment)
    assert result_emails_sweep(now=a_minute_later()) == 0
    assert submission_sweep()["release_emails"] == 1, "the release's own e-mail, once"
    assert len(mail.outbox) == 1 and "released" in mail.outbox[0].subject


def test_held_scores_waiting_for_their_release_hold_back_no_other_email(
        student, assignment, course, published, instructor, mail_server_down, django_capture_on_commit_callbacks):
    """The sweep stops at the first e-mail it cannot send: a held score, which it may not send, must
    not count as one, or a term's held scores would stop every later e-mail."""
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"holds_scores": True})
    graded(student, assignment, django_capture_on_commit_callbacks)
    other = make_assignment(course, "unit_word", slug="hw2")
    submission = graded(student, other, django_capture_on_commit_callbacks)
    mail_server_down["down"] = False
    assert result_emails_sweep(now=a_minute_later()) == 1
    assert [message.to for message in mail.outbox] == [[student.email]] and submission.filename in mail.outbox[0].body


def test_a_refused_file_of_a_held_assignment_is_still_emailed(student, assignment, published, instructor,
                                                              mail_server_down, django_capture_on_commit_callbacks):
    """A refusal is not a score: the student must hear at once that the file could not be read."""
    assignment_rules_update(assignment=assignment, changed_by=instructor, changes={"holds_scores": True})
    submission = graded(student, assignment, django_capture_on_commit_callbacks)
    Result.objects.filter(pk=submission.pk).update(status=Result.Status.REJECTED, counted_score=0)
    mail_server_down["down"] = False
    assert result_emails_sweep(now=a_minute_later()) == 1


def test_an_address_the_mail_server_refuses_for_good_is_not_tried_again(
        student, other_student, assignment, published, monkeypatch, django_capture_on_commit_callbacks):
    """Else the sweep, stopping at its first failure, would stop at that student's result every time."""
    real_send = mail.send_mail

    def send(subject, body, sender, recipients):
        if recipients == [student.email]:
            raise smtplib.SMTPRecipientsRefused({student.email: (550, b"no such user")})
        return real_send(subject, body, sender, recipients)

    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail", send)
    graded(student, assignment, django_capture_on_commit_callbacks)
    assert Result.objects.filter(notified_at__isnull=True).count() == 0
    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail",
                        lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionRefusedError()))
    graded(other_student, assignment, django_capture_on_commit_callbacks)
    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail", send)
    assert result_emails_sweep(now=a_minute_later()) == 1
    assert [message.to for message in mail.outbox] == [[other_student.email]]


@pytest.mark.parametrize("error, for_good", [
    (smtplib.SMTPRecipientsRefused({"a@example.edu": (550, b"no such user")}), True),
    (smtplib.SMTPRecipientsRefused({"a@example.edu": (450, b"mailbox busy")}), False),
    (smtplib.SMTPDataError(554, b"message refused"), True),
    (smtplib.SMTPDataError(451, b"try later"), False),
    (smtplib.SMTPSenderRefused(550, b"sender refused", "noreply@localhost"), False),
    (ConnectionRefusedError(), False),
    (TimeoutError(), False),
])
def test_only_a_permanent_refusal_of_this_email_is_given_up(monkeypatch, error, for_good):
    monkeypatch.setattr("courseportal.submissions.services.notify.send_mail",
                        lambda *args, **kwargs: (_ for _ in ()).throw(error))
    assert notify.email_send(subject="s", body="b", to="a@example.edu", what="a test") is for_good

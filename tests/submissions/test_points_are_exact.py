"""Scores are kept and written exactly: 0.625 stays 0.625, 57.50 is written 57.5 on every page, in the
gradebook, its CSV and the e-mail, and the points of the checks add up to the score shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from courseportal.points import points_text
from courseportal.submissions.services import submission_create, submission_grade
from tests.conftest import PASSWORD, make_assignment
from tests.submissions.conftest import upload


@pytest.mark.parametrize(("value", "text"), [
    (0.625, "0.625"), (Decimal("57.500"), "57.5"), (Decimal("57.50"), "57.5"), (25, "25"), (25.0, "25"),
    (Decimal("0.000"), "0"), (12.5, "12.5"), (None, "–"), (Decimal("-0.0001"), "0"),
])
def test_a_score_is_written_exactly_without_padding(value, text):
    assert points_text(value) == text


@pytest.mark.django_db
def test_a_score_of_forty_small_checks_keeps_its_thousandths_everywhere_and_adds_up(
        course, student, instructor, published, django_capture_on_commit_callbacks):
    assignment = make_assignment(course, "unit_layers", slug="layers")
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload(f"{student.username}_layers.py", b"wrong 3\n"))
    with django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    result = submission.result

    assert result.score == Decimal("23.125") and result.counted_score == Decimal("23.125")
    assert sum(Decimal(points_text(check["points"])) for check in result.checks) == result.score

    def page(user, url: str) -> str:
        client = Client()
        client.login(username=user.username, password=PASSWORD)
        return client.get(url).content.decode()

    for text in (page(student, reverse("submissions:detail", args=[submission.pk])),
                 page(student, reverse("home")),
                 page(instructor, reverse("gradebook:course", args=[course.slug])),
                 page(instructor, reverse("gradebook:csv", args=[course.slug]))):
        assert "23.125" in text and "23.13" not in text and "23.12 " not in text
    student_page = page(student, reverse("submissions:detail", args=[submission.pk]))
    assert "0.625 / 0.625" in student_page and "0.63" not in student_page
    assert [message.subject for message in mail.outbox] == ["[unit_layers] 23.125/25"]

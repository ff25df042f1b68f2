"""Students change their password and reset it by e-mail (Django's own views, styled and translated);
staff can e-mail a student the same reset link from the portal."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from courseportal.accounts.services import profile_language_set
from courseportal.courses.services import roster_import
from tests.conftest import PASSWORD
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-much-longer-passphrase-2025"


def signs_in(account: str, password: str) -> bool:
    """Through the sign-in form, as a person would (the throttling backend wants a request)."""
    response = Client().post(reverse("login"), {"username": account, "password": password})
    return response.status_code == 302 and response.url == reverse("home")


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_a_student_changes_their_password_and_signs_in_with_it(student):
    client = signed_in(student)
    assert reverse("password_change") in client.get(reverse("home")).content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    assert signs_in("310510123", NEW_PASSWORD) and not signs_in("310510123", PASSWORD)


def test_a_roster_student_without_a_password_sets_one_by_email(course, mailoutbox):
    roster_import(course=course, csv_text="310510777,Wang Da-ming,wang@example.edu\n")
    client = Client()
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "WANG@example.edu"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1 and "310510777" in mailoutbox[0].body
    form_url = client.get(link_in(mailoutbox[0]), follow=True).redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    assert signs_in("310510777", NEW_PASSWORD)
    # Used once: the same link no longer works.
    assert "does not work any more" in Client().get(link_in(mailoutbox[0]), follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(db, mailoutbox):
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.edu"})
    assert response.url == reverse("password_reset_done") and mailoutbox == []


def test_staff_email_a_student_the_link_in_the_students_language(student, ta, mailoutbox, compiled_translations):
    profile_language_set(user=student, language="zh-hant")
    response = signed_in(ta).post(reverse("courses:student_password_reset", args=["ai-training-2", student.pk]),
                                  follow=True)
    assert "was e-mailed to 310510123" in response.content.decode()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [student.email]
    assert "新密碼" in mailoutbox[0].subject and "課程作業平台" in mailoutbox[0].subject
    form_url = Client().get(link_in(mailoutbox[0]), follow=True).redirect_chain[-1][0]
    assert form_url.startswith("/accounts/password/reset/")


def test_a_student_without_an_email_address_is_told_about_not_emailed(course, ta, mailoutbox):
    from courseportal.courses.services import membership_set

    nameless = get_user_model().objects.create_user(username="310510888", password=PASSWORD)
    membership_set(course=course, user=nameless, role="student")
    response = signed_in(ta).post(reverse("courses:student_password_reset", args=["ai-training-2", nameless.pk]),
                                  follow=True)
    assert "has no e-mail address" in response.content.decode() and mailoutbox == []


def test_the_password_pages_are_in_chinese_for_a_chinese_user(student, compiled_translations):
    profile_language_set(user=student, language="zh-hant")
    page = signed_in(student).get(reverse("password_change")).content.decode()
    assert "變更密碼" in page
    client = Client()
    client.post(reverse("accounts:language"), {"language": "zh-hant"})
    assert "忘記密碼" in client.get(reverse("password_reset")).content.decode()

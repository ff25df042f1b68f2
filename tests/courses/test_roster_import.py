"""A roster is checked row by row before anyone is enrolled, and never changes a staff member's role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from courseportal.courses.forms import RosterImportForm
from courseportal.courses.models import Membership
from courseportal.courses.services import roster_import
from tests.portal.conftest import (
    compiled_translations,  # noqa: F401 - the zh_Hant catalogue, found by name
    signed_in,
)

pytestmark = pytest.mark.django_db

# What the issue saw accepted as "Enrolled 5 students", turning the TA into a student.
BAD_ROSTER = (
    "account,name,email\n"
    "310510777,王大明,wang@example.edu\n"
    "310510778,Lin Mei,not-an-address\n"
    "310510779,,chen@example.edu\n"
    "310510777,王大明,wang@example.edu\n"
    "ta_chen,Chen TA,ta@example.edu\n"
)


def test_every_problem_is_listed_with_its_row_and_nobody_is_enrolled(course, ta):
    outcome = roster_import(course=course, csv_text=BAD_ROSTER)
    assert (outcome.created, outcome.enrolled) == (0, 0)
    assert len(outcome.errors) == 4
    text = "\n".join(outcome.errors)
    assert "row 3: 'not-an-address' is not a valid e-mail address" in text
    assert "row 4: the name is empty" in text
    assert "row 5: account 310510777 is also on row 2" in text
    assert "row 6: ta_chen is a Teaching assistant of this course" in text
    assert not get_user_model().objects.filter(username__startswith="3105107").exists()
    assert Membership.objects.get(course=course, user=ta).role == Membership.Role.TA
    assert list(Membership.objects.filter(course=course).values_list("role", flat=True)) == [Membership.Role.TA]


def test_a_missing_email_and_a_site_administrator_are_refused_too(course):
    get_user_model().objects.create_superuser("root", "root@example.edu", "x")
    outcome = roster_import(course=course, csv_text="310510780,Wu Ling,\nroot,Root,root@example.edu\n")
    assert outcome.enrolled == 0 and len(outcome.errors) == 2
    assert "row 1: the e-mail address is missing" in outcome.errors[0]
    assert "row 2: root is a site administrator account" in outcome.errors[1]


def test_a_clean_roster_enrols_everyone_and_keeps_existing_accounts_as_they_are(course, student):
    outcome = roster_import(course=course, csv_text=(
        "310510777,王大明,wang@example.edu\n310510123,Someone Else,else@example.edu\n"))
    assert (outcome.created, outcome.enrolled, outcome.errors) == (1, 2, ())
    student.refresh_from_db()
    assert student.email == "310510123@example.edu"  # an existing account's details are not overwritten
    created = get_user_model().objects.get(username="310510777")
    assert created.first_name == "王大明" and not created.has_usable_password()


def test_the_portals_import_lists_the_problems_for_the_instructor_and_is_not_for_tas(course, ta, instructor):
    url = reverse("courses:roster_import", args=[course.slug])
    response = signed_in(instructor).post(url, {"roster": SimpleUploadedFile("roster.csv", BAD_ROSTER.encode())})
    page = response.content.decode()
    assert response.status_code == 400 and "row 6" in page and "row 3" in page
    assert signed_in(ta).post(url, {"roster": SimpleUploadedFile("r.csv", b"310510790,A,a@example.edu\n")}
                              ).status_code == 403
    good = signed_in(instructor).post(url, {"roster": SimpleUploadedFile("r.csv", b"310510790,A,a@example.edu\n")})
    assert good.status_code == 302
    assert Membership.objects.filter(course=course, user__username="310510790").exists()


@pytest.mark.usefixtures("compiled_translations")
def test_a_roster_that_is_no_text_is_refused_in_the_readers_language():
    binary = SimpleUploadedFile("roster.csv", b"\x00\x01\x02PK\x03\x04" * 50)
    with translation.override("zh-hant"):
        form = RosterImportForm(data={}, files={"roster": binary})
        assert not form.is_valid()
        refusal = str(form.errors["roster"])
    assert "CSV 檔案" in refusal and "a CSV file" not in refusal

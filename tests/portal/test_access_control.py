"""Who may open, download and regrade which submission: 404 for anyone who may not see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseportal.submissions.models import Submission
from tests.portal.conftest import signed_in, submit, submit_and_grade

pytestmark = pytest.mark.django_db

READ_VIEWS = ["submissions:detail", "submissions:status", "submissions:download"]


@pytest.fixture
def submission(student, assignment):
    return submit_and_grade(student, assignment)


@pytest.mark.parametrize("view", READ_VIEWS)
def test_student_cannot_open_anothers_submission_by_its_id(view, submission, other_student):
    response = signed_in(other_student).get(reverse(view, args=[submission.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("view", READ_VIEWS)
def test_outsider_and_staff_of_another_course_get_404(view, submission, outsider, ta_of_another_course):
    for user in (outsider, ta_of_another_course):
        assert signed_in(user).get(reverse(view, args=[submission.pk])).status_code == 404


@pytest.mark.parametrize("view", READ_VIEWS)
def test_owner_ta_and_instructor_may_open_the_submission(view, submission, student, ta, instructor):
    for user in (student, ta, instructor):
        assert signed_in(user).get(reverse(view, args=[submission.pk])).status_code == 200


@pytest.mark.parametrize("view", READ_VIEWS)
def test_anonymous_visitor_is_sent_to_sign_in(view, submission, client):
    response = client.get(reverse(view, args=[submission.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_visitor_cannot_regrade_and_is_sent_to_sign_in(submission, client):
    response = client.post(reverse("submissions:regrade", args=[submission.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


@pytest.mark.parametrize("url_name, args", [
    ("home", []),
    ("submissions:assignment", ["ai-training-2", "hw1"]),
    ("submissions:assignment_list", ["ai-training-2", "hw1"]),
    ("courses:starter", ["ai-training-2", "hw1", "portal_echo_starter.py"]),
    ("gradebook:course", ["ai-training-2"]),
    ("gradebook:csv", ["ai-training-2"]),
])
def test_every_page_sends_anonymous_visitors_to_sign_in(url_name, args, assignment, client):
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_guessing_ids_reveals_nothing(submission, other_student):
    client = signed_in(other_student)
    missing = Submission.objects.order_by("-pk").first().pk + 1
    assert client.get(reverse("submissions:detail", args=[missing])).status_code == 404
    assert client.get(reverse("submissions:detail", args=[submission.pk])).status_code == 404


def test_download_is_an_attachment_that_browsers_must_not_sniff(submission, student):
    response = signed_in(student).get(reverse("submissions:download", args=[submission.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "310510123_hw1.py" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"answer = 42\n"


def test_student_cannot_regrade_anothers_submission(submission, other_student):
    response = signed_in(other_student).post(reverse("submissions:regrade", args=[submission.pk]))
    assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def test_student_cannot_regrade_their_own_submission(submission, student):
    response = signed_in(student).post(reverse("submissions:regrade", args=[submission.pk]))
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def test_ta_of_another_course_cannot_regrade(submission, ta_of_another_course):
    response = signed_in(ta_of_another_course).post(reverse("submissions:regrade", args=[submission.pk]))
    assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def test_ta_regrades_a_submission_of_their_course(submission, ta):
    response = signed_in(ta).post(reverse("submissions:regrade", args=[submission.pk]))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED


def test_regrade_refuses_get(submission, ta):
    assert signed_in(ta).get(reverse("submissions:regrade", args=[submission.pk])).status_code == 405


def test_staff_list_is_for_staff_of_the_course_only(submission, student, other_student, ta, ta_of_another_course):
    url = reverse("submissions:assignment_list", args=["ai-training-2", "hw1"])
    assert signed_in(student).get(url).status_code == 404
    assert signed_in(ta_of_another_course).get(url).status_code == 404
    response = signed_in(ta).get(url)
    assert response.status_code == 200
    assert "310510123" in response.content.decode()


def test_assignment_page_shows_only_the_students_own_history(student, other_student, assignment):
    submit(student, assignment)
    theirs = submit(other_student, assignment)
    response = signed_in(student).get(reverse("submissions:assignment", args=["ai-training-2", "hw1"]))
    page = response.content.decode()
    assert "310510123_hw1.py" in page
    assert "310510999_hw1.py" not in page
    assert reverse("submissions:detail", args=[theirs.pk]) not in page


def test_outsider_cannot_see_the_assignment_or_its_starter_file(outsider, assignment):
    client = signed_in(outsider)
    assert client.get(reverse("submissions:assignment", args=["ai-training-2", "hw1"])).status_code == 404
    starter = reverse("courses:starter", args=["ai-training-2", "hw1", "portal_echo_starter.py"])
    assert client.get(starter).status_code == 404


def test_unpublished_assignment_is_hidden_from_students_not_staff(student, ta, assignment):
    assignment.is_published = False
    assignment.save()
    url = reverse("submissions:assignment", args=["ai-training-2", "hw1"])
    assert signed_in(student).get(url).status_code == 404
    assert signed_in(ta).get(url).status_code == 200


def test_starter_download_serves_only_declared_starter_files(student, assignment):
    client = signed_in(student)
    ok = client.get(reverse("courses:starter", args=["ai-training-2", "hw1", "portal_echo_starter.py"]))
    assert ok.status_code == 200 and ok["Content-Disposition"].startswith("attachment;")
    assert b"answer = None" in b"".join(ok.streaming_content)
    for name in ["checkers.py", "../conftest.py", "conftest.py"]:
        assert client.get(reverse("courses:starter", args=["ai-training-2", "hw1", name])).status_code == 404


def test_gradebook_is_for_staff_of_the_course_and_read_only_for_tas(student, ta, instructor, ta_of_another_course,
                                                                     assignment):
    url = reverse("gradebook:course", args=["ai-training-2"])
    assert signed_in(student).get(url).status_code == 404
    assert signed_in(ta_of_another_course).get(url).status_code == 404
    assert signed_in(instructor).get(url).status_code == 200
    ta_page = signed_in(ta).get(url)
    assert ta_page.status_code == 200
    assert reverse("courses:assignment_rules", args=["ai-training-2", "hw1"]) not in ta_page.content.decode()
    assert reverse("courses:assignment_rules", args=["ai-training-2", "hw1"]) in \
        signed_in(instructor).get(url).content.decode()
    assert signed_in(student).get(reverse("gradebook:csv", args=["ai-training-2"])).status_code == 404


def test_uploaded_files_have_no_public_url(submission, student):
    sha = submission.blob_id
    for url in (f"/media/blobs/{sha[:2]}/{sha[2:4]}/{sha}", f"/blobs/{sha[:2]}/{sha[2:4]}/{sha}", f"/static/{sha}"):
        assert signed_in(student).get(url).status_code == 404

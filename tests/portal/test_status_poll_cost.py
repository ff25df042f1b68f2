"""The result page's poller asks for the status block every few seconds per waiting student, so
while the file waits the block reads only what it shows: no counted-submission, grade-history or
permission queries for a student's own submission (the saturation benchmark found the polls the
web's largest CPU cost). The last poll, with the result, stops the poller and says which
submission counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.portal.conftest import signed_in, submit, submit_and_grade, upload_file

pytestmark = pytest.mark.django_db

NOT_FOR_THE_BLOCK = ("submissions_gradechange", "auth_permission", "ROW_NUMBER", "score_value")


def poll_once(student, submission) -> tuple[str, list[str]]:
    client = signed_in(student)
    poll = reverse("submissions:status", args=[submission.pk])
    client.get(poll)  # the page itself came first: the session already remembers the language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(poll)
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def test_a_waiting_students_status_poll_reads_only_what_the_block_shows(student, assignment):
    block, read = poll_once(student, submit(student, assignment))
    assert 'data-pending="false"' not in block
    assert not [sql for sql in read if any(table in sql for table in NOT_FOR_THE_BLOCK)], read
    assert len(read) <= 8, "\n".join(read)


def test_the_last_poll_stops_the_poller_and_says_which_submission_counts(student, assignment):
    block, read = poll_once(student, submit_and_grade(student, assignment))
    assert 'data-pending="false"' in block and "This one counts for the grade." in block
    assert not [sql for sql in read if "auth_permission" in sql], read


def test_the_page_opened_right_after_an_upload_reads_no_history_and_no_counted_submission(student, assignment):
    """A submission without a result has no score changes and no counted line to show."""
    submission = submit(student, assignment)
    client = signed_in(student)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("submissions:detail", args=[submission.pk]))
    assert response.status_code == 200 and 'data-pending="true"' in response.content.decode()
    read = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in read if any(table in sql for table in NOT_FOR_THE_BLOCK)], read


def test_pages_of_an_assignment_that_trains_on_no_gpu_never_ask_for_a_training_job(student, assignment):
    submission = submit(student, assignment)
    client = signed_in(student)
    for page in ("submissions:detail", "submissions:status"):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse(page, args=[submission.pk]))
        assert not [q["sql"] for q in queries.captured_queries if "submissions_trainingjob" in q["sql"]], page


def test_a_students_result_page_reads_the_result_with_the_submission_and_nothing_it_does_not_show(
        student, assignment):
    """Session, user, the submission with its result, the student's role in the course, then only
    what the page shows: lateness, grade history, which submission counts. Not the student again
    (the viewer is the student), nor the file's record: building SQL for them cost more CPU than
    the queries themselves (``submission_for_viewer``)."""
    submission = submit_and_grade(student, assignment)
    client = signed_in(student)
    page = reverse("submissions:detail", args=[submission.pk])
    client.get(page)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200 and 'data-pending="false"' in response.content.decode()
    read = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in read if sql.startswith('SELECT "submissions_result"')], read
    assert len([sql for sql in read if 'FROM "courses_membership"' in sql.split(" WHERE ")[0]]) == 1, read
    users_read = [sql for sql in read if sql.split(" WHERE ")[0].endswith('FROM "auth_user"')]
    assert len(users_read) == 1, read  # the session's user, nothing more
    assert not [sql for sql in read if '"submissions_blob"' in sql], read
    assert len(read) <= 7, "\n".join(read)


def test_an_upload_asks_for_the_course_and_the_students_role_in_one_query(student, assignment):
    """The upload view finds the course with the student's role in it; neither the view nor the
    upload service asks for the membership again."""
    client = signed_in(student)
    url = reverse("submissions:upload", args=[assignment.course.slug, assignment.slug])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"file": upload_file(f"{student.username}_{assignment.slug}.py")})
    assert response.status_code == 302
    read = [query["sql"] for query in queries.captured_queries]
    membership_reads = [sql for sql in read if sql.split(" WHERE ")[0].endswith('FROM "courses_membership"')]
    assert not membership_reads, "\n".join(read)

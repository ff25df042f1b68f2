"""The result page's poller asks for the status block every few seconds per waiting student, so
the block reads only what it shows: no counted-submission, grade-history or permission queries for
a student's own submission (the saturation benchmark found the polls the web's largest CPU cost)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.portal.conftest import signed_in, submit, submit_and_grade

pytestmark = pytest.mark.django_db

NOT_FOR_THE_BLOCK = ("submissions_gradechange", "auth_permission", "ROW_NUMBER", "score_value")


@pytest.mark.parametrize("graded", [False, True], ids=["waiting", "graded"])
def test_a_students_status_poll_reads_only_what_the_block_shows(student, assignment, graded):
    submission = (submit_and_grade if graded else submit)(student, assignment)
    client = signed_in(student)
    poll = reverse("submissions:status", args=[submission.pk])
    client.get(poll)  # the page itself came first: the session already remembers the language
    with CaptureQueriesContext(connection) as queries:
        response = client.get(poll)
    assert response.status_code == 200
    assert ('data-pending="false"' in response.content.decode()) == graded
    read = [query["sql"] for query in queries.captured_queries]
    assert not [sql for sql in read if any(table in sql for table in NOT_FOR_THE_BLOCK)], read
    assert len(read) <= 8, "\n".join(read)

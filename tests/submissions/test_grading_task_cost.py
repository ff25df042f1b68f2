"""The grading task's database work is what a grading needs, and no more (the saturation benchmark
found it a third of the task's CPU): the result is read once, under its lock, and written with its
late penalty from that object; nobody reads the submission or the result back to e-mail it; an
on-time upload looks up no extension. The trail still holds the autograder's entry and, for a late
upload, the late penalty's, apart. (Measure the CPU with tests/submissions/measure_grading_task_cost.py.)"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courseportal.submissions.models import GradeChange
from courseportal.submissions.services import submission_create, submission_grade
from tests.submissions.conftest import upload
from tests.submissions.test_grade_trail import late_by_days, trail

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
Reason = GradeChange.Reason
# The submission, its claim; in the store: marked graded, read with its student (and their language
# for the e-mail) and assignment, the result read locked, inserted, its trail entry; after it: the
# student's next upload, the e-mail's claim. (Savepoints aside: the worker has BEGIN and COMMIT instead.)
FIRST_GRADING_QUERIES = 9


def grading_queries(student, assignment, django_capture_on_commit_callbacks) -> tuple[object, list[str]]:
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload(f"{student.username}_{assignment.slug}.py"))
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        submission_grade(submission_id=submission.pk)
    return submission, [query["sql"] for query in queries.captured_queries
                        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def reads_of(table: str, read: list[str]) -> list[str]:
    return [sql for sql in read if sql.startswith("SELECT") and f'FROM "{table}"' in sql]


def test_a_first_grading_reads_its_result_once_and_nothing_back_for_the_email(
        student, assignment, published, django_capture_on_commit_callbacks):
    submission, read = grading_queries(student, assignment, django_capture_on_commit_callbacks)
    assert trail(submission) == [(Reason.AUTOGRADER, None, 10, None)] and len(mail.outbox) == 1
    assert len(reads_of("submissions_result", read)) == 1, read
    assert not reads_of("courses_extension", read), read
    assert not reads_of("accounts_profile", read), "the e-mail's language is read with the student"
    assert len(read) <= FIRST_GRADING_QUERIES, "\n".join(read)


def test_a_late_grading_records_both_entries_from_one_read_of_its_result(
        student, instructor, assignment, published, django_capture_on_commit_callbacks):
    late_by_days(assignment, instructor, days=1)
    submission, read = grading_queries(student, assignment, django_capture_on_commit_callbacks)
    assert trail(submission) == [(Reason.AUTOGRADER, None, 10, None), (Reason.LATE_PENALTY, 10, 9, None)]
    assert len(reads_of("submissions_result", read)) == 1, read
    # + the extension, the penalty's update and its entry
    assert len(read) <= FIRST_GRADING_QUERIES + 3, "\n".join(read)

"""Workers scale horizontally: two worker processes drain one queue, and no submission is graded twice.

Every submission is also delivered three times (the upload's own message plus two duplicates, as a
broker redelivery or an impatient sweep would), so both workers regularly hold the same id at once;
the claim (a conditional update) must let exactly one of them grade it.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.submissions.models import Result, Submission
from courseportal.submissions.services import submission_create
from courseportal.submissions.tasks import grade_submission
from tests.conftest import make_assignment, make_user
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(150)]

STUDENTS = 24
DUPLICATE_DELIVERIES = 2
CORRECT = b"def add(a, b):\n    return a + b\n"
# grader.grading logs one line per grading that ran the checker: "graded <file> with <slug>: ...".
GRADED_LINE = re.compile(r"graded (\S+) with it_add:")


def graded_filenames(log: str) -> list[str]:
    return GRADED_LINE.findall(log)


def test_two_workers_share_one_queue_and_grade_each_submission_exactly_once(
    django_db_setup, broker, integration_worker_env, course
):
    assignment = make_assignment(course, "it_add", slug="twin")
    students = [make_user(f"4105100{number:02d}") for number in range(STUDENTS)]
    for student in students:
        membership_set(course=course, user=student, role=Membership.Role.STUDENT)

    with (
        celery_worker(broker_url=broker.url, env=integration_worker_env) as first,
        celery_worker(broker_url=broker.url, env=integration_worker_env) as second,
    ):
        submissions = [
            submission_create(student=student, assignment=assignment,
                              upload=SimpleUploadedFile(f"{student.username}_twin.py", CORRECT))
            for student in students
        ]
        for submission in submissions:
            for _ in range(DUPLICATE_DELIVERIES):
                grade_submission.apply_async(args=[submission.pk], queue="checks")
        ids = [submission.pk for submission in submissions]
        wait_until(lambda: Submission.objects.filter(pk__in=ids, status=Submission.Status.GRADED).count() == STUDENTS,
                   timeout_s=90, what=f"all {STUDENTS} submissions to be graded")
        # Let the duplicates still in the queue reach the workers: they must be no-ops.
        wait_until(lambda: broker_is_drained(broker.url, "checks"), timeout_s=30,
                   what="the duplicate deliveries to be consumed")
        first_log, second_log = first.log(), second.log()

    by_first, by_second = graded_filenames(first_log), graded_filenames(second_log)
    gradings = Counter(by_first + by_second)
    assert sorted(gradings) == sorted(submission.filename for submission in submissions)
    assert set(gradings.values()) == {1}, [name for name, count in gradings.items() if count > 1]
    assert by_first and by_second, "one worker graded everything: the queue was not shared"
    assert Result.objects.filter(submission_id__in=ids, status="graded").count() == STUDENTS
    assert set(Submission.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def broker_is_drained(broker_url: str, queue: str) -> bool:
    """Nothing waits in ``queue`` and nothing is delivered but unacknowledged (tasks ack late,
    after they ran), so every delivery has been handled."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        return client.llen(queue) == 0 and client.hlen("unacked") == 0
    finally:
        client.close()

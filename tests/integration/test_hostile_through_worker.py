"""The hostile suite again, uploaded through the portal's service and graded by a real Celery
worker in the bubblewrap sandbox: the path every student's file takes at a deadline."""

from __future__ import annotations

import os
import secrets
import socket
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.submissions.models import Submission
from courseportal.submissions.services import submission_create
from grader.sandbox.slots import WORKER_SLOTS
from tests.conftest import make_assignment, make_user
from tests.sandbox.conftest import needs_bwrap_as_root
from tests.sandbox.hostile import (
    HOSTILE_CASES,
    WRITE_MARKER,
    lec2_hw1_submission,
    listen_on_a_free_port,
    processes_left,
    processes_owned_by,
    still_running,
    uids_claimed_under,
)
from tests.stack import celery_worker, wait_until

# database_agnostic: containment happens in the sandbox; that any result, hostile ones included, is
# stored on PostgreSQL is tests/submissions/test_results_are_always_stored.py's (postgres-marked).
pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.sandbox, needs_bwrap_as_root,
              pytest.mark.database_agnostic, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

CASES = [case for case in HOSTILE_CASES if case.file_name != "well_behaved.py"]
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_hostile_uploads_are_contained_and_fully_graded_by_the_worker(
    django_db_setup, broker, integration_worker_env, course, shared_state
):
    assert WORKER_SLOTS >= 2
    token = secrets.token_hex(12)
    assignment = make_assignment(course, "lec2_hw1")
    listener = listen_on_a_free_port()
    worker_env = {**integration_worker_env, "SANDBOX": "bwrap", "SECRET_KEY": f"worker-secret-{token}"}
    submissions = {}
    try:
        with celery_worker(broker_url=broker.url, env=worker_env, concurrency=2) as worker:
            for number, case in enumerate(CASES):
                student = make_user(f"31051{number:04d}")
                membership_set(course=course, user=student, role=Membership.Role.STUDENT)
                upload = SimpleUploadedFile(f"{student.username}_lec2_hw1.py", lec2_hw1_submission(case))
                submissions[case.file_name] = submission_create(student=student, assignment=assignment, upload=upload)
            wait_until(
                lambda: Submission.objects.filter(pk__in=[s.pk for s in submissions.values()],
                                                  status=Submission.Status.GRADED).count() == len(CASES),
                timeout_s=240, what="the worker to grade every hostile upload",
            )
            assert worker.process.poll() is None, "a hostile file took the worker down"
            slot_uids = uids_claimed_under(worker.pid)
            assert len(slot_uids) >= 2, slot_uids
            time.sleep(1)
            # While the worker lives, its slots' zygotes are expected: only runs' leftovers count.
            survivors = processes_left(set())
            # Its slots' processes, by identity: once the worker stops, its uids may be claimed at once
            # by another worker on the host (a test running beside this one), whose processes stay.
            sandboxed = processes_owned_by(slot_uids)
        # Once the worker has stopped, its zygotes (bwrap --die-with-parent) go too, within moments.
        survivors += still_running(sandboxed, wait_s=10)
    finally:
        listener_accepted = _accepted(listener)
        listener.close()

    for case in CASES:
        result = Submission.objects.get(pk=submissions[case.file_name].pk).result
        stored = f"{result.message}\n{result.output}\n{result.checks}"
        assert result.status == "graded", (case.file_name, result.message)
        assert float(result.score) == float(result.max_score) == 25.0, (case.file_name, result.checks)
        structure = next(check for check in result.checks if check["name"] == "model_unchanged")
        assert structure["passed"] is case.runs_cleanly, (case.file_name, structure)
        assert token not in stored, f"{case.file_name}: the worker's secret reached the stored result"
    assert not listener_accepted, "a hostile file connected to a server on 127.0.0.1"
    assert survivors == []
    planted = [folder for folder in ("/", "/tmp", "/etc", str(REPO_ROOT), str(shared_state.media_root))
               if os.path.exists(os.path.join(folder, WRITE_MARKER))]
    assert planted == []


def _accepted(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True

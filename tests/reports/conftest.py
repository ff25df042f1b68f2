"""Report grading fixtures: lec2_hw2 as a course runs it, its reports uploaded and checked through the
services (the PDF read in a plain subprocess sandbox), graders, and grading through the rubric."""

from __future__ import annotations

import pytest

from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from grader.sandbox.unsafe import UnsafeSubprocessSandbox
from tests.conftest import make_assignment, make_user
from tests.portal.conftest import compiled_translations  # noqa: F401 - found by name


@pytest.fixture(autouse=True)
def checks_run_here(monkeypatch):
    """Uploads are checked when the test says (``upload_report``), never sent to a broker; the PDF is
    read in a plain subprocess, enough for the test's own files and much faster to start."""
    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", lambda **kwargs: None)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", UnsafeSubprocessSandbox)
    monkeypatch.setattr("grader.sandbox.get_sandbox", UnsafeSubprocessSandbox)


@pytest.fixture
def report_assignment(course):
    """lec2_hw2 as the course runs it: three problems of 25 points, graded by TAs, held until released."""
    return make_assignment(course, "lec2_hw2", slug="lec2_hw2", title="Lecture 2-2 HW2", weight_percent=75,
                           holds_scores=True)


@pytest.fixture
def second_ta(course):
    user = make_user("ta_wang")
    membership_set(course=course, user=user, role=Membership.Role.TA)
    return user


@pytest.fixture
def classmates(course):
    """Eight more students, so that a class has ten."""
    users = []
    for number in range(8):
        user = make_user(f"3105102{number:02d}")
        membership_set(course=course, user=user, role=Membership.Role.STUDENT)
        users.append(user)
    return users

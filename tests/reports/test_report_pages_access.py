"""Every page and action of report grading is refused to students, to staff of another course and to
visitors, the instructor-only ones to TAs; nothing changes when they are refused. The report's PDF is
served only to its course's staff, inline, with headers that keep it from running or being framed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.reports.models import (
    GraderShare,
    GradingLock,
    GradingSetup,
    ProblemGrade,
    RegradeRequest,
    RubricItem,
    SimilarityRun,
)
from courseportal.reports.services import grading_setup_ensure, grading_setup_update
from courseportal.submissions.models import GradeChange
from courseportal.submissions.services import assignment_scores_release
from tests.portal.conftest import signed_in
from tests.reports.grading import PROBLEMS, REPORT, grade_report, upload_report

pytestmark = pytest.mark.django_db

COURSE, HW = "ai-training-2", "lec2_hw2"


@pytest.fixture
def scene(student, other_student, ta, instructor, report_assignment, monkeypatch):
    monkeypatch.setattr("courseportal.reports.services.similarity_runs.maintenance_task_send",
                        lambda **kwargs: True)
    report = upload_report(student, report_assignment)
    grading_setup_ensure(assignment=report_assignment)
    return {"report": report, "item": RubricItem.objects.filter(assignment=report_assignment).first()}


def staff_pages(scene) -> list[str]:
    report = scene["report"]
    return [reverse("reports:overview", args=[COURSE, HW]), reverse("reports:rubric", args=[COURSE, HW]),
            reverse("reports:grade", args=[report.pk]), reverse("reports:document", args=[report.pk])]


def instructor_pages() -> list[str]:
    return [reverse("reports:similarity", args=[COURSE, HW])]


def grader_actions(scene) -> list[tuple[str, dict]]:
    report, item = scene["report"], scene["item"]
    return [
        (reverse("reports:grade", args=[report.pk]), {f"items_{item.problem}": [item.pk], "then": "stay"}),
        (reverse("reports:lock", args=[report.pk]), {}),
        (reverse("reports:rubric", args=[COURSE, HW]), {"new-problem": PROBLEMS[0], "new-points": "-1",
                                                       "new-comment": "Hijacked"}),
        (reverse("reports:rubric_item", args=[COURSE, HW, item.pk]), {f"item{item.pk}-points": "-20",
                                                                     f"item{item.pk}-comment": "Hijacked"}),
        (reverse("reports:rubric_item_remove", args=[COURSE, HW, item.pk]), {}),
    ]


def instructor_actions() -> list[tuple[str, dict]]:
    return [
        (reverse("reports:setup", args=[COURSE, HW]), {"anonymous": "on", "similarity_threshold": "0.9"}),
        (reverse("reports:split", args=[COURSE, HW]), {"split": "by_problem", f"grader_{PROBLEMS[0]}": "ta_chen"}),
        (reverse("reports:similarity", args=[COURSE, HW]), {}),
    ]


def state() -> tuple:
    return (list(RubricItem.objects.order_by("pk").values_list("points", "comment")), ProblemGrade.objects.count(),
            GradingLock.objects.count(), GraderShare.objects.count(),
            list(GradingSetup.objects.values_list("anonymous", "similarity_threshold", "split")),
            SimilarityRun.objects.count(), RegradeRequest.objects.count(), GradeChange.objects.count())


def test_staff_pages_are_read_by_the_courses_tas_and_instructors(scene, ta, instructor):
    for user in (ta, instructor):
        for url in staff_pages(scene):
            assert signed_in(user).get(url).status_code == 200, (user, url)
    assert signed_in(instructor).get(instructor_pages()[0]).status_code == 200


def test_pages_are_not_found_for_students_and_other_courses_staff(scene, student, ta_of_another_course, outsider):
    for user in (student, ta_of_another_course, outsider):
        for url in staff_pages(scene) + instructor_pages() + [reverse("reports:next", args=[COURSE, HW])]:
            assert signed_in(user).get(url).status_code == 404, (user, url)


def test_instructor_pages_and_actions_are_forbidden_to_tas(scene, ta):
    before = state()
    for url in instructor_pages():
        assert signed_in(ta).get(url).status_code == 403, url
    for url, data in instructor_actions():
        assert signed_in(ta).post(url, data).status_code == 403, url
    assert state() == before


def test_actions_are_refused_to_students_and_other_courses_staff_and_change_nothing(
        scene, student, other_student, ta_of_another_course, mailoutbox):
    before = state()
    for user in (student, other_student, ta_of_another_course):
        for url, data in grader_actions(scene) + instructor_actions():
            assert signed_in(user).post(url, data).status_code == 404, (user, url)
    assert state() == before and mailoutbox == []


def test_visitors_are_sent_to_sign_in(scene, client):
    report = scene["report"]
    for url in staff_pages(scene) + instructor_pages() + [reverse("reports:regrade_request", args=[report.pk])]:
        response = client.get(url) if "regrade" not in url else client.post(url, {})
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_a_regrade_request_is_only_for_the_reports_own_student(scene, other_student, ta, ta_of_another_course,
                                                               report_assignment):
    report = scene["report"]
    grade_report(report, ta, [20, 20, 20])
    assignment_scores_release(assignment=report_assignment)
    grading_setup_update(assignment=report_assignment, anonymous=False, similarity_threshold="0.4",
                         regrade_requests_until=timezone.now() + timedelta(days=3))
    url = reverse("reports:regrade_request", args=[report.pk])
    for user in (other_student, ta, ta_of_another_course):
        assert signed_in(user).post(url, {"problem": PROBLEMS[0], "reason": "Please."}).status_code == 404, user
    assert not RegradeRequest.objects.exists()


def test_the_report_is_served_inline_to_staff_with_headers_that_keep_it_inert(scene, ta):
    response = signed_in(ta).get(reverse("reports:document", args=[scene["report"].pk]))
    assert b"".join(response.streaming_content) == REPORT
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'none'" in policy


def test_the_report_is_not_served_to_another_site(scene, ta):
    url = reverse("reports:document", args=[scene["report"].pk])
    assert signed_in(ta).get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert signed_in(ta).get(url, headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    assert signed_in(ta).get(url, headers={"Sec-Fetch-Site": "none"}).status_code == 200


def test_the_student_downloads_their_report_as_an_attachment_only(scene, student):
    response = signed_in(student).get(reverse("submissions:download", args=[scene["report"].pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_the_grading_page_lets_only_its_own_worker_run(scene, ta):
    response = signed_in(ta).get(reverse("reports:grade", args=[scene["report"].pk]))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["worker-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-src"] == "'none'" and policy["connect-src"] == "'self'"

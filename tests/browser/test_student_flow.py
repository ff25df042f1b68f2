"""A student uploads in a real browser and watches the status turn to graded without reloading;
a TA then opens the same submission."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from courseportal.submissions.models import Result, Submission
from tests.conftest import PASSWORD, make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(180)]


def sign_in(page, base_url: str, account: str) -> None:
    page.goto(base_url + reverse("login"))
    page.fill("input[name=username]", account)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(base_url + reverse("home"))


def test_student_sees_the_grade_arrive_without_reloading_and_ta_opens_it(
        chromium, live_server, broker, portal_waits_on_broker, browser_worker_env, course, student, ta):
    make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")
    student_page = chromium.new_context().new_page()
    console_errors: list[str] = []
    student_page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    sign_in(student_page, live_server.url, "310510123")
    student_page.click("text=Homework 1")
    student_page.set_input_files("input[type=file]", files=[
        {"name": "310510123_hw1.py", "mimeType": "text/x-python", "buffer": b"answer = 42\n"}])
    student_page.click("button:has-text('Upload and grade')")

    submission = wait_until(lambda: Submission.objects.first(), timeout_s=10, what="the upload to be stored")
    detail_url = live_server.url + reverse("submissions:detail", args=[submission.pk])
    student_page.wait_for_url(detail_url)
    status = student_page.locator("#submission-status")
    # No worker runs yet: the broker holds the task and the page says so.
    assert status.get_attribute("data-pending") == "true"
    assert "Queued" in status.inner_text()
    student_page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    with celery_worker(broker_url=broker.url, env=browser_worker_env) as worker:
        try:
            student_page.wait_for_selector("#submission-status[data-pending='false']", timeout=60_000)
            shown_at = timezone.now()
        except PlaywrightTimeout:
            submission.refresh_from_db()
            raise AssertionError(f"page never showed the result; submission is {submission.status}; "
                                 f"browser errors: {console_errors}; worker log:\n{worker.log()[-3000:]}") from None

    # Not at the next 2-second poll: the poller's request was waiting for the result.
    stored_at = Result.objects.get(submission=submission).graded_at
    assert (shown_at - stored_at).total_seconds() < 0.75, f"shown {shown_at - stored_at} after it was stored"
    assert student_page.evaluate("window.loadedOnce") is True
    assert console_errors == []
    assert student_page.url == detail_url
    result_text = student_page.locator("#submission-status").inner_text()
    assert "Graded" in result_text and "10 / 10" in result_text
    assert "answer is 42" in result_text and "Correct." in result_text

    ta_page = chromium.new_context().new_page()
    sign_in(ta_page, live_server.url, "ta_chen")
    ta_page.goto(detail_url)
    ta_text = ta_page.locator("main").inner_text()
    assert "310510123" in ta_text and "10 / 10" in ta_text
    assert ta_page.locator("button:has-text('Regrade')").count() == 1

"""Training homework in a real browser: the student uploads the lec2_hw3 starter, the page (never
reloaded) shows the pre-check passed, then the training curve redrawn as epochs end, then the
accuracy, the confusion matrix and the curve; a real worker trains it on the CPU."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from assignments.lec2_hw3.tests.solution import starter_text
from courseportal.submissions.models import Submission
from tests.browser.test_student_flow import sign_in
from tests.conftest import checkers_registered, make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(600)]
MODULES = "tests.portal.checkers,tests.integration.checkers"


@pytest.fixture(autouse=True)
def training_checkers(settings):
    with checkers_registered(settings, *MODULES.split(",")):
        yield


def test_the_student_watches_the_curve_grow_and_then_sees_the_confusion_matrix(
        chromium, live_server, broker, browser_worker_env, course, student):
    make_assignment(course, "it_digits", slug="lec2_hw3", title="Train a CNN")
    page = chromium.new_context().new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    sign_in(page, live_server.url, "310510123")
    page.click("text=Train a CNN")
    page.set_input_files("input[type=file]", files=[
        {"name": "310510123_lec2_hw3.py", "mimeType": "text/x-python", "buffer": starter_text().encode()}])
    page.click("button:has-text('Upload and grade')")
    submission = wait_until(lambda: Submission.objects.first(), timeout_s=10, what="the upload to be stored")
    page.wait_for_url(live_server.url + reverse("submissions:detail", args=[submission.pk]))
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    with celery_worker(broker_url=broker.url, env={**browser_worker_env, "GRADER_EXTRA_CHECKER_MODULES": MODULES},
                       ready_timeout_s=120) as worker:
        try:
            page.wait_for_selector("#submission-status .precheck", timeout=240_000)
            page.wait_for_selector("#submission-status[data-pending='true'] svg.training-curve", timeout=300_000)
            points_while_training = page.locator("svg.training-curve circle").count()
            page.wait_for_selector("#submission-status[data-pending='false']", timeout=300_000)
        except PlaywrightTimeout:
            submission.refresh_from_db()
            raise AssertionError(f"the page stopped at {submission.status}; browser errors: {console_errors}; "
                                 f"worker log:\n{worker.log()[-3000:]}") from None

    assert page.evaluate("window.loadedOnce") is True and console_errors == []
    status = page.locator("#submission-status")
    assert points_while_training >= 1
    assert status.locator("svg.confusion rect.cell").count() == 100
    assert status.locator("svg.training-curve circle").count() >= points_while_training
    text = status.inner_text()
    assert "10 / 10" in text and "Test accuracy" in text and "Epochs" in text

"""The course's real homework end to end: a student downloads the lec2_hw1 starter in the browser,
fills it in, uploads it and sees 25/25 arrive, graded by a real worker in the sandbox."""

from __future__ import annotations

import pytest

from assignments.lec2_hw1.tests.solution import full_marks_text
from tests.browser.test_student_flow import sign_in
from tests.conftest import make_assignment
from tests.stack import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(240)]


def test_filled_in_lec2_hw1_starter_uploaded_in_the_browser_gets_25_of_25(
        chromium, live_server, broker, browser_worker_env, course, student):
    make_assignment(course, "lec2_hw1", title="lec2_hw1: layer sizes of NetHW")
    page = chromium.new_context(accept_downloads=True).new_page()
    sign_in(page, live_server.url, "310510123")
    page.click("text=lec2_hw1: layer sizes of NetHW")
    with page.expect_download() as download:
        page.click("a:has-text('lec2_hw1.py')")
    starter = download.value.path().read_text(encoding="utf-8")
    assert "class NetHW" in starter

    with celery_worker(broker_url=broker.url, env=browser_worker_env):
        page.set_input_files("input[type=file]", files=[
            {"name": "310510123_lec2_hw1.py", "mimeType": "text/x-python",
             "buffer": full_marks_text().encode()}])
        page.click("button:has-text('Upload and grade')")
        page.wait_for_selector("#submission-status[data-pending='false']", timeout=120_000)

    result_text = page.locator("#submission-status").inner_text()
    assert "Graded" in result_text and "25 / 25" in result_text, result_text
    assert "total_params" in result_text
    assert page.url.startswith(live_server.url + "/submissions/")

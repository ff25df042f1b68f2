"""The lec2_hw1 result page in Chromium: one row per layer with the wrong cells marked, the first
mistake said first and highlighted in the drawing of the network, exact points, in English and in
Chinese, at desktop and phone widths. Set BROWSER_SCREENSHOTS=docs/screenshots to keep the pictures.

No worker: the file is graded in-process with the structure-only sandbox of lec2_hw1's own tests
(the answers are what this page shows; the sandbox run is covered by test_lec2_hw1_full_marks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from assignments.lec2_hw1.tests.conftest import CanonicalStructureSandbox
from courseportal.accounts.services import profile_language_set
from courseportal.submissions.services import submission_create, submission_grade
from grader.registry import get_checker
from tests.browser.test_student_flow import sign_in
from tests.conftest import make_assignment
from tests.portal.conftest import upload_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
STRIDE = Path(get_checker("lec2_hw1").folder()) / "tests" / "golden" / "wrong_one_forgotten_stride.py"


@pytest.fixture
def graded_stride_submission(monkeypatch, course, student):
    checker = get_checker("lec2_hw1")
    raw = [{"name": module.name, "type": module.type_name,
            "parameters": [[name, list(sizes)] for name, sizes in module.parameters]}
           for module in checker.reference().structure]
    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", lambda **kwargs: None)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: CanonicalStructureSandbox(raw))
    assignment = make_assignment(course, "lec2_hw1", title="lec2_hw1: layer sizes of NetHW",
                                 follow_through_credit_percent=50)
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload_file("310510123_lec2_hw1.py", STRIDE.read_bytes()))
    submission_grade(submission_id=submission.pk)
    return submission


def test_the_lec2_hw1_result_page_names_the_first_mistake_in_english_and_chinese_on_desktop_and_phone(
        chromium, live_server, student, graded_stride_submission):
    url = live_server.url + reverse("submissions:detail", args=[graded_stride_submission.pk])
    said = {"en": ("Your first mistake", "conv2's output (stride ignored)", "follows from your answer"),
            "zh-hant": ("你的第一個錯誤", "conv2 的輸出（忽略了 stride）", "由你的答案推得")}
    for language, (heading, root, follows) in said.items():
        profile_language_set(user=student, language=language)
        for width, options in (("desktop", DESKTOP), ("phone", PHONE)):
            context = chromium.new_context(**options)
            page = context.new_page()
            sign_in(page, live_server.url, "310510123")
            page.goto(url)
            status = page.locator("#submission-status")
            assert heading in status.locator(".root-mistake").inner_text()
            assert root in status.locator(".result-message").inner_text()
            assert page.locator(".net-layer.root").inner_text().startswith("conv2")
            assert page.locator(".net-layer").count() == 16
            conv3 = page.locator("tr.layer-row", has_text="conv3")
            assert "0.626 / 1.25" in conv3.inner_text()  # both sizes follow: 2 × 0.313, exact
            assert conv3.locator("td.size-cell.verdict-follows").count() == 2
            assert follows in page.locator(".layer-sizes .legend").inner_text()
            assert page.locator("td.size-cell.verdict-wrong").count() == 1
            if SCREENSHOTS:
                page.screenshot(path=os.path.join(SCREENSHOTS, f"lec2_hw1-result-{language}-{width}.png"),
                                full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= options["viewport"]["width"], f"{language} {width}: {scroll_width} px wide"
            context.close()

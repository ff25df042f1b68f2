"""In Chromium, against a live portal with a real broker and worker: the instructor splits a class's
reports between two TAs; a TA reads a report rendered by PDF.js beside the rubric and grades it with
the keyboard alone (the keystrokes and clicks for one report are counted); the other TA grades theirs;
an item's points change afterwards and every grade that used it follows; the instructor releases; a
student on a phone sees the points per problem, the rubric items and comments, and files a regrade
request that the TA answers. No page violates the Content-Security-Policy."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from courseportal.accounts.services import profile_language_set
from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.reports.models import RegradeRequest
from courseportal.submissions.models import GradeChange, Result
from courseportal.submissions.services import submission_create
from grader.testing import text_pdf
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.browser.test_running_a_course import PHONE, fits_the_phone
from tests.browser.test_student_flow import sign_in
from tests.conftest import make_assignment, make_user
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(420)]

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")
TAIPEI = ZoneInfo("Asia/Taipei")
PROBLEMS = ("problem_1_residual_blocks", "problem_2_receptive_fields", "problem_3_upsampling")


def report_pdf(account: str) -> bytes:
    return text_pdf([
        [f"Report of {account}", "Problem 1: residual blocks", "A ResNet shortcut adds the input to the output."],
        ["Problem 2: receptive field", "Each 3x3 convolution grows the receptive field by 2."],
        ["Problem 3: upsampling", "Bilinear interpolation against transposed convolution."],
    ])


class Watched:
    """A browser page whose policy violations and errors are kept, and whose key presses and clicks
    made by the test are counted."""

    def __init__(self, browser, **options) -> None:
        context = browser.new_context(**options)
        context.add_init_script(RECORD_VIOLATIONS)
        self.page = context.new_page()
        self.problems: list[str] = []
        self.keys: list[str] = []
        self.clicks = 0
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def press(self, *keys: str) -> None:
        for key in keys:
            self.keys.append(key)
            self.page.keyboard.press(key)

    def click(self, selector: str) -> None:
        self.clicks += 1
        self.page.click(selector)

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.cspViolations || []")
        assert (violations, self.problems) == ([], []), where

    def shot(self, name: str) -> None:
        if SCREENSHOTS:
            self.page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def report_is_drawn(watched: Watched, pages: int = 3) -> None:
    """PDF.js drew the first page on the canvas (pixels that are not white) and shows the page count."""
    page = watched.page
    page.wait_for_selector("#report-viewer[data-state='shown']", timeout=30_000)
    assert page.locator("#page-count").inner_text() == str(pages)
    inked = page.evaluate("""() => {
        const canvas = document.getElementById("page-canvas");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 0; i < data.length; i += 4) { if (data[i] < 128 && data[i + 3] > 0) { inked += 1; } }
        return inked;
    }""")
    assert inked > 100, f"the canvas has {inked} dark pixels"


def grade_with_keys(watched: Watched, keys: list[str]) -> str:
    """Grade the open report with ``keys`` (the last is Enter: save and next); return where it led."""
    before = watched.page.url
    report_is_drawn(watched)
    watched.check(f"grading page {before}")
    with watched.page.expect_navigation():
        watched.press(*keys)
    watched.page.wait_for_load_state()
    return watched.page.url


def wall_clock(moment) -> str:
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%dT%H:%M:%S")


def release_mails_to(shared_state, address: str) -> int:
    """How many release e-mails the worker sent to ``address`` (the file backend writes each message)."""
    return sum(message.count(f"To: {address}") for sent in shared_state.mail_dir.iterdir()
               for message in sent.read_text(errors="replace").split("-" * 79) if "scores released" in message)


def test_two_tas_split_a_class_grade_with_the_keyboard_and_the_student_sees_it_and_asks_again(
        chromium, live_server, broker, browser_worker_env, shared_state, course, student, other_student, ta,
        instructor):
    second_ta = make_user("ta_wang")
    membership_set(course=course, user=second_ta, role=Membership.Role.TA)
    classmates = []
    for account in ("310510200", "310510201"):
        classmates.append(make_user(account))
        membership_set(course=course, user=classmates[-1], role=Membership.Role.STUDENT)
    assignment = make_assignment(course, "lec2_hw2", slug="lec2_hw2", title="Lecture 2-2 HW2", holds_scores=True)
    base = live_server.url
    profile_language_set(user=other_student, language="zh-hant")

    with celery_worker(broker_url=broker.url, env=browser_worker_env):
        reports = {user.username: submission_create(student=user, assignment=assignment, upload=SimpleUploadedFile(
            f"{user.username}_lec2_hw2.pdf", report_pdf(user.username), content_type="application/pdf"))
            for user in (student, other_student, *classmates)}
        wait_until(lambda: Result.objects.filter(awaits_manual_grading=True).count() == 4, timeout_s=120,
                   what="the four reports checked by the worker")

        # The instructor shares the class out evenly and opens regrade requests for a week.
        boss = Watched(chromium, **LAPTOP)
        sign_in(boss.page, base, "prof_lin")
        boss.page.goto(base + reverse("courses:course", args=[course.slug]))
        boss.page.click("text=Grade the reports")
        boss.page.check("#split input[value=by_student]")
        boss.page.check("#split input[value=ta_chen]")
        boss.page.check("#split input[value=ta_wang]")
        boss.page.click("#split button[type=submit]")
        assert "The reports are shared out." in boss.page.locator(".messages").inner_text()
        boss.page.fill("#id_regrade_requests_until", wall_clock(timezone.now() + timedelta(days=7)))
        boss.page.click("#settings button[type=submit]")
        assert "Grading settings saved." in boss.page.locator(".messages").inner_text()
        boss.check("the grading overview")

        # TA Chen grades their two reports with the keyboard; the first one is counted.
        chen = Watched(chromium, **LAPTOP)
        sign_in(chen.page, base, "ta_chen")
        chen.page.goto(base + reverse("reports:overview", args=[course.slug, assignment.slug]))
        chen.page.click("#start-grading")
        first_url = chen.page.url
        assert first_url == base + reverse("reports:grade", args=[reports["310510123"].pk])
        report_is_drawn(chen)
        chen.shot("grading-page-laptop")
        keys_before, clicks_before = len(chen.keys), chen.clicks
        # Problem 1: "pros and cons missing" (3); problem 2: "correct" (1); problem 3: "no code" (3); save and next.
        second_url = grade_with_keys(chen, ["3", "]", "1", "]", "3", "Enter"])
        one_report = (len(chen.keys) - keys_before, chen.clicks - clicks_before)
        print(f"\nOne report graded with {one_report[0]} keystrokes and {one_report[1]} clicks: {chen.keys}")
        assert one_report == (6, 0)
        assert second_url == base + reverse("reports:grade", args=[reports["310510201"].pk])
        graded = Result.objects.get(pk=reports["310510123"].pk)
        assert graded.score == Decimal("34") + 25 and graded.graded_by == ta and not graded.awaits_manual_grading
        landing = grade_with_keys(chen, ["1", "]", "1", "]", "3", "Enter"])
        assert landing.endswith(reverse("reports:overview", args=[course.slug, assignment.slug]))
        assert "No ungraded report is left for you" in chen.page.locator(".messages").inner_text()

        # TA Wang's "next" brings only their own half.
        wang = Watched(chromium, **LAPTOP)
        sign_in(wang.page, base, "ta_wang")
        wang.page.goto(base + reverse("reports:next", args=[course.slug, assignment.slug]))
        visited = [wang.page.url]
        visited.append(grade_with_keys(wang, ["1", "]", "1", "]", "1", "Enter"]))
        grade_with_keys(wang, ["1", "]", "1", "]", "1", "Enter"])
        assert visited == [base + reverse("reports:grade", args=[reports[account].pk])
                           for account in ("310510200", "310510999")]
        assert not Result.objects.filter(awaits_manual_grading=True).exists()

        # The instructor softens "No code is given." from -8 to -4: both reports that used it follow.
        boss.page.goto(base + reverse("reports:rubric", args=[course.slug, assignment.slug]))
        row = boss.page.locator("tr", has_text="2 reports").filter(has=boss.page.locator("input[value='No code is given.']"))
        row.locator("input[type=number]").fill("-4")
        row.locator("button:has-text('Save')").click()
        assert "2 report scores changed" in boss.page.locator(".messages").inner_text()
        assert Result.objects.get(pk=reports["310510123"].pk).counted_score == 63
        assert Result.objects.get(pk=reports["310510201"].pk).counted_score == 71
        assert GradeChange.objects.filter(reason=GradeChange.Reason.RUBRIC_CHANGE).count() == 2
        boss.check("the rubric page")

        # The release: one e-mail each, sent by the worker.
        boss.page.goto(base + reverse("reports:overview", args=[course.slug, assignment.slug]))
        boss.page.click("#release-grades")
        assert "Scores released" in boss.page.locator(".messages").inner_text()
        wait_until(lambda: release_mails_to(shared_state, student.email) == 1, timeout_s=60,
                   what="the release e-mail")

    # The student, on a phone: points per problem, the items and comments; then a regrade request.
    phone = Watched(chromium, **PHONE)
    sign_in(phone.page, base, "310510123")
    phone.page.goto(base + reverse("submissions:detail", args=[reports["310510123"].pk]))
    shown = phone.page.locator("#submission-status").inner_text()
    assert "63 / 75" in shown and re.search(r"Problem 1: residual blocks\s+17 / 25", shown)
    assert "-8 Pros and cons are missing or wrong." in shown and "-4 No code is given." in shown
    assert "Graded at" not in shown and "problem_1" not in shown
    fits_the_phone(phone.page, "report-released-phone")
    phone.check("the student's released report")
    phone.page.click("#problem-problem_3_upsampling summary")
    phone.page.fill("#reason-problem_3_upsampling", "The code is in the appendix on page 3.")
    phone.page.click("#problem-problem_3_upsampling button[type=submit]")
    assert "Waiting for a TA's answer." in phone.page.locator("#problem-problem_3_upsampling").inner_text()
    request = RegradeRequest.objects.get()

    # TA Chen answers from the overview's list, with the keyboard for the rubric.
    chen.page.goto(base + reverse("reports:overview", args=[course.slug, assignment.slug]))
    chen.page.click("#regrade-requests a")
    report_is_drawn(chen)
    assert "The code is in the appendix on page 3." in chen.page.locator("main").inner_text()
    zoom_before = chen.page.locator("#zoom-level").inner_text()
    chen.press("ArrowRight", "ArrowRight", "+")  # to page 3, where the student says the code is; zoom in
    expect(chen.page.locator("#page-canvas")).to_have_attribute("data-drawn-page", "3")
    expect(chen.page.locator("#zoom-level")).not_to_have_text(zoom_before)
    chen.press("]", "]", "3", "1")  # problem 3: "No code is given." off, "Correct and complete." on
    chen.page.fill(f"#id_answer_{request.pk}", "Right, the appendix has it.")
    with chen.page.expect_navigation():
        chen.press("Control+s")  # save, from inside the answer's text field
    assert "Saved." in chen.page.locator(".messages").inner_text()
    chen.check("the answered request")
    request.refresh_from_db()
    assert request.state == "answered" and request.points_after == 25
    change = GradeChange.objects.filter(submission=reports["310510123"]).last()
    assert (change.reason, change.new_score, change.note) == (GradeChange.Reason.REGRADE_REQUEST, Decimal("67.00"),
                                                              "Right, the appendix has it.")
    assert any("regrade request was answered" in sent.subject for sent in mail.outbox)

    phone.page.reload()
    answered = phone.page.locator("#submission-status").inner_text()
    assert "67 / 75" in answered and "Right, the appendix has it." in answered and "(21 → 25 points)" in answered
    fits_the_phone(phone.page, "report-answered-phone")

    # The other student reads theirs in Chinese on a phone.
    chinese = Watched(chromium, **PHONE)
    sign_in(chinese.page, base, "310510999")
    chinese.page.goto(base + reverse("submissions:detail", args=[reports["310510999"].pk]))
    text = chinese.page.locator("#submission-status").inner_text()
    assert "75 / 75" in text and "自動檢查看到的內容" in text
    fits_the_phone(chinese.page, "report-released-zh-phone")
    chinese.check("the Chinese student's report")

    # A TA on a phone: the staff pages fit 390 px too (the report above the rubric).
    ta_phone = Watched(chromium, **PHONE)
    sign_in(ta_phone.page, base, "ta_chen")
    ta_phone.page.goto(base + reverse("reports:grade", args=[reports["310510999"].pk]))
    report_is_drawn(ta_phone)
    fits_the_phone(ta_phone.page, "grading-page-phone")
    for name, url in (("grading-overview-phone", reverse("reports:overview", args=[course.slug, assignment.slug])),
                      ("rubric-phone", reverse("reports:rubric", args=[course.slug, assignment.slug]))):
        ta_phone.page.goto(base + url)
        fits_the_phone(ta_phone.page, name)
        ta_phone.check(name)

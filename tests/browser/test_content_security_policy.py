"""The portal works in a real browser under its Content-Security-Policy: every form posts, the
upload page's poller shows the grade arriving, staff pages and the admin render, and Chromium
reports no violation of the policy (nor any other error) on any of them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.browser.test_student_flow import sign_in
from tests.conftest import PASSWORD, make_assignment
from tests.stack import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(180)]

# Chromium fires this event for every blocked load or inline script/style; it also logs an error.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class WatchedPage:
    """A page whose console errors and policy violations are kept across navigations."""

    def __init__(self, browser) -> None:
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def check(self, where: str) -> None:
        """Fail if the current document reported a violation, or anything so far logged an error."""
        violations = self.page.evaluate("window.cspViolations || []")
        assert (violations, self.problems) == ([], []), where


def test_every_page_works_under_the_policy_with_no_violation(
        chromium, live_server, broker, browser_worker_env, course, student, instructor):
    make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")
    base = live_server.url
    watched = WatchedPage(chromium)
    page = watched.page

    sign_in(page, base, "310510123")  # the sign-in form posts to the site itself
    watched.check("home")
    page.click("text=Homework 1")
    watched.check("assignment page")
    page.set_input_files("input[type=file]", files=[
        {"name": "310510123_hw1.py", "mimeType": "text/x-python", "buffer": b"answer = 42\n"}])
    page.click("button:has-text('Upload and grade')")
    page.wait_for_selector("#submission-status[data-pending='true']")
    with celery_worker(broker_url=broker.url, env=browser_worker_env):
        # The poller (our static script, fetching the status block) replaces the block in place.
        page.wait_for_selector("#submission-status[data-pending='false']", timeout=60_000)
    assert "10 / 10" in page.locator("#submission-status").inner_text()
    watched.check("submission page after polling")

    page.select_option("#language-select", "zh-hant")
    page.click(".language-form button")
    page.wait_for_selector("html[lang='zh-hant']")
    watched.check("language switch")
    page.click(f"form[action='{reverse('logout')}'] button")
    page.wait_for_url(base + reverse("login"))
    watched.check("signed out")

    staff = WatchedPage(chromium)
    sign_in(staff.page, base, "prof_lin")
    staff.page.goto(base + reverse("gradebook:course", args=[course.slug]))
    staff.check("gradebook")
    rules = base + reverse("courses:assignment_rules", args=[course.slug, "hw1"])
    staff.page.goto(rules)
    staff.page.click("form.rules-form button[type=submit]")
    staff.page.wait_for_load_state()
    staff.check("an instructor's rules form, saved")

    get_user_model().objects.create_superuser("site_admin", "admin@example.edu", PASSWORD)
    admin = WatchedPage(chromium)
    admin.page.goto(base + reverse("admin:login"))
    admin.page.fill("#id_username", "site_admin")
    admin.page.fill("#id_password", PASSWORD)
    admin.page.click("input[type=submit]")
    admin.page.wait_for_url(base + reverse("admin:index"))
    admin.check("admin index")
    admin.page.goto(base + reverse("admin:courses_course_change", args=[course.pk]))
    admin.page.wait_for_selector("#course_form")
    admin.check("admin change form (the admin's own scripts)")

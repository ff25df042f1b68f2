"""In Chromium, against a live portal with a real worker: an instructor sets a late policy and grants an
extension; a student on a phone sees the penalty before uploading late and which submission counts; a
release makes held scores visible. Every page fits a 390 px wide phone."""

from __future__ import annotations

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from courseportal.courses.models import Assignment, Extension
from courseportal.submissions.models import Submission
from tests.browser.test_student_flow import sign_in
from tests.conftest import make_assignment
from tests.stack import celery_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.timeout(240)]

TAIPEI = ZoneInfo("Asia/Taipei")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")


def wall_clock(moment) -> str:
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%dT%H:%M:%S")


def fits_the_phone(page, name: str) -> None:
    """Nothing sticks out sideways at 390 px (a wide table scrolls inside its own box)."""
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name} is {width} px wide on a 390 px phone"


def stays_in_its_cards(page, name: str) -> None:
    """No card, and no table's box, is wider inside than it is: nothing runs out of its card or hides
    behind a sideways scroll."""
    wider = page.evaluate("""[...document.querySelectorAll('main .card, main .table-scroll')]
        .filter(box => box.scrollWidth > box.clientWidth)
        .map(box => `${box.className}: ${box.scrollWidth} > ${box.clientWidth}`)""")
    assert wider == [], f"{name}: {wider}"


def upload(page, account: str, slug: str = "hw1") -> None:
    page.set_input_files("input[type=file]", files=[
        {"name": f"{account}_{slug}.py", "mimeType": "text/x-python", "buffer": b"answer = 42\n"}])
    page.click("form[enctype] button[type=submit]")


def test_an_instructor_sets_a_late_policy_and_grants_an_extension_the_students_then_see(
        chromium, live_server, broker, browser_worker_env, course, student, other_student, instructor):
    assignment = make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")
    base = live_server.url
    staff = chromium.new_context().new_page()
    sign_in(staff, base, "prof_lin")
    staff.click("text=Run the course")
    staff.click("text=Rules and release")
    staff.fill("#id_due_at", wall_clock(timezone.now() - timedelta(hours=2)))
    staff.select_option("#id_late_policy", "per_day")
    staff.fill("#id_late_penalty_percent", "10")
    staff.click("form.rules-form button[type=submit]")
    assert "Saved." in staff.locator(".messages").inner_text()
    assignment.refresh_from_db()
    assert assignment.late_policy == "per_day" and assignment.due_at < timezone.now()

    staff.goto(base + reverse("courses:extensions", args=[course.slug, assignment.slug]))
    staff.select_option("#id_student", "310510999")
    staff.fill("#id_due_at", wall_clock(timezone.now() + timedelta(days=2)))
    staff.fill("#id_reason", "Hospital stay; certificate seen.")
    staff.click("#grant button[type=submit]")
    assert "Extension saved." in staff.locator(".messages").inner_text()
    assert Extension.objects.get(student=other_student).reason == "Hospital stay; certificate seen."

    with celery_worker(broker_url=broker.url, env=browser_worker_env):
        # The student with the extension: on time, told why.
        extended = chromium.new_context(**PHONE).new_page()
        sign_in(extended, base, "310510999")
        extended.click("text=Homework 1")
        facts = extended.locator("main").inner_text()
        assert "Your deadline" in facts and "Hospital stay; certificate seen." in facts
        assert "Uploading now is on time" in facts
        fits_the_phone(extended, "assignment-with-extension-phone")

        # The student without one, on a phone: the penalty is said before the upload, and applied after.
        phone = chromium.new_context(**PHONE).new_page()
        sign_in(phone, base, "310510123")
        phone.click("text=Homework 1")
        notice = phone.locator("#late-notice").inner_text()
        assert "This upload will be late." in notice and "10% of the maximum (1 of 10 points)" in notice
        assert "Upload late (−10%)" in phone.locator("form[enctype] button[type=submit]").inner_text()
        fits_the_phone(phone, "assignment-late-phone")
        upload(phone, "310510123")
        wait_until(lambda: Submission.objects.filter(student=student).exists(), timeout_s=10, what="the upload")
        phone.wait_for_selector("#submission-status[data-pending='false']", timeout=60_000)
        result = phone.locator("#submission-status").inner_text()
        assert "9 / 10" in result and "10 → 9 (1 day late, 10%/day)" in result and "This one counts" in result
        fits_the_phone(phone, "result-late-phone")
        phone.click("nav.breadcrumbs >> text=Homework 1")
        assert "Counting now: your upload of" in phone.locator("main").inner_text()
        phone.goto(base + reverse("home"))
        assert "9 / 10" in phone.locator("main").inner_text()
        fits_the_phone(phone, "home-phone")

    staff.goto(base + reverse("gradebook:course", args=[course.slug]))
    row = staff.locator("tr", has_text="310510123").inner_text()
    assert "9" in row and "late" in row
    assert "ext." in staff.locator("tr", has_text="310510999").inner_text()


def test_a_release_makes_held_scores_visible(chromium, live_server, broker, browser_worker_env, course, student,
                                            instructor):
    make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")
    base = live_server.url
    staff = chromium.new_context().new_page()
    sign_in(staff, base, "prof_lin")
    staff.goto(base + reverse("courses:assignment_rules", args=[course.slug, "hw1"]))
    staff.check("#id_holds_scores")
    staff.click("form.rules-form button[type=submit]")
    assert Assignment.objects.get(slug="hw1").holds_scores

    phone = chromium.new_context(**PHONE).new_page()
    sign_in(phone, base, "310510123")
    phone.click("text=Homework 1")
    upload(phone, "310510123")
    with celery_worker(broker_url=broker.url, env=browser_worker_env):
        phone.wait_for_selector("#submission-status[data-pending='false']", timeout=60_000)
        held = phone.locator("#submission-status").inner_text()
        assert "Graded, not yet released" in held and "10 / 10" not in held and "answer is 42" not in held
        fits_the_phone(phone, "result-held-phone")

        staff.goto(base + reverse("courses:assignment_rules", args=[course.slug, "hw1"]))
        staff.click("#release button[type=submit]")
        assert "Scores released" in staff.locator(".messages").inner_text()

        phone.reload()
        released = phone.locator("#submission-status").inner_text()
        assert "10 / 10" in released and "answer is 42" in released and "not yet released" not in released
        wait_until(lambda: Submission.objects.get().result.notified_at, timeout_s=30, what="the release e-mail")


def test_pages_fit_a_phone_in_chinese_and_the_admin_a_laptop(chromium, live_server, course, student, instructor,
                                                              settings, monkeypatch):
    from django.contrib.auth import get_user_model

    from courseportal.accounts.services import profile_language_set
    from courseportal.courses.services import extension_grant
    from courseportal.submissions.services import submission_create, submission_grade
    from tests.conftest import PASSWORD, checkers_registered
    from tests.portal.conftest import upload_file

    make_assignment(course, "portal_echo", slug="hw1", title="Homework 1")
    profile_language_set(user=instructor, language="zh-hant")
    profile_language_set(user=student, language="zh-hant")
    base = live_server.url

    # A student's home and result at their longest: a long title, an extension, a counted score and a
    # newer upload waiting, and feedback with sizes that do not break. Graded here: the checker runs
    # nothing, so neither a worker nor a sandbox is needed.
    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send", lambda **kwargs: None)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: None)
    with checkers_registered(settings, "tests.portal.checkers", "tests.submissions.checkers"):
        layers = make_assignment(course, "unit_layers", slug="lec2_hw1",
                                 title="Lecture 2-1 HW1: tensor shapes through a CNN",
                                 due_at=timezone.now() + timedelta(days=1))
        extension_grant(assignment=layers, student=student, due_at=timezone.now() + timedelta(days=3),
                        reason="Hospital stay", granted_by=instructor)
        graded = submission_create(student=student, assignment=layers,
                                   upload=upload_file("310510123_lec2_hw1.py", b"wrong 3\nunsure\n"))
        submission_grade(submission_id=graded.pk)
        submission_create(student=student, assignment=layers,
                          upload=upload_file("310510123_lec2_hw1.py", b"wrong 3\n"))
        student_phone = chromium.new_context(**PHONE).new_page()
        sign_in(student_phone, base, "310510123")
        for name, url in [("home", reverse("home")), ("result", reverse("submissions:detail", args=[graded.pk]))]:
            student_phone.goto(base + url)
            assert student_phone.locator("html").get_attribute("lang") == "zh-hant"
            assert "23.125 / 25" in student_phone.locator("main").inner_text()
            if SCREENSHOTS:
                student_phone.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-zh-phone-first-screen.png"))
            fits_the_phone(student_phone, f"{name}-zh-phone")
            stays_in_its_cards(student_phone, f"{name}-zh-phone")

    # The site administrator's course page on a 1,280 px laptop.
    get_user_model().objects.create_superuser("site_admin", "admin@example.edu", PASSWORD)
    laptop = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    laptop.goto(base + reverse("admin:login"))
    laptop.fill("#id_username", "site_admin")
    laptop.fill("#id_password", PASSWORD)
    laptop.click("input[type=submit]")
    laptop.goto(base + reverse("admin:courses_course_change", args=[course.pk]))
    width = laptop.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the admin's course page is {width} px wide on a 1,280 px screen"
    phone = chromium.new_context(**PHONE).new_page()
    sign_in(phone, base, "prof_lin")
    for name, url in [("course", reverse("courses:course", args=[course.slug])),
                      ("rules", reverse("courses:assignment_rules", args=[course.slug, "hw1"])),
                      ("extensions", reverse("courses:extensions", args=[course.slug, "hw1"])),
                      ("students", reverse("courses:students", args=[course.slug])),
                      ("list", reverse("submissions:assignment_list", args=[course.slug, "hw1"])),
                      ("gradebook", reverse("gradebook:course", args=[course.slug]))]:
        phone.goto(base + url)
        assert phone.locator("html").get_attribute("lang") == "zh-hant"
        fits_the_phone(phone, f"staff-{name}-zh-phone")

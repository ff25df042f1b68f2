"""The report pages as people read them: the student's result page says once, plainly, what happens next
and when (no "Graded at", no internal check names, no 0 / 0), shows the automatic hints as information,
and after release the points per problem with the rubric items and comments; the grading page shows
the report beside the rubric; the overview shows progress; all of it in Chinese too."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from courseportal.accounts.services import profile_language_set
from courseportal.courses.models import Membership
from courseportal.courses.services import membership_set
from courseportal.reports.services import grading_setup_update, grading_split, report_grade_save
from courseportal.submissions.services import assignment_scores_release, release_notify
from grader.testing import cjk_text_pdf, text_pdf
from tests.conftest import make_user
from tests.portal.conftest import signed_in
from tests.reports.grading import PROBLEMS, grade_report, item, upload_report, with_items

pytestmark = pytest.mark.django_db


def page(user, url: str) -> str:
    response = signed_in(user).get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def result_page(user, submission) -> str:
    return page(user, reverse("submissions:detail", args=[submission.pk]))


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_awaiting_page_says_once_what_happens_next_and_nothing_internal(student, report_assignment):
    report = upload_report(student, report_assignment)
    for html in (result_page(student, report), page(student, reverse("submissions:status", args=[report.pk]))):
        text = visible_text(html)
        assert text.count("Received, awaiting grading") == 1
        assert text.count("TAs grade the reports by hand after the deadline") == 1 and "one e-mail" in text
        assert "Graded at" not in text and "0 / 0" not in text and "0 / 75" not in text
        assert "problem_1_residual_blocks" not in html and "pdf_readable" not in html
        assert "3 pages" in text and "Appears to address: Problem 1: residual blocks" in text
        assert "information, not points" in text


def test_a_report_missing_a_problem_is_told_so_as_information(student, report_assignment):
    report = upload_report(student, report_assignment, text_pdf([["ResNet and its shortcut"]]))
    text = visible_text(result_page(student, report))
    assert "No sign of: Problem 2: receptive fields; Problem 3: feature-map upsampling" in text
    assert "if it is there, the TAs will still see it" in text


def test_a_scanned_report_is_received_and_the_student_told_the_tas_read_the_pages(student, report_assignment):
    report = upload_report(student, report_assignment, text_pdf([[], [], []]))
    text = visible_text(result_page(student, report))
    assert "Received, awaiting grading" in text and "No text could be read from it" in text


def test_the_chinese_student_reads_it_all_in_chinese(student, report_assignment, compiled_translations):
    profile_language_set(user=student, language="zh-hant")
    report = upload_report(student, report_assignment, cjk_text_pdf([["殘差區塊"], ["感受野"], ["上採樣"]]))
    text = visible_text(result_page(student, report))
    assert "已收到，等待評分" in text and "自動檢查看到的內容" in text and "3 頁" in text
    assert "Received" not in text and "awaiting" not in text


def test_a_chinese_student_reads_the_problem_titles_in_chinese_on_the_page_and_in_the_e_mail(
        student, report_assignment, ta, compiled_translations):
    """The titles are the checker's messages (lec2_hw2's TITLES): the receipt names them in Chinese, and
    so do the hints, the points per problem after release, and the release e-mail."""
    profile_language_set(user=student, language="zh-hant")
    report = upload_report(student, report_assignment, cjk_text_pdf([["殘差區塊"], ["沒有別的"]]))
    hints = visible_text(result_page(student, report))
    assert "看起來有回答： 問題一：殘差區塊" in hints and "沒有看到： 問題二：感受野; 問題三：特徵圖上採樣" in hints
    grade_report(report, ta, [25, 20, 15])
    assignment_scores_release(assignment=report_assignment)
    mail.outbox.clear()
    assert release_notify(assignment_id=report_assignment.pk) == 1
    text = visible_text(result_page(student, report))
    assert "問題一：殘差區塊 25 / 25" in text and "問題三：特徵圖上採樣 15 / 25" in text
    assert "問題二：感受野: 20/25" in mail.outbox[0].body
    assert not any("Problem" in page for page in (hints, text, mail.outbox[0].body))


def test_after_release_the_student_sees_points_items_and_comments_per_problem(student, report_assignment, ta,
                                                                              instructor):
    report = upload_report(student, report_assignment)
    grade_report(report, ta, [25, 25, 25])

    report_grade_save(submission=report, grader=ta, grades={
        PROBLEMS[2]: with_items(item(report_assignment, PROBLEMS[2], "No code"), adjustment="1.5",
                                comment="The images are good; show the code next time.")})
    held = visible_text(result_page(student, report))
    assert "Graded, not yet released" in held and "No code" not in held and "68" not in held
    assignment_scores_release(assignment=report_assignment)
    text = visible_text(result_page(student, report))
    assert "68.5 / 75" in text and "Problem 3: feature-map upsampling 18.5 / 25" in text
    assert "-8 No code is given." in text and "1.5 adjusted by the TA" in text
    assert ".50" not in text and ".00" not in text  # points written one way (courseportal.points)
    assert "The images are good; show the code next time." in text
    assert "Graded at" not in text and "problem_3_upsampling" not in text


def test_the_grading_page_shows_the_report_viewer_and_the_numbered_rubric(student, report_assignment, ta):
    report = upload_report(student, report_assignment)
    html = page(ta, reverse("reports:grade", args=[report.pk]))
    assert f'data-document-url="{reverse("reports:document", args=[report.pk])}"' in html
    assert "vendor/pdfjs/pdf.min.mjs" in html and 'type="module"' in html
    assert html.count('name="items_problem_1_residual_blocks"') == 5 and "<kbd>5</kbd>" in html
    assert "Save and next" in html and "310510123" in html


def test_a_chinese_ta_grades_in_chinese(student, report_assignment, ta, compiled_translations):
    profile_language_set(user=ta, language="zh-hant")
    report = upload_report(student, report_assignment)
    text = visible_text(page(ta, reverse("reports:grade", args=[report.pk])))
    assert "這份作業你還有 3 題要評" in text and "儲存並前往下一份" in text and "下一份未評分" in text
    assert "分數調整" in text and "鍵盤快速鍵" in text and "問題一：殘差區塊" in text and "Problem 1" not in text
    assert not any(english in text for english in ("Save and next", "Next ungraded", "left for you", "Point adjustment"))


def test_anonymous_grading_shows_a_number_not_the_name(student, report_assignment, ta, instructor):
    report = upload_report(student, report_assignment)
    grading_setup_update(assignment=report_assignment, anonymous=True, regrade_requests_until=None,
                         similarity_threshold="0.4")
    for url in (reverse("reports:grade", args=[report.pk]),
                reverse("reports:overview", args=["ai-training-2", "lec2_hw2"])):
        html = page(ta, url)
        assert "310510123" not in html.replace("Signed in as", "") and re.search(r"Report \d+", html), url
    saved_as = signed_in(ta).get(reverse("reports:document", args=[report.pk]))["Content-Disposition"]
    assert "310510123" not in saved_as and re.search(r'filename="report-\d+\.pdf"', saved_as)
    grading_setup_update(assignment=report_assignment, anonymous=False, regrade_requests_until=None,
                         similarity_threshold="0.4")
    assert "310510123" in page(ta, reverse("reports:grade", args=[report.pk]))


def test_the_overview_shows_progress_per_problem_and_per_grader(student, other_student, report_assignment, ta,
                                                                second_ta, instructor):
    upload_report(other_student, report_assignment)
    grading_split(assignment=report_assignment, split="by_student", graders=[ta, second_ta])
    grade_report(upload_report(student, report_assignment), ta, [20, 20, 20])
    text = visible_text(page(instructor, reverse("reports:overview", args=["ai-training-2", "lec2_hw2"])))
    assert "Problem 1: residual blocks 1 of 2" in text and "1 of 2 reports are fully graded" in text
    assert "ta_chen 3 0 3" in text and "ta_wang 3 3 0" in text
    assert "Release the grades now" in text and "Who grades what" in text


def test_the_overview_reads_a_constant_number_of_queries(course, report_assignment, ta, classmates,
                                                        django_assert_max_num_queries):
    client = signed_in(ta)
    url = reverse("reports:overview", args=["ai-training-2", "lec2_hw2"])
    client.get(url)
    upload_report(classmates[0], report_assignment)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for number in range(12):
        late_joiner = make_user(f"31052{number:03d}")
        membership_set(course=course, user=late_joiner, role=Membership.Role.STUDENT)
        grade_report(upload_report(late_joiner, report_assignment), ta, [number, number, number])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)

"""Every checker's result reads in the reader's language on the result page: lec1's counts, a training
homework's pre-check, a report's receipt, and an upload the grader refused; the stored text stays English."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from courseportal.accounts.services import profile_language_set
from courseportal.submissions.services import submission_create, submission_grade
from courseportal.submissions.templatetags.feedback import result_message
from grader.checker import Precheck
from grader.content import SubmissionFile
from grader.documents import PdfReading
from grader.grading import grade_file
from grader.registry import get_checker
from grader.sandbox.types import SandboxOutcome
from tests.conftest import checkers_registered, make_assignment
from tests.portal.conftest import signed_in, upload_file
from tests.submissions.training import TRAINING_CHECKER_MODULE, UnitTrainingChecker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
LEC1_GOLDEN = Path(get_checker("lec1_mlp_params").folder()) / "tests" / "golden"


def page_in_chinese(student, submission) -> str:
    profile_language_set(user=student, language="zh-hant")
    try:
        response = signed_in(student).get(reverse("submissions:detail", args=[submission.pk]))
    finally:
        translation.activate("en")  # the request's language must not reach the next test's services
    assert response.status_code == 200
    return response.content.decode()


def test_a_lec1_result_reads_in_chinese_and_is_stored_in_english(monkeypatch, student, course,
                                                                  django_capture_on_commit_callbacks):
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: None)  # runs no code
    assignment = make_assignment(course, "lec1_mlp_params")
    data = (LEC1_GOLDEN / "wrong_table_total_row_forgot_biases.py").read_bytes()
    # (Its on-commit publishing to the broker is left out: the test grades it itself.)
    submission = submission_create(student=student, assignment=assignment,
                                   upload=upload_file(f"{student.username}_lec1_mlp_params.py", data))
    with django_capture_on_commit_callbacks(execute=True):
        result = submission_grade(submission_id=submission.pk)
    assert result.message == "0 of 4 answers are right."
    assert result.checks[0]["feedback"].startswith("200,704 (line 31) is wrong: it leaves out the bias: fc1 also")

    page = page_in_chinese(student, submission)
    assert "4 題中答對 0 題。" in page and "answers are right" not in page
    assert "200,704（第 31 行） 不正確" in page and "(line 31)" not in page
    assert "這個答案漏算了偏差值：除了 in·out = 784·256 個權重之外，fc1 的每個輸出特徵還有一個偏差值" in page
    assert "漏算了偏差值（每一層的每個輸出特徵一個）" in page and "leaves out" not in page


class HarnessAnswer:
    """The sandbox as a training pre-check sees it: the harness's answer (``harness.precheck``)."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def run(self, request, *, on_report=None) -> SandboxOutcome:
        return SandboxOutcome(data=self.data)


def test_a_failed_training_precheck_reads_in_chinese(settings, gpu, student, course):
    failed = {"passed": False, "stage": "train", "traceback": "Traceback ...\nZeroDivisionError: division by zero\n",
              "message": "train() failed on one small batch of digits.",
              "i18n": {"msgid": "train() failed on one small batch of digits.", "params": {}}}
    file = SubmissionFile("a.py", ".py", b"", text="def build_model(): ...\n")
    precheck = UnitTrainingChecker().precheck(file, HarnessAnswer(failed))
    assert precheck.result.message == ("Pre-check failed: train() failed on one small batch of digits.\n"
                                       "ZeroDivisionError: division by zero (the whole traceback is at the end of "
                                       "the output below)")
    gpu.precheck = lambda: precheck
    with checkers_registered(settings, "tests.portal.checkers", TRAINING_CHECKER_MODULE):
        submission = gpu.upload(student, make_assignment(course, "unit_training", slug="train"))
        page = page_in_chinese(student, submission)
    assert "預先檢查未通過：train() 用一小批數字影像訓練時失敗。" in page
    assert "沒有訓練：預先檢查未通過。" in page and "Pre-check failed" not in page


def test_a_passed_precheck_reads_in_chinese_while_the_file_waits_for_a_gpu(settings, gpu, student, course):
    file = SubmissionFile("a.py", ".py", b"", text="def build_model(): ...\n")
    passed = UnitTrainingChecker().precheck(file, HarnessAnswer({"passed": True, "parameters": 1234}))
    assert passed.passed and passed.result.message.startswith("Pre-check passed: your file loads, build_model() "
                                                              "gives a model with 1,234 parameters (at most 500,000)")
    gpu.precheck = lambda: passed
    settings.TRAINING_SLOTS = 1
    with checkers_registered(settings, "tests.portal.checkers", TRAINING_CHECKER_MODULE):
        submission = gpu.upload(student, make_assignment(course, "unit_training", slug="train"))
        page = page_in_chinese(student, submission)
    assert "預先檢查通過：你的檔案可以載入，build_model() 建立的模型有 1,234 個參數（上限 500,000）" in page
    assert "Pre-check passed" not in page


def test_a_precheck_reason_the_sandbox_made_up_stays_as_it_was_written():
    forged = {"passed": False, "message": "Full marks!", "i18n": {"msgid": "Full marks!", "params": {}}}
    file = SubmissionFile("a.py", ".py", b"", text="")
    result = UnitTrainingChecker().precheck(file, HarnessAnswer(forged)).result
    assert result.message == "Pre-check failed: Full marks!" and result.checks[0].i18n is None


def test_a_report_receipt_reads_in_chinese(monkeypatch, student, course, django_capture_on_commit_callbacks):
    reading = PdfReading(pages=3, texts=("Residual blocks: a basic block and a bottleneck block.", "", ""))
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: None)
    monkeypatch.setattr(type(get_checker("lec2_hw2")), "read_pdf", lambda self, submission, sandbox: reading)
    profile_language_set(user=student, language="zh-hant")
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    submission = submission_create(student=student, assignment=make_assignment(course, "lec2_hw2"),
                                   upload=upload_file(f"{student.username}_lec2_hw2.pdf", pdf))
    with django_capture_on_commit_callbacks(execute=True):
        result = submission_grade(submission_id=submission.pk)
    assert result.message.startswith("Your report was received (3 pages). No sign of: Problem 2: receptive fields; "
                                     "Problem 3: feature-map upsampling.")
    (sent,) = mail.outbox
    assert "已收到你的報告（3 頁）。沒有看到：問題二：感受野；問題三：特徵圖上採樣。" in sent.body
    assert "助教會人工評分" in sent.body and "Your report" not in sent.body
    assert "3 頁" in page_in_chinese(student, submission)


def test_an_upload_the_grader_refuses_is_stored_in_english_and_read_in_chinese():
    grade = grade_file(get_checker("lec2_hw2"), filename="a.pdf", data=b"Dear TA, ...", sandbox=None)
    assert (grade.status, grade.message) == ("rejected", "This is not a PDF file: it does not start like one. "
                                                         "Export or print your report to PDF and upload that file.")
    stored = SimpleNamespace(message=grade.message, message_i18n=grade.i18n.to_dict())
    with translation.override("zh-hant"):
        assert result_message(stored) != grade.message and "PDF" in result_message(stored)


def test_a_grader_failure_reads_in_chinese():
    class Broken(UnitTrainingChecker):
        def precheck(self, submission, sandbox) -> Precheck:
            raise RuntimeError("a bug")

    grade = grade_file(Broken(), filename="a.py", data=b"x = 1\n", sandbox=None)
    stored = SimpleNamespace(message=grade.message, message_i18n=grade.i18n.to_dict())
    assert grade.status == "error" and grade.message.startswith("The grader itself failed on this file.")
    with translation.override("zh-hant"):
        assert result_message(stored).startswith("評分程式本身在處理這個檔案時出錯了。")

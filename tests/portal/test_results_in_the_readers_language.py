"""Every checker's result reads in the reader's language on the result page: lec1's counts, a training
homework's pre-check, a report's receipt, and an upload the grader refused; the stored text stays English."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from courseportal.accounts.services import profile_language_set
from courseportal.submissions.services import submission_create, submission_grade
from courseportal.submissions.templatetags.feedback import feedback, result_message
from grader.answers import INPUT_SIZE, OUTPUT_SIZE, LayerSpec, count_check, read_answer_text
from grader.answers.sources import AnswerText
from grader.checker import Precheck
from grader.content import SubmissionFile
from grader.documents import PdfReading
from grader.grading import grade_file
from grader.messages import Message
from grader.model_structure import ModuleDescription, structure_differences
from grader.registry import get_checker
from grader.sandbox.types import SandboxOutcome
from tests.conftest import checkers_registered, make_assignment
from tests.portal.conftest import signed_in, upload_file
from tests.submissions.training import TRAINING_CHECKER_MODULE, UnitTrainingChecker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
LEC1_GOLDEN = Path(get_checker("lec1_mlp_params").folder()) / "tests" / "golden"
LEC2_HW1_GOLDEN = Path(get_checker("lec2_hw1").folder()) / "tests" / "golden"


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


def lec2_hw1_check_in(language: str, golden: str, name: str) -> str:
    """The feedback of check ``name`` of lec2_hw1's stored result for ``golden`` (what the checker
    gives it: the golden test holds it to that), as a reader in ``language`` sees it."""
    stored = json.loads((LEC2_HW1_GOLDEN / f"{golden}.expected.json").read_text(encoding="utf-8"))
    (check,) = [check for check in stored["checks"] if check["name"] == name]
    with translation.override(language):
        return feedback(check)


def test_a_model_that_differs_from_the_starters_is_told_in_chinese_difference_by_difference():
    """lec2_hw1's stored result for a changed model renders whole in Chinese: each difference is a
    message of its own, not English text inside a Chinese sentence."""
    assert lec2_hw1_check_in("en", "modified_architecture.py", "model_unchanged") == (
        "Your NetHW differs from the starter's: conv1 has parameters weight (16, 3, 3, 3), bias (16,); the "
        "starter's has weight (32, 3, 5, 5), bias (32,). extra (ReLU) is not in the starter's model. (Not "
        "scored: your answers were graded against the starter's NetHW.)")
    assert lec2_hw1_check_in("zh-hant", "modified_architecture.py", "model_unchanged") == (
        "你的 NetHW 和範本的不同：conv1 的參數是 weight (16, 3, 3, 3), bias (16,)；範本的是 weight (32, 3, 5, 5), bias "
        "(32,)。範本的模型沒有 extra（ReLU）。（不計分：你的答案是依照範本的 NetHW 評分。）")


def test_every_kind_of_model_difference_reads_in_chinese():
    def module(name: str, type_name: str, *sizes: tuple[int, ...]) -> ModuleDescription:
        return ModuleDescription(name, type_name, tuple((f"weight{index}", size) for index, size in enumerate(sizes)))

    starter = [module("conv1", "Conv2d", (32, 3, 5, 5)), module("fc", "Linear", (10, 64)), module("act", "ReLU"),
               module("pool", "MaxPool2d")]
    theirs = [module("conv1", "Conv2d"), module("fc", "Conv2d", (10, 64)), module("pool", "MaxPool2d"),
              *(module(f"extra{number}", "ReLU") for number in range(4))]
    differences = structure_differences(starter, theirs, limit=4)
    assert [str(difference) for difference in differences] == [
        "conv1 has parameters none; the starter's has weight0 (32, 3, 5, 5).", "fc is a Conv2d; the starter's is a "
        "Linear.", "act (ReLU) is missing.", "extra0 (ReLU) is not in the starter's model.", "... and 3 more differences."]
    with translation.override("zh-hant"):
        assert [feedback({"feedback": "", "i18n": difference.to_dict()}) for difference in differences] == [
            "conv1 的參數是 無；範本的是 weight0 (32, 3, 5, 5)。", "fc 是 Conv2d；範本的是 Linear。", "缺少 act（ReLU）。",
            "範本的模型沒有 extra0（ReLU）。", "……還有 3 處不同。"]


def test_an_answer_the_grader_could_not_read_says_why_in_chinese():
    """A file too long to read in full: the reader's doubt is a message too, so the Chinese sentence
    gives the reason (it used to leave it out) and where the reader stopped."""
    text = replace(AnswerText.of_lines(["# conv1: input (1, 3, 32, 32)", "# ...", "# Total: 2432"]), stopped_at=1)
    sheet = read_answer_text(text, layers=[LayerSpec("conv1", "Conv2d")], fields=(INPUT_SIZE, OUTPUT_SIZE))
    outcome = count_check("total_params", sheet.total, expected=2432, points=5.0,
                          what=Message("the total number of parameters"))
    check = {"feedback": outcome.feedback, "i18n": outcome.i18n.to_dict()}
    assert outcome.uncertain and feedback(check) == outcome.feedback == (
        "No answer found for the total number of parameters. Not sure: the file is too long for the grader to "
        "read in full: it stopped reading (line 2). A TA will read your file.")
    with translation.override("zh-hant"):
        assert feedback(check) == "參數總數：找不到答案。無法確定：檔案太長，評分程式無法全部讀完：讀到第 2 行就停止了。助教會閱讀你的檔案。"


def test_an_answer_read_two_ways_says_why_in_chinese():
    """The reason the reader doubts is a message too: the Chinese sentence gives it (it used to leave it out)."""
    golden = "review_a_size_not_attributed_to_any_layer.py"
    assert lec2_hw1_check_in("en", golden, "fc2.output") == (
        "Could not read your answer for fc2's output with confidence (the file holds a size the grader could not "
        "attribute to any layer): it could be “(1, 10)” (line 83). A TA will check how it was read; until then it "
        "keeps 0.625 points.")
    assert lec2_hw1_check_in("zh-hant", golden, "fc2.output") == (
        "無法確定你對 fc2 的輸出 的答案該怎麼讀（檔案裡有一個評分程式無法對應到任何一層的尺寸）：可能是 「(1, 10)」（第 83 行）。"
        "助教會確認判讀方式；在那之前保留 0.625 分。")

"""Untrusted reports: real PDFs made in the test (text, no text, Chinese, many pages, encrypted, broken,
a file that is no PDF at all) go through the upload and the check; whatever can be stored is kept for a
TA to read, with a note when it could not be read within the bounds; what was read of a stored file is
kept with it and never read again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseportal.submissions.models import DocumentReading, Result, Submission
from courseportal.submissions.services import UploadRefused
from courseportal.submissions.services.documents import document_reading_ensure
from grader.documents import PdfReading
from grader.testing import cjk_text_pdf, encrypted_pdf, text_pdf
from tests.portal.conftest import signed_in
from tests.reports.grading import REPORT, upload_report

pytestmark = pytest.mark.django_db

BROKEN = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< /Root 7 0 R >>\n%%EOF\n"


def reading_of(submission: Submission) -> DocumentReading:
    return DocumentReading.objects.get(blob_id=submission.blob_id)


def grading_page(ta, submission) -> str:
    response = signed_in(ta).get(reverse("reports:grade", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("pdf, pages, text, note", [
    (REPORT, 3, "ResNet shortcut", "Appears to address: Problem 1"),
    (text_pdf([[], []]), 2, "", "No text layer (a scan or photos?)"),
    (cjk_text_pdf([["殘差區塊與瓶頸區塊"], ["感受野逐層計算"]]), 2, "殘差區塊", "No sign of: Problem 3"),
    (text_pdf([[f"Page {number}: the receptive field"] for number in range(90)]), 90, "Page 39", "90 pages"),
    (encrypted_pdf(text_pdf([["Residual blocks"]]), password=""), 1, "Residual", "encrypted (opens without"),
], ids=["text", "scan", "chinese", "ninety_pages", "encrypted_without_password"])
def test_a_readable_report_is_kept_with_what_was_read_and_hints_for_the_ta(pdf, pages, text, note, student, ta,
                                                                           report_assignment):
    report = upload_report(student, report_assignment, pdf)
    assert Result.objects.get(pk=report.pk).awaits_manual_grading
    reading = reading_of(report)
    assert reading.pages == pages and text in reading.text() and reading.problem == ""
    assert len(reading.texts) <= 40  # the first pages only, within the bounds of grader.documents
    assert note in grading_page(ta, report)


@pytest.mark.parametrize("pdf, problem, note", [
    (encrypted_pdf(text_pdf([["Residual"]]), password="secret"), "password", "asks for a password"),
    (BROKEN, "damaged", "could not be opened automatically"),
], ids=["password", "broken"])
def test_a_report_that_cannot_be_read_is_still_received_for_a_ta_with_a_note(pdf, problem, note, student, ta,
                                                                              report_assignment):
    report = upload_report(student, report_assignment, pdf)
    result = Result.objects.get(pk=report.pk)
    assert result.status == "graded" and result.awaits_manual_grading
    assert reading_of(report).problem == problem and reading_of(report).pages is None
    assert note in grading_page(ta, report)
    assert signed_in(ta).get(reverse("reports:document", args=[report.pk])).status_code == 200


def test_a_report_over_the_reading_limits_is_still_received_for_a_ta(student, ta, report_assignment, monkeypatch):
    monkeypatch.setattr("assignments.lec2_hw2.checker.ReportChecker.read_pdf",
                        lambda self, submission, sandbox: PdfReading(problem="over_limits"))
    report = upload_report(student, report_assignment)
    assert Result.objects.get(pk=report.pk).awaits_manual_grading
    assert "too complex to read automatically within the limits" in grading_page(ta, report)
    page = signed_in(student).get(reverse("submissions:detail", args=[report.pk])).content.decode()
    assert "the TAs read it themselves" in page


@pytest.mark.parametrize("data, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR a photo renamed", "This is not a PDF file"),
    (b"PK\x03\x04 a Word document renamed", "This is not a PDF file"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "This PDF is incomplete"),
    (b"", "The file is empty"),
], ids=["png", "docx", "cut_short", "empty"])
def test_a_file_that_is_no_pdf_is_refused_at_upload_with_a_reason_and_nothing_is_stored(data, words, student,
                                                                                        report_assignment):
    with pytest.raises(UploadRefused, match=words):
        upload_report(student, report_assignment, data)
    assert not Submission.objects.exists() and not Result.objects.exists()


def test_what_was_read_is_kept_per_stored_file_and_never_read_again(student, other_student, report_assignment,
                                                                   monkeypatch):
    first = upload_report(student, report_assignment)
    reads = []
    monkeypatch.setattr("courseportal.submissions.services.documents.read_pdf",
                        lambda data, sandbox: reads.append(data) or PdfReading(problem="damaged"))
    assert document_reading_ensure(blob_id=first.blob_id).pages == 3 and reads == []
    second = upload_report(other_student, report_assignment)  # the same bytes: the same stored file
    assert second.blob_id == first.blob_id and DocumentReading.objects.count() == 1


def test_a_file_stored_before_readings_were_kept_is_read_once_in_the_sandbox(student, report_assignment):
    report = upload_report(student, report_assignment)
    DocumentReading.objects.all().delete()
    assert document_reading_ensure(blob_id=report.blob_id).text().startswith("Problem 1: residual blocks")
    assert DocumentReading.objects.count() == 1

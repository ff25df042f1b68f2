"""No crafted file of the allowed size costs trusted code more than 2 s of CPU.

Reading an upload (``read_submission``: what the web process runs at upload and the worker runs
before the checker) is linear; what is not (pypdf) runs in the sandbox, and a PDF it cannot read
within bounds is kept for a TA with a note, never refused. CPU is measured in this process only
(``time.process_time``): the sandbox's own CPU is not trusted code's.
"""

from __future__ import annotations

import contextlib
import json

import pytest

from assignments.lec2_hw2.checker import ReportChecker
from grader import grade_file
from grader.content import DEFAULT_MAX_BYTES, DEFAULT_MAX_CODE_BYTES, RejectedUpload, read_submission
from grader.documents import PdfReading, read_pdf
from grader.testing import text_pdf
from tests.crafted_files import (
    TRUSTED_CPU_BUDGET_S,
    code_cell,
    notebook,
    pdf_of_many_padded_pages,
    pdf_pages_sharing_one_long_stream,
    trusted_cpu,
)

REPORT_NAME = "310510123_lec2_hw2.pdf"
PDF_LIMIT = DEFAULT_MAX_BYTES[".pdf"]


@pytest.fixture(scope="module")
def crafted_pdfs() -> dict[str, bytes]:
    pdfs = {
        "40 pages sharing one stream of 20,000 operators": pdf_pages_sharing_one_long_stream(),
        "30,000 padded pages": pdf_of_many_padded_pages(pages=30_000, padding=120),
        "99,000 pages": pdf_of_many_padded_pages(pages=99_000, padding=90),
    }
    assert all(len(data) <= PDF_LIMIT for data in pdfs.values())
    return pdfs


def test_crafted_pdfs_are_accepted_at_upload_without_parsing_them(crafted_pdfs):
    for name, data in crafted_pdfs.items():
        with trusted_cpu() as used:
            submission = read_submission(REPORT_NAME, data, accepted_extensions=(".pdf",))
        assert submission.data == data, name
        assert used.seconds < 0.2, f"{name}: {used.seconds:.2f} s of CPU at upload"


@pytest.mark.parametrize("name", [
    "40 pages sharing one stream of 20,000 operators", "30,000 padded pages", "99,000 pages",
])
def test_crafted_pdf_is_graded_for_a_ta_with_little_worker_cpu(crafted_pdfs, sandbox, name):
    with trusted_cpu() as used:
        result = grade_file(ReportChecker(), filename=REPORT_NAME, data=crafted_pdfs[name], sandbox=sandbox)
    assert used.seconds < TRUSTED_CPU_BUDGET_S, f"{name}: {used.seconds:.2f} s of worker CPU"
    assert result.status == "graded" and "TAs grade it by hand" in result.message
    assert result.checks == () and result.document is not None  # a hint for the TA, never 0/0 checks


def test_pdf_whose_text_takes_too_long_keeps_the_pages_read_so_far(crafted_pdfs, sandbox):
    reading = read_pdf(crafted_pdfs["40 pages sharing one stream of 20,000 operators"], sandbox=sandbox)
    assert reading.problem is None and reading.pages == 40
    assert reading.cut_short and 0 < len(reading.texts) < 40
    assert "residual" in reading.text()


@pytest.mark.slow
def test_pdf_too_costly_to_open_is_kept_for_a_ta_with_a_note(crafted_pdfs, sandbox):
    reading = read_pdf(crafted_pdfs["99,000 pages"], sandbox=sandbox)
    assert (reading.pages, reading.texts, reading.problem) == (None, (), "over_limits")
    result = grade_file(ReportChecker(), filename=REPORT_NAME, data=crafted_pdfs["99,000 pages"], sandbox=sandbox)
    assert result.status == "graded" and result.document.problem == "over_limits"
    assert "the TAs will read it themselves" in result.message


def test_an_ordinary_report_is_read_in_the_sandbox_with_its_pages_and_text(sandbox):
    reading = read_pdf(text_pdf([["Residual blocks"], ["Receptive field"]]), sandbox=sandbox)
    assert (reading.pages, reading.problem, reading.cut_short) == (2, None, False)
    assert reading.has_text_layer and "Receptive field" in reading.texts[1]


def test_damaged_pdf_is_kept_for_a_ta_and_the_student_is_told_to_check_it(sandbox):
    data = b"%PDF-1.7\nthis is not really a pdf\n%%EOF\n"
    result = grade_file(ReportChecker(), filename=REPORT_NAME, data=data, sandbox=sandbox)
    assert result.status == "graded" and result.document is not None and result.document.problem == "damaged"
    assert "could not be opened" in result.message and "export it again" in result.message


def test_what_the_sandbox_returns_is_validated_before_use():
    def reading(**changes):
        report = {"pages": 2, "texts": ["a", "b"], "encrypted": False, "cut_short": False, "problem": None}
        return PdfReading.from_sandbox({**report, **changes}, max_pages=2, max_characters_per_page=5)

    assert reading().pages == 2
    for forged in ({"pages": True}, {"pages": -1}, {"texts": ["a", "b", "c"]}, {"texts": ["toolong"]},
                   {"problem": "pwned"}, {"pages": None}, {"problem": "damaged"}, {"encrypted": "yes"}):
        with pytest.raises(ValueError):
            reading(**forged)


# --- Notebooks and text: parsed in trusted code, so linear -----------------------------------------


def crafted_notebooks() -> dict[str, bytes]:
    budget = DEFAULT_MAX_CODE_BYTES - 1024
    tiny = code_cell("")
    per_cell = len(json.dumps(tiny)) + 2
    return {
        "tens of thousands of cells": notebook([code_cell("", cell_id=f"c{n}") for n in range(budget // (per_cell + 6))]),
        "every cell with the same id": notebook([tiny] * (budget // per_cell)),
        "one cell with 35,000 outputs": notebook([code_cell("x = 1", outputs=[
            {"output_type": "stream", "name": "stdout", "text": "x"}] * 35_000)]),
        "source of 100,000 one-character lines": notebook([code_cell(["%\n"] * 100_000 + ["!\n"] * 100_000)]),
        "a 5,000-digit number": b'{"cells": [], "nbformat": 4, "metadata": {"n": ' + b"7" * 5_000 + b"}}",
        "nested 100,000 deep": b'{"cells": ' + b"[" * 100_000,
    }


@pytest.mark.parametrize("name", list(crafted_notebooks()))
def test_crafted_notebook_is_read_or_refused_with_little_cpu(name):
    data = crafted_notebooks()[name]
    assert len(data) <= DEFAULT_MAX_CODE_BYTES
    with trusted_cpu() as used:
        try:
            submission = read_submission("310510123_hw.ipynb", data, accepted_extensions=(".ipynb",))
            submission.code(), submission.all_text()
        except RejectedUpload as refusal:
            assert "not a valid Jupyter notebook" in refusal.message
    assert used.seconds < TRUSTED_CPU_BUDGET_S / 2, f"{name}: {used.seconds:.2f} s"


@pytest.mark.parametrize("data", [
    b"\r\n" * (DEFAULT_MAX_CODE_BYTES // 2),
    b"\r" * DEFAULT_MAX_CODE_BYTES,
    b"\x01" * DEFAULT_MAX_CODE_BYTES,
    "中".encode("cp950") * (DEFAULT_MAX_CODE_BYTES // 2 - 1) + b"\xff",
    b"\xff\xfe" + "é\r\n".encode("utf-16-le") * (DEFAULT_MAX_CODE_BYTES // 6 - 1),
], ids=["crlf pairs", "carriage returns", "control characters", "big5 failing at the end", "utf-16"])
def test_decoding_a_crafted_source_file_is_linear(data):
    with trusted_cpu() as used, contextlib.suppress(RejectedUpload):
        read_submission("310510123_hw.py", data, accepted_extensions=(".py",)).code()
    assert used.seconds < TRUSTED_CPU_BUDGET_S / 2, f"{used.seconds:.2f} s"


def test_notebook_with_a_number_too_long_to_convert_is_refused_not_a_crash():
    data = b'{"cells": [], "nbformat": 4, "metadata": {"n": ' + b"7" * 5_000 + b"}}"
    with pytest.raises(RejectedUpload, match="number too long"):
        read_submission("310510123_hw.ipynb", data, accepted_extensions=(".ipynb",))


def test_notebook_whose_cells_lack_source_is_refused_with_the_cell_number():
    data = notebook([code_cell("x = 1"), {"cell_type": "code", "metadata": {}}])
    with pytest.raises(RejectedUpload, match="cell 2"):
        read_submission("310510123_hw.ipynb", data, accepted_extensions=(".ipynb",))


def test_pdf_without_an_end_marker_is_refused_as_cut_short():
    with pytest.raises(RejectedUpload, match="incomplete"):
        read_submission(REPORT_NAME, text_pdf([["Residual"]]).replace(b"%%EOF", b""), accepted_extensions=(".pdf",))

"""Testing a checker: golden files, the sandbox fixture, PDFs to grade. For ``assignments/<slug>/tests/``.

Golden tests: real submissions in ``<checker folder>/tests/golden/``, each with the result it must
get in ``<name>.expected.json`` next to it. Run with ``UPDATE_GOLDEN=1`` to write the expected files
from the current checker, then read the diff before keeping it: an expected file is a claim about
what the student is told.

Fixtures (import them into a ``conftest.py``): ``sandbox``, the process's real sandbox, and
``references_cached_once`` (autouse), which points ``GRADER_CACHE_DIR`` at one folder for the whole
test session so that each checker's torch reference is computed once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from grader.checker import Checker, Sandbox
from grader.grading import grade_file

EXPECTED_SUFFIX = ".expected.json"


def golden_submissions(checker_class: type[Checker]) -> list[Path]:
    """Every submission in the checker's ``tests/golden`` folder, sorted by name."""
    folder = checker_class.folder() / "tests" / "golden"
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and not path.name.endswith(EXPECTED_SUFFIX) and not path.name.startswith(".")
    )


def golden_result(checker: Checker, submission: Path, sandbox: Sandbox) -> dict[str, Any]:
    """The result of grading ``submission`` as the worker would, minus the captured output.

    The golden file's name stands in for the uploaded name, with its extension.
    """
    result = grade_file(checker, filename=submission.name, data=submission.read_bytes(), sandbox=sandbox)
    document = result.to_dict()
    document.pop("output")
    return document


def assert_matches_golden(document: dict[str, Any], submission: Path) -> None:
    expected_path = submission.with_name(submission.name + EXPECTED_SUFFIX)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if not expected_path.is_file():
        raise AssertionError(
            f"{submission.name} has no expected result yet: run UPDATE_GOLDEN=1 pytest on this test, "
            f"then read {expected_path.name} and keep it only if every score and message is right."
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert document == expected, f"{submission.name} no longer gets the result in {expected_path.name}"


@pytest.fixture
def sandbox() -> Sandbox:
    """The process's real sandbox (bubblewrap; ``SANDBOX=unsafe-dev`` on a host without it)."""
    from grader.sandbox import get_sandbox

    return get_sandbox()


@pytest.fixture(scope="session")
def reference_cache_dir(tmp_path_factory) -> Path:
    """One folder for the session's cached references (a reference depends only on its checker's version)."""
    return tmp_path_factory.mktemp("grader-references")


@pytest.fixture(autouse=True)
def references_cached_once(settings, reference_cache_dir) -> Path:
    settings.GRADER_CACHE_DIR = reference_cache_dir
    return reference_cache_dir


# --- PDFs with real text, written from scratch (no PDF library writes text) ----------------------


def text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one page per item of ``pages``, each line drawn in Helvetica (ASCII text)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for lines in pages:
        page_number = len(objects) + 1
        kids.append(f"{page_number} 0 R")
        stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({_escape(line)}) Tj T*" for line in lines) + " ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_number + 1} 0 R "
            "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream".encode())
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    return pdf_of_objects(objects)


def pdf_of_objects(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1; object 1 is the catalog), with its cross-reference
    table and trailer."""
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(output)
    output += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    output += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    output += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(output)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

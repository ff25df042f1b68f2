"""Testing a checker: golden files, the sandbox fixture, PDFs to grade. For ``assignments/<slug>/tests/``.

Golden tests: real submissions in ``<checker folder>/tests/golden/``, each with the result it must
get in ``<name>.expected.json`` next to it. Run with ``UPDATE_GOLDEN=1`` to write the expected files
from the current checker, then read the diff before keeping it: an expected file is a claim about
what the student is told.

Fixtures (import them into a ``conftest.py``): ``sandbox``, the process's real sandbox, and
``references_cached_once`` (autouse), which points ``GRADER_CACHE_DIR`` at one folder for the whole
test session so that each checker's torch reference is computed once, and
``runs_not_reused_across_tests`` (autouse), which empties the run memo before each test
(``grader.run_reuse``).
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


@pytest.fixture(autouse=True)
def runs_not_reused_across_tests() -> None:
    """Each test starts with an empty run memo (``grader.run_reuse``): a test's sandbox (often a stand-in
    answering what the test needs) must see its runs, whatever an earlier test graded."""
    from grader.run_reuse import run_memo

    run_memo.clear()


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


def cjk_text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one page per item of ``pages`` whose lines may hold any text of the Basic Multilingual
    Plane (Chinese included), as a word processor writes it: a Type0 font with two-byte codes
    (Identity-H) and a ToUnicode map, so that text extraction reads the characters back. The font is
    not embedded: a viewer draws the glyphs with a font of its own."""
    characters = sorted({character for lines in pages for line in lines for character in line})
    if any(ord(character) > 0xFFFF for character in characters):
        raise ValueError("cjk_text_pdf writes characters of the Basic Multilingual Plane only")
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type0 /BaseFont /MSung-Light /Encoding /Identity-H "
                            b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
                            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /MSung-Light "
                            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                            b"/FontDescriptor 6 0 R /DW 1000 /CIDToGIDMap /Identity >>",
                            _stream(_to_unicode_cmap(characters)),
                            b"<< /Type /FontDescriptor /FontName /MSung-Light /Flags 6 /FontBBox [0 -200 1000 900] "
                            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"]
    kids = []
    for lines in pages:
        page_number = len(objects) + 1
        kids.append(f"{page_number} 0 R")
        shown = " ".join(f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in lines)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_number + 1} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(_stream(f"BT /F1 14 Tf 72 720 Td 18 TL {shown} ET".encode()))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    return pdf_of_objects(objects)


def encrypted_pdf(pdf: bytes, *, password: str) -> bytes:
    """``pdf`` encrypted (RC4, 128 bits) with the user password ``password`` ("" opens without asking,
    as for PDFs encrypted only to restrict printing)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=password, owner_password="owner-" + password, algorithm="RC4-128")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _stream(data: bytes) -> bytes:
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _to_unicode_cmap(characters: list[str]) -> bytes:
    entries = []
    for start in range(0, len(characters), 100):  # at most 100 entries a block
        block = characters[start:start + 100]
        entries.append(f"{len(block)} beginbfchar\n"
                       + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in block) + "endbfchar\n")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "".join(entries) + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode()

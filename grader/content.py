"""Reading an uploaded file's bytes into something a checker can grade, or refusing it.

Shared by the upload form and ``manage.py grade`` so that both refuse the same files with the same
words. Nothing here executes the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from grader.messages import Message, Text, either, render
from grader.text_encodings import decodings

DEFAULT_MAX_BYTES = {".pdf": 20 * 1024 * 1024}
DEFAULT_MAX_CODE_BYTES = 2 * 1024 * 1024
TEXT_EXTENSIONS = (".py", ".ipynb", ".txt", ".md")


class RejectedUpload(ValueError):
    """The file cannot be graded; ``message`` tells the student why, in words they understand.

    ``reason`` is what was said (a ``Message`` here): a grading stores it with the result (its English
    text beside it), so that each reader sees it in their own language; ``message`` is it in the
    active language, for the upload form that refuses the file at once.
    """

    def __init__(self, reason: Text) -> None:
        super().__init__(str(reason))
        self.reason = reason

    @property
    def message(self) -> str:
        return render(self.reason, gettext)


@dataclass(frozen=True)
class SubmissionFile:
    filename: str
    extension: str
    data: bytes
    text: str | None = None
    encoding: str | None = None
    notebook: dict[str, Any] | None = None

    def code(self) -> str:
        """The Python source to run: the file itself, or a notebook's code cells in order.

        Notebook shell escapes and magics (``!pip``, ``%matplotlib``) are commented out: they are
        IPython syntax, not Python, and installing packages is not part of grading.
        """
        if self.notebook is None:
            return self.text or ""
        chunks = []
        for index, cell in enumerate(self.notebook.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            lines = [
                f"# {line}" if line.lstrip().startswith(("%", "!")) else line
                for line in cell_source(cell).splitlines()
            ]
            chunks.append(f"# --- cell {index + 1} ---\n" + "\n".join(lines))
        return "\n\n".join(chunks) + "\n"

    def all_text(self) -> str:
        """All text a student may have written answers in: the file, or every cell's source."""
        if self.notebook is None:
            return self.text or ""
        return "\n\n".join(cell_source(cell) for cell in self.notebook.get("cells", []))


def read_submission(
    filename: str, data: bytes, *, accepted_extensions: tuple[str, ...], max_bytes: int | None = None
) -> SubmissionFile:
    """Validate ``data`` as a file named ``filename``; raise ``RejectedUpload`` saying why not."""
    extension = file_extension(filename)
    if extension not in accepted_extensions:
        raise RejectedUpload(Message(
            "Files ending in %(extension)s are not accepted here; upload a %(accepted)s file.",
            extension=extension or Message("(no extension)"), accepted=either(accepted_extensions)))
    if not data:
        raise RejectedUpload(Message("The file is empty. Did you save it before uploading?"))
    limit = max_bytes or default_max_bytes(extension)
    if len(data) > limit:
        raise RejectedUpload(Message("The file is %(size)s; this assignment accepts at most %(limit)s.",
                                     size=human_size(len(data)), limit=human_size(limit)))
    if extension == ".pdf":
        return _read_pdf(filename, data)
    if extension == ".ipynb":
        return _read_notebook(filename, data)
    if extension in TEXT_EXTENSIONS:
        text, encoding = decode_text(data, kind=Message("a %(extension)s file", extension=extension))
        return SubmissionFile(filename, extension, data, text=text, encoding=encoding)
    return SubmissionFile(filename, extension, data)


def file_extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def default_max_bytes(extension: str) -> int:
    return DEFAULT_MAX_BYTES.get(extension, DEFAULT_MAX_CODE_BYTES)


def human_size(count: int) -> str:
    """``count`` bytes as people read it: "512 bytes", "1.5 KB", "20 MB", "2 GB" (one decimal at most)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.1f} {unit}".replace(f".0 {unit}", f" {unit}")
    return f"{count} bytes"


def decode_text(data: bytes, *, kind: Text) -> tuple[str, str]:
    """Decode source text in whatever encoding a student's editor saved it (see
    ``grader.text_encodings``: UTF-8, UTF-16, CP950/Big5, Big5-HKSCS, GB18030/GBK, CP1252).

    Returns ``(text, encoding)`` with line endings normalised to ``\\n``; raises ``RejectedUpload``
    for bytes that are no text.
    """
    candidates = decodings(data)
    if not candidates and b"\x00" in data:
        raise RejectedUpload(Message(
            "This is not %(kind)s: it contains binary data. It may be a compiled file, an archive "
            "or an image renamed; upload the source text file itself.", kind=kind))
    for text, encoding in candidates:
        if not _looks_binary(text):
            return _normalise_newlines(text.removeprefix("\ufeff")), encoding
    raise RejectedUpload(Message(
        "This is not %(kind)s we can read: its bytes are not text in UTF-8, UTF-16, Big5 (CP950), "
        "GBK or Windows-1252. Save it as UTF-8 in your editor and upload it again.", kind=kind))


def _looks_binary(text: str) -> bool:
    control = len(_CONTROL_CHARACTERS.findall(text))  # counted in C: a Python loop costs a second on 2 MB
    return control > max(8, len(text) // 100)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_notebook(filename: str, data: bytes) -> SubmissionFile:
    text, encoding = decode_text(data, kind=Message("a Jupyter notebook"))
    try:
        raw = json.loads(text)
    except RecursionError:
        raise RejectedUpload(Message("This is not a valid Jupyter notebook: it is nested too deeply to read.")) from None
    except json.JSONDecodeError as error:
        raise RejectedUpload(Message(
            "This is not a valid Jupyter notebook: it is not JSON (line %(line)d: %(reason)s). "
            "Download it again with File → Download → .ipynb.", line=error.lineno, reason=error.msg)) from None
    except ValueError:  # a number too long to convert (Python refuses integers of over 4,300 digits)
        raise RejectedUpload(Message("This is not a valid Jupyter notebook: it holds a number too long to read. "
                                     "Download it again with File → Download → .ipynb.")) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise RejectedUpload(Message("This is not a valid Jupyter notebook: it has no cells."))
    problem = _notebook_problem(raw)
    if problem:
        raise RejectedUpload(Message("This is not a valid Jupyter notebook (nbformat 4): %(reason)s", reason=problem))
    return SubmissionFile(filename, ".ipynb", data, text=text, encoding=encoding, notebook=raw)


NOTEBOOK_CELL_TYPES = ("code", "markdown", "raw")


def _notebook_problem(raw: dict[str, Any]) -> Text:
    """What makes ``raw`` unusable as an nbformat 4 notebook, or "" if nothing.

    Only what grading reads is checked (the format version, and each cell's type and source), in
    one pass: nbformat's full schema validation costs seconds on a crafted 2 MB notebook and
    refuses notebooks that Colab and Jupyter open (outputs and metadata are never graded).
    """
    if raw.get("nbformat") != 4:
        return Message("it is not in format 4 (save it again with a current Jupyter or Colab)")
    cells = raw["cells"]
    if not isinstance(cells, list):
        return Message("its cells are not a list")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in NOTEBOOK_CELL_TYPES:
            return Message("cell %(number)d is not a code, markdown or raw cell", number=number)
        source = cell.get("source")
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(line, str) for line in source))):
            return Message("cell %(number)d has no source text", number=number)
    return ""


def _read_pdf(filename: str, data: bytes) -> SubmissionFile:
    """Accept anything that is a PDF by its header and end marker, without parsing it.

    Both searches are linear (and run in C): parsing the page tree here would let a crafted file
    cost the web process seconds per upload. What is inside a PDF is read in the sandbox
    (``grader.documents.read_pdf``), and a PDF that cannot be read there is still kept for a TA.
    """
    if b"%PDF-" not in data[:1024]:
        raise RejectedUpload(Message(
            "This is not a PDF file: it does not start like one. Export or print your report to PDF "
            "and upload that file."))
    if b"%%EOF" not in data:
        raise RejectedUpload(Message(
            "This PDF is incomplete: it has no end-of-file marker, so it was cut short while being "
            "saved or copied. Export it to PDF again and upload the new file."))
    return SubmissionFile(filename, ".pdf", data)


def cell_source(cell: dict[str, Any]) -> str:
    """A notebook cell's source as one string (nbformat allows a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)

"""Reading untrusted documents within bounds: what an uploaded PDF holds, found out in the sandbox.

Parsing a PDF is not linear in its size: a 7 KB file whose 40 pages share one stream of 20,000
text operators costs pypdf seconds per page, and a 20 MB page tree of 99,000 pages costs most of a
minute and hundreds of megabytes just to count. Trusted code (the web process, the worker) therefore
never parses one. ``grader.content`` checks only what is linear when a PDF is uploaded (its header,
its size, its end marker); a checker that wants to know what is inside calls ``read_pdf``, which
runs pypdf in the sandbox (``documents_harness.py``) under ``DOCUMENT_LIMITS`` and validates what
comes back into a ``PdfReading``.

A PDF that cannot be read within those limits is still a file a TA can open: the reading says why
(``problem``) and the checker tells the student and the TA, rather than refusing the upload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from grader.sandbox.types import SandboxLimits, SandboxRequest

if TYPE_CHECKING:
    from grader.checker import Sandbox

logger = logging.getLogger(__name__)

HARNESS_PATH = Path(__file__).with_name("documents_harness.py")
# A real report of 20 MB opens and yields its text in well under a second; these leave room for a
# loaded host and stop a crafted file long before it costs a worker slot more than a code run would.
DOCUMENT_LIMITS = SandboxLimits(
    wall_seconds=15.0, cpu_seconds=8.0, memory_bytes=1024**3, processes=4,
    file_size_bytes=1024**2, output_bytes=4 * 1024, max_output_bytes=1024**2,
)
# The document itself is written into the run's scratch folder, under its file size limit.
FILE_SIZE_SLACK_BYTES = 1024**2
# Inside the run, reading stops after this much CPU and returns what it has (below cpu_seconds, so
# the run ends with a report rather than being killed).
CPU_BUDGET_SECONDS = 5.0
MAX_PAGES_READ = 40
MAX_CHARACTERS_PER_PAGE = 20_000
# JSON escapes a character into at most 6 bytes: 2.4 MB, under the sandbox's 4 MB result frame.
MAX_TOTAL_CHARACTERS = 400_000

Problem = Literal["damaged", "password", "over_limits"]
PROBLEMS: tuple[str, ...] = ("damaged", "password", "over_limits")


class PdfReadingError(ValueError):
    """What came back from the sandbox is not a reading of a PDF."""


@dataclass(frozen=True)
class PdfReading:
    """What could be read of one PDF, within bounds.

    ``pages`` is None when the PDF could not be opened (``problem`` says why: ``damaged``,
    ``password`` (it needs one to open), or ``over_limits``: opening it cost more than
    ``DOCUMENT_LIMITS``). ``texts`` holds the text of the first pages, each cut to the requested
    length; ``cut_short`` says the text stopped early (the CPU budget or the total length ran out).
    """

    pages: int | None = None
    texts: tuple[str, ...] = ()
    encrypted: bool = False
    cut_short: bool = False
    problem: Problem | None = None

    @property
    def has_text_layer(self) -> bool:
        return any(text.strip() for text in self.texts)

    def text(self) -> str:
        """The text of the pages read, one space between pages."""
        return " ".join(self.texts)

    @classmethod
    def from_sandbox(cls, data: Any, *, max_pages: int, max_characters_per_page: int) -> PdfReading:
        """Validate the harness's report; raise ``PdfReadingError`` if it is not one."""
        if not isinstance(data, Mapping):
            raise PdfReadingError("the harness did not return an object")
        pages, texts, problem = data.get("pages"), data.get("texts"), data.get("problem")
        if pages is not None and (not isinstance(pages, int) or isinstance(pages, bool) or pages < 0):
            raise PdfReadingError("pages must be a count or null")
        if problem is not None and problem not in PROBLEMS:
            raise PdfReadingError(f"unknown problem {problem!r}")
        if (pages is None) == (problem is None) and problem != "over_limits":
            raise PdfReadingError("a reading has either a page count or a problem")
        if not isinstance(texts, list) or len(texts) > max_pages or not all(isinstance(t, str) for t in texts):
            raise PdfReadingError("texts must be a list of at most max_pages strings")
        if any(len(text) > max_characters_per_page for text in texts) or sum(map(len, texts)) > MAX_TOTAL_CHARACTERS:
            raise PdfReadingError("a page's text is longer than was asked for")
        flags = (data.get("encrypted"), data.get("cut_short"))
        if not all(isinstance(flag, bool) for flag in flags):
            raise PdfReadingError("encrypted and cut_short must be true or false")
        return cls(pages=pages, texts=tuple(texts), encrypted=flags[0], cut_short=flags[1], problem=problem)


def read_pdf(
    data: bytes, *, sandbox: Sandbox, max_pages: int = MAX_PAGES_READ,
    max_characters_per_page: int = MAX_CHARACTERS_PER_PAGE, limits: SandboxLimits = DOCUMENT_LIMITS,
) -> PdfReading:
    """The page count of the PDF ``data`` and the text of its first ``max_pages`` pages, read in
    the sandbox under ``limits``.

    Never raises for anything about the file: a PDF that cannot be read is a reading with a
    ``problem``. Raises ``SandboxFailure`` if the sandbox itself broke (nobody's answer).
    """
    options = {
        "max_pages": max_pages, "max_characters_per_page": max_characters_per_page,
        "max_total_characters": MAX_TOTAL_CHARACTERS,
        "cpu_budget_seconds": min(CPU_BUDGET_SECONDS, limits.cpu_seconds * 0.75),
    }
    limits = replace(limits, file_size_bytes=max(limits.file_size_bytes, len(data) + FILE_SIZE_SLACK_BYTES))
    outcome = sandbox.run(SandboxRequest(
        harness=HARNESS_PATH.read_text(encoding="utf-8"), entry="read_pdf", limits=limits,
        files={"document.pdf": data, "pdf_request.json": json.dumps(options).encode()},
    ))
    if outcome.limit_exceeded is not None:
        logger.info("a PDF of %d bytes was not read within the limits: %s", len(data), outcome.limit_exceeded)
        return PdfReading(problem="over_limits")
    try:
        return PdfReading.from_sandbox(outcome.data, max_pages=max_pages,
                                       max_characters_per_page=max_characters_per_page)
    except PdfReadingError as error:
        # The harness catches whatever the file provokes; reaching this is the engine's bug. The
        # student is not at fault: a TA reads the file.
        logger.error("reading a PDF in the sandbox failed (%s): %s", error, outcome.error or outcome.output[-2000:])
        return PdfReading(problem="over_limits")

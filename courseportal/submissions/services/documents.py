"""What was read of stored PDFs, kept once per stored file (``DocumentReading``).

The grading pipeline stores the reading its checker made (``GradeResult.document``); a file stored
before that, or read for another purpose, is read here once, in the sandbox within the bounds of
``grader.documents`` (never in trusted code), and kept. Nothing reads a stored file twice.
"""

from __future__ import annotations

import logging

from courseportal.submissions.models import DocumentReading
from courseportal.submissions.storable import storable_text
from courseportal.submissions.storage import blob_read
from grader.documents import MAX_CHARACTERS_PER_PAGE, PdfReading, read_pdf

logger = logging.getLogger(__name__)


def document_reading_store(*, blob_id: str, reading: PdfReading) -> DocumentReading:
    """Keep ``reading`` as what the stored file ``blob_id`` holds; the first reading kept stays."""
    stored, _created = DocumentReading.objects.get_or_create(blob_id=blob_id, defaults={
        "pages": reading.pages, "encrypted": reading.encrypted, "cut_short": reading.cut_short,
        "problem": reading.problem or "",
        "texts": [storable_text(text, limit=MAX_CHARACTERS_PER_PAGE) for text in reading.texts],
    })
    return stored


def document_reading_ensure(*, blob_id: str) -> DocumentReading:
    """The stored file's reading, read now in the sandbox if it was never read.

    Runs in a worker (the sandbox is there), never in the web process. A stored file that can no
    longer be read from disk is kept as a reading with the problem ``damaged``; raises
    ``SandboxFailure`` if the sandbox itself broke (the caller tries again later).
    """
    known = DocumentReading.objects.filter(blob_id=blob_id).first()
    if known is not None:
        return known
    from grader.sandbox import get_sandbox

    try:
        data = blob_read(blob_id)
    except OSError as error:
        logger.error("stored file %s unreadable, not read: %r", blob_id, error)
        return document_reading_store(blob_id=blob_id, reading=PdfReading(problem="damaged"))
    return document_reading_store(blob_id=blob_id, reading=read_pdf(data, sandbox=get_sandbox()))

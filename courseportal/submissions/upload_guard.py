"""Stops reading an upload as soon as it passes the assignment's size limit.

Django would otherwise spool the whole request body to a temporary file before the upload service
ever sees the size. The guard must be installed before anything reads ``request.POST``, which is
why the upload view is CSRF-exempt on the outside and CSRF-protected on the inside (the pattern
Django's documentation gives for changing upload handlers).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# The rest of a refused body is read and thrown away in pieces this large.
DISCARD_CHUNK_BYTES = 256 * 1024


class UploadSizeGuard(FileUploadHandler):
    """Drops the rest of a file once ``limit`` bytes have arrived; ``exceeded`` says it happened."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            # The rest of the body is read and discarded rather than the connection reset, so the
            # browser gets the page that explains the refusal. Read here, in large pieces: left to
            # Django (connection_reset=False) it is drained one line at a time, and 12 MB of CRLF
            # pairs then cost a web worker 10 s of CPU. connection_reset=True only tells Django
            # not to drain it again; the connection stays usable.
            self._discard_rest_of_body()
            raise StopUpload(connection_reset=True)
        return raw_data

    def _discard_rest_of_body(self) -> None:
        while self.request.read(DISCARD_CHUNK_BYTES):
            pass

    def file_complete(self, file_size: int) -> None:
        return None


def install_upload_guard(request: HttpRequest, *, limit: int) -> UploadSizeGuard:
    guard = UploadSizeGuard(request, limit=limit)
    request.upload_handlers.insert(0, guard)
    return guard


def declared_body_too_large(request: HttpRequest) -> bool:
    """Whether the request announces a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, the portal's ceiling."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    ceiling = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return ceiling is not None and length > ceiling

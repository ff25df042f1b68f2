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


class UploadSizeGuard(FileUploadHandler):
    """Drops the rest of a file once ``limit`` bytes have arrived; ``exceeded`` says it happened."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            # Read and discard the rest of the body rather than reset the connection, so the
            # browser gets the page that explains the refusal.
            raise StopUpload(connection_reset=False)
        return raw_data

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

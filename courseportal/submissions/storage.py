"""Content-addressed, write-once storage of uploaded bytes under ``MEDIA_ROOT/blobs``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings

from courseportal.submissions.models import Blob


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or not all(char in "0123456789abcdef" for char in sha256):
        raise ValueError(f"not a sha256 digest: {sha256!r}")
    return Path(settings.MEDIA_ROOT) / "blobs" / sha256[:2] / sha256[2:4] / sha256


def blob_store(data: bytes) -> Blob:
    """Store ``data`` once (idempotent) and return its row.

    The file is written to a temporary name, flushed to disk and renamed into place, so a crash
    leaves either nothing or the whole file, never a truncated one under the final name. Call inside
    the transaction that creates the referring row.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    path = blob_path(sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".incoming-", delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o440)
        os.replace(handle.name, path)
    blob, _ = Blob.objects.get_or_create(sha256=sha256, defaults={"size": len(data)})
    return blob


def blob_read(sha256: str) -> bytes:
    """The stored bytes; raises ``BlobCorrupted`` if they no longer match their digest."""
    data = blob_path(sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise BlobCorrupted(sha256)
    return data


class BlobCorrupted(OSError):
    pass

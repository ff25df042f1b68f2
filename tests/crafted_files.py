"""Hostile uploads of the allowed size, generated (never stored): the outside review's attacks on
trusted code, as tests rebuild them.

Each is cheap to make and was expensive to read before it was bounded: the figures in the
docstrings are what the review measured in the web process or the worker.
"""

from __future__ import annotations

import json
import resource
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from grader.testing import pdf_of_objects

# "No crafted input of the allowed size costs trusted code more than 2 s of CPU" (issue 14).
TRUSTED_CPU_BUDGET_S = 2.0


@dataclass
class CpuUsed:
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


@contextmanager
def trusted_cpu() -> Iterator[CpuUsed]:
    """CPU time (user + system) this process spends inside the block; children (the sandbox) excluded."""
    used = CpuUsed()
    started = time.process_time()
    try:
        yield used
    finally:
        used.seconds = time.process_time() - started
        used.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _page_tree(pages: int, page: Callable[[int], bytes], shared: list[bytes]) -> bytes:
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", *shared]
    first_page = len(objects) + 1
    objects += [page(index) for index in range(pages)]
    kids = " ".join(f"{first_page + index} 0 R" for index in range(pages))
    objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()
    return pdf_of_objects(objects)


def pdf_pages_sharing_one_long_stream(*, pages: int = 40, operators: int = 20_000) -> bytes:
    """About 7 KB: ``pages`` pages whose content is one compressed stream of ``operators`` text
    operators. pypdf extracts the stream once per page: 17 s of worker CPU in the review."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"(residual) Tj " * operators + b"ET")
    shared = [
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>")
    return _page_tree(pages, lambda index: page, shared)


def pdf_of_many_padded_pages(*, pages: int, padding: int) -> bytes:
    """Empty pages, each padded with ``padding`` spaces: 30,000 pages in 6 MB cost the web process
    11 s to count at upload; 99,000 in 19.6 MB cost 47 s and about 800 MB."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>" + b" " * padding
    return _page_tree(pages, lambda index: page, [])


def notebook(cells: list[dict], **top: object) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **top}).encode()


def code_cell(source: str | list[str], *, outputs: list | None = None, cell_id: str = "cell") -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {},
            "outputs": outputs or [], "source": source}

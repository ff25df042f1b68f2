"""Runs in the sandbox: open an uploaded PDF with pypdf, count its pages, read the text of the first ones.

This file is shipped as source text (``SandboxRequest.harness``) and must stay self-contained:
standard library and pypdf only, no import from ``grader``. The entry point is ``read_pdf``; what it
returns is validated on the trusted side by ``grader.documents.PdfReading.from_sandbox``.

pypdf's work is not linear in a crafted file (forty pages sharing one stream of 20,000 text
operators, a page tree of 100,000 pages), which is why it runs here and not in the worker. Besides
the run's hard CPU limit, a CPU-time budget (``ITIMER_PROF``) ends the reading early, so that a slow
page costs the rest of the text, not what was already read.
"""

import json
import os
import signal

OPTIONS_FILE = "pdf_request.json"
DOCUMENT_FILE = "document.pdf"


class OverBudget(BaseException):
    """The CPU budget ran out. A BaseException, so that pypdf's own ``except Exception`` blocks
    cannot swallow it and go on reading."""


def _over_budget(signum, frame):
    raise OverBudget()


def read_pdf(scratch):
    with open(os.path.join(scratch, OPTIONS_FILE), encoding="utf-8") as handle:
        options = json.load(handle)
    signal.signal(signal.SIGPROF, _over_budget)
    signal.setitimer(signal.ITIMER_PROF, options["cpu_budget_seconds"])
    report = {"pages": None, "texts": [], "encrypted": False, "problem": None, "cut_short": False}
    try:
        _read(os.path.join(scratch, DOCUMENT_FILE), options, report)
    except OverBudget:
        report["cut_short"] = True
        if report["pages"] is None:
            report["problem"] = "over_limits"
    except MemoryError:
        report["problem"] = "over_limits"
    except Exception:  # noqa: BLE001 - pypdf raises many unrelated types for a damaged file
        if report["pages"] is None:
            report["problem"] = "damaged"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return report


def _read(path, options, report):
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        report["encrypted"] = True
        # Many PDFs are encrypted only to restrict printing: an empty user password opens them.
        if not reader.decrypt(""):
            report["problem"] = "password"
            return
    report["pages"] = len(reader.pages)
    remaining = options["max_total_characters"]
    for index in range(min(report["pages"], options["max_pages"])):
        text = _page_text(reader, index)[: min(options["max_characters_per_page"], remaining)]
        report["texts"].append(text)
        remaining -= len(text)
        if remaining <= 0:
            report["cut_short"] = True
            return


def _page_text(reader, index):
    try:
        return reader.pages[index].extract_text() or ""
    except Exception:  # noqa: BLE001 - an odd page has no text; the others still count
        return ""

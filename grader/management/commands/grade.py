"""``manage.py grade <slug> <file>... [--json]``: grade local files exactly as the worker does.

Several files are graded one after another by the same warm sandbox, as a worker grades a queue;
with ``--json`` each then prints as one line: ``{"file", "elapsed_s", "result"}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grader import grade_file
from grader.registry import UnknownChecker, get_checker
from grader.results import GradeResult
from grader.sandbox import get_sandbox
from grader.sandbox.types import SandboxFailure


class Command(BaseCommand):
    help = "Grade a local file with an assignment's checker, in the sandbox, and print the result."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the assignment's checker slug, e.g. lec2_hw1")
        parser.add_argument("files", nargs="+", metavar="file", help="path of a file to grade")
        parser.add_argument("--json", action="store_true", help="print the result object as JSON")

    def handle(self, *args, slug: str, files: list[str], json: bool = False, **options):
        try:
            checker = get_checker(slug)
        except UnknownChecker as error:
            raise CommandError(str(error)) from None
        sandbox = _SandboxOnFirstRun()
        worst = 0
        for file in files:
            started = time.monotonic()
            result = _grade_one(checker, Path(file), sandbox)
            elapsed_s = time.monotonic() - started
            if len(files) == 1:
                self.stdout.write(_json_dumps(result.to_dict()) if json else _human(result))
            elif json:
                self.stdout.write(_json_line({"file": file, "elapsed_s": round(elapsed_s, 3), "result": result.to_dict()}))
            else:
                self.stdout.write(f"== {file} ({elapsed_s:.2f} s)\n{_human(result)}\n")
            worst = max(worst, _EXIT_STATUS[result.status])
        if worst:
            sys.exit(worst)


_EXIT_STATUS = {"graded": 0, "rejected": 1, "error": 2}


def _grade_one(checker, path: Path, sandbox) -> GradeResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        return GradeResult.rejected(f"Cannot read {path}: {error.strerror}.", max_score=checker.points)
    try:
        return grade_file(checker, filename=path.name, data=data, sandbox=sandbox)
    except SandboxFailure as failure:
        return GradeResult.error(f"The sandbox could not run this file: {failure}", max_score=checker.points)


class _SandboxOnFirstRun:
    """The process's sandbox, started only when a checker first runs code: a file that is refused
    never waits for it, and a sandbox that cannot start becomes an ``error`` result, not a traceback."""

    def run(self, request):
        return get_sandbox().run(request)


def _json_dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def _json_line(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False)


def _human(result: GradeResult) -> str:
    lines = [f"{result.status}: {result.score:g}/{result.max_score:g}"
             + (" (needs review: a TA must confirm how some answers were read)" if result.needs_review else "")]
    if result.message:
        lines.append(result.message)
    for check in result.checks:
        # An uncertain check keeps its points until a TA has confirmed how its answer was read.
        mark = "TA?" if check.uncertain else "PASS" if check.passed else "FAIL"
        lines.append(f"  [{mark}] {check.name} {check.points:g}/{check.max_points:g}  {check.feedback}")
        lines.extend(f"         reading: “{reading.text}” {reading.place} → {reading.points:g} ({reading.note})"
                     for reading in check.readings)
    return "\n".join(lines)

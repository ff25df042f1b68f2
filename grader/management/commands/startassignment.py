"""``manage.py startassignment <slug>``: scaffold ``assignments/<slug>/`` with a working checker.

The scaffold is a complete, passing homework: a starter file with a small model and an answer
template, a checker that grades the student's total parameter count against the number torch
computes from that starter, and golden tests. A TA then edits the starter and the checker (see
``docs/adding-an-assignment.md``).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import assignments

SLUG = re.compile(r"[a-z][a-z0-9_]{1,60}")

STARTER = '''"""{title}

Count the parameters of ``Net`` below and write the total in the template at the end of this
file. Upload it as ``<account>_{slug}.py``.
"""

import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.fc1(x.flatten(1)).relu())


# ==================================================================================================
# Answer / 答案
# Total number of parameters / 總參數量:
# ==================================================================================================
'''

CHECKER = '''"""{slug}: {title}.

The reference comes from torch: the starter file's own model, built once per checker version in
trusted code and cached as JSON (``grader.reference_cache``). The score depends only on the answer
read from the student's file; this checker never runs their code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.conf import settings

from grader.answers import count_check, read_answers
from grader.checker import Checker, Sandbox
from grader.content import SubmissionFile
from grader.reference_cache import reference_cached
from grader.results import GradeResult

STARTER = Path(__file__).with_name("{slug}.py")
MODEL_CLASS = "Net"


def reference_compute() -> dict:
    """Trusted: build the starter's model with torch and count its parameters."""
    spec = importlib.util.spec_from_file_location("{slug}_starter", STARTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, MODEL_CLASS)()
    return {{"total_params": sum(parameter.numel() for parameter in model.parameters())}}


def reference_from_document(document: dict) -> int:
    return int(document["total_params"])


class {class_name}(Checker):
    slug = "{slug}"
    title = "{title}"
    description = "Write the total number of parameters of Net in the template at the end of {slug}.py."
    accepted_extensions = (".py", ".ipynb")
    starter_files = ("{slug}.py",)
    points = 10.0

    def total_params(self) -> int:
        return reference_cached(
            slug=self.slug, version=self.version, cache_dir=settings.GRADER_CACHE_DIR,
            compute=reference_compute, load=reference_from_document,
        )

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        sheet = read_answers(submission, layers=[], fields=[])
        total = count_check(
            "total_params", sheet.total, expected=self.total_params(), points=self.points,
            what="the total number of parameters",
            where="Write it on the template line “Total number of parameters: …”.",
            hint="A Linear layer has in·out weights and out biases.",
        )
        return GradeResult.from_checks([total], max_score=self.points)
'''

TEST = '''"""{slug}: golden submissions get their expected results, and a right answer scores."""

from __future__ import annotations

import pytest

from assignments.{slug}.checker import {class_name}
from grader.grading import grade_file
from tests.checkers.golden import assert_matches_golden, golden_result, golden_submissions


@pytest.mark.parametrize("submission", golden_submissions({class_name}), ids=lambda path: path.name)
def test_golden_submission_gets_its_expected_result(submission, sandbox):
    assert_matches_golden(golden_result({class_name}(), submission, sandbox), submission)


def test_the_right_total_scores_full_marks(sandbox):
    checker = {class_name}()
    starter = checker.starter_path("{slug}.py").read_text(encoding="utf-8")
    filled = starter.replace("總參數量:", f"總參數量: {{checker.total_params():,}}")
    result = grade_file(checker, filename="310510123_{slug}.py", data=filled.encode(), sandbox=sandbox)
    assert (result.status, result.score) == ("graded", checker.points)
'''


class Command(BaseCommand):
    help = "Create assignments/<slug>/ with a starter file, a working checker and golden tests."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="lowercase letters, digits and _, e.g. lec1_mlp_params")
        parser.add_argument("--title", default="", help="the title students see")
        parser.add_argument(
            "--directory", default=str(Path(assignments.__file__).parent),
            help="where the assignment packages live (default: the assignments package)",
        )

    def handle(self, *args, slug: str, title: str, directory: str, **options):
        if not SLUG.fullmatch(slug):
            raise CommandError(f"{slug!r} is not a valid slug: use lowercase letters, digits and _ (a Python name).")
        folder = Path(directory) / slug
        if folder.exists():
            raise CommandError(f"{folder} already exists; pick another slug or edit it.")
        values = {
            "slug": slug,
            "title": (title or slug.replace("_", " ").capitalize()).replace('"', "'"),
            "class_name": "".join(part.capitalize() for part in slug.split("_")) + "Checker",
        }
        files = {
            "__init__.py": f'"""{values["title"]}."""\n',
            f"{slug}.py": STARTER.format(**values),
            "checker.py": CHECKER.format(**values),
            "tests/__init__.py": "",
            "tests/test_checker.py": TEST.format(**values),
            "tests/golden/unanswered_starter.py": STARTER.format(**values),
        }
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Created {folder} with:")
        for name in files:
            self.stdout.write(f"  {name}")
        self.stdout.write(
            "Next: edit the starter and checker.py, add golden submissions to tests/golden/, then run\n"
            f"  UPDATE_GOLDEN=1 .venv/bin/python -m pytest assignments/{slug}\n"
            "and read every *.expected.json before keeping it (docs/adding-an-assignment.md)."
        )

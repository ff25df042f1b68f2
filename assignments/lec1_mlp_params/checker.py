"""lec1_mlp_params: Lecture 2-1 HW: parameters of an MLP.

The reference comes from torch: the starter file's own model, built once per checker version in
trusted code and cached as JSON (``grader.reference_cache``). The score depends only on the answer
read from the student's file; this checker never runs their code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.conf import settings

from grader.answer_checks import count_check
from grader.answer_sheet import answer_lines, read_answer_sheet
from grader.checker import Checker, Sandbox
from grader.content import SubmissionFile
from grader.reference_cache import reference_cached
from grader.results import GradeResult

STARTER = Path(__file__).with_name("lec1_mlp_params.py")
MODEL_CLASS = "Net"


def reference_compute() -> dict:
    """Trusted: build the starter's model with torch and count its parameters."""
    spec = importlib.util.spec_from_file_location("lec1_mlp_params_starter", STARTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, MODEL_CLASS)()
    return {"total_params": sum(parameter.numel() for parameter in model.parameters())}


def reference_from_document(document: dict) -> int:
    return int(document["total_params"])


class Lec1MlpParamsChecker(Checker):
    slug = "lec1_mlp_params"
    title = "Lecture 2-1 HW: parameters of an MLP"
    description = "Write the total number of parameters of Net in the template at the end of lec1_mlp_params.py."
    accepted_extensions = (".py", ".ipynb")
    starter_files = ("lec1_mlp_params.py",)
    points = 10.0

    def total_params(self) -> int:
        return reference_cached(
            slug=self.slug, version=self.version, cache_dir=settings.GRADER_CACHE_DIR,
            compute=reference_compute, load=reference_from_document,
        )

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        sheet = read_answer_sheet(answer_lines(submission), layers=[], fields=[])
        total = count_check(
            "total_params", sheet.total, expected=self.total_params(), points=self.points,
            what="the total number of parameters",
            where="Write it on the template line “Total number of parameters: …”.",
            hint="A Linear layer has in·out weights and out biases.",
        )
        return GradeResult.from_checks([total], max_score=self.points)

"""lec1_mlp_params: the parameter count of every layer of ``MLP``, and the total.

The reference comes from torch: the starter file's own model, built once per checker version in
trusted code and cached as JSON (``grader.reference_cache``), with the counts that common mistakes
give. The score depends only on the answers read from the student's file; their code is not run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from django.conf import settings

from grader.answers import PARAMETER_COUNT, LayerSpec, count_check, read_answers
from grader.checker import Checker, Sandbox
from grader.content import SubmissionFile
from grader.reference_cache import reference_cached
from grader.results import GradeResult

STARTER = Path(__file__).with_name("lec1_mlp_params.py")
MODEL_CLASS = "MLP"


def reference_compute() -> dict[str, Any]:
    """Trusted: build the starter's model with torch; count each layer's parameters, and what
    forgetting the bias or giving one bias per input would count instead."""
    from torch import nn

    spec = importlib.util.spec_from_file_location("lec1_mlp_params_starter", STARTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, MODEL_CLASS)()
    layers = []
    for name, layer in model.named_children():
        if not isinstance(layer, nn.Linear):
            continue
        weights = layer.weight.numel()
        layers.append({
            "name": name,
            "type": type(layer).__name__,
            "params": sum(parameter.numel() for parameter in layer.parameters()),
            "mistakes": [
                [weights, f"leaves out the bias: {name} also has one bias per output feature "
                          f"({layer.out_features}), on top of in·out = {layer.in_features}·{layer.out_features} weights"],
                [weights + layer.in_features, "counts one bias per input feature; there is one per output feature"],
            ],
        })
    total = sum(parameter.numel() for parameter in model.parameters())
    weights_only = sum(layer.weight.numel() for layer in model.modules() if isinstance(layer, nn.Linear))
    return {
        "layers": layers,
        "total_params": total,
        "total_mistakes": [[weights_only, "leaves out the biases (one per output feature of every layer)"]],
    }


def reference_from_document(document: dict[str, Any]) -> dict[str, Any]:
    if not document["layers"] or int(document["total_params"]) <= 0:
        raise ValueError("empty reference")
    return document


class MlpParameterCountChecker(Checker):
    slug = "lec1_mlp_params"
    title = "Lecture 2-1 HW: parameters of an MLP"
    description = (
        "Write the number of parameters of each layer of MLP and the total in the template at the end of "
        "lec1_mlp_params.py, then upload it as <account>_lec1_mlp_params.py."
    )
    accepted_extensions = (".py", ".ipynb")
    starter_files = ("lec1_mlp_params.py",)
    points_per_layer = 2.0
    points_for_total = 4.0
    points = 10.0

    def reference(self) -> dict[str, Any]:
        return reference_cached(
            slug=self.slug, version=self.version, cache_dir=settings.GRADER_CACHE_DIR,
            compute=reference_compute, load=reference_from_document,
        )

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        reference = self.reference()
        layers = reference["layers"]
        sheet = read_answers(
            submission,
            layers=[LayerSpec(layer["name"], layer["type"]) for layer in layers],
            fields=[PARAMETER_COUNT],
        )
        checks = [
            count_check(
                f"{layer['name']}.params", sheet.get(layer["name"], "params"), expected=layer["params"],
                points=self.points_per_layer, what=f"the parameters of {layer['name']}",
                mistakes=[(value, why) for value, why in layer["mistakes"]],
                where=f"Write it on the template line “{layer['name']} parameters: …”.",
                hint="A Linear(in, out) layer has in·out weights and out biases.",
            )
            for layer in layers
        ]
        checks.append(count_check(
            "total_params", sheet.total, expected=reference["total_params"], points=self.points_for_total,
            what="the total number of parameters",
            mistakes=[(value, why) for value, why in reference["total_mistakes"]],
            where="Write it on the template line “Total number of parameters: …”.",
            hint="The total is the sum of every layer's parameters.",
        ))
        right = sum(check.passed for check in checks)
        return GradeResult.from_checks(
            checks, max_score=self.points, message=f"{right} of {len(checks)} answers are right."
        )

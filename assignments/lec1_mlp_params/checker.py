"""lec1_mlp_params: the parameter count of every layer of ``MLP``, and the total.

The reference comes from torch (``reference.py``): the starter file's own model, counted once per
checker version. The score depends only on the answers read from the student's file; their code
is not run. Feedback is written as ``grader.messages.Message`` objects, so that the portal shows it in
each reader's language.
"""

from __future__ import annotations

from typing import Any

from assignments.lec1_mlp_params.reference import MODEL_CLASS, reference_compute, reference_from_document
from grader import PARAMETER_COUNT, Checker, LayerSpec, count_check
from grader.answers import review_summary
from grader.messages import Message


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

    def compute_reference(self) -> dict[str, Any]:
        return reference_compute(getattr(self.load_starter(), MODEL_CLASS)())

    def load_reference(self, document: dict[str, Any]) -> dict[str, Any]:
        return reference_from_document(document)

    def check(self, submission, sandbox):
        reference = self.reference()
        layers = reference["layers"]
        sheet = self.read_answers(
            submission, fields=[PARAMETER_COUNT],
            layers=[LayerSpec(layer["name"], layer["type"], layer.get("signature", "")) for layer in layers],
        )
        if not sheet.wrote_anything:
            return self.starter_without_answers()
        checks = [
            count_check(
                f"{layer['name']}.params", sheet.get(layer["name"], "params"), expected=layer["params"],
                points=self.points_per_layer, what=Message("the parameters of %(layer)s", layer=layer["name"]),
                mistakes=layer["mistakes"],
                where=Message("Write it on the template line “%(layer)s parameters: …”.", layer=layer["name"]),
                hint=Message("A Linear(in, out) layer has in·out weights and out biases."),
            )
            for layer in layers
        ]
        checks.append(count_check(
            "total_params", sheet.total, expected=reference["total_params"], points=self.points_for_total,
            what=Message("the total number of parameters"),
            mistakes=reference["total_mistakes"],
            where=Message("Write it on the template line “Total number of parameters: …”."),
            hint=Message("The total is the sum of every layer's parameters."),
        ))
        return self.result(checks, message=review_summary(checks))

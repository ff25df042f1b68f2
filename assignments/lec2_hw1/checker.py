"""lec2_hw1: the input and output size of every layer of ``NetHW``, and its parameter count.

The score depends only on the student's written answers, read here in trusted code and compared
with the reference that torch computed from the starter file (``reference.py``). The student's
code is also built in the sandbox, but only to tell them if they changed the model: whatever
comes out of the sandbox is theirs to forge, so that check is worth 0 points.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assignments.lec2_hw1.reference import (
    MODEL_CLASS,
    LayerReference,
    Reference,
    reference_compute,
    reference_from_document,
)
from grader import INPUT_SIZE, OUTPUT_SIZE, Checker, CheckOutcome, LayerSpec, SandboxLimits, count_check
from grader.answers import (
    Answer,
    AnswerSheet,
    Shape,
    explain_shape_difference,
    review_summary,
    reviewed,
    shape_matches,
)
from grader.model_structure import structure_check_run, structure_differences

FIELDS = (INPUT_SIZE, OUTPUT_SIZE)


class NetHWSizesChecker(Checker):
    slug = "lec2_hw1"
    title = "Lecture 2-2 HW1: feature-map sizes and parameters of NetHW"
    description = (
        "Write the input and output size of every layer of NetHW and its total number of parameters "
        "in the comment template at the end of lec2_hw1.py, then upload it as <account>_lec2_hw1.py "
        "(or a notebook, <account>_lec2_hw1.ipynb)."
    )
    accepted_extensions = (".py", ".ipynb")
    starter_files = ("lec2_hw1.py",)
    # Building a 16-layer model takes milliseconds; the limit covers a slow student file.
    limits = SandboxLimits(wall_seconds=20.0, cpu_seconds=20.0, memory_bytes=2 * 1024**3)
    # 16 layers × (input + output) × 0.625 + 5 for the total = 25.
    points_per_size = 0.625
    points_for_total = 5.0
    points = 25.0
    weight_percent = 25

    def compute_reference(self) -> dict[str, Any]:
        return reference_compute(getattr(self.load_starter(), MODEL_CLASS)())

    def load_reference(self, document: dict[str, Any]) -> Reference:
        return reference_from_document(document)

    def check(self, submission, sandbox):
        reference = self.reference()
        sheet = self.read_answers(
            submission, fields=FIELDS,
            layers=[LayerSpec(layer.name, layer.type_name, layer.signature) for layer in reference.layers],
        )
        if not sheet.wrote_anything:
            return self.starter_without_answers()
        checks = [
            self._size_check(reference, sheet, layer, field)
            for layer in reference.layers
            for field in ("input", "output")
        ]
        checks.append(self._total_check(reference, sheet.total))
        structure, output = self._structure_check(reference, submission, sandbox)
        checks.append(structure)
        return self.result(checks, message=_summary(checks, structure, sheet), output=output)

    # --- one size ---------------------------------------------------------------------------

    def _size_check(self, reference: Reference, sheet: AnswerSheet, layer: LayerReference, field: str) -> CheckOutcome:
        """Every reading of the answer graded; uncertain where they would score differently."""
        return reviewed(
            sheet.get(layer.name, field),
            lambda answer: self._size_outcome(reference, sheet, layer, field, answer),
            what=f"{layer.name}'s {field}",
        )

    def _size_outcome(
        self, reference: Reference, sheet: AnswerSheet, layer: LayerReference, field: str, answer: Answer
    ) -> CheckOutcome:
        name = f"{layer.name}.{field}"
        correct = layer.input if field == "input" else layer.output
        outcome = CheckOutcome(name, passed=False, points=0.0, max_points=self.points_per_size)
        if answer.status == "unanswered":
            return replace(outcome, feedback=_unanswered_size_feedback(layer, field, sheet))
        if answer.status == "unreadable" or not isinstance(answer.value, Shape):
            return replace(outcome, feedback=(
                f"Could not read “{answer.written}” as a size{_at(answer)}: write it like (1, 32, 16, 16)."
            ))
        shape = answer.value
        if shape_matches(shape, correct):
            return replace(outcome, passed=True, points=self.points_per_size, feedback=f"Right: {shape.text}.")
        return replace(outcome, feedback=f"{shape.text}{_at(answer)} is wrong: "
                       + _size_mistake(reference, sheet, layer, field, shape))

    # --- the total --------------------------------------------------------------------------

    def _total_check(self, reference: Reference, answer: Answer) -> CheckOutcome:
        return count_check(
            "total_params", answer, expected=reference.total_params, points=self.points_for_total,
            what="the total number of parameters",
            mistakes=[(mistake.value, mistake.why) for mistake in reference.total_mistakes],
            where="Write it on the template's last line, e.g. “Total number of parameters: 123456”.",
            hint=(
                "Add up every layer's learned weights and biases: a Conv2d has out·(in/groups)·k·k weights "
                "plus out biases (none with bias=False), a Linear in·out + out, a BatchNorm2d 2 per channel; "
                "pooling, dropout and activations have none."
            ),
        )

    # --- the student's own model (feedback only) ----------------------------------------------

    def _structure_check(self, reference: Reference, submission, sandbox) -> tuple[CheckOutcome, str]:
        outcome = CheckOutcome("model_unchanged", passed=False, points=0.0, max_points=0.0)
        report, run = structure_check_run(self, sandbox, code=submission.code(), class_name=MODEL_CLASS)
        if run.limit_exceeded:
            return replace(outcome, feedback=f"Your file could not be run: {run.limit_message} (Not scored.)"), run.output
        if report is None:
            why = (run.error or "it did not finish").strip().splitlines()[-1]
            return replace(outcome, feedback=f"Your file could not be run: {why} (Not scored.)"), run.output
        if not report.built:
            return replace(outcome, feedback=(
                f"Your file does not build {MODEL_CLASS}: {report.error}. (Not scored: your answers were "
                "graded against the starter's NetHW.)"
            )), run.output
        differences = structure_differences(reference.structure, report.modules)
        note = f" Your file stopped early: {report.load_error}." if report.load_error else ""
        if differences:
            return replace(outcome, feedback=(
                f"Your {MODEL_CLASS} differs from the starter's: " + " ".join(differences)
                + " (Not scored: your answers were graded against the starter's NetHW.)" + note
            )), run.output
        return replace(outcome, passed=True, feedback=f"Your {MODEL_CLASS} is the starter's model.{note}"), run.output


def _size_mistake(reference: Reference, sheet: AnswerSheet, layer: LayerReference, field: str, shape: Shape) -> str:
    """Why ``shape`` is wrong: a known misconception, an error carried from an earlier answer, or
    which part of it is off."""
    correct = layer.input if field == "input" else layer.output
    mistakes = layer.input_mistakes if field == "input" else layer.output_mistakes
    for mistake in mistakes:
        if isinstance(mistake.value, tuple) and shape_matches(shape, mistake.value):
            return f"it {mistake.why}."
    if field == "input" and layer.fed_by:
        upstream = sheet.get(layer.fed_by, "output")
        feeder = reference.layer(layer.fed_by)
        if isinstance(upstream.value, Shape) and upstream.value.dims == shape.dims and not shape_matches(shape, feeder.output):
            return (f"it repeats your answer for {layer.fed_by}'s output, which is itself wrong; a layer's input "
                    f"is what the layer before it ({layer.fed_by}) outputs.")
    if field == "output" and shape_matches(shape, layer.input) and layer.input != layer.output:
        return f"{layer.signature} changes the size: this is its input's size."
    return explain_shape_difference(shape, correct)


def _unanswered_size_feedback(layer: LayerReference, field: str, sheet: AnswerSheet) -> str:
    if field == "input" and layer.name in sheet.summary_layers:
        return (f"No input size for {layer.name}: a torchsummary/torchinfo summary shows only outputs. "
                f"Write “{layer.name}: input: (…)” as well.")
    return (f"No {field} size found for {layer.name}. Write it on the template line "
            f"“{layer.name}:  input: (…)  output: (…)”, e.g. (1, 32, 16, 16).")


def _at(answer: Answer) -> str:
    return f" ({answer.where()})" if answer.where() else ""


def _summary(checks: list[CheckOutcome], structure: CheckOutcome, sheet: AnswerSheet) -> str:
    answered = [answer for answer in sheet.answers.values() if answer.status != "unanswered"]
    if not answered and sheet.total.status == "unanswered" and not any(check.uncertain for check in checks):
        message = "No answers were found: fill in the template at the end of lec2_hw1.py."
    else:
        message = review_summary(checks)
    if not structure.passed:
        message += " Note: " + structure.feedback
    return message

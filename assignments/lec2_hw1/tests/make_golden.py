"""Writes the golden submissions of lec2_hw1 that are derived from the starter file.

Run ``python -m assignments.lec2_hw1.tests.make_golden`` after changing the starter, then
``UPDATE_GOLDEN=1 pytest assignments/lec2_hw1`` and read the diff of the expected results. The
answers come from the torch reference (never typed), written the many ways students write them.
The hand-written golden files (tables, summaries, notebooks) are not touched.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")
    django.setup()
    from assignments.lec2_hw1.checker import NetHWSizesChecker
    from assignments.lec2_hw1.reference import STARTER, reference_load
    from assignments.lec2_hw1.solution import solution_text

    reference = reference_load(version=NetHWSizesChecker().version, cache_dir=Path(tempfile.mkdtemp()))
    GOLDEN.mkdir(exist_ok=True)

    def write(name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
        (GOLDEN / name).write_bytes(text.replace("\n", newline).encode(encoding))

    write("full_marks_tuples.py", solution_text(reference))
    write("full_marks_x_notation_thousands_total.py", solution_text(reference, style="x", total=f"{reference.total_params:,}"))
    write("full_marks_torch_size.py", solution_text(reference, style="torch_size"))
    write("full_marks_times_sign_spaced_total.py", solution_text(
        reference, style="times", total=f"{reference.total_params:,}".replace(",", " ")))
    write("full_marks_no_batch.py", solution_text(reference, style="no_batch"))
    write("full_marks_channels_last_bare_features.py", solution_text(reference, style="channels_last"))
    write("full_marks_utf8_bom_crlf.py", "\ufeff" + solution_text(reference, style="list"), newline="\r\n")
    write("full_marks_big5_chinese_labels.py", _chinese_labels(solution_text(reference)), encoding="big5", newline="\r\n")
    write("empty_template.py", STARTER.read_text(encoding="utf-8"))
    write("rounded_total.py", solution_text(reference, total="0.13M"))
    write("modified_architecture.py", solution_text(reference).replace(
        "self.conv1 = nn.Conv2d(3, 32, kernel_size=5, stride=1, padding=2)",
        "self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1)").replace(
        "self.fc2 = nn.Linear(128, 10)", "self.fc2 = nn.Linear(128, 10)\n        self.extra = nn.ReLU()"))
    write("does_not_run.py", solution_text(reference).replace("import torch.nn as nn\n", "import torch.nn as nn\nimport tensorflow\n"))
    write("misconceptions.py", _misconceptions(reference))
    write("notebook_code_cell_answers.ipynb", _notebook(solution_text(reference, style="star")))
    write("notebook_markdown_table_columns_swapped.ipynb", _notebook(STARTER.read_text(encoding="utf-8"), _table(reference)))
    write("torchsummary_pasted_in_docstring.py", STARTER.read_text(encoding="utf-8") + _torchsummary(reference))
    write("torchinfo_with_input_column.py", STARTER.read_text(encoding="utf-8") + _torchinfo(reference))
    write("freeform_separate_lines.py", STARTER.read_text(encoding="utf-8") + _freeform(reference))


def _chinese_labels(text: str) -> str:
    """The template as a student writing in Chinese fills it: 輸入／輸出 and full-width colons."""
    code, marker, answers = text.partition("# Answers / 答案")
    return code + marker + answers.replace("input: ", "輸入：").replace("output: ", "輸出：").replace(", ", "，")


def _misconceptions(reference) -> str:
    """One wrong answer per known misconception, each computed by the reference, not typed."""
    from assignments.lec2_hw1.solution import solution_text

    wrong: dict[str, str] = {}
    for layer in reference.layers:
        for field, mistakes in (("input", layer.input_mistakes), ("output", layer.output_mistakes)):
            if mistakes:
                wrong[f"{layer.name}.{field}"] = str(tuple(mistakes[0].value))
    wrong["total_params"] = str(reference.total_mistakes[0].value)
    return solution_text(reference, wrong=wrong)


def _table(reference) -> str:
    """A markdown table whose columns come in an unusual order, with a Chinese total line."""
    rows = ["| Layer | Output size | Input size |", "|---|---|---|"]
    rows += [f"| {layer.name} | {list(layer.output)} | {list(layer.input)} |" for layer in reference.layers]
    return "\n".join(rows) + f"\n\n總參數量：{reference.total_params:,}\n"


def _torchsummary(reference) -> str:
    """What torchsummary.summary(model, (3, 32, 32)) prints, pasted into a docstring."""
    from assignments.lec2_hw1.reference import canonical_model

    model = canonical_model()
    lines = ["", '"""', "-" * 64, f"{'Layer (type)':>20}  {'Output Shape':>25} {'Param #':>15}", "=" * 64]
    for index, layer in enumerate(reference.layers, start=1):
        shape = str([-1, *layer.output[1:]])
        count = sum(parameter.numel() for parameter in getattr(model, layer.name).parameters())
        lines.append(f"{layer.type_name + '-' + str(index):>20}  {shape:>25} {count:>15,}")
    total = reference.total_params
    lines += ["=" * 64, f"Total params: {total:,}", f"Trainable params: {total:,}", "Non-trainable params: 0",
              "-" * 64, f"Params size (MB): {total * 4 / 1024**2:.2f}", "-" * 64, '"""', ""]
    return "\n".join(lines)


def _torchinfo(reference) -> str:
    """torchinfo.summary(model, input_size=(1, 3, 32, 32), col_names=("input_size", "output_size"),
    row_settings=("var_names",)) pasted as comments."""
    lines = ["", "# " + "=" * 90, "# Layer (type (var_name))   Input Shape   Output Shape   Param #", "# " + "=" * 90]
    for index, layer in enumerate(reference.layers, start=1):
        name = f"├─{layer.type_name} ({layer.name}): 1-{index}"
        lines.append(f"# {name:<40}{str(list(layer.input)):<25}{str(list(layer.output)):<25}--")
    lines += ["# " + "=" * 90, f"# Total params: {reference.total_params:,}", "# " + "=" * 90, ""]
    return "\n".join(lines)


def _freeform(reference) -> str:
    """Answers as a student writes them without the template: separate lines, labels before
    names, arrows, Chinese labels, a total worked out as a sum."""
    lines = ["", '"""', "My answers:", ""]
    for index, layer in enumerate(reference.layers):
        written_in = "x".join(map(str, layer.input))
        written_out = "x".join(map(str, layer.output))
        if index % 3 == 0:
            lines += [f"{index + 1}. self.{layer.name.upper()}", f"   - input : {written_in}", f"   - output: {written_out}"]
        elif index % 3 == 1:
            lines += [f"input of {layer.name} = {tuple(layer.input)}", f"output of {layer.name} = {tuple(layer.output)}"]
        else:
            lines += [f"{layer.name}: {tuple(layer.input)} -> {tuple(layer.output)}"]
        lines.append("")
    lines += [f"Total parameters = {reference.total_params}", '"""', ""]
    return "\n".join(lines)


def _notebook(source: str, markdown: str = "") -> str:
    code, _, answers = source.partition("# " + "=" * 98)
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Lecture 2-2 HW1\n", "NetHW below."]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["!pip install torchsummary\n", code]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["# " + "=" * 98 + answers]},
    ]
    if markdown:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": [markdown]})
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


if __name__ == "__main__":
    main()

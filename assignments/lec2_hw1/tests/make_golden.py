"""Writes the golden submissions of lec2_hw1 that are derived from the starter file.

Run ``python -m assignments.lec2_hw1.tests.make_golden`` after changing the starter, then
``UPDATE_GOLDEN=1 pytest assignments/lec2_hw1`` and read the diff of the expected results. The
answers come from the torch reference (never typed), written the many ways students write them.
The styles beyond the template (sentences, forward() comments, lists, notebooks, encodings) are
in ``golden_styles``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden")
STARTER = Path(__file__).resolve().parents[1] / "lec2_hw1.py"


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")
    django.setup()
    from django.conf import settings

    from assignments.lec2_hw1.checker import NetHWSizesChecker
    from assignments.lec2_hw1.tests.golden_styles import Styles, golden_files
    from assignments.lec2_hw1.tests.solution import solution_text

    settings.GRADER_CACHE_DIR = Path(tempfile.mkdtemp())
    checker = NetHWSizesChecker()
    reference = checker.reference()
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
    write("full_marks_chinese_without_spaces.py", _answers_replaced(_chinese_without_spaces(reference)))
    write("full_marks_sentences_ending_in_full_stops.py", _answers_replaced(_sentences_with_full_stops(reference)))
    write("full_marks_notes_after_answers.py", _notes_after_answers(solution_text(reference), reference))
    write("full_marks_sizes_without_brackets.py", solution_text(reference, style="no_brackets"))
    write("full_marks_input_and_output_blocks.py", _answers_replaced(_input_and_output_blocks(reference)))
    write("full_marks_comments_on_layer_definitions.py", _comments_on_definitions(reference))
    write("wrong_misconceptions_without_brackets.py", _misconceptions(reference, style="no_brackets"))
    write("wrong_answers_followed_by_right_looking_notes.py", _wrong_then_right_looking_notes(reference))
    write("wrong_outputs_under_input_heading.py", _answers_replaced(_outputs_under_input_heading(reference)))
    write("notebook_wrong_answer_told_by_cell_and_line.ipynb", _notebook(solution_text(
        reference, wrong={"conv2.output": str(reference.layer("conv2").output_mistakes[0].value)})))
    for golden in golden_files(Styles(reference, checker.load_starter().NetHW())):
        (GOLDEN / golden.name).write_bytes(golden.data())


def _chinese_labels(text: str) -> str:
    """The template as a student writing in Chinese fills it: 輸入／輸出 and full-width colons."""
    code, marker, answers = text.partition("# Answers / 答案")
    return code + marker + answers.replace("input: ", "輸入：").replace("output: ", "輸出：").replace(", ", "，")


def _misconceptions(reference, style: str = "tuple") -> str:
    """One wrong answer per known misconception, each computed by the reference, not typed."""
    from assignments.lec2_hw1.tests.solution import STYLES, solution_text

    wrong: dict[str, str] = {}
    for layer in reference.layers:
        for field, mistakes in (("input", layer.input_mistakes), ("output", layer.output_mistakes)):
            if mistakes:
                wrong[f"{layer.name}.{field}"] = STYLES[style](tuple(mistakes[0].value))
    wrong["total_params"] = str(reference.total_mistakes[0].value)
    return solution_text(reference, style=style, wrong=wrong)


def _answers_replaced(answers: str) -> str:
    """The starter with its answer template replaced by ``answers`` (a student's own layout)."""
    code, marker, _ = STARTER.read_text(encoding="utf-8").partition("# " + "=" * 98)
    return code + marker + "\n" + answers


def _x(dims) -> str:
    return "x".join(map(str, dims))


def _chinese_without_spaces(reference) -> str:
    """Chinese prose with numbers right against the words: 「conv1的輸入是1x3x32x32，輸出是…」."""
    lines = [f"# {layer.name}的輸入是{_x(layer.input)}，輸出是{_x(layer.output)}" for layer in reference.layers]
    return "\n".join(lines) + f"\n# 總參數量為{reference.total_params:,}個\n"


def _sentences_with_full_stops(reference) -> str:
    """Sentences whose sizes and total end in a full stop."""
    lines = [f"# {layer.name} input is {_x(layer.input)}. Output is {_x(layer.output)}." for layer in reference.layers]
    return "\n".join(lines) + f"\n# The total number of parameters is {reference.total_params}.\n"


def _notes_after_answers(text: str, reference) -> str:
    """Working written after right answers, on the same line and the next, in English and Chinese,
    with numbers (and other layers' names) that are not the answer."""
    conv2, upconv, fuse, pool2 = (reference.layer(name) for name in ("conv2", "upconv", "fuse", "pool2"))
    notes = {
        "conv2": (f"  (stride 2 halves the input size {_x(conv2.input[2:])} to {_x(conv2.output[2:])})", ""),
        "upconv": (f"  （輸入通道 {upconv.input[1]}，輸出通道 {upconv.output[1]}）",
                   f"#   transposed conv doubles {_x(upconv.input[2:])} out to {_x(upconv.output[2:])}"),
        "fuse": ("", f"#   input is cat of upconv output ({upconv.output[1]} ch) and skip "
                     f"({fuse.input[1] - upconv.output[1]} ch) = {fuse.input[1]} channels"),
        "pool2": ("", f"#   ({pool2.input[2]} - 3) / 2 + 1 = {pool2.output[2]}"),
        "conv3": ("   # same as conv2's output", ""),
    }
    lines = []
    for line in text.split("\n"):
        name = line[2:].split(":", 1)[0] if line.startswith("# ") and "input: (" in line else ""
        same_line, next_line = notes.get(name, ("", ""))
        lines.append(line + same_line)
        if next_line:
            lines.append(next_line)
    return "\n".join(lines)


def _input_and_output_blocks(reference) -> str:
    """Every input under an "Input sizes:" heading, then every output under "Output sizes:"."""
    inputs = [f"# {layer.name}: {tuple(layer.input)}" for layer in reference.layers]
    outputs = [f"# {layer.name}: {tuple(layer.output)}" for layer in reference.layers]
    return "\n".join(["# Input sizes:", *inputs, "#", "# Output sizes:", *outputs, "#",
                      f"# Total number of parameters: {reference.total_params}", ""])


def _outputs_under_input_heading(reference) -> str:
    """A mix-up: the outputs written under "Input sizes:" (right only where a layer keeps the size)."""
    outputs = [f"# {layer.name}: {tuple(layer.output)}" for layer in reference.layers]
    return "\n".join(["# Input sizes:", *outputs, "", f"# Total number of parameters: {reference.total_params}", ""])


def _comments_on_definitions(reference) -> str:
    """Each layer's sizes in a comment on the line that creates it; the template left blank."""
    import re

    text = STARTER.read_text(encoding="utf-8")
    for layer in reference.layers:
        text, replaced = re.subn(
            rf"^(\s*self\.{layer.name} = .*)$",
            lambda match, layer=layer: f"{match.group(1)}  # in: {tuple(layer.input)} out: {tuple(layer.output)}",
            text, count=1, flags=re.MULTILINE,
        )
        assert replaced == 1, layer.name
    return text.replace("# Total number of parameters / 總參數量:", f"# Total number of parameters / 總參數量: "
                        f"{reference.total_params}")


def _wrong_then_right_looking_notes(reference) -> str:
    """Wrong answers followed by notes that hold the right size: the answer is what is graded.

    Also wrong sizes written without brackets, against Chinese words and before a full stop."""
    from assignments.lec2_hw1.tests.solution import solution_text

    conv2, upconv, pool2, conv1, gconv = (
        reference.layer(name) for name in ("conv2", "upconv", "pool2", "conv1", "gconv"))
    wrong = {
        "conv2.output": str(conv2.output_mistakes[0].value) + f"  (or is it {conv2.output}?)",
        "upconv.output": str(upconv.output_mistakes[0].value),
        "pool2.output": ", ".join(map(str, pool2.output_mistakes[0].value)),
        "gconv.output": ", ".join(map(str, gconv.output[1:3])),  # a dimension left out
    }
    text = solution_text(reference, wrong=wrong)
    text = text.replace(
        f"# upconv:   input: {upconv.input}    output: {upconv.output_mistakes[0].value}",
        f"# upconv:   input: {upconv.input}    output: {upconv.output_mistakes[0].value}\n"
        f"#   output should double: {upconv.output}",
    )
    return text.replace(
        "# Total number of parameters / 總參數量:",
        f"# conv1的輸入是{_x(conv1.input)}，輸出是{_x(conv1.output_mistakes[0].value)}\n"
        f"# conv2 input is {_x(conv2.input)}. Output is {_x(conv2.output_mistakes[1].value)}.\n"
        "# Total number of parameters / 總參數量:",
    )


def _table(reference) -> str:
    """A markdown table whose columns come in an unusual order, with a Chinese total line."""
    rows = ["| Layer | Output size | Input size |", "|---|---|---|"]
    rows += [f"| {layer.name} | {list(layer.output)} | {list(layer.input)} |" for layer in reference.layers]
    return "\n".join(rows) + f"\n\n總參數量：{reference.total_params:,}\n"


def _torchsummary(reference) -> str:
    """What torchsummary.summary(model, (3, 32, 32)) prints, pasted into a docstring."""
    from assignments.lec2_hw1.checker import NetHWSizesChecker

    model = NetHWSizesChecker().load_starter().NetHW()
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

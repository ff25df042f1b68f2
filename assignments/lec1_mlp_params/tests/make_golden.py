"""Writes the golden submissions of lec1_mlp_params in the styles students write beyond the
template: sentences with working, tables with a "Total" row, class names, several encodings; and
the same styles with wrong counts, which must stay wrong.

Run ``python -m assignments.lec1_mlp_params.tests.make_golden``, then
``UPDATE_GOLDEN=1 pytest assignments/lec1_mlp_params`` and read the diff of the expected results.
Every count comes from the torch reference (never typed). The older golden files, written by hand,
are not touched.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).with_name("golden")
STARTER = Path(__file__).resolve().parents[1] / "lec1_mlp_params.py"
RULE = "# " + "=" * 98


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")
    django.setup()
    from django.conf import settings

    from assignments.lec1_mlp_params.checker import MlpParameterCountChecker

    settings.GRADER_CACHE_DIR = Path(tempfile.mkdtemp())
    checker = MlpParameterCountChecker()
    reference = checker.reference()
    model = checker.load_starter().MLP()
    for name, text, encoding, newline in files(reference, model):
        data = text.replace("\n", newline).encode(encoding, errors="replace")
        (GOLDEN / name).write_bytes(data)


def files(reference: dict, model) -> list[tuple[str, str, str, str]]:
    layers = reference["layers"]
    total = reference["total_params"]
    right = {layer["name"]: layer["params"] for layer in layers}
    forgot = {layer["name"]: layer["mistakes"][0][0] for layer in layers}  # every bias left out
    per_input = {layer["name"]: layer["mistakes"][1][0] for layer in layers}  # a bias per input
    wrong_total = reference["total_mistakes"][0][0]

    def working(name: str, count: int) -> str:
        module = getattr(model, name)
        if count == right[name]:
            return f"{module.in_features}*{module.out_features} + {module.out_features} = {count:,}"
        return f"{count:,}"

    def sentences(counts: dict[str, int], total_written: int) -> str:
        lines = [f"# {name} has {working(name, count)} parameters (weights and biases)." for name, count in counts.items()]
        return with_answers("\n".join(lines) + f"\n# In total the MLP has {total_written:,} parameters.\n")

    def table(counts: dict[str, int], total_written: int) -> str:
        rows = ["| Layer | Parameters |", "|---|---:|", *(f"| {name} | {count:,} |" for name, count in counts.items())]
        return "\n".join([*rows, f"| **Total** | **{total_written:,}** |"]) + "\n"

    def classes(counts: dict[str, int]) -> str:
        lines = []
        for name, count in counts.items():
            module = getattr(model, name)
            lines.append(f"# Linear({module.in_features}, {module.out_features}): {count} 個參數")
        return with_answers("\n".join(lines) + f"\n# 總參數量：{total}\n")

    simplified = with_answers("\n".join(f"# {name} 的参数量：{count}" for name, count in right.items())
                              + f"\n# 总参数量：{total}\n")
    template = with_answers("\n".join(f"# {name} parameters: {count}" for name, count in right.items())
                            + f"\n# Total number of parameters / 總參數量: {total}\n")
    two_totals = with_answers("\n".join(f"# {name} parameters: {count}" for name, count in right.items())
                              + f"\n# Total number of parameters / 總參數量: {wrong_total}\n"
                              + f'"""\nTotal params: {total:,}\nTrainable params: {total:,}\n"""\n')
    return [
        ("right_english_sentences_with_working.py", sentences(right, total), "utf-8", "\n"),
        ("wrong_english_sentences_one_bias_per_input.py", sentences(per_input, wrong_total), "utf-8", "\n"),
        ("right_notebook_markdown_table_total_row.ipynb", notebook(table(right, total)), "utf-8", "\n"),
        ("wrong_table_total_row_forgot_biases.py", with_answers('"""\n' + table(forgot, wrong_total) + '"""\n'),
         "utf-8", "\n"),
        ("right_layers_named_by_class_and_features_big5.py", classes(right), "cp950", "\r\n"),
        ("right_simplified_chinese_gbk.py", simplified, "gb18030", "\n"),
        ("right_template_utf16_notepad.py", template, "utf-16", "\r\n"),
        ("review_two_different_totals.py", two_totals, "utf-8", "\n"),
    ]


def with_answers(answers: str) -> str:
    code, marker, _ = STARTER.read_text(encoding="utf-8").partition(RULE)
    return code + marker + "\n" + answers


def notebook(markdown: str) -> str:
    code = STARTER.read_text(encoding="utf-8").partition(RULE)[0]
    cells = [
        {"id": "cell-1", "cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": code},
        {"id": "cell-2", "cell_type": "markdown", "metadata": {}, "source": "## Answers\n\n" + markdown},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


if __name__ == "__main__":
    main()

"""Golden submissions of lec2_hw1 in the styles students write beyond the template: sentences,
comments beside ``forward()``, worked calculations, tables, lists in network order, Python data,
notebooks with answers in markdown and in printed outputs, several languages and encodings; and
the same styles with wrong answers, which must stay wrong.

Every size and count comes from the torch reference or the starter's own model (``Styles``), never
typed; ``make_golden`` writes the files. A name says what the file must get: ``full_marks_`` all
right, ``wrong_`` wrong answers that stay wrong, ``review_`` answers the grader cannot read with
confidence, which keep their points until a TA decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTER = Path(__file__).resolve().parents[1] / "lec2_hw1.py"
RULE = "# " + "=" * 98


@dataclass(frozen=True)
class Golden:
    """One file to write: its name, its text (or a notebook), its encoding and line ending."""

    name: str
    text: str
    encoding: str = "utf-8"
    newline: str = "\n"
    raw: bytes | None = None  # bytes written as they are (a file mixing encodings)

    def data(self) -> bytes:
        if self.raw is not None:
            return self.raw
        # Characters the encoding lacks become "?", as Notepad saves the starter's Chinese in "ANSI".
        return self.text.replace("\n", self.newline).encode(self.encoding, errors="replace")


def x(dims) -> str:
    return "x".join(map(str, dims))


def times(dims) -> str:
    return "×".join(map(str, dims))


def with_answers(answers: str) -> str:
    """The starter with its answer template replaced by ``answers`` (a student's own layout)."""
    code, marker, _ = STARTER.read_text(encoding="utf-8").partition(RULE)
    return code + marker + "\n" + answers


def notebook(*cells: tuple[str, str] | tuple[str, str, list[str]]) -> str:
    """A notebook of (kind, source) or ("code", source, printed lines) cells."""
    built = []
    for number, cell in enumerate(cells, start=1):
        kind, source = cell[0], cell[1]
        entry: dict[str, Any] = {"id": f"cell-{number}", "cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            printed = cell[2] if len(cell) > 2 else []  # type: ignore[misc]
            entry.update(execution_count=number, outputs=[
                {"output_type": "stream", "name": "stdout", "text": [line + "\n" for line in printed]}
            ] if printed else [])
        built.append(entry)
    return json.dumps({"cells": built, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1,
                      ensure_ascii=False)


class Styles:
    """The reference, the starter's model, and the ways of writing each layer's answers."""

    def __init__(self, reference, model) -> None:
        self.reference = reference
        self.model = model
        self.layers = reference.layers
        self.total = reference.total_params
        self.code = STARTER.read_text(encoding="utf-8").partition(RULE)[0]

    # --- Values --------------------------------------------------------------------------------

    def wrong(self, layer, field: str):
        """The first misconception's size for ``field`` of ``layer``, or None."""
        mistakes = layer.input_mistakes if field == "input" else layer.output_mistakes
        return tuple(mistakes[0].value) if mistakes else None

    def sizes(self, layer, *, wrong: bool = False) -> tuple[tuple, tuple]:
        """``layer``'s input and output, with misconceptions instead where ``wrong`` and there are any."""
        given_in = self.wrong(layer, "input") if wrong else None
        given_out = self.wrong(layer, "output") if wrong else None
        return given_in or layer.input, given_out or layer.output

    def parameters(self, name: str) -> int:
        return sum(parameter.numel() for parameter in getattr(self.model, name).parameters())

    def wrong_total(self) -> int:
        return self.reference.total_mistakes[0].value

    def size_working(self, layer) -> str:
        """The height worked out with the layer's formula: "(32 + 2*2 - 1*(5 - 1) - 1)/1 + 1 = 32"."""
        module = getattr(self.model, layer.name)
        height, out = layer.input[2] if len(layer.input) == 4 else None, layer.output
        kernel, stride, padding, dilation = (_first(getattr(module, attribute, 1)) for attribute in
                                             ("kernel_size", "stride", "padding", "dilation"))
        kind = type(module).__name__
        if height is None or len(out) != 4:
            return ""
        if kind == "ConvTranspose2d":
            return f"({height} - 1)*{stride} - 2*{padding} + {dilation}*({kernel} - 1) + 1 = {out[2]}"
        if kind == "Conv2d":
            return f"({height} + 2*{padding} - {dilation}*({kernel} - 1) - 1)/{stride} + 1 = {out[2]}"
        if kind in ("MaxPool2d", "AvgPool2d"):
            return f"({height} + 2*{padding} - {kernel})/{stride} + 1 = {out[2]}"
        return ""

    def parameter_working(self, name: str) -> str:
        """The layer's parameters worked out: "32*3*5*5 + 32 = 2432"."""
        terms = []
        for parameter in getattr(self.model, name).parameters():
            terms.append("*".join(map(str, parameter.shape)) if parameter.dim() > 1 else str(parameter.numel()))
        count = self.parameters(name)
        return f"{' + '.join(terms)} = {count}" if len(terms) > 1 else str(count)

    # --- Lines of forward() ----------------------------------------------------------------------

    def forward_lines(self) -> Iterator[tuple[str, list[str]]]:
        """Each line of the starter's ``forward`` with the layers it calls, first to last."""
        body = self.code.split("def forward(self, x):\n", 1)[1].split("\n\n", 1)[0]
        for line in body.split("\n"):
            calls = re.findall(r"self\.(\w+)\(", line.split("#")[0])
            yield line, list(reversed(calls))

    def forward_with_comments(self, comment: Callable[[str, list[str]], str]) -> str:
        """The starter with ``comment(line, calls)`` appended to each line of ``forward``."""
        code = self.code
        for line, calls in self.forward_lines():
            note = comment(line, calls)
            if note:
                separator = "  " if "#" in line else "  # "
                code = code.replace(line + "\n", line + separator + note + "\n", 1)
        return code

    def result_size(self, line: str, calls: list[str], *, wrong: bool = False):
        """The size of what a line of ``forward`` computes."""
        layer = {entry.name: entry for entry in self.layers}
        if "torch.cat" in line:
            return layer["fuse"].input
        if "flatten" in line:
            return layer["fc1"].input
        if not calls:
            return None
        # A student who gets one layer of the line wrong writes that size for the line's result.
        mistaken = [self.wrong(layer[name], "output") for name in calls if wrong and self.wrong(layer[name], "output")]
        return mistaken[0] if mistaken else layer[calls[-1]].output


def _first(value):
    return value[0] if isinstance(value, tuple) else value


# --- The files --------------------------------------------------------------------------------------


def golden_files(styles: Styles) -> list[Golden]:
    files: list[Golden] = []
    for maker in (_sentences, _forward, _worked, _tables, _lists, _python_data, _notebooks, _languages, _doubts,
                  _guards, _layouts):
        files.extend(maker(styles))
    return files


def _sentence(styles: Styles, index: int, layer, *, wrong: bool) -> str:
    given_in, given_out = styles.sizes(layer, wrong=wrong)
    forms = (
        "# {name} takes a {i} tensor and outputs {o}.",
        "# The input of {name} is {i}; it produces {o}.",
        "# {name} receives {i} and returns {o}.",
        "# After {name} the size is {o} (its input is {i}).",
    )
    return forms[index % len(forms)].format(name=layer.name, i=x(given_in), o=x(given_out))


def _sentences(styles: Styles) -> list[Golden]:
    def text(wrong: bool) -> str:
        lines = [_sentence(styles, index, layer, wrong=wrong) for index, layer in enumerate(styles.layers)]
        total = styles.wrong_total() if wrong else styles.total
        return with_answers("\n".join(lines) + f"\n# In total the model has {total:,} parameters.\n")

    return [Golden("full_marks_english_sentences.py", text(False)),
            Golden("wrong_english_sentences_misconceptions.py", text(True))]


def _forward(styles: Styles) -> list[Golden]:
    conv1 = styles.layers[0]

    def named(wrong: bool) -> Callable[[str, list[str]], str]:
        def comment(line: str, calls: list[str]) -> str:
            parts = []
            for name in calls:
                given_in, given_out = styles.sizes(styles.reference.layer(name), wrong=wrong)
                parts.append(f"{name}: {x(given_in)} -> {x(given_out)}")
            return ", ".join(parts)
        return comment

    def sizes_only(wrong: bool) -> Callable[[str, list[str]], str]:
        def comment(line: str, calls: list[str]) -> str:
            size = styles.result_size(line, calls, wrong=wrong)
            return str(tuple(size)) if size else ""
        return comment

    def chained(line: str, calls: list[str]) -> str:
        if "torch.cat" in line:
            return str(tuple(styles.result_size(line, calls)))
        if not calls:
            return ""
        first = styles.reference.layer(calls[0])
        steps = [first.input] + [styles.reference.layer(name).output for name in calls]
        if "flatten" in line:
            steps.append(styles.result_size(line, calls))
        return " -> ".join(map(str, map(tuple, steps)))

    def trace(text: str) -> str:
        return text.replace("def forward(self, x):\n", f"def forward(self, x):\n        # x: {tuple(conv1.input)}\n", 1)

    total_line = f"\n{RULE}\n# Total number of parameters / 總參數量: {styles.total}\n"
    wrong_total = f"\n{RULE}\n# Total number of parameters / 總參數量: {styles.wrong_total()}\n"
    return [
        Golden("full_marks_forward_comments_naming_each_layer_utf8_bom_crlf.py",
               "\ufeff" + styles.forward_with_comments(named(False)) + total_line, newline="\r\n"),
        Golden("wrong_forward_comments_naming_each_layer.py", styles.forward_with_comments(named(True)) + wrong_total),
        Golden("review_forward_comments_sizes_only.py", trace(styles.forward_with_comments(sizes_only(False))) + total_line),
        Golden("wrong_forward_comments_sizes_only.py", trace(styles.forward_with_comments(sizes_only(True))) + wrong_total),
        Golden("full_marks_forward_comments_chained_sizes.py", trace(styles.forward_with_comments(chained)) + total_line),
    ]


def _worked(styles: Styles) -> list[Golden]:
    def text(wrong: bool) -> str:
        lines = ["# My working (H = W everywhere):"]
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            working = styles.size_working(layer) if not wrong or given_out == layer.output else ""
            lines.append(f"# {layer.name}: " + (f"H_out = {working}, so " if working else "")
                         + f"input {tuple(given_in)}, output {tuple(given_out)}")
        lines.append("#")
        lines.append("# Parameters per layer:")
        lines += [f"# {layer.name} = {styles.parameter_working(layer.name)}" for layer in styles.layers]
        counts = [styles.parameters(layer.name) for layer in styles.layers]
        total = styles.wrong_total() if wrong else sum(counts)
        lines.append(f"# Total = {' + '.join(map(str, counts))} = {total}")
        return with_answers("\n".join(lines) + "\n")

    return [Golden("full_marks_worked_calculations_and_parameter_sums.py", text(False)),
            Golden("wrong_worked_calculations_and_parameter_sums.py", text(True))]


def _table(styles: Styles, *, wrong: bool) -> str:
    rows = ["| Layer | Input | Output | Params |", "|---|---|---|---|"]
    for layer in styles.layers:
        given_in, given_out = styles.sizes(layer, wrong=wrong)
        rows.append(f"| {layer.name} | {x(given_in)} | {x(given_out)} | {styles.parameters(layer.name):,} |")
    total = styles.wrong_total() if wrong else styles.total
    rows.append(f"| **Total** | | | **{total:,}** |")
    return "\n".join(rows) + "\n"


def _tables(styles: Styles) -> list[Golden]:
    return [
        Golden("full_marks_notebook_markdown_table_params_total_row.ipynb", notebook(
            ("markdown", "# Lecture 2-2 HW1"), ("code", styles.code),
            ("markdown", "## Answers\n\n" + _table(styles, wrong=False)))),
        Golden("wrong_table_in_docstring_params_total_row.py",
               with_answers('"""\n' + _table(styles, wrong=True) + '"""\n')),
    ]


def _lists(styles: Styles) -> list[Golden]:
    def arrows(wrong: bool) -> str:
        lines = ["# Shapes, NxCxHxW, layer by layer in the order of forward():"]
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            lines.append(f"# {x(given_in)} -> {x(given_out)}")
        total = styles.wrong_total() if wrong else styles.total
        return with_answers("\n".join(lines) + f"\n#\n# Total params: {total}\n")

    def numbered(wrong: bool) -> str:
        lines = []
        for number, layer in enumerate(styles.layers, start=1):
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            lines.append(f"# {number}. {list(given_in)} => {list(given_out)}  #params {styles.parameters(layer.name)}")
        total = styles.wrong_total() if wrong else styles.total
        return with_answers("\n".join(lines) + f"\n# Total params: {total:,}\n")

    one_missing = arrows(False).replace(
        f"# {x(styles.reference.layer('dropout').input)} -> {x(styles.reference.layer('dropout').output)}\n", "", 1)
    return [
        Golden("full_marks_arrow_list_in_network_order.py", arrows(False)),
        Golden("wrong_arrow_list_in_network_order_misconceptions.py", arrows(True)),
        Golden("review_arrow_list_with_one_layer_left_out.py", one_missing),
        Golden("full_marks_numbered_list_with_params.py", numbered(False)),
        Golden("wrong_numbered_list_with_params_misconceptions.py", numbered(True)),
    ]


def _python_data(styles: Styles) -> list[Golden]:
    def text(wrong: bool) -> str:
        entries = []
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            entries.append(f'    "{layer.name}": [{tuple(given_in)}, {tuple(given_out)}],')
        total = styles.wrong_total() if wrong else styles.total
        return with_answers("ANSWERS = {  # layer: [input size, output size]\n" + "\n".join(entries)
                            + f"\n}}\nTOTAL_PARAMS = {total}\n")

    return [Golden("full_marks_python_dict_of_answers.py", text(False)),
            Golden("wrong_python_dict_of_answers.py", text(True))]


def _notebooks(styles: Styles) -> list[Golden]:
    def latex(dims) -> str:
        return "$ " + " \\times ".join(map(str, dims)) + " $"

    def headings(wrong: bool) -> str:
        parts = []
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            parts.append(f"### {layer.name} ({layer.type_name})\n- 輸入：{latex(given_in)}\n- 輸出：{latex(given_out)}\n")
        total = styles.wrong_total() if wrong else styles.total
        return "\n".join(parts) + f"\n**總參數量：{total:,}**\n"

    def hooks(wrong: bool) -> list[str]:
        printed = []
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            printed.append(f"{layer.type_name}: {tuple(given_in)} -> {tuple(given_out)}")
        total = styles.wrong_total() if wrong else styles.total
        return [*printed, f"Total params: {total}"]

    hook_code = ("for module in model.children():\n"
                 "    module.register_forward_hook(lambda m, i, o: print(f\"{type(m).__name__}: {tuple(i[0].shape)} -> {tuple(o.shape)}\"))\n"
                 "model(torch.randn(1, 3, 32, 32))\n"
                 "print('Total params:', sum(p.numel() for p in model.parameters()))")

    def named_prints(wrong: bool) -> list[str]:
        printed = []
        for layer in styles.layers:
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            printed.append(f"{layer.name} in torch.Size({list(given_in)}) out torch.Size({list(given_out)})")
        return printed

    return [
        Golden("full_marks_notebook_markdown_headings_chinese_latex.ipynb", notebook(
            ("markdown", "# 講義 2-2 作業一"), ("code", styles.code), ("markdown", headings(False)))),
        Golden("wrong_notebook_markdown_headings_chinese_latex.ipynb", notebook(
            ("markdown", "# 講義 2-2 作業一"), ("code", styles.code), ("markdown", headings(True)))),
        Golden("full_marks_notebook_printed_hook_outputs.ipynb", notebook(
            ("code", styles.code), ("code", "model = NetHW()\n" + hook_code, hooks(False)),
            ("markdown", "The sizes of every layer are printed above, in the order forward() calls them."))),
        Golden("wrong_notebook_printed_hook_outputs_of_a_changed_model.ipynb", notebook(
            ("code", styles.code), ("code", "model = NetHW()\n" + hook_code, hooks(True)))),
        Golden("full_marks_notebook_printed_named_sizes.ipynb", notebook(
            ("code", styles.code), ("code", "# prints each layer's input and output", named_prints(False)),
            ("markdown", f"Total number of parameters: {styles.total}"))),
    ]


def _languages(styles: Styles) -> list[Golden]:
    chinese = [f"# {layer.name} 這一層的輸入大小為 {times(layer.input)}，經過之後輸出為 {times(layer.output)}。"
               for layer in styles.layers]
    wrong_chinese = [f"# {layer.name} 的輸入是 {times(styles.sizes(layer, wrong=True)[0])}，"
                     f"輸出是 {times(styles.sizes(layer, wrong=True)[1])}" for layer in styles.layers]
    simplified = [f"# {layer.name} 的输入是 {x(layer.input)}，输出是 {x(layer.output)}" for layer in styles.layers]
    def western(wrong: bool) -> list[str]:
        return [f"# {layer.name}: {times(styles.sizes(layer, wrong=wrong)[0])} -> "
                f"{times(styles.sizes(layer, wrong=wrong)[1])}  (“NCHW”)" for layer in styles.layers]
    same = []
    for layer in styles.layers:
        if layer.input == layer.output and layer.type_name in ("BatchNorm2d", "Dropout"):
            same.append(f"# {layer.name}: input {tuple(layer.input)}, output: same as input")
        else:
            same.append(f"# {layer.name}：輸入 {tuple(layer.input)}，輸出 {tuple(layer.output)}")
    def positions(wrong: bool) -> list[str]:
        lines = []
        for number, layer in enumerate(styles.layers, start=1):
            name = f"第{number}層" if number % 2 else f"Layer {number}"
            given_in, given_out = styles.sizes(layer, wrong=wrong)
            lines.append(f"# {name}: {tuple(given_in)} -> {tuple(given_out)}")
        return lines
    utf8_part = "\n".join(simplified[:8]).replace("的输入是", "的輸入是").replace("输出是", "輸出是")
    big5_part = "\n".join(f"# {layer.name} 的輸入是 {x(layer.input)}，輸出是 {x(layer.output)}" for layer in styles.layers[8:])
    total_zh = f"\n# 總共有 {styles.total:,} 個參數\n"
    mixed = with_answers(utf8_part + "\n").encode("utf-8") + (big5_part + total_zh).encode("cp950")
    return [
        Golden("full_marks_traditional_chinese_prose_big5_crlf.py", with_answers("\n".join(chinese) + total_zh),
               encoding="cp950", newline="\r\n"),
        Golden("wrong_traditional_chinese_prose_big5.py", with_answers(
            "\n".join(wrong_chinese) + f"\n# 總參數量：{styles.wrong_total()}\n"), encoding="cp950"),
        Golden("full_marks_simplified_chinese_gbk.py", with_answers(
            "\n".join(simplified) + f"\n# 总参数量：{styles.total}\n"), encoding="gb18030"),
        Golden("full_marks_english_cp1252_times_signs.py", with_answers(
            "\n".join(western(False)) + f"\n# Total number of parameters: {styles.total:,}\n"), encoding="cp1252",
            newline="\r\n"),
        Golden("wrong_english_cp1252_times_signs.py", with_answers(
            "\n".join(western(True)) + f"\n# Total number of parameters: {styles.wrong_total():,}\n"), encoding="cp1252"),
        Golden("full_marks_template_utf16_notepad.py", _template(styles), encoding="utf-16", newline="\r\n"),
        Golden("full_marks_template_utf16le_without_bom.py", _template(styles), encoding="utf-16-le"),
        Golden("full_marks_mixed_utf8_with_lines_pasted_from_big5.py", "", raw=mixed),
        Golden("full_marks_mixed_languages_same_as_input.py", with_answers(
            "\n".join(same) + f"\n# Total params（總參數量）= {styles.total}\n")),
        Golden("full_marks_layer_positions_chinese_and_english.py", with_answers(
            "\n".join(positions(False)) + f"\n# Total: {styles.total}\n")),
        Golden("wrong_layer_positions_chinese_and_english.py", with_answers(
            "\n".join(positions(True)) + f"\n# Total: {styles.wrong_total()}\n")),
    ]


def _template(styles: Styles) -> str:
    from assignments.lec2_hw1.tests.solution import solution_text

    return solution_text(styles.reference, style="x")


def _doubts(styles: Styles) -> list[Golden]:
    from assignments.lec2_hw1.tests.solution import solution_text

    conv2, pool1 = styles.reference.layer("conv2"), styles.reference.layer("pool1")
    right = solution_text(styles.reference)
    second_answers = right.replace(
        "# Total number of parameters / 總參數量:",
        f"# conv2 output: {x(styles.wrong(conv2, 'output'))}\n"
        f"# pool1 的輸出是 {x(styles.wrong(pool1, 'output'))}\n"
        "# Total number of parameters / 總參數量:")
    corrected = solution_text(styles.reference, wrong={"conv2.output": str(styles.wrong(conv2, "output"))}).replace(
        "# Total number of parameters / 總參數量:",
        f"# Correction (final answer): conv2 output is {tuple(conv2.output)}\n# Total number of parameters / 總參數量:")
    unattributed = solution_text(styles.reference, wrong={"fc2.output": "(  )"}).replace(
        "# Total number of parameters / 總參數量:",
        f"# The network's prediction has size {tuple(styles.reference.layer('fc2').output)}.\n"
        "# Total number of parameters / 總參數量:")
    return [
        Golden("review_two_different_answers_without_a_final_one.py", second_answers),
        Golden("full_marks_wrong_answer_then_a_correction_marked_final.py", corrected),
        Golden("review_a_size_not_attributed_to_any_layer.py", unattributed),
    ]


def _layouts(styles: Styles) -> list[Golden]:
    """Layouts nobody described: layers numbered from 0, Chinese flow sentences, sizes in words,
    columns named by a header line, numbered lists under field headings, answers under the
    template's untouched lines, an HTML table, "before"/"after" lines."""
    def each(line: Callable[[int, Any, tuple, tuple], str], wrong: bool = False) -> list[str]:
        return [line(number, layer, *styles.sizes(layer, wrong=wrong)) for number, layer in enumerate(styles.layers)]

    def in_words(dims) -> str:
        if len(dims) != 4:
            return str(tuple(dims))
        return f"{dims[1]} channels and size {dims[2]}x{dims[3]}"

    def total(wrong: bool) -> int:
        return styles.wrong_total() if wrong else styles.total

    zero_based = [f"# layer {number}: {tuple(given_in)} -> {tuple(given_out)}"
                  for number, layer, given_in, given_out in _numbered(styles)]
    wrong_zero_based = [f"# layer {number}: {tuple(given_in)} -> {tuple(given_out)}"
                        for number, layer, given_in, given_out in _numbered(styles, wrong=True)]
    flow = each(lambda n, layer, given_in, given_out: f"# 經過{layer.name}後，大小變為{tuple(given_out)}（輸入為{tuple(given_in)}）")
    words = each(lambda n, layer, given_in, given_out:
                 f"# {layer.name}: the input has {in_words(given_in)}; the output has {in_words(given_out)}")
    wrong_words = each(lambda n, layer, given_in, given_out:
                       f"# {layer.name}: the input has {in_words(given_in)}; the output has {in_words(given_out)}", True)
    columns = ["# Layer      Output             Input"] + each(
        lambda n, layer, given_in, given_out: f"# {layer.name:10} {str(tuple(given_out)):18} {tuple(given_in)}")
    blocks = (["# Input sizes:"] + [f"# {n + 1}. {tuple(layer.input)}" for n, layer in enumerate(styles.layers)]
              + ["#", "# Output sizes:"] + [f"# {n + 1}. {tuple(layer.output)}" for n, layer in enumerate(styles.layers)])
    under = STARTER.read_text(encoding="utf-8")
    for layer in styles.layers:
        under = re.sub(rf"^(# {layer.name}:.*)$", lambda match, layer=layer: match.group(1)
                       + f"\n#     {tuple(layer.input)} -> {tuple(layer.output)}", under, count=1, flags=re.MULTILINE)
    under = under.replace("總參數量:\n", f"總參數量:\n#     {styles.total}\n")
    html = ["<table><tr><th>Layer</th><th>Input</th><th>Output</th></tr>"] + each(
        lambda n, layer, given_in, given_out: f"<tr><td>{layer.name}</td><td>{given_in}</td><td>{given_out}</td></tr>")
    before_after = []
    for layer in styles.layers:
        before_after += [f"# before {layer.name}: {tuple(layer.input)}", f"# after {layer.name}: {tuple(layer.output)}"]
    return [
        Golden("full_marks_layers_numbered_from_zero.py", with_answers("\n".join(zero_based) + f"\n# Total params: {total(False)}\n")),
        Golden("wrong_layers_numbered_from_zero_misconceptions.py",
               with_answers("\n".join(wrong_zero_based) + f"\n# Total params: {total(True)}\n")),
        Golden("full_marks_chinese_flow_sentences_big5.py", with_answers("\n".join(flow) + f"\n# 參數總數：{total(False)}\n"),
               encoding="cp950"),
        Golden("full_marks_sizes_in_words.py", with_answers("\n".join(words) + f"\n# Total params = {total(False)}\n")),
        Golden("wrong_sizes_in_words_misconceptions.py", with_answers("\n".join(wrong_words) + f"\n# Total params = {total(True)}\n")),
        Golden("full_marks_columns_named_by_a_header_line.py", with_answers("\n".join(columns) + f"\n# Total params: {total(False)}\n")),
        Golden("full_marks_numbered_lists_under_field_headings.py", with_answers("\n".join(blocks) + f"\n#\n# Total params: {total(False)}\n")),
        Golden("full_marks_answers_under_the_untouched_template_lines.py", under),
        Golden("full_marks_html_table_in_a_docstring.py", styles.code + '"""\n' + "\n".join(html)
               + f"\n</table>\nTotal: {total(False)}\n" + '"""\n'),
        Golden("full_marks_before_and_after_each_layer.py", with_answers("\n".join(before_after) + f"\n# total {total(False)}\n")),
    ]


def _numbered(styles: Styles, *, wrong: bool = False) -> Iterator[tuple[int, Any, tuple, tuple]]:
    for number, layer in enumerate(styles.layers):
        yield (number, layer, *styles.sizes(layer, wrong=wrong))


def _guards(styles: Styles) -> list[Golden]:
    """Wrong answers next to notes full of numbers: kernel sizes, strides, channels, partial sizes,
    working, other layers' sizes. A reader that took any number near a layer name as its answer
    would mark these right; they must stay wrong, and need no TA."""
    from assignments.lec2_hw1.tests.solution import solution_text

    wrong = {}
    notes = []
    for layer in styles.layers:
        mistaken = styles.wrong(layer, "output")
        if mistaken is None or len(layer.output) != 4:
            continue
        wrong[f"{layer.name}.output"] = str(mistaken)
        module = getattr(styles.model, layer.name)
        kernel, stride = _first(getattr(module, "kernel_size", 1)), _first(getattr(module, "stride", 1))
        notes.append(f"#   {layer.name} note: {kernel}x{kernel} kernel, stride {stride}, {layer.output[1]} channels, "
                     f"spatial {x(layer.output[2:])}; working: {styles.size_working(layer)}")
    text = solution_text(styles.reference, wrong=wrong, total=str(styles.wrong_total()))
    text = text.replace("# Total number of parameters / 總參數量:", "\n".join(notes)
                        + f"\n#   (params counted by torch elsewhere: {styles.total:,} weights?)"
                        + "\n# Total number of parameters / 總參數量:")
    stray = solution_text(styles.reference, wrong={"fc2.output": "(  )", "conv2.output": "(  )"}).replace(
        "# Total number of parameters / 總參數量:",
        f"# Input image {x(styles.layers[0].input)}; a batch of 64 is {x((64, *styles.layers[0].input[1:]))}.\n"
        "# Total number of parameters / 總參數量:")
    return [
        Golden("wrong_answers_beside_notes_full_of_numbers.py", text),
        Golden("wrong_unanswered_with_stray_sizes_that_would_not_score.py", stray),
    ]

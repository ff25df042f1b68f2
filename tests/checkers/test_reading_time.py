"""Reading answers is linear and bounded: no crafted file of the upload limit (2 MB) costs the
worker more than 2 s of CPU, whatever it holds (issue 14: "trusted code must not be made slow").

Each attack is measured with ``time.process_time()`` on the reader alone (``read_answers`` on an
already decoded file), and decoding is measured on its own. The first three are the review's
attacks, which cost 16 s, 12 s and 15 s at far smaller sizes before.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from grader.answers import INPUT_SIZE, OUTPUT_SIZE, PARAMETER_COUNT, LayerSpec, read_answers
from grader.content import DEFAULT_MAX_CODE_BYTES, RejectedUpload, SubmissionFile, decode_text

LIMIT_SECONDS = 2.0
SIZE = DEFAULT_MAX_CODE_BYTES
LAYERS = [LayerSpec(name, kind) for name, kind in (
    ("conv1", "Conv2d"), ("bn1", "BatchNorm2d"), ("pool1", "MaxPool2d"), ("conv2", "Conv2d"), ("conv3", "Conv2d"),
    ("dwconv", "Conv2d"), ("pwconv", "Conv2d"), ("gconv", "Conv2d"), ("bn2", "BatchNorm2d"),
    ("upconv", "ConvTranspose2d"), ("fuse", "Conv2d"), ("pool2", "AvgPool2d"), ("gap", "AdaptiveAvgPool2d"),
    ("fc1", "Linear"), ("dropout", "Dropout"), ("fc2", "Linear"),
)]


def filled(unit: str, before: str = "", after: str = "") -> str:
    """``unit`` repeated to fill the upload limit, between ``before`` and ``after``."""
    return before + unit * ((SIZE - len(before) - len(after)) // len(unit)) + after


ATTACKS = {
    "(1) 1x1 on lines under one layer label": filled("# (1) 1x1\n", "# conv1:\n"),
    "(1) 1x1 on one line after a layer label": filled("(1) 1x1 ", "# conv1: ", "\n"),
    "sizes on lines under one heading": filled("# 1x1\n", "# conv1\n"),
    "a label followed by spaces": filled(" ", "# conv1 output:", "x\n"),
    "labels followed by spaces, line after line": filled("# conv1 output:" + " " * 2000 + "\n"),
    "a line of layer names": filled("conv1 bn1 ", "# "),
    "lines of layer names": filled("# conv1: bn1\n"),
    "a line of labels": filled("input output ", "# conv1 "),
    "opening brackets": filled("(", "# conv1: "),
    "nested brackets": filled("((((((((((1))))))))))", "# conv1: "),
    "an unterminated bracketed list": filled("1, ", "# conv1: (", "\n"),
    "bracketed lists that never close": filled("(1, 1, 1, 1 ", "# conv1: "),
    "a product that ends in a letter": filled("1x", "# conv1: ", "a\n"),
    "a spaced product that ends in a letter": filled("1 x ", "# conv1: ", "a\n"),
    "grouped digits that end wrong": filled("111,", "# total params: ", "1111\n"),
    "digits grouped by apostrophes": filled("1'111", "# total: ", "\n"),
    "a 2 MB number": filled("1", "# total: ", "\n"),
    "dashes that never become an arrow": filled("-", "# conv1: 1x1 ", ">\n"),
    "numbers after a label": filled("1 ", "# conv1 output: "),
    "short lines of digits": filled("1\n"),
    "newlines only": filled("\n"),
    "lines of data": filled("a=1\n"),
    "quotes": filled("'"),
    "escaped quotes": filled("\\'", "x = '"),
    "unterminated triple quotes": filled("'''a"),
    "hashes": filled("#"),
    "Chinese labels": filled("輸入輸出", "# conv1 "),
    "Chinese sizes": filled("輸出是1x1，", "# conv1 "),
    "total lines": filled("# Total params: 1\n"),
    "a total worked out as a long sum": filled(" + 1", "# Total = 1", " = 2\n"),
    "table rows": filled("| conv1 | 1x1 | 1x1 |\n", "| Layer | Input | Output |\n|---|---|---|\n"),
    "lines of forward() with comments": filled("        x = self.conv1(x)  # (1, 1)\n", "    def forward(self, x):\n"),
    "comment lines in forward()": filled("        # x: (1, 1)\n", "    def forward(self, x):\n"),
    "hedges": filled("or (1, 2) ", "# conv1 output: (1, 1) "),
    "class names": filled("Conv2d ", "# "),
    "class calls": filled("Conv2d(1, 2) ", "# "),
    "a list in network order": filled("# 1x1 -> 1x1\n"),
    "positions": filled("# layer 3: (1, 1)\n"),
    "same as input": filled("# conv1 output: same as input\n"),
    "references": filled("# conv2 input: same as conv1's output\n"),
    "LaTeX": filled("$1 \\times 1$ ", "# conv1 "),
    "full-width digits": filled("（１，２）", "# conv1 "),
    "a long identifier": filled("a", "# conv1_", "_out: (1, 2)\n"),
    "prose with nothing to read": filled("# the quick brown fox jumps over the lazy dog\n"),
    "one line of prose": filled("a b ", "# "),
    "long lines of prose ending in a digit": filled("# " + "lorem ipsum " * 160 + "1\n"),
    "long lines of spaces ending in a name": filled("#" + " " * 2000 + "conv1\n"),
    "Chinese prose": filled("# 這是一段很長的說明文字，沒有任何答案。\n"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_reading_a_crafted_python_file_costs_under_two_seconds_of_cpu(name):
    text = ATTACKS[name]
    assert len(text.encode()) <= SIZE * 4  # Chinese attacks are counted in characters, so larger in bytes
    submission = SubmissionFile("a.py", ".py", b"", text=text)
    for fields in ((INPUT_SIZE, OUTPUT_SIZE), (PARAMETER_COUNT,)):
        started = time.process_time()
        read_answers(submission, layers=LAYERS, fields=fields)
        assert time.process_time() - started < LIMIT_SECONDS, (name, fields)


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": outputs or [], "source": source}


NOTEBOOKS = {
    "many markdown cells": lambda: _notebook([{"cell_type": "markdown", "metadata": {}, "source": "conv1 1x1"}
                                              for _ in range(SIZE // 60)]),
    "one huge markdown cell": lambda: _notebook([{"cell_type": "markdown", "metadata": {},
                                                  "source": "conv1: (1) 1x1\n" * (SIZE // 16)}]),
    "many code cells": lambda: _notebook([_code("x = self.conv1(x)  # 1x1") for _ in range(SIZE // 100)]),
    "a huge printed output": lambda: _notebook([_code("print()", [
        {"output_type": "stream", "name": "stdout", "text": "conv1 1x1\n" * (SIZE // 10)}])]),
    "many printed outputs": lambda: _notebook([_code("print()", [
        {"output_type": "stream", "name": "stdout", "text": "conv1 1x1\n"} for _ in range(SIZE // 60)])]),
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_reading_a_crafted_notebook_costs_under_two_seconds_of_cpu(name):
    notebook = NOTEBOOKS[name]()
    assert len(json.dumps(notebook)) <= SIZE * 1.2
    submission = SubmissionFile("a.ipynb", ".ipynb", b"", notebook=notebook)
    started = time.process_time()
    read_answers(submission, layers=LAYERS, fields=(INPUT_SIZE, OUTPUT_SIZE))
    assert time.process_time() - started < LIMIT_SECONDS


BYTES = {
    "high bytes": b"\xff" * SIZE,
    "a bad byte on every line": b"\xa4\n" * (SIZE // 2),
    "one bad byte after 2 MB of newlines": b"\n" * (SIZE - 1) + b"\xa4",
    "UTF-8 lines and ANSI lines": ("ä\n".encode() + b"\xa4\xa4\n") * (SIZE // 6),
    "Big5 text": ("# 輸入是 1x3x32x32，輸出是 1x32x32x32\n".encode("cp950")) * (SIZE // 40),
    "UTF-16 without a BOM": ("conv1 (1, 3)\n".encode("utf-16-le")) * (SIZE // 26),
    "zero bytes": b"\x00" * SIZE,
}


@pytest.mark.parametrize("name", sorted(BYTES))
def test_decoding_crafted_bytes_costs_under_two_seconds_of_cpu(name):
    started = time.process_time()
    with contextlib.suppress(RejectedUpload):
        decode_text(BYTES[name], kind="a .py file")
    assert time.process_time() - started < LIMIT_SECONDS


def test_a_file_too_long_to_read_in_full_leaves_its_unread_answers_to_a_ta():
    answers = "# conv1: input: (1, 3, 32, 32) output: (1, 32, 32, 32)\n"
    text = filled("# 1x1 -> 1x1\n") + answers
    sheet = read_answers(SubmissionFile("a.py", ".py", b"", text=text), layers=LAYERS, fields=(INPUT_SIZE, OUTPUT_SIZE))
    assert sheet.stopped_at
    conv1 = sheet.get("conv1", "input")
    assert conv1.status != "answered" and "too long" in str(conv1.doubt)

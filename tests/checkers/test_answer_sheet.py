"""Answers about named layers are found wherever and however students write them, and reading
never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.answers import (
    INPUT_SIZE,
    OUTPUT_SIZE,
    PARAMETER_COUNT,
    LayerSpec,
    answer_text,
    read_answer_sheet,
    read_answer_text,
    read_answers,
)
from grader.answers.sources import python_text
from grader.content import RejectedUpload, SubmissionFile, read_submission
from tests.checkers.sheets import dims, readings

LAYERS = [
    LayerSpec("conv1", "Conv2d"), LayerSpec("bn1", "BatchNorm2d"), LayerSpec("pool1", "MaxPool2d"),
    LayerSpec("fc1", "Linear"), LayerSpec("dropout", "Dropout"),
]
FIELDS = (INPUT_SIZE, OUTPUT_SIZE)


def read(text: str):
    return read_answer_text(python_text(text), layers=LAYERS, fields=FIELDS)


def test_one_line_answers_with_labels():
    sheet = read("# conv1: input: (1, 3, 32, 32)  output: (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_chinese_labels_full_width_punctuation_and_any_spelling_of_the_name():
    sheet = read("# Self.Conv_1 輸入：（1，3，32，32） 輸出：1×32×32×32\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_answers_on_the_lines_under_the_layer_name():
    sheet = read("# bn1\n#   output: 1x32x32x32\n#   input: 1x32x32x32\n#\n# unrelated 5x5\n")
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)


def test_labels_before_the_name_and_arrows_without_labels():
    sheet = read('"""\noutput of pool1 = (1, 32, 16, 16)\nfc1: 64 -> 128\n"""\n')
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)
    assert dims(sheet, "fc1", "input") == (64,)
    assert dims(sheet, "fc1", "output") == (128,)


def test_a_shared_label_takes_values_in_order():
    sheet = read("# fc1 in/out: (1, 64), (1, 128)\n")
    assert dims(sheet, "fc1", "input") == (1, 64)
    assert dims(sheet, "fc1", "output") == (1, 128)


def test_code_is_never_read_as_an_answer():
    sheet = read("self.conv1 = nn.Conv2d(3, 32, kernel_size=5)\nx = torch.randn(1, 3, 32, 32); conv1 = x\n")
    assert sheet.answers == {}


def test_a_labelled_answer_beats_a_stray_remark_and_a_later_answer_beats_an_earlier_one():
    sheet = read("# conv1 uses a 5x5 kernel\n# conv1: output: (1, 1, 1, 1)\n\n# conv1: output: (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_blank_and_unreadable_fields_are_told_apart():
    sheet = read("# conv1: input: (  )  output: same as above\n")
    assert sheet.get("conv1", "input").status == "unanswered"
    unreadable = sheet.get("conv1", "output")
    assert unreadable.status == "unreadable" and unreadable.written == "same as above"


def test_markdown_table_columns_are_read_by_their_header():
    text = "| Layer | 輸出 | 輸入 |\n|---|---|---|\n| pool1 | (1,32,16,16) | (1,32,32,32) |\n"
    sheet = read_answer_sheet(text.split("\n"), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "pool1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)


def test_a_torchsummary_paste_answers_outputs_only_by_call_order():
    text = ("        Layer (type)               Output Shape         Param #\n"
            "            Conv2d-1           [-1, 32, 32, 32]           2,432\n"
            "       BatchNorm2d-2           [-1, 32, 32, 32]              64\n"
            "           Linear-3                  [-1, 99]             100\n"
            "Total params: 134,186\nTrainable params: 134,186\nNon-trainable params: 0\n")
    sheet = read_answer_sheet(text.split("\n"), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "conv1", "output") == (None, 32, 32, 32)
    assert dims(sheet, "bn1", "output") == (None, 32, 32, 32)
    assert sheet.get("conv1", "input").status == "unanswered"
    assert "pool1" not in sheet.summary_layers  # row 3 is a Linear, not pool1: not matched
    assert sheet.total.value.value == 134186


def test_torchinfo_rows_with_variable_names():
    text = "├─Dropout (dropout): 1-9      [1, 128]     [1, 128]     --\n"
    sheet = read_answer_sheet(text.split("\n"), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "dropout", "input") == (1, 128)
    assert dims(sheet, "dropout", "output") == (1, 128)


def test_totals_written_as_sums_on_the_next_line_or_rounded():
    assert read("# Total = 2432 + 64 + 100 = 2,596\n").total.value.value == 2596
    assert read("# 總參數量：\n# 134186\n").total.value.value == 134186
    rounded = read("# total params: 0.13M\n").total
    assert rounded.status == "answered" and not rounded.value.exact


def test_a_total_written_against_chinese_words_or_before_a_full_stop_is_read():
    assert read("# 總參數量為134,186\n").total.value.value == 134186
    assert read("# 總參數量：134186個\n").total.value.value == 134186
    assert read("# Total number of parameters: 134186.\n").total.value.value == 134186
    assert read("# 總共16層，總參數量：134186\n").total.value.value == 134186
    assert read("# Total: 16 layers, 134,186 parameters\n").total.value.value == 134186


def test_prose_about_the_total_is_not_an_answer():
    assert read('"""Write the total number of parameters (an exact integer)."""\n').total.status == "unanswered"


def test_notebook_markdown_and_code_cells_are_read_but_code_is_not():
    notebook = {
        "cells": [
            {"id": "c1", "cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": "conv1 = nn.Conv2d(3, 32, 5)  # conv1: input (1, 3, 32, 32)\n"},
            {"id": "c2", "cell_type": "markdown", "metadata": {}, "source": ["**conv1** output: (1, 32, 32, 32)"]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    submission = read_submission("a.ipynb", json.dumps(notebook).encode(), accepted_extensions=(".ipynb",))
    sheet = read_answers(submission, layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_files_that_do_not_tokenize_are_still_read():
    sheet = read('def broken(:\n    """\n    conv1: input (1, 3, 32, 32) output (1, 32, 32, 32)\n')
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_a_note_after_an_answer_in_the_same_section_does_not_replace_it():
    sheet = read(
        "# conv1: input: (1, 3, 32, 32) output: (1, 32, 32, 32)  (stride 1 keeps the input size 32x32)\n"
        "#   output: 32 channels\n"
        "# bn1: input: (1, 32, 32, 32) output: (1, 32, 32, 32)  （輸入通道 32，輸出通道 32）\n"
    )
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)


def test_a_wrong_answer_stays_the_only_reading_when_the_note_after_it_holds_a_partial_size():
    sheet = read("# pool1: output: (1, 32, 31, 31)  (stride 2 halves 32x32 to 16x16)\n")
    assert readings(sheet, "pool1", "output") == {(1, 32, 31, 31)}


def test_two_different_answers_to_one_question_are_both_offered_to_a_ta():
    sheet = read("# pool1: output: (1, 32, 31, 31)  (or (1, 32, 16, 16)?)\n#   output should be 1x32x16x16\n")
    assert readings(sheet, "pool1", "output") == {(1, 32, 31, 31), (1, 32, 16, 16)}
    assert sheet.get("pool1", "output").doubt


def test_a_layer_mentioned_in_a_note_does_not_start_its_own_section():
    sheet = read(
        "# conv1: input: (1, 3, 32, 32) output: (1, 32, 32, 32)\n"
        "#   input is the image, so pool1 sees 32x32 too\n"
        "# bn1: input: (1, 32, 32, 32) output: (1, 32, 32, 32)\n"
        "#   input is cat of pool1 output (32 ch) and nothing else\n"
    )
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert sheet.get("pool1", "input").status != "answered"
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)


def test_a_single_number_never_replaces_a_feature_map_size_but_may_replace_a_linear_one():
    sheet = read("# conv1: output: (1, 32, 32, 32)\n\n# conv1 output (32 channels)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    sheet = read("# conv1: output: 32\n\n# conv1 - output: (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    sheet = read("# fc1: output: (1, 64)\n\n# fc1: output: 128\n")
    assert dims(sheet, "fc1", "output") == (128,)


def test_the_first_value_after_a_label_is_the_answer_even_when_a_fuller_size_follows():
    sheet = read("# fc1: input: 64 (flattened from (1, 64, 1, 1))  output: 128\n")
    assert dims(sheet, "fc1", "input") == (64,)


@pytest.mark.parametrize("line", [
    "# The output of conv1 is (1, 32, 32, 32).",
    "# 1. self.conv1 output (1, 32, 32, 32)",
    "# Shape after conv1: (1, 32, 32, 32)",
    "# | conv1 | (1, 32, 32, 32) |",
])
def test_layer_names_written_as_headings_start_a_section(line):
    assert dims(read(line + "\n"), "conv1", "output") == (1, 32, 32, 32)


def test_a_sentence_naming_a_layer_anywhere_starts_a_section_when_it_is_not_under_another():
    sheet = read("# After conv1 the size is (1, 32, 32, 32)\n#\n# Then bn1 keeps it: (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)


def test_numbered_answers_on_consecutive_lines_each_start_a_section():
    sheet = read("# Q1. conv1 (1, 3, 32, 32) -> (1, 32, 32, 32)\n# Q2. bn1 (1, 32, 32, 32) -> (1, 32, 32, 32)\n"
                 "# then pool1 output (1, 32, 16, 16)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)


def test_sizes_without_brackets_after_a_label_are_one_size():
    sheet = read("# conv1: input: 1, 3, 32, 32   output: 1, 32, 32, 32\n# fc1 in/out: 64, 128\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "fc1", "input") == (64,)  # one label for two fields: two values, not one size
    assert dims(sheet, "fc1", "output") == (128,)


def test_unlabelled_sizes_under_an_input_heading_are_inputs():
    sheet = read("# Input sizes:\n# conv1: (1, 3, 32, 32)\n# bn1: (1, 32, 32, 32)\n#\n"
                 "# 輸出大小：\n# conv1: (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)
    assert sheet.get("bn1", "output").status == "unanswered"
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_a_lone_label_inside_a_section_still_labels_the_next_line():
    sheet = read("# conv1\n#   input:\n#   (1, 3, 32, 32)\n#   output:\n#   (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)


def test_a_comment_on_the_line_that_creates_a_layer_answers_about_that_layer():
    sheet = read(
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        self.conv1 = nn.Conv2d(3, 32, 5, padding=2)  # in: (1, 3, 32, 32) out: (1, 32, 32, 32)\n"
        "        self.bn1: nn.Module = nn.BatchNorm2d(32)  # (1, 32, 32, 32) -> (1, 32, 32, 32)\n"
        "        x = self.pool1(x)  # (1, 32, 16, 16)\n"
    )
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)  # what the line beside it computes


def test_notebook_answers_say_which_cell_and_line_they_are_on():
    notebook = {
        "cells": [
            {"id": "c1", "cell_type": "markdown", "metadata": {}, "source": ["# HW\n", "intro"]},
            {"id": "c2", "cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": "import torch\n# conv1: output: (1, 32, 32, 32)\n# Total params: 134186\n"},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    submission = read_submission("a.ipynb", json.dumps(notebook).encode(), accepted_extensions=(".ipynb",))
    assert answer_text(submission).places == (
        "cell 1, line 1", "cell 1, line 2", "cell 1",
        "cell 2, line 1", "cell 2, line 2", "cell 2, line 3", "cell 2, line 4", "cell 2",
    )
    sheet = read_answers(submission, layers=LAYERS, fields=FIELDS)
    assert sheet.get("conv1", "output").where() == "cell 2, line 2"
    assert sheet.total.where() == "cell 2, line 3"
    python = read_submission("a.py", b"\n# conv1: output: (1, 32, 32, 32)\n", accepted_extensions=(".py",))
    sheet = read_answers(python, layers=LAYERS, fields=FIELDS)
    assert sheet.get("conv1", "output").where() == "line 2"


# Pieces of answers, so that generated text hits the reader's rules, not only its tokenizer.
ANSWER_PIECES = [
    "conv1", "bn1", "pool1", "fc1", "dropout", "self.", "Conv2d(3, 32", "Linear", "MaxPool2d", "layer 3", "第3層",
    "input", "output", "takes", "outputs", "after", "before", "之後", "輸入", "輸出", "參數", "總", "Total", "params",
    "same", "同上", "or", "would", "final", "kernel", "channels", "C=", "H=W=", "(1, 3, 32, 32)", "1x32x16x16",
    "32@16x16", "torch.Size([1, 64])", "134,186", "0.13M", "$", "\\times", "->", "=>", "→", "~~", "**", "|", "---",
    "(", ")", "[", "]", ",", ":", "=", "+", "-", "/", "*", "?", ";", "#", "'", '"', '"""', "\n", " ", "  ", "1", "32",
    "1, 32, 16, 16", "def forward(self, x):", "x = F.relu(self.bn1(self.conv1(x)))", "x:", "-1", "N",
]
ANSWER_LIKE = st.one_of(
    st.text(
        alphabet=st.sampled_from(
            list("conv1bn pool fc dropout input output sizes self. 輸入輸出參數總大小的是 ()[]{},:：=x×*#|-@>\n\"'0123456789.MK ")
        ),
        max_size=400,
    ),
    st.lists(st.sampled_from(ANSWER_PIECES), max_size=80).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), ANSWER_LIKE))
def test_reading_never_raises_on_any_text(text):
    sheet = read(text)
    read_answer_sheet(text.split("\n"), layers=LAYERS, fields=FIELDS)
    read_answer_text(python_text(text), layers=LAYERS, fields=(PARAMETER_COUNT,))
    assert sheet.total.status in ("answered", "unreadable", "unanswered")


CELL = st.fixed_dictionaries({
    "cell_type": st.sampled_from(["markdown", "code", "raw"]),
    "source": st.one_of(ANSWER_LIKE, st.lists(ANSWER_LIKE, max_size=3)),
    "outputs": st.lists(st.fixed_dictionaries({
        "output_type": st.sampled_from(["stream", "execute_result", "display_data", "error"]),
        "text": ANSWER_LIKE, "data": st.fixed_dictionaries({"text/plain": ANSWER_LIKE}),
    }), max_size=2),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CELL, max_size=5))
def test_reading_a_notebook_never_raises(cells):
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    sheet = read_answers(SubmissionFile("a.ipynb", ".ipynb", b"", notebook=notebook), layers=LAYERS, fields=FIELDS)
    assert all(answer.status in ("answered", "unreadable", "unanswered") for answer in sheet.answers.values())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_reading_any_bytes_never_raises_beyond_a_clear_refusal(data):
    try:
        submission = read_submission("a.py", data, accepted_extensions=(".py",))
    except RejectedUpload as refusal:
        assert refusal.message
        return
    read_answers(submission, layers=LAYERS, fields=FIELDS)


def test_a_letter_whose_lower_case_is_two_letters_never_makes_reading_raise():
    sheet = read_answer_sheet(["İnception1: output (1, 2, 3, 4)", "ınception1 output (1, 2, 3, 4)"],
                              layers=[LayerSpec("inception1", "Conv2d")], fields=FIELDS)
    assert sheet.get("inception1", "output").status == "unanswered"

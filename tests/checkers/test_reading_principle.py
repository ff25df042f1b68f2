"""The reader's principle: every size anywhere is a candidate answer, attributed to a layer by the
nearest mention of it (name, class and channels, position, the line of forward() beside it), its
field by a label or its place; working and numbers about other things are not answers; where
attribution is ambiguous the other readings are offered, for a TA, never guessed."""

from __future__ import annotations

import json

from grader.answers import INPUT_SIZE, OUTPUT_SIZE, PARAMETER_COUNT, LayerSpec, read_answer_text, read_answers
from grader.answers.reader import handout_lines
from grader.answers.sources import python_text
from grader.content import SubmissionFile
from tests.checkers.sheets import dims, readings

SIGNATURES = {
    "conv1": "Conv2d(3, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))",
    "bn1": "BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
    "pool1": "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
    "conv2": "Conv2d(32, 64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))",
    "gap": "AdaptiveAvgPool2d(output_size=1)",
    "fc1": "Linear(in_features=64, out_features=128, bias=True)",
    "dropout": "Dropout(p=0.5, inplace=False)",
    "fc2": "Linear(in_features=128, out_features=10, bias=True)",
}
LAYERS = [LayerSpec(name, signature.split("(")[0], signature) for name, signature in SIGNATURES.items()]
FIELDS = (INPUT_SIZE, OUTPUT_SIZE)


def read(text: str, *, fields=FIELDS, handout=frozenset()):
    return read_answer_text(python_text(text), layers=LAYERS, fields=fields, handout=handout)


def test_verbs_label_a_sentence_and_an_unlabelled_size_before_a_label_is_the_input():
    sheet = read("# conv1 takes a 1x3x32x32 tensor and outputs 1x32x32x32.\n"
                 "# bn1 receives (1, 32, 32, 32) and returns (1, 32, 32, 32).\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)


def test_consecutive_chinese_lines_each_name_their_own_layer_after_its_input():
    sheet = read("# 輸入 1x3x32x32 經過 conv1 之後變成 1x32x32x32\n# 輸入 1x32x32x32 經過 bn1 之後變成 1x32x32x32\n")
    assert (dims(sheet, "conv1", "input"), dims(sheet, "conv1", "output")) == ((1, 3, 32, 32), (1, 32, 32, 32))
    assert (dims(sheet, "bn1", "input"), dims(sheet, "bn1", "output")) == ((1, 32, 32, 32), (1, 32, 32, 32))


FORWARD = (
    "class NetHW(nn.Module):\n"
    "    def forward(self, x):\n"
    "        # x: (1, 3, 32, 32)\n"
    "        x = F.relu(self.bn1(self.conv1(x)))  # (1, 32, 32, 32)\n"
    "        skip = self.pool1(x)  # (1, 32, 16, 16)\n"
    "        x = self.conv2(skip)\n"
    "        x = torch.flatten(self.gap(x), 1)  # (1, 64)\n"
    "        x = self.dropout(F.relu(self.fc1(x)))  # (1, 128)\n"
)


def test_a_size_beside_a_line_that_calls_two_layers_is_the_last_ones_output_and_only_a_reading_for_the_first():
    sheet = read(FORWARD)
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)
    conv1 = sheet.get("conv1", "output")
    assert conv1.status == "unanswered" and readings(sheet, "conv1", "output") == {(1, 32, 32, 32)}
    assert "conv1 and bn1" in str(conv1.doubt)
    assert dims(sheet, "dropout", "output") == (1, 128)


def test_sizes_stated_for_variables_carry_to_the_layers_that_read_them():
    sheet = read(FORWARD)
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)  # "# x: ..." before the line
    assert dims(sheet, "pool1", "input") == (1, 32, 32, 32)  # x after the line above
    assert dims(sheet, "conv2", "input") == (1, 32, 16, 16)  # what skip held
    assert dims(sheet, "fc1", "input") == (1, 64)  # x after the flatten


def test_the_size_beside_a_flatten_is_what_the_variable_holds_not_the_layers_output():
    sheet = read(FORWARD)
    gap = sheet.get("gap", "output")
    assert gap.status == "unanswered" and gap.doubt  # (1, 64) is only a reading, and a wrong one
    chained = read("    def forward(self, x):\n        x = torch.flatten(self.gap(x), 1)  # (1,64,7,7) -> (1,64,1,1) -> (1,64)\n")
    assert dims(chained, "gap", "output") == (1, 64, 1, 1)


def test_working_is_no_size_and_a_count_is_what_its_working_ends_in():
    sheet = read("# conv1: H = (32 + 2*2 - 5)/1 + 1 = 32, so the output is (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert sheet.get("conv1", "input").status != "answered"
    counts = read("# fc1 parameters: 64*128 + 128 = 8,320\n", fields=(PARAMETER_COUNT,))
    assert counts.get("fc1", "params").value.value == 8320


def test_numbers_about_other_things_are_no_answers():
    sheet = read("# conv2: 3x3 kernel, stride 2, 64 channels, 18,496 params\n# conv2 weight: 64x32x3x3\n")
    assert sheet.get("conv2", "input").status != "answered"
    assert sheet.get("conv2", "output").status != "answered"


def test_a_table_with_a_parameters_column_and_a_total_row():
    text = ("| Layer | Input | Output | Params |\n|---|---|---|---|\n"
            "| conv1 | 1x3x32x32 | 1x32x32x32 | 2,432 |\n| **Total** | | | **134,186** |\n")
    sheet = read_answer_text(python_text(f'"""\n{text}"""\n'), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert sheet.total.value.value == 134186


def _one_line_per_layer(arrow: str = "->") -> list[str]:
    sizes = [((1, 3, 32, 32), (1, 32, 32, 32)), ((1, 32, 32, 32), (1, 32, 32, 32)), ((1, 32, 32, 32), (1, 32, 16, 16)),
             ((1, 32, 16, 16), (1, 64, 8, 8)), ((1, 64, 8, 8), (1, 64, 1, 1)), ((1, 64), (1, 128)),
             ((1, 128), (1, 128)), ((1, 128), (1, 10))]
    return [f"# {list(given_in)} {arrow} {list(given_out)}" for given_in, given_out in sizes]


def test_a_list_with_one_line_per_layer_is_read_in_network_order():
    sheet = read("# Shapes, layer by layer:\n" + "\n".join(_one_line_per_layer("=>")) + "\n")
    assert dims(sheet, "conv2", "output") == (1, 64, 8, 8)
    assert dims(sheet, "fc2", "input") == (1, 128)


def test_a_list_that_does_not_fit_the_network_is_not_guessed_at():
    lines = _one_line_per_layer()
    sheet = read("\n".join(lines[:3] + lines[4:]) + "\n")  # one layer left out
    conv2 = sheet.get("conv2", "output")
    assert conv2.status == "unanswered" and (1, 64, 8, 8) in readings(sheet, "conv2", "output")


def test_a_numbered_list_under_an_input_heading_answers_inputs():
    inputs = [given_in for given_in, _ in (line.split(" -> ") for line in _one_line_per_layer())]
    text = "# Input sizes:\n" + "\n".join(f"# {number}. {size[2:]}" for number, size in enumerate(inputs, start=1))
    sheet = read(text + "\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert sheet.get("conv1", "output").status == "unanswered"


def test_a_header_line_sets_the_order_of_unlabelled_columns():
    sheet = read("# Layer    Output           Input\n# pool1    (1, 32, 16, 16)  (1, 32, 32, 32)\n")
    assert dims(sheet, "pool1", "input") == (1, 32, 32, 32)
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)


def test_a_class_with_its_channels_names_a_layer_and_its_arguments_are_no_size():
    sheet = read("# Conv2d(3, 32, kernel_size=5, padding=2): 1x3x32x32 -> 1x32x32x32\n"
                 "# Linear(64, 128) takes (1, 64)\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "fc1", "input") == (1, 64)


def test_printed_hook_output_names_layers_by_class_in_call_order():
    printed = ["Conv2d: (1, 3, 32, 32) -> (1, 32, 32, 32)", "BatchNorm2d: (1, 32, 32, 32) -> (1, 32, 32, 32)",
               "MaxPool2d: (1, 32, 32, 32) -> (1, 32, 16, 16)", "Conv2d: (1, 32, 16, 16) -> (1, 64, 8, 8)",
               "AdaptiveAvgPool2d: (1, 64, 8, 8) -> (1, 64, 1, 1)", "Linear: (1, 64) -> (1, 128)",
               "Dropout: (1, 128) -> (1, 128)", "Linear: (1, 128) -> (1, 10)"]
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "model(x)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "\n".join(printed) + "\n"}]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    sheet = read_answers(SubmissionFile("a.ipynb", ".ipynb", b"", notebook=notebook), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "conv2", "output") == (1, 64, 8, 8)
    assert dims(sheet, "fc2", "output") == (1, 10)
    assert sheet.get("fc2", "output").where() == "cell 1, output line 8"


def test_positions_name_layers_in_english_and_chinese():
    sheet = read("# Layer 3: (1, 32, 32, 32) -> (1, 32, 16, 16)\n# 第4層: (1, 32, 16, 16) -> (1, 64, 8, 8)\n")
    assert dims(sheet, "pool1", "output") == (1, 32, 16, 16)
    assert dims(sheet, "conv2", "input") == (1, 32, 16, 16)


def test_same_as_input_and_ditto_are_the_answers_they_refer_to():
    sheet = read("# bn1: input (1, 32, 32, 32), output: same as input\n")
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)
    table = ("| Layer | Input | Output |\n|---|---|---|\n| fc1 | (1, 64) | (1, 128) |\n"
             "| dropout | (1, 128) | 同上 |\n")
    sheet = read_answer_text(python_text(f'"""\n{table}"""\n'), layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "dropout", "output") == (1, 128)


def test_a_hedge_offers_both_answers_and_a_line_marked_final_settles_them():
    hedged = read("# conv2: output: (1, 64, 16, 16)  (or is it (1, 64, 8, 8)?)\n")
    assert readings(hedged, "conv2", "output") == {(1, 64, 16, 16), (1, 64, 8, 8)}
    settled = read("# conv2: output: (1, 64, 16, 16)\n\n# Correction (final): conv2 output is (1, 64, 8, 8)\n")
    assert readings(settled, "conv2", "output") == {(1, 64, 8, 8)}


def test_a_hypothetical_size_is_a_reading_only_where_nothing_else_is_written():
    beside = read("# conv2: output: (1, 64, 8, 8); without padding it would be (1, 64, 7, 7)\n")
    assert readings(beside, "conv2", "output") == {(1, 64, 8, 8)}
    alone = read("# conv2: the output would be (1, 64, 8, 8)\n")
    assert readings(alone, "conv2", "output") == {(1, 64, 8, 8)} and alone.get("conv2", "output").doubt


def test_sizes_written_as_parts_latex_or_python_data_are_sizes():
    sheet = read("# pool1 output: C=32, H=W=16\n\n# conv2 output: 64 channels of 8x8\n\n"
                 "# bn1 的輸出是 32 個 32×32 的特徵圖\n\n# conv1 output: $1 \\times 32 \\times 32 \\times 32$\n"
                 'ANSWERS = {"fc1": [(1, 64), (1, 128)]}\n')
    assert dims(sheet, "pool1", "output") == (32, 16, 16)
    assert dims(sheet, "conv2", "output") == (64, 8, 8)
    assert dims(sheet, "bn1", "output") == (32, 32, 32)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert (dims(sheet, "fc1", "input"), dims(sheet, "fc1", "output")) == ((1, 64), (1, 128))


def test_a_partial_size_in_a_note_beside_a_full_answer_is_no_other_answer():
    sheet = read("# conv2: output: (1, 64, 16, 16)\n#   stride 2 halves the input size 16x16 to 8x8\n")
    assert readings(sheet, "conv2", "output") == {(1, 64, 16, 16)}


def test_the_starters_own_lines_are_no_answers_and_a_file_of_them_wrote_nothing():
    starter = '"""For the input ``x = torch.randn(1, 3, 32, 32)``."""\n# conv1: input: (  ) output: (  )\n'
    handout = handout_lines(python_text(starter))
    untouched = read(starter, handout=handout)
    assert not untouched.wrote_anything and untouched.answers == {}
    under = read(starter.replace("(  )\n", "(  )\n#    (1, 3, 32, 32) -> (1, 32, 32, 32)\n"), handout=handout)
    assert under.wrote_anything and dims(under, "conv1", "output") == (1, 32, 32, 32)


def test_a_size_nobody_owns_is_offered_only_to_questions_left_unanswered():
    sheet = read("# conv1: input: (1, 3, 32, 32)  output: (1, 32, 32, 32)\n\n# The prediction is (1, 10).\n")
    assert not sheet.get("conv1", "output").alternatives
    assert readings(sheet, "fc2", "output") == {(1, 10)} and sheet.get("fc2", "output").status == "unanswered"


def test_notebook_markdown_is_read_with_its_cell_and_line():
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "### conv1\n- 輸出：1x32x32x32"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    submission = SubmissionFile("a.ipynb", ".ipynb", json.dumps(notebook).encode(), notebook=notebook)
    sheet = read_answers(submission, layers=LAYERS, fields=FIELDS)
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert sheet.get("conv1", "output").where() == "cell 1, line 2"


def test_layers_numbered_from_zero_are_read_one_place_further():
    sheet = read("# layer 0: (1, 3, 32, 32) -> (1, 32, 32, 32)\n# layer 1: (1, 32, 32, 32) -> (1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "input") == (1, 3, 32, 32)
    assert dims(sheet, "bn1", "input") == (1, 32, 32, 32)


def test_a_layers_name_owns_the_size_after_a_comma_in_its_sentence():
    sheet = read("# 經過conv1後，大小變為(1, 32, 32, 32)\n# 經過bn1後，大小變為(1, 32, 32, 32)\n")
    assert dims(sheet, "conv1", "output") == (1, 32, 32, 32)
    assert dims(sheet, "bn1", "output") == (1, 32, 32, 32)


def test_a_line_that_says_it_is_a_note_gives_no_answer():
    sheet = read("# conv2: output: (1, 64, 16, 16)\n\n# conv2 note: 64 channels, spatial 8x8\n")
    assert readings(sheet, "conv2", "output") == {(1, 64, 16, 16)}


def test_sizes_written_in_words_across_and_size():
    sheet = read("# conv2: the input has 32 channels and size 16x16; the output has 64 channels and size 8x8\n")
    assert (dims(sheet, "conv2", "input"), dims(sheet, "conv2", "output")) == ((32, 16, 16), (64, 8, 8))

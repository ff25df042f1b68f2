"""Finding a student's answers about named layers in free text: comments, docstrings, notebooks.

A checker describes what it asks (the layers, by name and torch type, and the fields asked per
layer, e.g. ``input`` and ``output`` sizes) and gets back an ``AnswerSheet`` from
``read_answers(submission, layers=..., fields=...)``: for every layer and field, the answer
found, or why none was, with where it is in the file. Reading never raises, whatever the text.

What is understood, beyond ``conv1: input (1, 3, 32, 32), output (1, 32, 32, 32)``:

* any case and spelling of the name (``Conv1``, ``self.conv1``, ``conv_1``), English or Chinese
  labels (``輸入：``, ``輸出：``), full-width punctuation, answers on one line or on the lines
  under the layer's name, a label before the name (``output of conv2: ...``), ``in/out: a, b``,
  ``a -> b`` without labels;
* markdown tables (``| conv1 | (1,3,32,32) | (1,32,32,32) |``), whose header row says which
  column is which;
* summaries pasted from torchsummary (``Conv2d-1  [-1, 32, 32, 32]  2,432``) and torchinfo
  (``├─Conv2d: 1-1  [1, 32, 32, 32]  2,432``), whose rows are matched to layers by call order;
* the total, on a line saying ``total`` or ``參數`` (``Total params: 134,186`` included).

A layer's section starts at a line that names it as a heading (``conv1:``, ``conv1 -``,
``| conv1 |``, ``The output of conv1 is ...``), not at a note that mentions it in passing; the lines
under it belong to it. Within a section the first readable answer to each field stands: notes
written after it ("stride 2 halves 16x16 to 8x8") do not replace it. Where a layer is answered in
more than one section, a labelled answer beats an unlabelled one and a later one beats an earlier
one (the answer template comes last in the starter files), but a single number never replaces a
feature-map size.

Also understood: answers in comments on the lines that create the layers
(``self.conv1 = nn.Conv2d(...)  # in: ... out: ...``), sizes without brackets after a label
(``input: 1, 3, 32, 32``), and blocks of unlabelled sizes under an ``Input sizes:`` heading.

The modules, in the order reading goes: ``sources`` (the answer text of a file or notebook, and
where each line is), ``structured`` (tables and summaries rewritten as labelled lines), ``reader``
(sections, the answer that stands, the total) with ``section`` (what one section answers), using
``vocabulary`` (layer names and field labels) and ``shapes`` (sizes and counts as written);
``sheet`` holds the types, and ``counts`` grades a count answer.
"""

from __future__ import annotations

from grader.answers.counts import count_check
from grader.answers.reader import read_answer_sheet, read_answers
from grader.answers.shapes import Count, Shape, explain_shape_difference, shape_matches
from grader.answers.sheet import (
    INPUT_SIZE,
    OUTPUT_SIZE,
    PARAMETER_COUNT,
    Answer,
    AnswerSheet,
    FieldSpec,
    LayerSpec,
)
from grader.answers.sources import answer_text, python_answer_lines

__all__ = [
    "INPUT_SIZE",
    "OUTPUT_SIZE",
    "PARAMETER_COUNT",
    "Answer",
    "AnswerSheet",
    "Count",
    "FieldSpec",
    "LayerSpec",
    "Shape",
    "answer_text",
    "count_check",
    "explain_shape_difference",
    "python_answer_lines",
    "read_answer_sheet",
    "read_answers",
    "shape_matches",
]

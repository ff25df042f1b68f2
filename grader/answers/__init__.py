"""Finding a student's answers about named layers in free text: comments, docstrings, notebooks.

A checker describes what it asks (the layers, by name and torch type, and the fields asked per
layer, e.g. ``input`` and ``output`` sizes) and gets back an ``AnswerSheet`` from
``read_answers(submission, layers=..., fields=..., handout=...)``: for every layer and field, the
answer found, or why none was, with where it is in the file, and the other ways the text can be
read where the reader is not sure. ``reviewed`` (and ``count_check``) grade every reading; where
they would score differently, the check is uncertain and a TA decides. Reading never raises,
whatever the text, and costs time linear in its length.

The principle, the way a careful TA reads: every size-like expression anywhere a student may write
(comments, docstrings, strings, literal data, notebook markdown and printed outputs), in any
notation (``(1, 32, 16, 16)``, ``torch.Size([...])``, ``1x32x16x16``, ``1 × 32``, ``32@16x16``,
``$1 \\times 32$``, ``1, 32, 16, 16`` after a label), is a candidate answer, attributed to a layer by
the nearest mention of it: its name in any spelling (``Conv_1``, ``self.conv1``, ``conv1_out``), its
class and channels (``Conv2d(3, 32, ...)``, a class that only one layer has), its position
(``layer 3``, ``第3層``, the third line of a list with one line per layer, the second line naming
``Conv2d``), or the line of ``forward()`` it is written beside. A label says which field it answers
(``output:``, ``輸入``, "takes ... and outputs ...", "之後"); without one, a pair is an input then an
output, a lone size the output. Working (``(32 + 4 - 5)/1 + 1 = 32``), sizes of other things (``5x5
kernel``, ``32 channels``) and hypotheticals ("without padding it would be ...") are not answers.

Where attribution is ambiguous the reader does not guess: two different answers to one question
without one marked final, a size beside a line that calls two layers, a size no mention owns: each
is offered as an alternative reading, for a TA. Text the student did not write (the starter's own
lines, given as ``handout``) is never their answer.

Also understood: markdown tables (the header row says which column is which; a "Total" row is the
total), summaries pasted from torchsummary and torchinfo (rows matched to layers by call order or
variable name), the total on a line saying "total" or "參數" (with its working, or on the next line),
"output: same as input".

The modules, in the order reading goes: ``sources``, ``structured``, the walk (``walker``,
``line_reader``, ``mentions``, giving the ``claims``; with ``tokens``, ``values`` and
``vocabulary``), ``flow``, ``positions``, ``resolve``, ``total`` (all run by ``reader``); ``sheet``
holds the types, ``review`` and ``counts`` grade.
"""

from __future__ import annotations

from grader.answers.counts import count_check
from grader.answers.reader import handout_lines, read_answer_sheet, read_answer_text, read_answers
from grader.answers.review import review_summary, reviewed, uncertain_message
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
    "handout_lines",
    "python_answer_lines",
    "read_answer_sheet",
    "read_answer_text",
    "read_answers",
    "review_summary",
    "reviewed",
    "shape_matches",
    "uncertain_message",
]

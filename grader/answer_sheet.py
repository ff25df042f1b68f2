"""Finding a student's answers about named layers in free text: comments, docstrings, notebooks.

A checker describes what it asks (the layers, by name and torch type, and the fields asked per
layer, e.g. ``input`` and ``output`` sizes) and gets back an ``AnswerSheet``: for every layer and
field, the answer found, or why none was. Reading never raises, whatever the text.

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
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from grader.answers.shapes import Count, Located, Shape, find_counts, find_shapes, normalise_text
from grader.content import SubmissionFile

FieldKind = Literal["shape", "count"]
AnswerStatus = Literal["answered", "unreadable", "unanswered"]


@dataclass(frozen=True)
class FieldSpec:
    """One thing asked about every layer: its name, its kind, and the words that label it."""

    name: str
    kind: FieldKind
    labels: tuple[str, ...]


INPUT_SIZE = FieldSpec("input", "shape", ("input", "inputs", "in", "輸入", "输入"))
OUTPUT_SIZE = FieldSpec("output", "shape", ("output", "outputs", "out", "輸出", "输出"))
PARAMETER_COUNT = FieldSpec("params", "count", ("params", "parameters", "param", "參數量", "參數", "参数"))


@dataclass(frozen=True)
class LayerSpec:
    """A layer asked about: its attribute name and its torch class name (to read summaries)."""

    name: str
    type_name: str


@dataclass(frozen=True)
class Answer:
    """What was found for one field: a value, unreadable text, or nothing.

    ``value`` is a ``Shape`` or a ``Count``; ``line`` is 1-based in the answer text, ``place`` says
    where that is in the student's file ("line 70", or "cell 3, line 2" in a notebook).
    """

    status: AnswerStatus
    value: Shape | Count | None = None
    written: str = ""
    line: int | None = None
    labelled: bool = False
    from_summary: bool = False
    place: str = ""

    def status_order(self) -> int:
        return {"answered": 2, "unreadable": 1, "unanswered": 0}[self.status]

    def rank(self) -> tuple[int, int, int]:
        return (self.status_order(), int(self.labelled), self.line or 0)

    def supersedes(self, other: Answer) -> bool:
        """Whether this answer, from another section, replaces ``other``: a higher rank, except
        that a single number never replaces a feature-map size (it is a note's "32 channels")."""
        single_number = isinstance(self.value, Shape) and len(self.value.dims) == 1
        feature_map = isinstance(other.value, Shape) and len(other.value.dims) >= 3
        return self.rank() > other.rank() and not (single_number and feature_map)

    def where(self) -> str:
        """Where the answer is, as the student finds it in their file; empty when unknown."""
        if self.place:
            return self.place
        return f"line {self.line}" if self.line else ""


UNANSWERED = Answer("unanswered")


@dataclass(frozen=True)
class AnswerSheet:
    answers: dict[tuple[str, str], Answer]
    total: Answer
    summary_layers: frozenset[str] = field(default_factory=frozenset)

    def get(self, layer: str, field_name: str) -> Answer:
        return self.answers.get((layer, field_name), UNANSWERED)


# --- Where answers can be written -------------------------------------------------------------


def answer_lines(submission: SubmissionFile) -> list[str]:
    """The text that may hold answers, line by line: comments and strings, or notebook cells.

    Python code itself is left out (blank lines keep the numbering), so that ``self.conv1 =
    nn.Conv2d(3, 32, ...)`` is never read as an answer about ``conv1``.
    """
    return _answer_lines_and_places(submission)[0]


def answer_places(submission: SubmissionFile) -> list[str]:
    """Where each line of ``answer_lines(submission)`` is, as the student finds it: "line 70" in
    a file, "cell 3, line 2" in a notebook (whose cells are numbered from the top, from 1)."""
    return _answer_lines_and_places(submission)[1]


def _answer_lines_and_places(submission: SubmissionFile) -> tuple[list[str], list[str]]:
    if submission.notebook is None:
        lines = python_answer_lines(submission.text or "")
        return lines, [f"line {number}" for number in range(1, len(lines) + 1)]
    lines: list[str] = []
    places: list[str] = []
    for cell_number, cell in enumerate(submission.notebook.get("cells", []), start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cell_lines = python_answer_lines(source) if cell.get("cell_type") == "code" else source.split("\n")
        lines.extend(cell_lines)
        places.extend(f"cell {cell_number}, line {number}" for number in range(1, len(cell_lines) + 1))
        lines.append("")
        places.append(f"cell {cell_number}")
    return lines, places


# ``self.conv1 = nn.Conv2d(...)  # in: ... out: ...``: the comment answers about ``conv1``.
_LAYER_ASSIGNMENT = re.compile(r"^\s*self\.([A-Za-z_]\w*)\s*(?::[^=#]*)?=(?!=)")


def python_answer_lines(source: str) -> list[str]:
    """The comments and string literals of ``source``, on the lines where they are written.

    A comment at the end of ``self.<name> = ...`` is read as being about ``<name>``: the name
    itself is code, which is otherwise left out.
    """
    lines = [""] * (source.count("\n") + 1)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comment = token.string.lstrip("#")
                owner = _LAYER_ASSIGNMENT.match(token.line)
                if owner is not None:
                    comment = f"{owner.group(1)}: {comment}"
                _place(lines, token.start[0], comment)
            elif token.type == tokenize.STRING:
                for offset, text in enumerate(_string_body(token.string).split("\n")):
                    _place(lines, token.start[0] + offset, text)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return _rough_answer_lines(source)
    return lines


def _place(lines: list[str], number: int, text: str) -> None:
    if 1 <= number <= len(lines):
        lines[number - 1] = f"{lines[number - 1]} {text}".strip() if lines[number - 1] else text


def _string_body(literal: str) -> str:
    body = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body


def _rough_answer_lines(source: str) -> list[str]:
    """For files that do not tokenize: text after ``#`` and inside triple quotes."""
    lines = []
    in_block = False
    for line in source.split("\n"):
        quotes = line.count('"""') + line.count("'''")
        if in_block or quotes:
            lines.append(line.replace('"""', " ").replace("'''", " "))
        elif "#" in line:
            lines.append(line.split("#", 1)[1])
        else:
            lines.append("")
        in_block = in_block != (quotes % 2 == 1)
    return lines


# --- Reading ----------------------------------------------------------------------------------

_TOTAL_WORDS = re.compile(r"total|總|总|合計|合计|\bsum\b", re.IGNORECASE)
_PARAMETER_WORDS = re.compile(r"param|參數|参数", re.IGNORECASE)
_NOT_THE_TOTAL = re.compile(
    r"non-?trainable|^trainable|size|\(mb\)|memory|mult-adds|estimated|flops", re.IGNORECASE
)
_ARROW = re.compile(r"-+>|→|=>|⇒|⟶|➜")
_FILLER = re.compile(
    r"[\s:=()\[\]{}<>,;.?_\-~|/'\"`*]|\bsize\b|\bshape\b|\btensor\b|\bis\b|\bof\b|\bthe\b|大小|形狀|尺寸|為|是",
    re.IGNORECASE,
)
_LABEL_JOINER = re.compile(r"[\s/,&+和與与]*(?:and)?[\s/,&]*")
_SUMMARY_ROW = re.compile(r"^\s*([A-Za-z]\w*)-(\d+)\s+(\[[^\]]*\])\s+([\d,]+)\s*$")
_TORCHINFO_ROW = re.compile(r"^[\s│├└─|+`\-]*([A-Za-z]\w*)(?:\s*\(([A-Za-z_]\w*)\))?\s*:\s*(\d+)-(\d+)\b(.*)$")
_MARKUP = re.compile(r"^[\s#>*+\-]*")
# What may come before a layer's name on a line that is its heading: markup, numbering, "self.",
# and words that do not make the line a sentence about something else.
_HEADING_FILLER = re.compile(
    r"self\.|\b(?:the|of|for|layer|size|shape|tensor|is|an|[a-z]|[a-z]{0,4}\d+)\b|的|層|第|[^A-Za-z\u4e00-\u9fff]",
    re.IGNORECASE,
)
_HEADING_SEPARATOR = re.compile(r"\s*(?:[:=|]|-\s|–|—)")
_BEFORE_LABEL = re.compile(r"\s*(?:'s)?\s*(?:的)?\s*")
_FIELD_HEADING_FILLER = re.compile(
    r"\b(?:sizes?|shapes?|dimensions?|dims|of|each|every|all|the|layers?|tensors?|and)\b"
    r"|大小|尺寸|形狀|形状|維度|各層|每層|每一層|的|[^A-Za-z\u4e00-\u9fff]",
    re.IGNORECASE,
)
_PLURAL_HEADING = re.compile(r"inputs|outputs|sizes|shapes|各層|每層|每一層", re.IGNORECASE)
_COUNTED_THING = re.compile(
    r"\s*(?:層|层|個?通道|个?通道|類|类|layers?\b|channels?\b|classes\b|epochs?\b|kernels?\b|filters?\b)",
    re.IGNORECASE,
)
_MAX_LINE = 2000


def read_answer_sheet(
    lines: Sequence[str],
    *,
    layers: Sequence[LayerSpec],
    fields: Sequence[FieldSpec],
    places: Sequence[str] | None = None,
) -> AnswerSheet:
    """Find every layer's answers and the total in ``lines`` (see the module docstring).

    ``places`` (from ``answer_places``) names where each line is, for feedback; without it an
    answer's place is its line number.
    """
    sheet = _Reader(layers, fields).read([normalise_text(line[:_MAX_LINE]) for line in lines])
    if places is None:
        return sheet

    def placed(answer: Answer) -> Answer:
        if answer.line is None or not 1 <= answer.line <= len(places):
            return answer
        return replace(answer, place=places[answer.line - 1])

    return replace(
        sheet, answers={key: placed(answer) for key, answer in sheet.answers.items()}, total=placed(sheet.total)
    )


class _Reader:
    def __init__(self, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec]) -> None:
        self.layers = list(layers)
        self.fields = list(fields)
        names = sorted((layer.name for layer in layers), key=len, reverse=True)
        # With no layers asked about (a total only), the pattern must match nothing at all.
        alternatives = "|".join(_spelling(name) for name in names) or r"(?!)"
        self.mention = re.compile(
            r"(?<![A-Za-z0-9_])(" + alternatives + r")(?![A-Za-z0-9_])", re.IGNORECASE
        )
        self.canonical = {_folded(name): name for name in names}
        self.label = {word.lower(): spec for spec in fields for word in spec.labels}
        words = sorted(self.label, key=len, reverse=True)
        self.labels = re.compile(
            r"(?<![A-Za-z])(" + ("|".join(re.escape(word) for word in words) or r"(?!)") + r")(?![A-Za-z_])",
            re.IGNORECASE,
        )
        self.summary_lines: set[int] = set()

    def read(self, lines: list[str]) -> AnswerSheet:
        lines, summary_layers = self._rewrite_structured(lines)
        best: dict[tuple[str, str], Answer] = {}
        for layer, first, last, block_field in self._segments(lines):
            for key, answer in self._segment_answers(layer, lines, first, last, block_field).items():
                if answer.supersedes(best.get(key, UNANSWERED)):
                    best[key] = answer
        total = UNANSWERED
        for index, line in enumerate(lines):
            candidate = self._total_on(line, index, lines)
            if candidate is not None and candidate.rank() > total.rank():
                total = candidate
        return AnswerSheet(answers=best, total=total, summary_layers=frozenset(summary_layers))

    # Tables and summaries become labelled lines, so that one reader handles every format.
    def _rewrite_structured(self, lines: list[str]) -> tuple[list[str], set[str]]:
        rewritten: list[str] = []
        summary_layers: set[str] = set()
        columns: list[FieldSpec | None] | None = None
        for index, line in enumerate(lines):
            bare = line.strip().lstrip("#").strip()
            summary = self._summary_row(bare)
            if summary is not None:
                summary_layers.add(summary[0])
                self.summary_lines.add(index)
                rewritten.append(summary[1])
                continue
            if not bare.startswith("|"):
                columns = None
                rewritten.append(line)
                continue
            cells = [cell.strip() for cell in bare.strip("|").split("|")]
            if columns is None and not any(find_shapes(cell) for cell in cells):
                header = [self._column_field(cell) for cell in cells]
                if any(header):
                    columns = header
                    rewritten.append("")
                    continue
            if columns is not None:
                cells = [
                    f"{columns[position].labels[0]}: {cell}"
                    if position < len(columns) and columns[position] is not None
                    else cell
                    for position, cell in enumerate(cells)
                ]
            rewritten.append(" | ".join(cells))
        return rewritten, summary_layers

    def _column_field(self, cell: str) -> FieldSpec | None:
        found = {self.label[match.group(1).lower()].name for match in self.labels.finditer(cell)}
        if len(found) != 1:
            return None
        return next(spec for spec in self.fields if spec.name in found)

    def _summary_row(self, text: str) -> tuple[str, str] | None:
        match = _SUMMARY_ROW.match(text)
        if match:
            layer = self._layer_by_call_order(match.group(1), int(match.group(2)))
            return (layer, f"{layer} output: {match.group(3)}") if layer else None
        match = _TORCHINFO_ROW.match(text)
        if not match:
            return None
        if match.group(2):
            layer = self.canonical.get(_folded(match.group(2)))
        else:
            layer = self._layer_by_call_order(match.group(1), int(match.group(4)))
        shapes = [located.value.text for located in find_shapes(match.group(5))]
        if not layer or not shapes:
            return None
        if len(shapes) >= 2:
            return layer, f"{layer} input: {shapes[0]} output: {shapes[1]}"
        return layer, f"{layer} output: {shapes[0]}"

    def _layer_by_call_order(self, type_name: str, index: int) -> str | None:
        if 1 <= index <= len(self.layers) and self.layers[index - 1].type_name.lower() == type_name.lower():
            return self.layers[index - 1].name
        return None

    def _heading(self, line: str, *, under_a_section: bool = False) -> tuple[str, int] | None:
        """The layer a line is a heading for: its first layer name, unless a size comes before it
        (``(1, 64, 8, 8), same as conv2``).

        On a line right under another layer's section, which may be a note about that layer, the
        name must also be written as a heading: only markup, numbering, labels and filler words
        before it (``conv1:``, ``Q2. self.CONV1``, ``The output of conv1 is``, ``| conv1 |``), or
        a separator or a label after it (``Shape after conv1: ...``, ``Then bn1 output ...``).
        A note that mentions a layer in passing ("same as conv2", "skip is pool1's") stays in
        the section it is under; one that reads like a heading ("... of upconv output (32 ch)")
        starts a section, where a single number cannot replace a feature-map size.
        """
        match = self.mention.search(line)
        if match is None or find_shapes(line[: match.start()]):
            return None
        if under_a_section and not self._written_as_heading(line, match.start(), match.end()):
            return None
        return self.canonical[_folded(match.group(1))], match.start()

    def _written_as_heading(self, line: str, start: int, end: int) -> bool:
        if not _HEADING_FILLER.sub("", self.labels.sub("", line[:start])):
            return True
        label_start = _BEFORE_LABEL.match(line, end).end()
        return bool(_HEADING_SEPARATOR.match(line, end) or self.labels.match(line, label_start))

    def _field_heading(self, line: str, *, under_a_section: bool) -> FieldSpec | None:
        """The field a block heading such as ``Input sizes:`` or ``輸出大小`` announces, if the line
        is one: the unlabelled sizes under it answer that field.

        Inside a layer's section a lone ``input:`` labels the next line instead, so there only a
        plural (``Inputs``, ``input sizes``) makes a heading.
        """
        stripped = _MARKUP.sub("", line).strip()
        specs = {self.label[match.group(1).lower()].name for match in self.labels.finditer(stripped)}
        if len(specs) != 1 or _FIELD_HEADING_FILLER.sub("", self.labels.sub("", stripped)):
            return None
        if under_a_section and not _PLURAL_HEADING.search(stripped):
            return None
        return next(spec for spec in self.fields if spec.name in specs)

    def _segments(self, lines: list[str]) -> list[tuple[str, int, int, FieldSpec | None]]:
        """(layer, first line, last line, block field): a heading line and the lines under it, and
        the field announced by the block heading it is under (``Input sizes:``), if any."""
        segments: list[list] = []
        current: list | None = None
        block_field: FieldSpec | None = None
        for index, line in enumerate(lines):
            heading = self._heading(line, under_a_section=current is not None)
            stripped = _MARKUP.sub("", line).strip()
            announced = self._field_heading(line, under_a_section=current is not None) if heading is None else None
            if heading is not None and not self._is_total_answer(line, heading[1]):
                current = [heading[0], index, index, block_field]
                segments.append(current)
            elif announced is not None:
                block_field = announced
                current = None
            elif current is not None and stripped and not _is_total_line(stripped):
                current[2] = index
            else:
                current = None
                if _is_total_line(stripped):
                    block_field = None
        return [(layer, first, last, field_spec) for layer, first, last, field_spec in segments]

    def _segment_answers(
        self, layer: str, lines: list[str], first: int, last: int, block_field: FieldSpec | None
    ) -> dict[tuple[str, str], Answer]:
        text = "\n".join(lines[first : last + 1])
        line_of = _line_numbers(lines[first : last + 1], first + 1)
        from_summary = first in self.summary_lines
        groups = self._label_groups(text)
        if not groups:
            return {
                (layer, spec.name): replace(answer, from_summary=from_summary)
                for spec, answer in self._positional(text, line_of, block_field)
            }
        answers: dict[tuple[str, str], Answer] = {}

        def keep_first(spec: FieldSpec, candidate: Answer) -> None:
            # A later label in the same section is usually a note ("stride 2 halves the input
            # size 16x16 to 8x8"): it fills a field left empty but never replaces an answer.
            if candidate.status_order() > answers.get((layer, spec.name), UNANSWERED).status_order():
                answers[(layer, spec.name)] = candidate

        for specs, region_start, region_end in groups:
            region = text[region_start:region_end]
            values = self._values(region, specs[0].kind, labelled=True, one_value=len(specs) == 1)
            if not values:
                written = _meaningful(region)
                status: AnswerStatus = "unreadable" if written else "unanswered"
                for spec in specs:
                    keep_first(spec, Answer(status, written=written, line=line_of(region_start), labelled=True))
                continue
            for spec, located in zip(specs, values, strict=False):
                keep_first(spec, Answer(
                    "answered", located.value, line=line_of(region_start + located.start), labelled=True,
                    from_summary=from_summary,
                ))
        return answers

    def _label_groups(self, text: str) -> list[tuple[list[FieldSpec], int, int]]:
        """Each label (or ``in/out`` pair of labels) with the span of text it labels."""
        matches = list(self.labels.finditer(text))
        groups: list[tuple[list[FieldSpec], int, int]] = []
        index = 0
        while index < len(matches):
            specs = [self.label[matches[index].group(1).lower()]]
            end = matches[index].end()
            while index + 1 < len(matches) and _LABEL_JOINER.fullmatch(text[end : matches[index + 1].start()]):
                index += 1
                spec = self.label[matches[index].group(1).lower()]
                if spec not in specs:
                    specs.append(spec)
                end = matches[index].end()
            limit = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            groups.append((specs, end, end + _value_span(text[end:limit])))
            index += 1
        return groups

    def _values(self, region: str, kind: FieldKind, *, labelled: bool, one_value: bool = False) -> list[Located]:
        """The values in ``region``, in order. With ``one_value`` (the text after one label),
        ``1, 3, 32, 32`` is one size rather than four numbers."""
        if kind == "count":
            # "3*32*5*5 + 32 = 2432": the answer is what the working ends in.
            tail_start = region.rindex("=") + 1 if "=" in region else 0
            return [
                Located(located.value, located.start + tail_start, located.end + tail_start)
                for located in find_counts(region[tail_start:])
            ]
        return find_shapes(region, allow_bare_integer=labelled, allow_bare_list=labelled and one_value)

    def _positional(self, text: str, line_of, block_field: FieldSpec | None = None) -> list[tuple[FieldSpec, Answer]]:
        """No labels: values in order answer the fields in order; a lone size is the output, or
        the field of the block heading it is under (``Input sizes:``).

        With an arrow (``a -> b``) the values either side of it are the input and the output.
        """
        if not self.fields:
            return []
        mention = self.mention.search(text)
        after = mention.end() if mention else 0
        body = text[after:]
        kind = self.fields[0].kind
        values = self._values(body, kind, labelled=False)
        arrow = _ARROW.search(body)
        if kind == "shape" and arrow:
            if not values:
                values = find_shapes(body, allow_bare_integer=True)
            before = [located for located in values if located.end <= arrow.start()]
            beyond = [located for located in values if located.start >= arrow.end()]
            if before and beyond:
                values = [before[-1], beyond[0]]
        if not values:
            return []
        if len(values) == 1 and len(self.fields) > 1:
            specs = [block_field] if block_field is not None else self.fields[-1:]
        else:
            specs = self.fields
        return [
            (spec, Answer("answered", located.value, line=line_of(after + located.start)))
            for spec, located in zip(specs, values, strict=False)
        ]

    def _is_total_answer(self, line: str, mention_start: int) -> bool:
        """``Total = conv1 (2432) + ...`` is about the total, though it names a layer."""
        stripped = line[:mention_start]
        return bool(_TOTAL_WORDS.search(stripped)) and _is_total_line(_MARKUP.sub("", line).strip())

    def _total_on(self, line: str, index: int, lines: list[str]) -> Answer | None:
        stripped = _MARKUP.sub("", line).strip()
        if not _is_total_line(stripped):
            return None
        heading = self._heading(line)
        if heading is not None and not self._is_total_answer(line, heading[1]):
            return None  # "conv1 params: 2432" is about one layer
        keyword = _TOTAL_WORDS.search(stripped) or _PARAMETER_WORDS.search(stripped)
        rest = stripped[keyword.end() :] if keyword else stripped
        # "Total ...: value" or "Total ... = value"; without one, only a number makes it an answer.
        has_separator = bool(re.search(r"[:=]", rest))
        rest = re.sub(r"^[^\d:=]*[:=]", "", rest, count=1) if has_separator else rest
        labelled = bool(_TOTAL_WORDS.search(stripped))
        number = index + 1
        # "總共16層，總參數量：134186": a number of layers or channels is not the answer.
        counts = [
            located for located in self._values(rest, "count", labelled=True)
            if not _COUNTED_THING.match(rest, located.end)
        ]
        if not counts and index + 1 < len(lines):
            following = _MARKUP.sub("", lines[index + 1]).strip()
            if following and not re.search(r"[A-Za-z\u4e00-\u9fff]{3,}", following):
                counts = self._values(following, "count", labelled=True)
                number += 1
        if counts:
            exact = [located for located in counts if located.value.exact]
            return Answer("answered", (exact or counts)[0].value, line=number, labelled=labelled)
        if not has_separator:
            return None  # prose that mentions the total ("write the total number of parameters")
        written = _meaningful(rest)
        return Answer("unreadable" if written else "unanswered", written=written, line=number, labelled=labelled)


def _is_total_line(text: str) -> bool:
    if _NOT_THE_TOTAL.search(text) and not re.search(r"total\s+param", text, re.IGNORECASE):
        return False
    has_parameter_word = bool(_PARAMETER_WORDS.search(text))
    has_total_word = bool(_TOTAL_WORDS.search(text))
    return (has_parameter_word and (has_total_word or len(text) < 60)) or (has_total_word and len(text) < 40)


def _value_span(region: str) -> int:
    """How much of ``region`` (the text after a label) holds its value: the rest of the line, or
    the next line when the label ends its line."""
    head = region.lstrip(" \t:=")
    if head.startswith("\n"):
        newline = region.index("\n")
        second = region.find("\n", newline + 1)
        return second if second != -1 else len(region)
    newline = region.find("\n")
    return newline if newline != -1 else len(region)


def _spelling(name: str) -> str:
    """``conv1`` also as ``conv_1`` and ``conv-1``."""
    match = re.fullmatch(r"([A-Za-z_]+?)(\d+)", name)
    if match:
        return re.escape(match.group(1)) + r"[_\-]?" + match.group(2)
    return re.escape(name)


def _folded(name: str) -> str:
    return re.sub(r"[_\-]", "", name).lower()


def _meaningful(region: str) -> str:
    """What was written in a region, if it is more than punctuation and filler words."""
    first_line = region.strip(" \t:=").split("\n", 1)[0].strip()
    if not _FILLER.sub("", first_line).strip():
        return ""
    return first_line[:80]


def _line_numbers(lines: list[str], first_number: int):
    """A function from an offset in ``"\\n".join(lines)`` to its 1-based line number."""
    starts: list[int] = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1

    def line_of(offset: int) -> int:
        return first_number + max(index for index, start in enumerate(starts) if offset >= start)

    return line_of

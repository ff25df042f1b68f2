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

Where a layer is answered more than once, a labelled answer beats an unlabelled one, and a later
one beats an earlier one (the answer template comes last in the starter files).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from grader.content import SubmissionFile
from grader.shapes import Count, Located, Shape, find_counts, find_shapes, normalise_text

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

    ``value`` is a ``Shape`` or a ``Count``; ``line`` is 1-based in the answer text.
    """

    status: AnswerStatus
    value: Shape | Count | None = None
    written: str = ""
    line: int | None = None
    labelled: bool = False
    from_summary: bool = False

    def rank(self) -> tuple[int, int, int]:
        order = {"answered": 2, "unreadable": 1, "unanswered": 0}[self.status]
        return (order, int(self.labelled), self.line or 0)


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
    if submission.notebook is None:
        return python_answer_lines(submission.text or "")
    lines: list[str] = []
    for cell in submission.notebook.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code":
            lines.extend(python_answer_lines(source))
        else:
            lines.extend(source.split("\n"))
        lines.append("")
    return lines


def python_answer_lines(source: str) -> list[str]:
    """The comments and string literals of ``source``, on the lines where they are written."""
    lines = [""] * (source.count("\n") + 1)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                _place(lines, token.start[0], token.string.lstrip("#"))
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
_MAX_LINE = 2000


def read_answer_sheet(
    lines: Sequence[str], *, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec]
) -> AnswerSheet:
    """Find every layer's answers and the total in ``lines`` (see the module docstring)."""
    return _Reader(layers, fields).read([normalise_text(line[:_MAX_LINE]) for line in lines])


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
        for layer, first, last in self._segments(lines):
            for key, answer in self._segment_answers(layer, lines, first, last).items():
                if answer.rank() > best.get(key, UNANSWERED).rank():
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

    def _heading(self, line: str) -> tuple[str, int] | None:
        """The layer a line is about (its first layer name, unless a size comes before it)."""
        match = self.mention.search(line)
        if match is None or find_shapes(line[: match.start()]):
            return None
        return self.canonical[_folded(match.group(1))], match.start()

    def _segments(self, lines: list[str]) -> list[tuple[str, int, int]]:
        """(layer, first line, last line): a heading line and the lines under it."""
        segments: list[list] = []
        current: list | None = None
        for index, line in enumerate(lines):
            heading = self._heading(line)
            stripped = _MARKUP.sub("", line).strip()
            if heading is not None and not self._is_total_answer(line, heading[1]):
                current = [heading[0], index, index]
                segments.append(current)
            elif current is not None and stripped and not _is_total_line(stripped):
                current[2] = index
            else:
                current = None
        return [(layer, first, last) for layer, first, last in segments]

    def _segment_answers(self, layer: str, lines: list[str], first: int, last: int) -> dict[tuple[str, str], Answer]:
        text = "\n".join(lines[first : last + 1])
        line_of = _line_numbers(lines[first : last + 1], first + 1)
        from_summary = first in self.summary_lines
        groups = self._label_groups(text)
        if not groups:
            return {
                (layer, spec.name): replace(answer, from_summary=from_summary)
                for spec, answer in self._positional(text, line_of)
            }
        answers: dict[tuple[str, str], Answer] = {}
        for specs, region_start, region_end in groups:
            region = text[region_start:region_end]
            values = self._values(region, specs[0].kind, labelled=True)
            if not values:
                written = _meaningful(region)
                status: AnswerStatus = "unreadable" if written else "unanswered"
                for spec in specs:
                    candidate = Answer(status, written=written, line=line_of(region_start), labelled=True)
                    if candidate.rank() > answers.get((layer, spec.name), UNANSWERED).rank():
                        answers[(layer, spec.name)] = candidate
                continue
            for spec, located in zip(specs, values, strict=False):
                answers[(layer, spec.name)] = Answer(
                    "answered", located.value, line=line_of(region_start + located.start), labelled=True,
                    from_summary=from_summary,
                )
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

    def _values(self, region: str, kind: FieldKind, *, labelled: bool) -> list[Located]:
        if kind == "count":
            # "3*32*5*5 + 32 = 2432": the answer is what the working ends in.
            tail_start = region.rindex("=") + 1 if "=" in region else 0
            return [
                Located(located.value, located.start + tail_start, located.end + tail_start)
                for located in find_counts(region[tail_start:])
            ]
        return find_shapes(region, allow_bare_integer=labelled)

    def _positional(self, text: str, line_of) -> list[tuple[FieldSpec, Answer]]:
        """No labels: values in order answer the fields in order; a lone size is the output.

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
        specs = self.fields[-1:] if len(values) == 1 and len(self.fields) > 1 else self.fields
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
        counts = self._values(rest, "count", labelled=True)
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

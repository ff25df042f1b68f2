"""What one layer's section answers: the values after each label, or, without labels, the values
in order (``a -> b`` is an input and an output)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from grader.answers.shapes import Located, find_counts, find_shapes
from grader.answers.sheet import UNANSWERED, Answer, AnswerStatus, FieldKind, FieldSpec
from grader.answers.vocabulary import Vocabulary

_ARROW = re.compile(r"-+>|→|=>|⇒|⟶|➜")
_FILLER = re.compile(
    r"[\s:=()\[\]{}<>,;.?_\-~|/'\"`*]|\bsize\b|\bshape\b|\btensor\b|\bis\b|\bof\b|\bthe\b|大小|形狀|尺寸|為|是",
    re.IGNORECASE,
)
_LABEL_JOINER = re.compile(r"[\s/,&+和與与]*(?:and)?[\s/,&]*")

LineOf = Callable[[int], int]
# One label, or labels joined like ``in/out``, with the span of text they label.
LabelGroup = tuple[list[FieldSpec], int, int]


@dataclass(frozen=True)
class Section:
    """A heading line that names ``layer`` and the lines under it (0-based indexes, inclusive),
    with the field announced by the block heading it is under (``Input sizes:``), if any."""

    layer: str
    first: int
    last: int
    block_field: FieldSpec | None


def section_answers(
    section: Section, lines: Sequence[str], vocabulary: Vocabulary, *, from_summary: bool
) -> dict[tuple[str, str], Answer]:
    """The answers in ``section`` of ``lines``, keyed by (layer, field name)."""
    body = lines[section.first : section.last + 1]
    text = "\n".join(body)
    line_of = _line_numbers(body, section.first + 1)
    groups = _label_groups(text, vocabulary)
    if groups:
        return _labelled_answers(section.layer, text, groups, line_of, from_summary=from_summary)
    return {
        (section.layer, spec.name): replace(answer, from_summary=from_summary)
        for spec, answer in _positional(text, line_of, vocabulary, section.block_field)
    }


def _labelled_answers(
    layer: str, text: str, groups: list[LabelGroup], line_of: LineOf, *, from_summary: bool
) -> dict[tuple[str, str], Answer]:
    answers: dict[tuple[str, str], Answer] = {}
    for specs, region_start, region_end in groups:
        region = text[region_start:region_end]
        found = _group_answers(specs, region, region_start, line_of, from_summary=from_summary)
        for spec, candidate in found:
            # A later label in the same section is usually a note ("stride 2 halves the input
            # size 16x16 to 8x8"): it fills a field left empty but never replaces an answer.
            if candidate.status_order() > answers.get((layer, spec.name), UNANSWERED).status_order():
                answers[(layer, spec.name)] = candidate
    return answers


def _group_answers(
    specs: list[FieldSpec], region: str, region_start: int, line_of: LineOf, *, from_summary: bool
) -> list[tuple[FieldSpec, Answer]]:
    """What the text after one label group answers: its values in order, or why there is none."""
    values = values_in(region, specs[0].kind, labelled=True, one_value=len(specs) == 1)
    if not values:
        written = meaningful(region)
        status: AnswerStatus = "unreadable" if written else "unanswered"
        unanswered = Answer(status, written=written, line=line_of(region_start), labelled=True)
        return [(spec, unanswered) for spec in specs]
    return [
        (spec, Answer(
            "answered", located.value, line=line_of(region_start + located.start), labelled=True,
            from_summary=from_summary,
        ))
        for spec, located in zip(specs, values, strict=False)
    ]


def _label_groups(text: str, vocabulary: Vocabulary) -> list[LabelGroup]:
    """Each label (or ``in/out`` pair of labels) with the span of text it labels."""
    matches = list(vocabulary.labels.finditer(text))
    groups: list[LabelGroup] = []
    index = 0
    while index < len(matches):
        specs = [vocabulary.field_labelled(matches[index].group(1))]
        end = matches[index].end()
        while index + 1 < len(matches) and _LABEL_JOINER.fullmatch(text[end : matches[index + 1].start()]):
            index += 1
            spec = vocabulary.field_labelled(matches[index].group(1))
            if spec not in specs:
                specs.append(spec)
            end = matches[index].end()
        limit = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        groups.append((specs, end, end + _value_span(text[end:limit])))
        index += 1
    return groups


def _positional(
    text: str, line_of: LineOf, vocabulary: Vocabulary, block_field: FieldSpec | None
) -> list[tuple[FieldSpec, Answer]]:
    """No labels: values in order answer the fields in order; a lone size is the output, or the
    field of the block heading it is under (``Input sizes:``)."""
    fields = vocabulary.fields
    if not fields:
        return []
    mention = vocabulary.mention.search(text)
    after = mention.end() if mention else 0
    values = _unlabelled_values(text[after:], fields[0].kind)
    if not values:
        return []
    if len(values) == 1 and len(fields) > 1:
        specs = (block_field,) if block_field is not None else fields[-1:]
    else:
        specs = fields
    return [
        (spec, Answer("answered", located.value, line=line_of(after + located.start)))
        for spec, located in zip(specs, values, strict=False)
    ]


def _unlabelled_values(body: str, kind: FieldKind) -> list[Located]:
    """The values written without labels; with an arrow (``a -> b``), the values either side of
    it, which are the input and the output."""
    values = values_in(body, kind, labelled=False)
    arrow = _ARROW.search(body)
    if kind != "shape" or not arrow:
        return values
    if not values:
        values = find_shapes(body, allow_bare_integer=True)
    before = [located for located in values if located.end <= arrow.start()]
    beyond = [located for located in values if located.start >= arrow.end()]
    return [before[-1], beyond[0]] if before and beyond else values


def values_in(region: str, kind: FieldKind, *, labelled: bool, one_value: bool = False) -> list[Located]:
    """The values in ``region``, in order. With ``one_value`` (the text after one label),
    ``1, 3, 32, 32`` is one size rather than four numbers."""
    if kind == "count":
        return counts_in(region)
    return find_shapes(region, allow_bare_integer=labelled, allow_bare_list=labelled and one_value)


def counts_in(region: str) -> list[Located]:
    """The counts in ``region``; in "3*32*5*5 + 32 = 2432" the answer is what the working ends in."""
    tail_start = region.rindex("=") + 1 if "=" in region else 0
    return [
        Located(located.value, located.start + tail_start, located.end + tail_start)
        for located in find_counts(region[tail_start:])
    ]


def meaningful(region: str) -> str:
    """What was written in a region, if it is more than punctuation and filler words."""
    first_line = region.strip(" \t:=").split("\n", 1)[0].strip()
    if not _FILLER.sub("", first_line).strip():
        return ""
    return first_line[:80]


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


def _line_numbers(lines: Sequence[str], first_number: int) -> LineOf:
    """A function from an offset in ``"\\n".join(lines)`` to its 1-based line number."""
    starts: list[int] = []
    position = 0
    for line in lines:
        starts.append(position)
        position += len(line) + 1

    def line_of(offset: int) -> int:
        return first_number + max(index for index, start in enumerate(starts) if offset >= start)

    return line_of

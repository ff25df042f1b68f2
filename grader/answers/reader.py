"""Reading an answer sheet: which lines are a layer's section, which answer stands, and the total.

See the package docstring (``grader.answers``) for what is understood.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from grader.answers.section import Section, counts_in, meaningful, section_answers
from grader.answers.shapes import Located, find_shapes, normalise_text
from grader.answers.sheet import UNANSWERED, Answer, AnswerSheet, FieldSpec, LayerSpec
from grader.answers.sources import answer_text
from grader.answers.structured import StructuredText, rewrite_structured
from grader.answers.vocabulary import Vocabulary
from grader.content import SubmissionFile

_TOTAL_WORDS = re.compile(r"total|總|总|合計|合计|\bsum\b", re.IGNORECASE)
_PARAMETER_WORDS = re.compile(r"param|參數|参数", re.IGNORECASE)
_NOT_THE_TOTAL = re.compile(
    r"non-?trainable|^trainable|size|\(mb\)|memory|mult-adds|estimated|flops", re.IGNORECASE
)
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
# Longer lines are cut, so that no line can make reading slow.
_MAX_LINE = 2000


def read_answers(
    submission: SubmissionFile, *, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec]
) -> AnswerSheet:
    """Find every layer's answers and the total in ``submission``, each with its place in the file
    ("line 70", "cell 3, line 2"). Never raises, whatever the text."""
    text = answer_text(submission)
    return read_answer_sheet(text.lines, layers=layers, fields=fields, places=text.places)


def read_answer_sheet(
    lines: Sequence[str],
    *,
    layers: Sequence[LayerSpec],
    fields: Sequence[FieldSpec],
    places: Sequence[str] | None = None,
) -> AnswerSheet:
    """Find every layer's answers and the total in ``lines`` (see the package docstring).

    ``places`` (``answer_text(submission).places``) names where each line is, for feedback;
    without it an answer's place is its line number.
    """
    vocabulary = Vocabulary.build(layers, fields)
    structured = rewrite_structured([normalise_text(line[:_MAX_LINE]) for line in lines], vocabulary)
    sheet = AnswerSheet(
        answers=_best_answers(structured, vocabulary),
        total=_total(structured.lines, vocabulary),
        summary_layers=structured.summary_layers,
    )
    return sheet if places is None else _placed(sheet, places)


def _placed(sheet: AnswerSheet, places: Sequence[str]) -> AnswerSheet:
    def placed(answer: Answer) -> Answer:
        if answer.line is None or not 1 <= answer.line <= len(places):
            return answer
        return replace(answer, place=places[answer.line - 1])

    return replace(
        sheet, answers={key: placed(answer) for key, answer in sheet.answers.items()}, total=placed(sheet.total)
    )


def _best_answers(structured: StructuredText, vocabulary: Vocabulary) -> dict[tuple[str, str], Answer]:
    """Where a layer is answered in more than one section, the answer that supersedes the others."""
    best: dict[tuple[str, str], Answer] = {}
    for section in _sections(structured.lines, vocabulary):
        from_summary = section.first in structured.summary_lines
        found = section_answers(section, structured.lines, vocabulary, from_summary=from_summary)
        for key, answer in found.items():
            if answer.supersedes(best.get(key, UNANSWERED)):
                best[key] = answer
    return best


# --- Sections ---------------------------------------------------------------------------------


def _sections(lines: Sequence[str], vocabulary: Vocabulary) -> list[Section]:
    """Each layer's section: its heading line and the lines under it, up to a blank line, a line
    about the total, or another heading (a layer's, or a block heading such as ``Input sizes:``)."""
    sections: list[Section] = []
    in_section = False
    block_field: FieldSpec | None = None
    for index, line in enumerate(lines):
        heading = _layer_heading(line, vocabulary, under_a_section=in_section)
        stripped = _without_markup(line)
        announced = _field_heading(line, vocabulary, under_a_section=in_section) if heading is None else None
        if heading is not None and not _is_total_answer(line, heading[1]):
            sections.append(Section(heading[0], index, index, block_field))
            in_section = True
        elif announced is not None:
            block_field = announced
            in_section = False
        elif in_section and stripped and not _is_total_line(stripped):
            sections[-1] = replace(sections[-1], last=index)
        else:
            in_section = False
            if _is_total_line(stripped):
                block_field = None
    return sections


def _layer_heading(
    line: str, vocabulary: Vocabulary, *, under_a_section: bool = False
) -> tuple[str, int] | None:
    """The layer a line is a heading for, and where its name starts: its first layer name, unless
    a size comes before it (``(1, 64, 8, 8), same as conv2``).

    On a line right under another layer's section, which may be a note about that layer, the
    name must also be written as a heading: only markup, numbering, labels and filler words
    before it (``conv1:``, ``Q2. self.CONV1``, ``The output of conv1 is``, ``| conv1 |``), or
    a separator or a label after it (``Shape after conv1: ...``, ``Then bn1 output ...``).
    A note that mentions a layer in passing ("same as conv2", "skip is pool1's") stays in
    the section it is under; one that reads like a heading ("... of upconv output (32 ch)")
    starts a section, where a single number cannot replace a feature-map size.
    """
    match = vocabulary.mention.search(line)
    if match is None or find_shapes(line[: match.start()]):
        return None
    if under_a_section and not _written_as_heading(line, match.start(), match.end(), vocabulary):
        return None
    return vocabulary.mentioned_layer(match), match.start()


def _written_as_heading(line: str, start: int, end: int, vocabulary: Vocabulary) -> bool:
    if not _HEADING_FILLER.sub("", vocabulary.labels.sub("", line[:start])):
        return True
    label_start = _BEFORE_LABEL.match(line, end).end()
    return bool(_HEADING_SEPARATOR.match(line, end) or vocabulary.labels.match(line, label_start))


def _field_heading(line: str, vocabulary: Vocabulary, *, under_a_section: bool) -> FieldSpec | None:
    """The field a block heading such as ``Input sizes:`` or ``輸出大小`` announces, if the line
    is one: the unlabelled sizes under it answer that field.

    Inside a layer's section a lone ``input:`` labels the next line instead, so there only a
    plural (``Inputs``, ``input sizes``) makes a heading.
    """
    stripped = _without_markup(line)
    spec = vocabulary.sole_field_labelled_in(stripped)
    if spec is None or _FIELD_HEADING_FILLER.sub("", vocabulary.labels.sub("", stripped)):
        return None
    if under_a_section and not _PLURAL_HEADING.search(stripped):
        return None
    return spec


def _without_markup(line: str) -> str:
    return _MARKUP.sub("", line).strip()


# --- The total --------------------------------------------------------------------------------


def _total(lines: Sequence[str], vocabulary: Vocabulary) -> Answer:
    """The best answer on any line about the total: an answer beats unreadable text, a line
    saying ``total`` beats one saying only ``params``, and a later line an earlier one."""
    total = UNANSWERED
    for index in range(len(lines)):
        candidate = _total_on(lines, index, vocabulary)
        if candidate is not None and candidate.rank() > total.rank():
            total = candidate
    return total


def _total_on(lines: Sequence[str], index: int, vocabulary: Vocabulary) -> Answer | None:
    """The answer to the total on line ``index``; None when the line is not about the total."""
    line = lines[index]
    stripped = _without_markup(line)
    if not _is_total_line(stripped):
        return None
    heading = _layer_heading(line, vocabulary)
    if heading is not None and not _is_total_answer(line, heading[1]):
        return None  # "conv1 params: 2432" is about one layer
    keyword = _TOTAL_WORDS.search(stripped) or _PARAMETER_WORDS.search(stripped)
    rest = stripped[keyword.end() :] if keyword else stripped
    # "Total ...: value" or "Total ... = value"; without one, only a number makes it an answer.
    has_separator = bool(re.search(r"[:=]", rest))
    rest = re.sub(r"^[^\d:=]*[:=]", "", rest, count=1) if has_separator else rest
    labelled = bool(_TOTAL_WORDS.search(stripped))
    counts, number = _total_counts(rest, lines, index)
    if counts:
        exact = [located for located in counts if located.value.exact]
        return Answer("answered", (exact or counts)[0].value, line=number, labelled=labelled)
    if not has_separator:
        return None  # prose that mentions the total ("write the total number of parameters")
    written = meaningful(rest)
    return Answer("unreadable" if written else "unanswered", written=written, line=number, labelled=labelled)


def _total_counts(rest: str, lines: Sequence[str], index: int) -> tuple[list[Located], int]:
    """The counts answering the total on line ``index`` (``rest`` is the text after its keyword),
    or on the next line when that holds only a value (``總參數量：`` then ``134186``); and the
    1-based number of the line they are on."""
    # "總共16層，總參數量：134186": a number of layers or channels is not the answer.
    counts = [located for located in counts_in(rest) if not _COUNTED_THING.match(rest, located.end)]
    if counts or index + 1 >= len(lines):
        return counts, index + 1
    following = _without_markup(lines[index + 1])
    if following and not re.search(r"[A-Za-z\u4e00-\u9fff]{3,}", following):
        return counts_in(following), index + 2
    return counts, index + 1


def _is_total_answer(line: str, mention_start: int) -> bool:
    """``Total = conv1 (2432) + ...`` is about the total, though it names a layer."""
    return bool(_TOTAL_WORDS.search(line[:mention_start])) and _is_total_line(_without_markup(line))


def _is_total_line(text: str) -> bool:
    if _NOT_THE_TOTAL.search(text) and not re.search(r"total\s+param", text, re.IGNORECASE):
        return False
    has_parameter_word = bool(_PARAMETER_WORDS.search(text))
    has_total_word = bool(_TOTAL_WORDS.search(text))
    return (has_parameter_word and (has_total_word or len(text) < 60)) or (has_total_word and len(text) < 40)

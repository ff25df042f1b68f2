"""Walking the answer text line by line: sections (a layer's heading and the lines under it),
block headings (``Input sizes:``, ``Layer  Output  Input``), the reading budget, and the answers
that values give by their place once a section ends. One line's tokens are read by
``line_reader.LineReader``; see ``claims`` for the principle.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence

from grader.answers.claims import OTHER_FIELD, POSITIONAL, Claim, Collected, Label, Segment, Value
from grader.answers.line_reader import MAX_TOKENS_PER_LINE, LineReader
from grader.answers.shapes import Count, Shape
from grader.answers.sources import BESIDE_CODE, MAX_ANSWER_LINES
from grader.answers.tokens import Token, tokenize_line
from grader.answers.values import arithmetic_roles
from grader.answers.vocabulary import Vocabulary

# How many tokens one file may have read (a line counts as a few): far more than any answer sheet
# needs, and the bound that keeps a crafted file from costing more than a second of CPU.
READING_BUDGET = 30_000
_LINE_COST = 6


def collect(
    lines: Sequence[str], indexes: Sequence[int], contexts: Sequence[str], code: Sequence[str],
    vocabulary: Vocabulary, *, handout: Collection[int], summary_lines: frozenset[int] = frozenset(),
) -> Collected:
    """Walk the lines that hold text (``indexes``, in order) once and attribute their values (see the
    module docstring). ``contexts`` and ``code`` say, for each line, whether it is a comment beside
    code and which code; lines in ``handout`` are the starter's own. Reading stops when
    ``READING_BUDGET`` is spent (``Collected.stopped_at``)."""
    walker = Walker(vocabulary, Collected(), summary_lines)
    # Layers numbered from 0 ("layer 0: ...") are one place further than their number says.
    walker.position_offset = int(any(_ZERO_POSITION.search(lines[index]) for index in indexes[:MAX_ANSWER_LINES]))
    budget = READING_BUDGET
    previous = -2
    for index in indexes:
        if index != previous + 1 or (index in handout and not vocabulary.names.search(lines[index])):
            walker.blank_line()  # a blank line, or the starter's own text that names no layer
        previous = index
        if index in handout and not vocabulary.names.search(lines[index]):
            continue
        context = contexts[index]
        beside = code[index] if context == BESIDE_CODE else ""
        budget -= walker.read_line(index, lines[index], context, beside, handout=index in handout) + _LINE_COST
        if budget <= 0:
            walker.collected.stopped_at = index + 1
            break
    walker.end_section()
    return walker.collected


class Walker:
    def __init__(self, vocabulary: Vocabulary, collected: Collected, summary_lines: frozenset[int]) -> None:
        self.vocabulary = vocabulary
        self.collected = collected
        self.summary_lines = summary_lines
        self.shape_fields = [spec.name for spec in vocabulary.fields if spec.kind == "shape"]
        self.count_fields = [spec.name for spec in vocabulary.fields if spec.kind == "count"]
        self.heading_line = -1
        self.position_offset = 0
        self.previous_layer: str | None = None  # the layer of the section before the current line's
        self.last_line_of_section = 0
        self.section: Segment | None = None
        self.block_field: str | None = None
        self.column_order: tuple[str, ...] = ()
        self.carried: list[Label] = []
        self.order = 0

    # --- Lines ----------------------------------------------------------------------------------

    def blank_line(self) -> None:
        """A blank line ends a section, a label waiting for its value, and a block of parameters."""
        self.end_section()
        self.carried = []
        self.column_order = ()
        if self.block_field == OTHER_FIELD:
            self.block_field = None

    def read_line(self, index: int, line: str, context: str, code: str, *, handout: bool) -> int:
        """Read one line; return how many tokens it had."""
        if not line.strip():
            self.blank_line()
            return 0
        if context == BESIDE_CODE:
            # A comment beside code is about that code, not about the heading above it; beside
            # ``self.conv1 = nn.Conv2d(...)`` it is about conv1.
            self.end_section()
            defined = _DEFINITION.match(code)
            layer = self.vocabulary.layer_named(defined.group(1)) if defined else None
            if layer is not None:
                self.section = Segment(layer, index, block_field=self.block_field)
        if not self.vocabulary.worth_reading(line):
            return 0
        tokens, roles = lexed(line)
        self.heading_line = index
        self.last_line_of_section = index
        if not handout and not _DIGIT.search(line) and self._block_heading(line, in_section=self.section is not None):
            return len(tokens)
        LineReader(self, index, line, tokens, roles, handout=handout).read()
        if context == BESIDE_CODE:
            self.end_section()
        return len(tokens)

    def _block_heading(self, line: str, *, in_section: bool) -> bool:
        """``Input sizes:``, ``輸出大小``, ``## Output shapes of each layer``: the values under it without
        a label answer that field. ``Parameters:`` or ``Weights:``: the values under it are about
        something else. Inside a layer's section a lone ``input:`` labels the next line instead,
        so there only a plural makes a heading."""
        stripped = line.strip().lstrip("#>*+-| \t").rstrip("*| \t")
        if not stripped or len(stripped) > 80:
            return False
        spec = self.vocabulary.sole_field_labelled_in(stripped)
        rest = _BLOCK_FILLER.sub("", self.vocabulary.field_label_pattern.sub("", stripped))
        named = [self.vocabulary.field_labels.get(_fold_label(match.group()))
                 for match in self.vocabulary.field_label_pattern.finditer(stripped)]
        if not rest and len(set(named)) >= 2 and None not in named:
            # "Layer   Output   Input": the columns of the rows under it, in this order.
            self.end_section()
            self.column_order = tuple(dict.fromkeys(name for name in named if name))
            return True
        if spec is not None and not rest:
            if in_section and not _PLURAL_HEADING.search(stripped):
                return False
            self.end_section()
            self.block_field = spec.name
            self.collected.list_breaks.add(self.heading_line)
            return True
        if spec is None and not self.count_fields and _OTHER_HEADING.fullmatch(stripped):
            self.end_section()
            self.block_field = OTHER_FIELD
            return True
        return False

    def end_section(self) -> None:
        if self.section is not None:
            self.resolve(self.section)
        self.section = None

    def next_order(self) -> int:
        self.order += 1
        return self.order

    # --- Positional answers -----------------------------------------------------------------------

    def resolve(self, segment: Segment) -> None:
        """Claims for the values of ``segment`` that no label named: by their place."""
        if segment.line < self.last_line_of_section:
            self.previous_layer = segment.layer
        shape_values = [value for value in segment.values if isinstance(value.value, Shape)]
        count_values = [value for value in segment.values if isinstance(value.value, Count)
                        and not value.beside_arrow and not value.chain_input]
        self._resolve_kind(segment, shape_values, self.shape_fields)
        self._resolve_kind(segment, count_values, self.count_fields)

    def _resolve_kind(self, segment: Segment, values: list[Value], fields: list[str]) -> None:
        if not values or not fields or segment.block_field == OTHER_FIELD:
            return
        taken = set(segment.labelled)
        chained = [value for value in values if value.chain_input]
        if chained and "input" in fields and "input" not in taken:
            self.claim(segment, "input", chained[-1], POSITIONAL)
            taken.add("input")
        plain = [value for value in values if not value.chain_input and value.after_label is None]
        remaining = [name for name in fields if name not in taken]
        if plain and remaining:
            self._place(segment, plain, remaining, single=not taken)
        for value in values:
            if value.after_label is not None and value.hedged and value.after_label in fields:
                self.claim(segment, value.after_label, value, POSITIONAL, hedged=True)

    def _place(self, segment: Segment, plain: list[Value], remaining: list[str], *, single: bool) -> None:
        if len(plain) == 1 and single:
            block = segment.block_field if segment.block_field in remaining else None
            self.claim(segment, block or remaining[-1], plain[0], POSITIONAL)
            return
        first_arrow = next((position for position, value in enumerate(plain) if value.arrow_before), None)
        if len(remaining) == 2 and len(plain) > 2 and first_arrow:
            before, beyond = plain[:first_arrow], plain[first_arrow:]
            self.claim(segment, remaining[0], before[-1], POSITIONAL)
            self.claim(segment, remaining[1], beyond[0], POSITIONAL)
            for other in before[:-1]:
                self.claim(segment, remaining[0], other, POSITIONAL, hedged=True)
            return
        order = [name for name in segment.column_order if name in remaining] or remaining
        for name, value in zip(order, plain, strict=False):
            self.claim(segment, name, value, POSITIONAL)

    def claim(self, segment: Segment, field_name: str, value: Value, strength: int, *,
              hedged: bool = False, labelled: bool = False) -> None:
        self.collected.claims.append(Claim(
            segment.layer, field_name, value.value, value.line, strength, value.order, labelled=labelled,
            hedged=hedged or value.hedged, final=segment.final, from_summary=value.line in self.summary_lines,
        ))


_DIGIT = re.compile(r"\d")
_ZERO_POSITION = re.compile(r"\blayer\s*[#\-_]?\s*0(?!\d)|第\s*[0零〇]\s*[層层]", re.IGNORECASE)
# Lines this short are lexed once and remembered: the starter's own lines and template lines come
# back in every file.
_REMEMBERED_LINE = 300


def lexed(line: str) -> tuple[Sequence[Token], Sequence[int]]:
    """The tokens of ``line`` (at most ``MAX_TOKENS_PER_LINE``) and their arithmetic roles."""
    if len(line) <= _REMEMBERED_LINE:
        return _lexed(line)
    tokens = tokenize_line(line, limit=MAX_TOKENS_PER_LINE)
    return tokens, arithmetic_roles(tokens)


@functools.lru_cache(maxsize=4096)
def _lexed(line: str) -> tuple[tuple[Token, ...], tuple[int, ...]]:
    tokens = tuple(tokenize_line(line, limit=MAX_TOKENS_PER_LINE))
    return tokens, tuple(arithmetic_roles(tokens))


def _fold_label(word: str) -> str:
    return word.replace("_", "").replace("-", "").lower() if word.isascii() else word


_DEFINITION = re.compile(r"^\s*self\s*\.\s*([A-Za-z_]\w*)\s*(?::[^=#]*)?=(?!=)")
_BLOCK_FILLER = re.compile(
    r"\b(?:sizes?|shapes?|dimensions?|dims|of|each|every|all|the|layers?|tensors?|and|for|per|layer)\b"
    r"|大小|尺寸|形狀|形状|維度|各層|每層|每一層|的|[^A-Za-z\u4e00-\u9fff]",
    re.IGNORECASE,
)
_PLURAL_HEADING = re.compile(r"inputs|outputs|sizes|shapes|各層|每層|每一層", re.IGNORECASE)
_OTHER_HEADING = re.compile(
    r"(?:number\s+of\s+)?(?:parameters?|params|weights?|參數量?|参数量?|權重|权重)(?:\s+(?:per|of\s+each|for\s+each)\s+layer)?"
    r"\s*(?:count)?\s*[:：]?",
    re.IGNORECASE,
)

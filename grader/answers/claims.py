"""Attributing every value in the answer text to a layer and a field, or to none.

The principle, the way a careful TA reads: every size-like expression anywhere in the text is a
candidate answer. It belongs to the nearest mention of a layer before it (its name in any
spelling, ``Conv2d(3, 32, ...)`` for its class and channels, ``layer 3`` or ``第3層`` for its
position), on its line or in the heading it is under. A label says which field it answers
(``output:``, ``輸入``, and verbs: "takes", "outputs", "之後"); without one, a value's place does
(``conv1: A -> B`` is an input then an output, a lone size is the output, ``A -> conv1 -> B`` too).
Numbers that are working (``(32 + 4 - 5)/1 + 1 = 32``) or about something else (``5x5 kernel``,
``32 channels``, ``stride 2``) are not answers; values after "or" are alternative answers, values
after "without ... would be" notes.

What the walk gives back, for ``grader.answers.resolve`` to decide on: ``Claim``s (a value for a
layer's field, how strongly the text says so), ``Unreadable`` labels (``output: same as above``),
``Reference``s (``output: same as input``), and ``Loose`` values that no mention owns, for
``flow`` (comments beside ``forward()``), ``positions`` (lists in network order) and, failing
those, a TA.

One pass over the tokens of every line; nothing is ever read twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from grader.answers import vocabulary as words
from grader.answers.shapes import Count, Shape
from grader.answers.sources import BESIDE_CODE, MAX_ANSWER_LINES
from grader.answers.tokens import ARROW, CJK, PUNCT, SIZE, STRIKE, WORD, Token, tokenize_line
from grader.answers.values import (
    OPERAND,
    RESULT,
    VALUE_KINDS,
    arithmetic_roles,
    bare_list_at,
    count_at,
)
from grader.answers.vocabulary import Vocabulary

LABELLED = 3  # a label says what it is: "output: (1, 32, 16, 16)", a table's column, a summary's row
POSITIONAL = 2  # its place says what it is: "conv1: A -> B", a lone size under a layer's heading
DERIVED = 1  # the reader worked it out: "output: same as input", the size a variable had in forward()

OTHER_FIELD = "-"  # the role of a value labelled as something else ("kernel 5x5")
_CLAUSE_END = frozenset(";。|")
_HEADING_SEPARATORS = frozenset(":=|-–—")
_MARKUP = frozenset("#*>-+`.)(][|<")
# How many tokens of one line are read: no answer needs more, and it bounds the work per line.
MAX_TOKENS_PER_LINE = 400


@dataclass(frozen=True, slots=True)
class Claim:
    """``value`` answers ``field`` of ``layer``, as strongly as ``strength`` says; ``line`` is the
    0-based index of the line it is on, ``order`` its place in reading order."""

    layer: str
    field: str
    value: Shape | Count
    line: int
    strength: int
    order: int
    labelled: bool = False
    hedged: bool = False  # written as an alternative: "or is it (1, 64, 8, 8)?"
    final: bool = False  # on a line saying it is the final or corrected answer
    from_summary: bool = False
    doubt: str = ""  # not an answer the text gives, only a reading a TA may confirm: why


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A label for ``field`` of ``layer`` followed by text that is no value: ``written``."""

    layer: str
    field: str
    written: str
    line: int
    order: int


@dataclass(frozen=True, slots=True)
class Reference:
    """``field`` of ``layer`` is written as "same as" another answer: ``target_field`` of
    ``target_layer`` (the layer itself for "output: same as input")."""

    layer: str
    field: str
    target_layer: str
    target_field: str
    line: int
    order: int
    written: str


@dataclass(frozen=True, slots=True)
class Loose:
    """A value no mention of a layer owns. ``role`` is the field a label gave it; ``subject`` the
    name it is said of ("x" in "x: (1, 3, 32, 32)"); ``note`` is set when it is written as a
    hypothetical ("without padding it would be ...")."""

    value: Shape | Count
    line: int
    order: int
    role: str | None = None
    subject: str = ""
    note: bool = False
    arrow_before: bool = False
    hedged: bool = False
    beside_arrow: bool = False


@dataclass
class LineItem:
    """A line whose values no mention owns, as an item of a list in network order: its number
    ("3." or "(3)"), the torch class it names if any (ambiguous: "Conv2d"), its values."""

    line: int
    number: int | None
    class_name: str | None
    values: list[Loose]
    block_field: str | None = None


@dataclass
class Collected:
    claims: list[Claim] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    loose: list[Loose] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    # Lines that end a list of items: a heading or a line a mention owns.
    list_breaks: set[int] = field(default_factory=set)
    stopped_at: int | None = None  # the first line not read, when the reading budget ran out


@dataclass
class _Value:
    value: Shape | Count
    line: int
    order: int
    hedged: bool
    after_label: str | None  # the field of the labelled value it follows in its segment, if any
    arrow_before: bool
    chain_input: bool = False  # written before an arrow into the layer: "A -> conv1"
    beside_arrow: bool = False


@dataclass
class _Segment:
    """The values one mention of a layer owns: on its line after it, and on the lines under it;
    with the field of the block heading it is under (``Input sizes:``), if any."""

    layer: str
    line: int
    block_field: str | None = None
    column_order: tuple[str, ...] = ()  # a header line named the fields in this order: "Layer Output Input"
    values: list[_Value] = field(default_factory=list)
    labelled: set[str] = field(default_factory=set)
    last_labelled: str | None = None
    final: bool = False


@dataclass
class _Label:
    role: str  # a field's name, or OTHER_FIELD
    end: int  # where the label ends on its line
    owner: str | None
    expired: bool = False  # a plain word came after it: "output after applying ReLU"
    used: bool = False  # a value (or a reference) answered it
    carried: bool = False  # it ended the line before


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
    walker = _Walker(vocabulary, Collected(), summary_lines)
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


class _Walker:
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
        self.section: _Segment | None = None
        self.block_field: str | None = None
        self.column_order: tuple[str, ...] = ()
        self.carried: list[_Label] = []
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
                self.section = _Segment(layer, index, block_field=self.block_field)
        if not self.vocabulary.worth_reading(line):
            return 0
        tokens, roles = lexed(line)
        self.heading_line = index
        self.last_line_of_section = index
        if not handout and not _DIGIT.search(line) and self._block_heading(line, in_section=self.section is not None):
            return len(tokens)
        _LineReader(self, index, line, tokens, roles, handout=handout).read()
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

    def resolve(self, segment: _Segment) -> None:
        """Claims for the values of ``segment`` that no label named: by their place."""
        if segment.line < self.last_line_of_section:
            self.previous_layer = segment.layer
        shape_values = [value for value in segment.values if isinstance(value.value, Shape)]
        count_values = [value for value in segment.values if isinstance(value.value, Count)
                        and not value.beside_arrow and not value.chain_input]
        self._resolve_kind(segment, shape_values, self.shape_fields)
        self._resolve_kind(segment, count_values, self.count_fields)

    def _resolve_kind(self, segment: _Segment, values: list[_Value], fields: list[str]) -> None:
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

    def _place(self, segment: _Segment, plain: list[_Value], remaining: list[str], *, single: bool) -> None:
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

    def claim(self, segment: _Segment, field_name: str, value: _Value, strength: int, *,
              hedged: bool = False, labelled: bool = False) -> None:
        self.collected.claims.append(Claim(
            segment.layer, field_name, value.value, value.line, strength, value.order, labelled=labelled,
            hedged=hedged or value.hedged, final=segment.final, from_summary=value.line in self.summary_lines,
        ))



class _LineReader:
    """Reads one line's tokens, with the walker's state from the lines before it."""

    def __init__(
        self, walker: _Walker, index: int, line: str, tokens: Sequence[Token], roles: Sequence[int], *, handout: bool,
    ) -> None:
        self.walker = walker
        self.vocabulary = walker.vocabulary
        self.index = index
        self.line = line
        self.tokens = tokens
        self.handout = handout
        self.roles = roles
        # Under a section, the values before the line's first mention are held: they go to the layer
        # that mention names if it owns them ("輸入 X 經過 bn1 之後變成 Y"), else to the section's
        # ("(1, 64, 8, 8), same as conv2").
        self.segment: _Segment | None = None
        self.held_for: _Segment | None = walker.section
        self.carried_in = walker.section is not None
        self.last_value: tuple[Shape | Count, int] | None = None  # the value last read, and its order
        # Labels that ended the line before: they wait for this line's first value.
        self.pending: list[_Label] = [_Label(label.role, 0, label.owner, carried=True) for label in walker.carried]
        walker.carried = []
        self.mentions = 0
        self.owned_any = False
        self.clean_prefix = True  # only markup, numbering, labels and filler words so far on this line
        self.clause_start = True
        self.hedged = False
        self.hypothetical = False
        self.note_line = False
        self.struck = False
        self.in_total = False
        self.final = False
        self.number: int | None = None
        self.class_name: str | None = None
        self.subject = ""
        self.loose: list[Loose] = []
        self.last_value_end = -1

    def read(self) -> None:
        self.final = bool(_FINAL_HINT.search(self.line)) and any(
            words.FINAL in self._kinds(token) for token in self.tokens if token.kind in (WORD, CJK))
        self._first_words()
        position = 0
        while position < len(self.tokens):
            position = self._read_token(position)
        self._end_line()

    def _meanings(self, token: Token) -> list[tuple[str, object]]:
        if token.kind == WORD or token.kind == CJK:
            return self.vocabulary.meanings(token.text)
        return []

    def _kinds(self, token: Token) -> set[str]:
        return {kind for kind, _ in self._meanings(token)}

    def _first_kind(self, position: int) -> str | None:
        if not 0 <= position < len(self.tokens):
            return None
        meanings = self._meanings(self.tokens[position])
        return meanings[0][0] if meanings else None

    def _first_words(self) -> None:
        """A line that starts (after markup) with "Total" or "總參數量" is about the total: it ends
        the section above it, and its numbers and mentions are no layer's. A line that starts with
        a plain name ("x: (1, 3, 32, 32)") says what that name's size is."""
        for token in self.tokens:
            if token.kind == PUNCT and token.text in _MARKUP:
                continue
            meanings = self._meanings(token)
            first = meanings[0][0] if meanings else None
            if first == words.TOTAL or (first == words.PARAMETERS and not self.walker.count_fields):
                self.walker.end_section()
                self.segment = self.held_for = None
                self._enter_total()
            elif token.kind == WORD and not meanings and token.text.isidentifier():
                self.subject = token.text
            return

    def _enter_total(self) -> None:
        self.in_total = True
        self.walker.collected.list_breaks.add(self.index)

    # --- Tokens -----------------------------------------------------------------------------------

    def _read_token(self, position: int) -> int:
        token = self.tokens[position]
        kind = token.kind
        if kind in VALUE_KINDS:
            return self._read_value(position)
        if kind in (WORD, CJK):
            return self._read_words(position)
        if kind == STRIKE:
            self.struck = not self.struck
        elif kind == ARROW:
            self.clean_prefix = self.clause_start = False
        elif token.text in _CLAUSE_END or (token.text == "," and not self._comma_continues(position)):
            self._end_clause(token.start)
        elif token.text not in _MARKUP and token.text not in ":=,'\"?":
            self.clean_prefix = False
        return position + 1

    def _comma_continues(self, position: int) -> bool:
        """A comma between labels ("input, output: A, B") or before the value a label still waits
        for ("in/out: A, B") does not end the clause."""
        if not self._open_labels() or position + 1 >= len(self.tokens):
            return False
        following = self.tokens[position + 1]
        if following.kind in VALUE_KINDS:
            return True
        return self._first_kind(position + 1) == words.LABEL and not self._value_since_label()

    def _read_words(self, position: int) -> int:
        token = self.tokens[position]
        meanings = self._meanings(token)
        if token.kind == CJK and meanings:
            covered = sum(len(match.group()) for match in self.vocabulary.chinese.finditer(token.text))
            if covered < len(token.text) and not self._is_heading_word(token):
                self._plain_word(token)
        if not meanings:
            self._plain_word(token)
            return position + 1
        after = position + 1
        for kind, value in meanings:
            after = max(after, self._read_meaning(position, kind, value))
        return after

    def _is_heading_word(self, token: Token) -> bool:
        text = token.text.lower()
        return text in words.HEADING_FILLER_WORDS or bool(_NUMBERING_WORD.fullmatch(text))

    def _read_meaning(self, position: int, kind: str, value: object) -> int:
        token = self.tokens[position]
        if kind == words.LAYER:
            return self._mention(position, str(value))
        if kind == words.CLASS:
            return self._class_mention(position, token.text)
        if kind == words.POSITION:
            return self._position_mention(position, value)
        if kind == words.RELATIVE:
            # "after conv1", "before conv2", "conv1 之後": a label for the layer named next to it
            # (Chinese puts it after the name), else a filler word.
            following = position + 1
            while self._first_kind(following) == words.FILLER:
                following += 1
            named_next = self._first_kind(following) in (words.LAYER, words.CLASS, words.POSITION)
            named_before = token.kind == CJK and self.segment is not None and self.segment.line == self.index \
                and self._first_kind(position - 1) == words.LAYER
            if named_next or named_before:
                kind = words.LABEL
            else:
                return position + 1
        if kind not in (words.FILLER, words.SAME, words.HEDGE, words.FINAL):
            self._drop_carried()
        keeps_heading = kind in (words.LABEL, words.FILLER, words.FINAL) or self._is_heading_word(token)
        self.clause_start = self.clause_start and kind in (words.FILLER,)
        self.clean_prefix = self.clean_prefix and keeps_heading
        if kind == words.LABEL:
            self._label(str(value), token.start, token.end)
        elif kind == words.OTHER:
            self._label(OTHER_FIELD, token.start, token.end)
        elif kind == words.PARAMETERS:
            self._label("params" if "params" in self.walker.count_fields else OTHER_FIELD, token.start, token.end)
        elif kind == words.TOTAL:
            self._total_word(token)
        elif kind == words.HEDGE:
            self.hedged = True
        elif kind == words.HYPOTHETICAL:
            self.hypothetical = True
        elif kind == words.NOTE:
            self.note_line = self.hypothetical = True
        elif kind == words.SAME:
            self._same(position)
        elif kind == words.DITTO:
            self._ditto()
        return position + 1

    def _drop_carried(self) -> None:
        """A label that ended the line before waits for this line's first value, not past a word."""
        if any(label.carried for label in self.pending):
            self.pending = [label for label in self.pending if not label.carried]

    def _plain_word(self, token: Token) -> None:
        """A word that is not in the vocabulary: the labels before it no longer wait for a value
        ("output after applying ReLU ..."), and the line is no heading."""
        self._drop_carried()
        for label in self.pending:
            label.expired = True
        if not self._is_heading_word(token):
            self.clean_prefix = False
        self.clause_start = False

    # --- Mentions ---------------------------------------------------------------------------------

    def _mention(self, position: int, layer: str) -> int:
        """A layer's name owns the values after it if it starts the line or a clause (after
        markup, numbering, labels and filler words) or has a value, label or separator right after
        it; else it is a mention in passing ("same as conv2's output", "so pool1 sees 32x32 too")."""
        self.mentions += 1
        self._drop_carried()
        if self.in_total:
            return position + 1
        if not self._owns(position):
            return self._in_passing(position, layer)
        self._own(layer, position)
        return position + 1

    def _owns(self, position: int) -> bool:
        if self.mentions == 1 and not self.carried_in:
            return True
        return self.clean_prefix or self.clause_start or self._heading_after(position) \
            or self._size_follows(self._after_possessive(position))

    def _size_follows(self, position: int) -> bool:
        """Whether a size comes after a mention, before another mention or the end of the sentence:
        the sizes a layer's name is followed by are that layer's ("經過 bn1 後，大小變為 (1, 32, 32, 32)")."""
        for token in self.tokens[position : position + 16]:
            if token.kind == SIZE:
                return True
            if token.text in _CLAUSE_END or self._first_kind_of(token) == words.LAYER:
                return False
        return False

    def _first_kind_of(self, token: Token) -> str | None:
        meanings = self._meanings(token)
        return meanings[0][0] if meanings else None

    def _heading_after(self, position: int) -> bool:
        following = self._after_possessive(position)
        if following >= len(self.tokens):
            return False
        token = self.tokens[following]
        if token.kind in VALUE_KINDS or token.kind == ARROW:
            return True
        if token.kind == PUNCT:
            return token.text in _HEADING_SEPARATORS or token.text == "("
        return self._first_kind(following) == words.LABEL

    def _after_possessive(self, position: int) -> int:
        """The token after a name and its "'s" or "的"."""
        following = position + 1
        if following + 1 < len(self.tokens) and self.tokens[following].text in ("'", "’") \
                and self.tokens[following + 1].text.lower() == "s":
            following += 2
        return following

    def _own(self, layer: str, position: int) -> None:
        segment = self.segment
        if segment is not None and segment.line == self.index and self.owned_any and not segment.values \
                and not segment.labelled:
            segment.layer = layer  # "Layer 3 (conv2)": the name says more than the position before it
            return
        if segment is not None:
            self.walker.resolve(segment)
        elif self.held_for is not None:
            self.walker.end_section()  # the section above ends: this line's values are the new layer's
            self.held_for = None
        segment = _Segment(layer, self.index, block_field=self.walker.block_field,
                           column_order=self.walker.column_order, final=self.final)
        before = position - 1
        while before >= 0 and self.tokens[before].kind == PUNCT and self.tokens[before].text in "[(":
            before -= 1
        chained = before >= 1 and self.tokens[before].kind == ARROW and self.last_value is not None \
            and self.last_value[1] == self.walker.order
        if chained and self.loose and self.loose[-1].order == self.walker.order and not self.loose[-1].note:
            # "1x3x32x32 -> conv1 -> 1x32x32x32": the value before the arrow goes into the layer.
            value = self.loose.pop()
            segment.values.append(_Value(value.value, value.line, value.order, False, None, False, chain_input=True))
        elif chained and self.last_value is not None:
            # "... -> [conv1] 1x32x32x32 -> [bn1] ...": conv1's output goes into bn1.
            value, order = self.last_value
            segment.values.append(_Value(value, self.index, order, False, None, False, chain_input=True))
        if self.loose and not self.owned_any:
            # "(1, 32, 16, 16) is the output of pool1": the line's values before its first mention.
            for value in [value for value in self.loose if not value.note]:
                if value.role is None:
                    segment.values.append(_Value(value.value, value.line, value.order, False, None,
                                                 value.arrow_before))
                elif value.role != OTHER_FIELD:
                    self._labelled(segment, value.role, value.value, value.order)
            self.loose = [value for value in self.loose if value.note]
        self.segment = self.walker.section = segment
        self.owned_any = True
        self.clean_prefix = self.clause_start = False
        self.walker.collected.list_breaks.add(self.index)

    def _in_passing(self, position: int, layer: str) -> int:
        """"conv3 input: same as conv2's output": a reference, whose label is not the owner's."""
        following = self._after_possessive(position)
        self.clean_prefix = self.clause_start = False
        if self._first_kind(following) == words.LABEL:
            target_field = str(self._meanings(self.tokens[following])[0][1])
            if not self._value_follows(following + 1):
                self._refer(layer, target_field)
            return following + 1
        return position + 1

    def _value_follows(self, position: int) -> bool:
        """Whether a value comes before the end of the clause (then it is the answer, not a reference)."""
        for token in self.tokens[position : position + 12]:
            if token.kind in VALUE_KINDS:
                return True
            if token.text in _CLAUSE_END or token.text == ",":
                return False
        return False

    def _class_mention(self, position: int, type_name: str) -> int:
        """``Conv2d(3, 32, ...)``: its arguments are no size; it names the one layer of that class
        that starts with those arguments. ``Conv2d`` alone, of which the network has several,
        names none: the line becomes an item of a list of layers (``grader.answers.positions``)."""
        arguments, after = self._arguments(position)
        # A class without arguments names its layer only as an item of a list ("MaxPool2d: ..."),
        # where the classes of the other items decide too.
        layer = self.vocabulary.layer_by_class_arguments(type_name, arguments) if arguments else None
        if layer is not None and not self.in_total:
            self.mentions += 1
            if self.mentions == 1 and not self.carried_in or self.clean_prefix or self.clause_start \
                    or self._heading_after(after - 1):
                self._own(layer, position)
            return after
        if self.class_name is None:
            self.class_name = type_name
        self.clean_prefix = self.clean_prefix and self.mentions == 0
        return after

    def _arguments(self, position: int) -> tuple[tuple[int, ...], int]:
        """The leading integers written in brackets after a class name, and the token after them."""
        following = position + 1
        if following >= len(self.tokens) or self.tokens[following].start - self.tokens[position].end > 1:
            return (), following
        token = self.tokens[following]
        if token.kind == SIZE and token.text.startswith("("):
            return tuple(dim for dim in token.value.dims if dim is not None), following + 1  # type: ignore[union-attr]
        if token.kind != PUNCT or token.text != "(":
            return (), following
        numbers: list[int] = []
        leading = True
        depth = 0
        for scan in range(following, min(len(self.tokens), following + 64)):
            current = self.tokens[scan]
            if current.text == "(":
                depth += 1
            elif current.text == ")":
                depth -= 1
                if depth == 0:
                    return tuple(numbers), scan + 1
            elif depth == 1 and leading and current.kind == "number":
                numbers.append(current.value)  # type: ignore[arg-type]
            elif current.text != ",":
                leading = False
        return tuple(numbers), following

    def _position_mention(self, position: int, value: object) -> int:
        """"layer 3", "Layer-3", "第3層": the layer at that place in the network."""
        number = value if isinstance(value, int) else None
        after = position + 1
        if after < len(self.tokens) and self.tokens[after].text == "#":
            after += 1  # "Layer #3"
        if number is None and after < len(self.tokens) and self.tokens[after].kind == "number" \
                and self.tokens[after].start - self.tokens[position].end <= 3:
            number = self.tokens[after].value  # type: ignore[assignment]
            after += 1
        layer = self.vocabulary.layer_at(number + self.walker.position_offset) if isinstance(number, int) else None
        if layer is None or self.in_total:
            if number is None:
                self._plain_word(self.tokens[position])
            return after
        self.mentions += 1
        self._own(layer, position)
        return after

    # --- Labels -----------------------------------------------------------------------------------

    def _label(self, role: str, start: int, end: int) -> None:
        owner = self.segment.layer if self.segment is not None else None
        if role == OTHER_FIELD:
            self._end_labels(start)
            self.pending = [_Label(role, end, owner)]
            return
        open_labels = self._open_labels()
        if open_labels and not open_labels[-1].carried and not self._value_since_label() \
                and self._joined(open_labels[-1].end, start):
            if all(label.role != role for label in open_labels):
                self.pending.append(_Label(role, end, owner))
            return
        self._end_labels(start)
        self.pending = [_Label(role, end, owner)]

    def _open_labels(self) -> list[_Label]:
        return [label for label in self.pending if not label.expired and not label.used]

    def _value_since_label(self) -> bool:
        return bool(self.pending) and self.last_value_end > self.pending[-1].end

    def _joined(self, previous_end: int, start: int) -> bool:
        """Whether two labels form a group: "in/out", "input and output", "輸入、輸出"."""
        return bool(_LABEL_JOINER.fullmatch(self.line[previous_end:start]))

    def _total_word(self, token: Token) -> None:
        if self.owned_any and self.walker.count_fields and not self.in_total:
            # "fc1: weights 200,704 + biases 256, total 200,960": the layer's own total.
            self._label(self.walker.count_fields[0], token.start, token.end)
            return
        self._end_labels(token.start)
        if not self.owned_any:
            # "In total the model has ...": about the model, whatever section the line is under.
            self.walker.end_section()
            self.segment = self.held_for = None
            self._enter_total()

    def _owner(self) -> _Segment | None:
        """The segment this line's values go to: its own mention's, or the section's it is under."""
        return self.segment or self.held_for

    def _same(self, position: int) -> None:
        """"output: same", "output: same as input", "不變": the output is the input's size.
        "same as above" stays unreadable: above may be several things."""
        labels = self._open_labels()
        owner = self._owner()
        if not labels or owner is None or labels[0].role != "output" or "input" not in self.walker.shape_fields:
            return
        following = position + 1
        while self._first_kind(following) == words.FILLER:
            following += 1
        done = following >= len(self.tokens) or self.tokens[following].text in _CLAUSE_END \
            or self.tokens[following].text in ",.)"
        if done or self._meanings(self.tokens[following])[:1] == [(words.LABEL, "input")]:
            self._refer(owner.layer, "input")

    def _ditto(self) -> None:
        """"bn2 | 同上 | 同上": each field as the layer answered on the line above has it."""
        labels = self._open_labels()
        owner = self._owner()
        above = self.walker.previous_layer
        if labels and owner is not None and above is not None and above != owner.layer:
            self._refer(above, labels[0].role)

    def _refer(self, target_layer: str, target_field: str) -> None:
        labels = self._open_labels()
        owner = self._owner()
        if not labels or owner is None or labels[0].role == OTHER_FIELD or self.handout:
            return
        label = labels[0]
        label.used = True
        self.walker.collected.references.append(Reference(
            owner.layer, label.role, target_layer, target_field, self.index, self.walker.next_order(),
            meaningful(_CLAUSE_BREAK.split(self.line[label.end :], 1)[0]) or self.line[label.end :].strip()[:80],
        ))

    def _end_labels(self, end: int) -> None:
        """Labels that got no value before ``end``: what was written after them is unreadable."""
        for label in self.pending:
            if label.used or label.role == OTHER_FIELD or self.handout or self.in_total:
                continue
            owner = self._owner()
            layer = label.owner or (owner.layer if owner is not None else None)
            written = meaningful(self.line[label.end : end])
            if layer is not None and written:
                self.walker.collected.unreadable.append(
                    Unreadable(layer, label.role, written, self.index, self.walker.next_order())
                )
        self.pending = []

    # --- Values -----------------------------------------------------------------------------------

    def _read_value(self, position: int) -> int:
        token = self.tokens[position]
        if self._is_chinese_position(position):
            self.mentions += 1
            self._drop_carried()
            layer = self.vocabulary.layer_at(token.value + self.walker.position_offset)  # type: ignore[operator]
            if layer is not None and not self.in_total:
                self._own(layer, position)
            return position + 1
        if self._is_numbering(position):
            self.number = token.value if token.kind == "number" else token.value.dims[0]  # type: ignore[union-attr]
            return position + (2 if token.kind == "number" else 1)
        self.clean_prefix = self.clause_start = False
        value, after = self._value_at(position)
        self.last_value_end = self.tokens[after - 1].end
        if value is None or self.handout or self.struck or self.in_total:
            return after
        if self._first_kind(after) == words.OTHER and self.tokens[after].start - self.tokens[after - 1].end <= 2:
            return after  # "5x5 kernel", "32 channels", "stride 2"
        if isinstance(value, Count) and self._first_kind(after) in (words.LABEL, words.PARAMETERS) \
                and not self._open_labels():
            role = "params" if "params" in self.walker.count_fields else OTHER_FIELD
            self._label(role, token.start, token.start)  # "2432 params"
        arrow_before = position > 0 and self.tokens[position - 1].kind == ARROW
        beside_arrow = arrow_before or (after < len(self.tokens) and self.tokens[after].kind == ARROW)
        self._place_value(value, arrow_before=arrow_before, beside_arrow=beside_arrow)
        return after

    def _is_chinese_position(self, position: int) -> bool:
        """"第3層": the third layer of the network."""
        token = self.tokens[position]
        return (token.kind == "number" and 0 < position < len(self.tokens) - 1
                and self.tokens[position - 1].kind == CJK and self.tokens[position - 1].text.endswith("第")
                and self.tokens[position + 1].kind == CJK and self.tokens[position + 1].text[0] in "層层")

    def _is_numbering(self, position: int) -> bool:
        """"3." or "3)" or "(3)" before the rest of a line is a list's number, not a value."""
        if not self.clean_prefix or self.mentions or position + 2 >= len(self.tokens) or self.number is not None:
            return False
        token = self.tokens[position]
        if token.kind == "number":
            after = self.tokens[position + 1]
            return after.kind == PUNCT and after.text in ".)、" and self.tokens[position + 2].kind != "number"
        return token.kind == SIZE and token.text.startswith("(") and len(token.value.dims) == 1  # type: ignore[union-attr]

    def _value_at(self, position: int) -> tuple[Shape | Count | None, int]:
        """The value at ``position`` as what the label before it asks: a size or a count."""
        token = self.tokens[position]
        role = self.roles[position]
        wanted = self._wanted_kind()
        if wanted == "count" or (wanted is None and not self.walker.shape_fields):
            if role == OPERAND or token.kind in (SIZE, "junk"):
                return None, position + 1
            return count_at(self.tokens, position, self.line) or (None, position + 1)
        if role == OPERAND or (role == RESULT and token.kind != SIZE):
            return None, position + 1
        if token.kind == SIZE:
            return token.value, position + 1  # type: ignore[return-value]
        beside_arrow = (position > 0 and self.tokens[position - 1].kind == ARROW) or (
            position + 1 < len(self.tokens) and self.tokens[position + 1].kind == ARROW)
        if wanted is None and token.kind == "number" and beside_arrow and self.walker.shape_fields:
            return Shape((token.value,), token.text), position + 1  # "fc1: 64 -> 128"  # type: ignore[arg-type]
        if wanted == "shape" and token.kind in ("number", "grouped"):
            if len(self._open_labels()) == 1:
                read = bare_list_at(self.tokens, position, self.line)
                if read is not None:
                    return read
            if token.kind == "number":
                return Shape((token.value,), token.text), position + 1  # type: ignore[arg-type]
        return None, position + 1

    def _wanted_kind(self) -> str | None:
        labels = self._open_labels()
        if not labels:
            return None
        if labels[0].role == OTHER_FIELD:
            return "other"
        spec = self.vocabulary.field(labels[0].role)
        return spec.kind if spec is not None else None

    def _place_value(self, value: Shape | Count, *, arrow_before: bool, beside_arrow: bool) -> None:
        order = self.walker.next_order()
        self.last_value = (value, order)
        labels = self._open_labels()
        label = labels[0] if labels else None
        if label is not None:
            label.used = True
            if label.role == OTHER_FIELD:
                return
        if self.segment is None:
            self.loose.append(Loose(value, self.index, order, role=label.role if label else None,
                                    subject=self.subject, note=self.hypothetical, arrow_before=arrow_before,
                                    hedged=self.hedged, beside_arrow=beside_arrow))
            return
        self._give(self.segment, value, order, label.role if label else None, arrow_before=arrow_before,
                   beside_arrow=beside_arrow, hedged=self.hedged, note=self.hypothetical)

    def _give(self, segment: _Segment, value: Shape | Count, order: int, role: str | None, *, arrow_before: bool,
              beside_arrow: bool, hedged: bool, note: bool) -> None:
        """Give a value to ``segment``: labelled by ``role``, or to be placed by position."""
        if note:
            field_name = role or segment.last_labelled or ""
            if field_name:
                self.walker.collected.claims.append(Claim(
                    segment.layer, field_name, value, self.index, POSITIONAL, order, hedged=True,
                    doubt="it is written as what the size would be in another case",
                ))
            return
        if role is not None:
            self._labelled(segment, role, value, order)
            return
        segment.values.append(_Value(value, self.index, order, hedged, segment.last_labelled, arrow_before,
                                     beside_arrow=beside_arrow))

    def _labelled(self, segment: _Segment, role: str, value: Shape | Count, order: int) -> None:
        again = role in segment.labelled
        segment.labelled.add(role)
        segment.last_labelled = role
        self.walker.collected.claims.append(Claim(
            segment.layer, role, value, self.index, LABELLED, order, labelled=True,
            hedged=self.hedged and again, final=self.final or segment.final,
            from_summary=self.index in self.walker.summary_lines,
        ))

    # --- Ends -------------------------------------------------------------------------------------

    def _end_clause(self, end: int) -> None:
        self._end_labels(end)
        self.clause_start = True
        self.hedged = self.in_total = False
        self.hypothetical = self.note_line

    def _end_line(self) -> None:
        open_labels = [label for label in self._open_labels() if label.role != OTHER_FIELD
                       and not label.carried and not meaningful(self.line[label.end :])]
        if open_labels and not self._value_since_label() and not self.in_total and not self.handout:
            # "output:" at the end of a line labels the first value on the next line.
            self.walker.carried = open_labels
            self.pending = [label for label in self.pending if label not in open_labels]
        self._end_labels(len(self.line))
        if self.loose and self.segment is None and self.held_for is not None:
            for value in self.loose:  # no mention on the line owned them: the section's
                if value.role != OTHER_FIELD:
                    self._give(self.held_for, value.value, value.order, value.role, arrow_before=value.arrow_before,
                               beside_arrow=value.beside_arrow, hedged=value.hedged, note=value.note)
            self.loose = []
        if self.loose:
            collected = self.walker.collected
            collected.loose.extend(self.loose)
            if self.segment is None:
                collected.items.append(LineItem(self.index, self.number, self.class_name, list(self.loose),
                                                self.walker.block_field))


_DIGIT = re.compile(r"\d")
_ZERO_POSITION = re.compile(r"\blayer\s*[#\-_]?\s*0(?!\d)|第\s*[0零〇]\s*[層层]", re.IGNORECASE)

_FINAL_HINT = re.compile(r"final|correct|最終|最终|最後|更正|修正|正確|正确", re.IGNORECASE)
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
_CLAUSE_BREAK = re.compile(r"[|;。,，]")


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
_NUMBERING_WORD = re.compile(r"[a-z]{0,4}\d{1,3}")
_LABEL_JOINER = re.compile(r"[\s/,&+和與与]*(?:and)?[\s/,&]*")
_FILLER = re.compile(
    r"[\s:=()\[\]{}<>,;.?_\-~|/'\"`*]|\bsize\b|\bshape\b|\btensor\b|\bis\b|\bof\b|\bthe\b|大小|形狀|尺寸|為|是",
    re.IGNORECASE,
)


def meaningful(region: str) -> str:
    """What was written in a region, if it is more than punctuation and filler words."""
    first_line = region.strip(" \t:=").split("\n", 1)[0].strip()[:200]
    if not _FILLER.sub("", first_line).strip():
        return ""
    return first_line[:80]

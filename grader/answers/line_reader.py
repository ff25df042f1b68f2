"""Reading one line's tokens, with the state the lines before it left: labels, values, the
words that change what a number means (``kernel``, ``or``, ``without``), references ("same as
input"), and where each value goes. Which layer owns the line's values is ``mentions``'s part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from grader.answers import vocabulary as words
from grader.answers.claims import (
    LABELLED,
    OTHER_FIELD,
    POSITIONAL,
    Claim,
    Label,
    LineItem,
    Loose,
    Reference,
    Segment,
    Unreadable,
    Value,
)
from grader.answers.mentions import CLAUSE_END, MARKUP, MentionReading
from grader.answers.shapes import Count, Shape
from grader.answers.tokens import ARROW, CJK, PUNCT, SIZE, STRIKE, WORD, Token
from grader.answers.values import OPERAND, RESULT, VALUE_KINDS, bare_list_at, count_at
from grader.messages import Message

if TYPE_CHECKING:
    from grader.answers.walker import Walker

# How many tokens of one line are read: no answer needs more, and it bounds the work per line.
MAX_TOKENS_PER_LINE = 400


class LineReader(MentionReading):
    """Reads one line's tokens, with the walker's state from the lines before it."""

    def __init__(
        self, walker: Walker, index: int, line: str, tokens: Sequence[Token], roles: Sequence[int], *, handout: bool,
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
        self.segment: Segment | None = None
        self.held_for: Segment | None = walker.section
        self.carried_in = walker.section is not None
        self.last_value: tuple[Shape | Count, int] | None = None  # the value last read, and its order
        # Labels that ended the line before: they wait for this line's first value.
        self.pending: list[Label] = [Label(label.role, 0, label.owner, carried=True) for label in walker.carried]
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
            if token.kind == PUNCT and token.text in MARKUP:
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
        elif token.text in CLAUSE_END or (token.text == "," and not self._comma_continues(position)):
            self._end_clause(token.start)
        elif token.text not in MARKUP and token.text not in ":=,'\"?":
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

    # --- Labels -----------------------------------------------------------------------------------

    def _label(self, role: str, start: int, end: int) -> None:
        owner = self.segment.layer if self.segment is not None else None
        if role == OTHER_FIELD:
            self._end_labels(start)
            self.pending = [Label(role, end, owner)]
            return
        open_labels = self._open_labels()
        if open_labels and not open_labels[-1].carried and not self._value_since_label() \
                and self._joined(open_labels[-1].end, start):
            if all(label.role != role for label in open_labels):
                self.pending.append(Label(role, end, owner))
            return
        self._end_labels(start)
        self.pending = [Label(role, end, owner)]

    def _open_labels(self) -> list[Label]:
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

    def _owner(self) -> Segment | None:
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
        done = following >= len(self.tokens) or self.tokens[following].text in CLAUSE_END \
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

    def _give(self, segment: Segment, value: Shape | Count, order: int, role: str | None, *, arrow_before: bool,
              beside_arrow: bool, hedged: bool, note: bool) -> None:
        """Give a value to ``segment``: labelled by ``role``, or to be placed by position."""
        if note:
            field_name = role or segment.last_labelled or ""
            if field_name:
                self.walker.collected.claims.append(Claim(
                    segment.layer, field_name, value, self.index, POSITIONAL, order, hedged=True,
                    doubt=Message("it is written as what the size would be in another case"),
                ))
            return
        if role is not None:
            self._labelled(segment, role, value, order)
            return
        segment.values.append(Value(value, self.index, order, hedged, segment.last_labelled, arrow_before,
                                     beside_arrow=beside_arrow))

    def _labelled(self, segment: Segment, role: str, value: Shape | Count, order: int) -> None:
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


_FINAL_HINT = re.compile(r"final|correct|最終|最终|最後|更正|修正|正確|正确", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[|;。,，]")
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

"""Which layer a line's values belong to: a name that owns them (written as a heading, starting a
clause, or followed by a value, label or separator) or a mention in passing ("same as conv2's
output"); ``Conv2d(3, 32, ...)`` for the one layer of that class and channels; ``layer 3`` and
``第3層`` for a position; ``A -> conv1 -> B`` chains. A mix-in of ``line_reader.LineReader``, whose
state (tokens, the line's segment, the walker) it reads and changes.
"""

from __future__ import annotations

from grader.answers import vocabulary as words
from grader.answers.claims import OTHER_FIELD, Segment, Value
from grader.answers.tokens import ARROW, CJK, PUNCT, SIZE, Token
from grader.answers.values import VALUE_KINDS

CLAUSE_END = frozenset(";。|")
MARKUP = frozenset("#*>-+`.)(][|<")
_HEADING_SEPARATORS = frozenset(":=|-–—")


class MentionReading:
    """The mention-reading part of ``LineReader`` (see the module docstring)."""

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
            if token.text in CLAUSE_END or self._first_kind_of(token) == words.LAYER:
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
        segment = Segment(layer, self.index, block_field=self.walker.block_field,
                           column_order=self.walker.column_order, final=self.final)
        before = position - 1
        while before >= 0 and self.tokens[before].kind == PUNCT and self.tokens[before].text in "[(":
            before -= 1
        chained = before >= 1 and self.tokens[before].kind == ARROW and self.last_value is not None \
            and self.last_value[1] == self.walker.order
        if chained and self.loose and self.loose[-1].order == self.walker.order and not self.loose[-1].note:
            # "1x3x32x32 -> conv1 -> 1x32x32x32": the value before the arrow goes into the layer.
            value = self.loose.pop()
            segment.values.append(Value(value.value, value.line, value.order, False, None, False, chain_input=True))
        elif chained and self.last_value is not None:
            # "... -> [conv1] 1x32x32x32 -> [bn1] ...": conv1's output goes into bn1.
            value, order = self.last_value
            segment.values.append(Value(value, self.index, order, False, None, False, chain_input=True))
        if self.loose and not self.owned_any:
            # "(1, 32, 16, 16) is the output of pool1": the line's values before its first mention.
            for value in [value for value in self.loose if not value.note]:
                if value.role is None:
                    segment.values.append(Value(value.value, value.line, value.order, False, None,
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
            if token.text in CLAUSE_END or token.text == ",":
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

    def _is_chinese_position(self, position: int) -> bool:
        """"第3層": the third layer of the network."""
        token = self.tokens[position]
        return (token.kind == "number" and 0 < position < len(self.tokens) - 1
                and self.tokens[position - 1].kind == CJK and self.tokens[position - 1].text.endswith("第")
                and self.tokens[position + 1].kind == CJK and self.tokens[position + 1].text[0] in "層层")

"""Which of a line's tokens are values, and what they are worth: sizes, counts, bare lists.

A number in working is not an answer: in ``(32 + 2*2 - 5)/1 + 1 = 32`` every number is an operand
or a result (``arithmetic_roles``), and ``3*32*5*5 + 32 = 2432`` is a count's working whose answer
is the result. Counts may be grouped (``134,186``, ``134 186``) or rounded (``0.13M``, ``13.4萬``,
``1.34e5``); a size may be written without brackets after a label (``1, 32, 16, 16``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.answers.shapes import ANY_BATCH, Count, Shape, normalise_text
from grader.answers.tokens import DECIMAL, GROUPED, JUNK, NUMBER, PUNCT, SIZE, Token, tokenize_line

OPERAND = 1  # a number that is worked with: not an answer
RESULT = 2  # a number that working ends in: a count's answer, never a size

_OPENERS = frozenset("([{⌊⌈")
_CLOSERS = frozenset(")]}⌋⌉")
_OPERATORS = frozenset("+/÷^*−")  # "*" and "-" only between two values (see ``_is_operator``)
NUMBER_KINDS = frozenset((NUMBER, GROUPED, DECIMAL))
VALUE_KINDS = frozenset((SIZE, NUMBER, GROUPED, DECIMAL, JUNK))
_UNIT = re.compile(r"[ \t]?(k|K|m|M|million|thousand|萬|万|千)(?![A-Za-z])")
_UNIT_SCALE = {"k": 1e3, "thousand": 1e3, "千": 1e3, "m": 1e6, "million": 1e6, "萬": 1e4, "万": 1e4}


@dataclass(frozen=True)
class Located:
    """A value found in a text, with where it was found (so callers can read around it)."""

    value: object
    start: int
    end: int


def arithmetic_roles(tokens: Sequence[Token]) -> list[int]:
    """For every token, ``OPERAND``, ``RESULT`` or 0: whether it is part of working (one pass)."""
    roles = [0] * len(tokens)
    for index, token in enumerate(tokens):
        if token.kind not in VALUE_KINDS:
            continue
        before, after = _left(tokens, index), _right(tokens, index)
        if _is_operator(tokens, before, index) or _is_operator(tokens, after, index):
            roles[index] = OPERAND
    for index, token in enumerate(tokens):
        if token.kind != PUNCT or token.text != "=":
            continue
        before, after = _left(tokens, index), _right(tokens, index)
        if before < 0 or after >= len(tokens) or tokens[after].kind not in NUMBER_KINDS:
            continue
        written_product = tokens[before].kind == SIZE and tokens[before].text[0] not in "([t"
        if roles[before] or written_product:
            roles[before] = roles[before] or OPERAND
            roles[after] = RESULT
    return roles


def _left(tokens: Sequence[Token], index: int) -> int:
    """The nearest token before ``index`` that is not an opening bracket or a closing one next to it."""
    position = index - 1
    while position >= 0 and tokens[position].kind == PUNCT and tokens[position].text in _OPENERS:
        position -= 1
    while position >= 0 and tokens[position].kind == PUNCT and tokens[position].text in _CLOSERS:
        position -= 1
    return position


def _right(tokens: Sequence[Token], index: int) -> int:
    position = index + 1
    while position < len(tokens) and tokens[position].kind == PUNCT and tokens[position].text in _CLOSERS:
        position += 1
    while position < len(tokens) and tokens[position].kind == PUNCT and tokens[position].text in _OPENERS:
        position += 1
    return position


def _is_operator(tokens: Sequence[Token], position: int, value: int) -> bool:
    if not 0 <= position < len(tokens) or tokens[position].kind != PUNCT:
        return False
    text = tokens[position].text
    if text in _OPERATORS and text != "*":
        return True
    if text not in "-*":
        return False
    # "*" between values multiplies; next to "**" or a word it is markdown's emphasis ("**134,186**").
    # A hyphen between two sizes is a dash ("1x3x32x32 - 1x32x32x32"); next to a number it subtracts.
    other = _right(tokens, position) if position > value else _left(tokens, position)
    if not 0 <= other < len(tokens) or tokens[other].kind not in VALUE_KINDS:
        return False
    return tokens[value].kind in NUMBER_KINDS or tokens[other].kind in NUMBER_KINDS


def count_at(tokens: Sequence[Token], index: int, line: str) -> tuple[Count, int] | None:
    """The count that starts at token ``index`` (``134,186``, ``134 186``, ``0.13M``, ``1.34e5``),
    with the index of the token after it; None when the token is not a number."""
    token = tokens[index]
    if token.kind == GROUPED:
        return Count(float(token.value), token.text, exact=True), index + 1  # type: ignore[arg-type]
    if token.kind not in (NUMBER, DECIMAL):
        return None
    unit = _UNIT.match(line, token.end)
    if unit is not None:
        scale = _UNIT_SCALE[unit.group(1).lower() if unit.group(1).isascii() else unit.group(1)]
        end = index + 1
        if end < len(tokens) and tokens[end].start < unit.end():
            end += 1  # the unit's own token, unless it is part of a longer run of Chinese
        text = line[token.start : unit.end()]
        return Count(float(token.value) * scale, text, exact=False), end  # type: ignore[arg-type]
    if token.kind == DECIMAL:
        return Count(float(token.value), token.text, exact=False), index + 1  # type: ignore[arg-type]
    # "134 186": groups of three digits after single spaces.
    end, digits = index + 1, token.text
    if len(token.text) <= 3:
        while (end < len(tokens) and tokens[end].kind == NUMBER and len(tokens[end].text) == 3
               and line[tokens[end - 1].end : tokens[end].start] in (" ", "\u2009", "\u202f")):
            digits += tokens[end].text
            end += 1
    return Count(float(int(digits)), line[token.start : tokens[end - 1].end], exact=True), end


def bare_list_at(tokens: Sequence[Token], index: int, line: str) -> tuple[Shape, int] | None:
    """The size written without brackets that starts at token ``index`` (``1, 32, 16, 16``,
    ``-1，64，8，8``; one number is a size of one dimension), with the index of the token after it."""
    if tokens[index].kind not in (NUMBER, GROUPED):
        return None
    dims: list[int | None] = []
    start = tokens[index].start
    if index > 0 and tokens[index - 1].text == "-" and tokens[index - 1].end == start and tokens[index].text == "1":
        dims.append(ANY_BATCH)
        start -= 1
    position = index
    while position < len(tokens) and tokens[position].kind in (NUMBER, GROUPED):
        parts = tokens[position].text.split(",") if tokens[position].kind == GROUPED else [tokens[position].text]
        if not all(part.isdigit() for part in parts):
            return None
        if not (dims == [ANY_BATCH] and position == index):
            dims.extend(int(part) for part in parts)
        position += 1
        if position + 1 < len(tokens) and tokens[position].text == "," and tokens[position + 1].kind in (NUMBER, GROUPED):
            position += 1
        else:
            break
    end = tokens[position - 1].end
    return Shape(tuple(dims), line[start:end]), position


def find_shapes(text: str, *, allow_bare_integer: bool = False, allow_bare_list: bool = False) -> list[Located]:
    """Every size written in ``text``, in order, as ``Located(Shape)``.

    A bare integer counts as a one-dimensional size only when ``allow_bare_integer`` is set (the
    caller knows an answer is written there). With ``allow_bare_list`` too, integers separated by
    commas without brackets (``1, 32, 16, 16``) are one size, not a list of one-dimensional ones.
    """
    tokens = tokenize_line(text)
    found: list[Located] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == SIZE:
            found.append(Located(token.value, token.start, token.end))
        elif allow_bare_integer and token.kind in (NUMBER, GROUPED):
            if allow_bare_list:
                read = bare_list_at(tokens, index, text)
                if read is not None:
                    shape, index = read
                    found.append(Located(shape, text.find(shape.text, token.start - 1), tokens[index - 1].end))
                    continue
            for part in token.text.split(","):
                found.append(Located(Shape((int(part),), part), token.start, token.end))
        index += 1
    return found


def find_counts(text: str) -> list[Located]:
    """Every count written in ``text`` (``Located(Count)``), rounded figures included, in order."""
    tokens = tokenize_line(normalise_text(text)) if not text.isascii() else tokenize_line(text)
    found: list[Located] = []
    index = 0
    while index < len(tokens):
        read = count_at(tokens, index, text)
        if read is None:
            index += 1
            continue
        count, after = read
        found.append(Located(count, tokens[index].start, tokens[after - 1].end))
        index = after
    return found


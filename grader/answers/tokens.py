"""Cutting one line of answer text into tokens, in one pass whose cost is linear in the line.

A token is a size as written (``(1, 32, 16, 16)``, ``torch.Size([1, 32, 16, 16])``, ``1x32x16x16``,
``32@16x16``), a number (``134186``, ``134,186``, ``0.13``), a word, a run of Chinese characters,
an arrow, or one punctuation character. Sizes are recognised here whatever they are about; what
each one answers is the reader's business (``grader.answers.claims``).

Every pattern below either fails within a bounded distance of where it starts, or consumes what
it scanned (atomic groups: no backtracking; not possessive quantifiers, which Python 3.11.2 gets
wrong), and only starts where a token can start, so that no text, however crafted, makes lexing
slower than linear in its length.
"""

from __future__ import annotations

import re

from grader.answers.shapes import ANY_BATCH, Shape

# A symbolic batch dimension: "whatever the batch is".
_BATCH_WORD = r"(?:batch_size|batch|None|bs|-1|N|B|n|b|\?)"
_INT = r"\d{1,7}"
_DIM = rf"(?:{_INT}|{_BATCH_WORD})"
_TIMES = "x×X*✕✖·⋅∙∗"
_NOT_AFTER_NAME = r"(?<![A-Za-z0-9_.])"

_SPACES = r"(?>\s*)"  # atomic: spaces once read are never given back (no backtracking)
_TOKEN = re.compile(
    # The whitespace before a token is part of its match (atomic: never given back), so that a run
    # of spaces costs one step, not one try of every pattern per space; and every character
    # matches something (``other`` last), so that no match fails after reading spaces.
    r"(?>\s*)(?:"
    # (1, 32, 16, 16), [1, 32, 16, 16], torch.Size([1, 32, 16, 16]), (128,)
    rf"(?P<bracketed>(?:torch\.Size{_SPACES}\({_SPACES})?[(\[]{_SPACES}{_DIM}"
    rf"(?>(?:{_SPACES},{_SPACES}{_DIM})*){_SPACES},?{_SPACES}[)\]]\)?)"
    # 32@16x16: channels at height x width
    rf"|(?P<at>{_NOT_AFTER_NAME}{_INT}{_SPACES}@{_SPACES}{_INT}{_SPACES}[x×X*]{_SPACES}{_INT})"
    # 1x32x16x16, 1 × 32 × 16 × 16, N*32*16*16
    rf"|(?P<product>{_NOT_AFTER_NAME}{_DIM}(?>(?:{_SPACES}[{_TIMES}]{_SPACES}{_INT})+))"
    # 134,186 134_186 134'186 (thin spaces too)
    r"|(?P<grouped>(?<![A-Za-z0-9_.,'\u2009\u202f])\d{1,3}(?>(?:[,_'\u2009\u202f]\d{3})+)(?![0-9]))"
    # 134186, 0.13, 1.34e5
    rf"|(?P<number>{_NOT_AFTER_NAME}(?>\d+)(?:\.(?>\d+))?(?:[eE]\+?(?>\d+))?)"
    # conv1, self, Conv2d-1, layer-3
    r"|(?P<word>(?>[A-Za-z_][A-Za-z0-9_]*)(?:-\d{1,4}(?![0-9]))?)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<arrow>-{1,3}>|={1,2}>|→|⇒|⟶|➜|⟹|➔|⇨|↦)"
    r"|(?P<strike>~~)"
    r"|(?P<punct>[^\s\w])"
    r"|(?P<other>.))",
    re.DOTALL,
)
_BATCH_ONLY = re.compile(_BATCH_WORD)

SIZE = "size"
NUMBER = "number"  # an integer: value is the int
GROUPED = "grouped"  # digits grouped by thousands: value is the int; may also be a list like 1,128
DECIMAL = "decimal"  # 0.13, 1.34e5: value is the float
WORD = "word"
CJK = "cjk"
ARROW = "arrow"
STRIKE = "strike"
PUNCT = "punct"
JUNK = "junk"  # looked like a size but is not one (1x3x32x32.5, 3x3conv, (1, C, H, W))


class Token:
    """One token of a line: its kind, where it is (``start``, ``end``), its text, and for sizes
    and numbers its value (a ``Shape``, an ``int`` or a ``float``)."""

    __slots__ = ("end", "kind", "start", "text", "value")

    def __init__(self, kind: str, start: int, end: int, text: str, value: object = None) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.text = text
        self.value = value

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r})"


_SIMPLE_KINDS = {"word": WORD, "punct": PUNCT, "cjk": CJK, "arrow": ARROW, "strike": STRIKE}
# A number longer than this is no size and no count anyone writes (and converting it costs time).
_MAX_DIGITS = 15
_WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ONE_TIMES_SIGN = str.maketrans({sign: "x" for sign in _TIMES if sign != "x"} | {" ": None, "\t": None})


def tokenize_line(line: str, *, limit: int = 10_000) -> list[Token]:
    """The tokens of ``line`` in order (whitespace is not a token), at most ``limit`` of them."""
    tokens: list[Token] = []
    append = tokens.append
    for match in _TOKEN.finditer(line.rstrip()):
        kind = match.lastgroup
        if kind == "other":
            continue  # a letter of another script, an emoji: no part of any answer
        start, end = match.span(kind)
        text = match.group(kind)
        simple = _SIMPLE_KINDS.get(kind)  # type: ignore[arg-type]
        if simple is not None:
            append(Token(simple, start, end, text))
        elif kind == "number" or kind == "grouped":
            append(_number_token(kind, text, start, end))
        else:
            append(_size_token(kind, text, start, end, line))
        if len(tokens) >= limit:
            break
    return tokens


def _number_token(kind: str, text: str, start: int, end: int) -> Token:
    if len(text) > _MAX_DIGITS + 4:
        return Token(JUNK, start, end, text)
    if kind == "grouped":
        return Token(GROUPED, start, end, text, int(text.replace(",", "").replace("_", "").replace("'", "")
                                                        .replace("\u2009", "").replace("\u202f", "")))
    if "." in text or "e" in text or "E" in text:
        return Token(DECIMAL, start, end, text, float(text))
    return Token(NUMBER, start, end, text, int(text))


def _size_token(kind: str | None, text: str, start: int, end: int, line: str) -> Token:
    if kind == "bracketed":
        inner = text[text.index("[") + 1 :] if text.startswith("torch") else text[1:]
        dims = _dims(inner.rstrip(")] \t,").split(","))
    elif kind == "at":
        channels, rest = text.split("@", 1)
        dims = _dims([channels, *rest.translate(_ONE_TIMES_SIGN).split("x")])
    else:
        dims = _dims(text.translate(_ONE_TIMES_SIGN).split("x"))
    # A size runs up to a word's edge: "3x3conv" and "1x3x32x32.5" are not sizes.
    if kind != "bracketed" and end < len(line) and (
        line[end] in _WORD_CHARACTERS or (line[end] == "." and line[end + 1 : end + 2].isdigit())
    ):
        dims = None
    if dims is None:
        return Token(JUNK, start, end, text)
    return Token(SIZE, start, end, text, Shape(dims, text))


def _dims(parts: list[str]) -> tuple[int | None, ...] | None:
    first = parts[0].strip()
    if first.isdigit():
        dims: list[int | None] = [int(first)]
    elif _BATCH_ONLY.fullmatch(first):
        dims = [ANY_BATCH]
    else:
        return None
    for part in parts[1:]:
        part = part.strip()
        if not part.isdigit():
            return None  # a symbol anywhere but the batch position is not a size
        dims.append(int(part))
    return tuple(dims)

"""Reading tensor sizes and exact counts the way students write them, and comparing them.

Everything here is pure Python and never raises on text: a checker asks for the sizes in a piece
of an answer and gets ``Shape`` values (or none), and compares them with a reference computed by
torch. Nothing here knows any particular assignment.

Accepted size notations: ``(1, 32, 16, 16)``, ``[1, 32, 16, 16]``, ``torch.Size([1, 32, 16, 16])``,
``1x32x16x16``, ``1 × 32 × 16 × 16``, ``1*32*16*16``, ``32@16x16``, and where the caller knows an
answer is written, ``1, 32, 16, 16`` without brackets and a bare ``128``; numbers may touch Chinese
words (``輸出是1x32x16x16``) or end a sentence (``134186.``); the batch
may be a number, ``-1`` (torchsummary), ``N``, ``B``, ``batch`` or ``None``, or left out; the
layout may be channels-first (PyTorch) or channels-last (``16x16x32``, as lectures draw volumes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# A symbolic batch dimension: "whatever the batch is".
ANY_BATCH = None
_BATCH_WORDS = r"(?:-1|None|N|B|n|b|bs|batch(?:_size)?|\?)"
_INT = r"\d{1,7}"
_DIM = rf"(?:{_INT}|{_BATCH_WORDS})"
_TIMES = r"\s*[x×X*✕✖·]\s*"

_BRACKETED = re.compile(
    rf"(?:torch\.Size\s*\(\s*)?[(\[]\s*({_DIM}(?:\s*,\s*{_DIM})*)\s*,?\s*[)\]]\)?"
)
# Number boundaries are ASCII on purpose: ``\w`` matches Chinese, and "conv1的輸入是1x3x32x32" or
# "總參數量為134,186個" write numbers right against words. A full stop may end a sentence after a
# number ("134186."); only a digit after it ("3.5") makes the number part of a decimal.
_BEFORE_NUMBER = r"(?<![A-Za-z0-9_.])"
_AFTER_NUMBER = r"(?![A-Za-z0-9_]|\.\d)"
_CHANNELS_AT = re.compile(rf"{_BEFORE_NUMBER}({_INT})\s*@\s*({_INT}){_TIMES}({_INT}){_AFTER_NUMBER}")
_PRODUCT = re.compile(rf"{_BEFORE_NUMBER}({_DIM}(?:{_TIMES}{_INT})+){_AFTER_NUMBER}")
# "1, 3, 32, 32" without brackets, read only where the caller knows one size is written.
_BARE_LIST = re.compile(
    rf"(?<![A-Za-z0-9_.,\-])({_DIM}(?:\s*,\s*{_INT})+){_AFTER_NUMBER}(?!\s*,\s*\d)"
)
_BARE_INTEGER = re.compile(rf"(?<![A-Za-z0-9_.\-])({_INT}){_AFTER_NUMBER}")

# Exact integers: 134186, 134,186, 134 186, 134_186, 134'186 (thin spaces included).
_GROUPED_INTEGER = re.compile(
    r"(?<![A-Za-z0-9_.,])(\d{1,3}(?:[ ,_'\u2009\u202f]\d{3})+|\d+)(?![A-Za-z0-9_]|\.\d|,\d)"
)
# Rounded figures that are not exact counts.
_APPROXIMATE = re.compile(
    r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*(k|K|m|M|萬|万|million|thousand)(?![a-zA-Z])"
    r"|(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?[eE][+]?\d+)(?![A-Za-z0-9_]|\.\d)"
    r"|(?<![A-Za-z0-9_.])(\d+\.\d+)(?![A-Za-z0-9_]|\.\d)"
)
_APPROXIMATE_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "萬": 1e4, "万": 1e4}


@dataclass(frozen=True)
class Shape:
    """A size as written: its dimensions in order (``None`` for a symbolic batch) and the text."""

    dims: tuple[int | None, ...]
    text: str

    def describe(self) -> str:
        return "(" + ", ".join("N" if dim is None else str(dim) for dim in self.dims) + ")"


@dataclass(frozen=True)
class Located:
    """A value found in a text, with where it was found (so callers can read around it)."""

    value: object
    start: int
    end: int


def normalise_text(text: str) -> str:
    """Fold full-width punctuation and digits (``：（，１``) into ASCII; keep Chinese words."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.replace("、", ",").replace("〔", "(").replace("〕", ")").replace("【", "[").replace("】", "]")


def find_shapes(text: str, *, allow_bare_integer: bool = False, allow_bare_list: bool = False) -> list[Located]:
    """Every size written in ``text``, in order, as ``Located(Shape)``.

    A bare integer counts as a one-dimensional size only when ``allow_bare_integer`` is set (the
    caller knows the text right after a label such as ``output:`` is an answer). With
    ``allow_bare_list`` too, integers separated by commas without brackets (``1, 32, 16, 16``)
    are one size, not a list of one-dimensional ones (the caller knows one size is written there).
    """
    found: list[Located] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= left or start >= right for left, right in taken)

    for match in _BRACKETED.finditer(text):
        dims = _dims(re.split(r"\s*,\s*", match.group(1)))
        if dims is not None:
            found.append(Located(Shape(dims, match.group(0)), match.start(), match.end()))
            taken.append(match.span())
    for match in _CHANNELS_AT.finditer(text):
        if free(*match.span()):
            channels, height, width = (int(group) for group in match.groups())
            found.append(Located(Shape((channels, height, width), match.group(0)), match.start(), match.end()))
            taken.append(match.span())
    for match in _PRODUCT.finditer(text):
        if free(*match.span()):
            dims = _dims(re.split(_TIMES, match.group(1)))
            if dims is not None:
                found.append(Located(Shape(dims, match.group(0)), match.start(), match.end()))
                taken.append(match.span())
    if allow_bare_integer and allow_bare_list:
        for match in _BARE_LIST.finditer(text):
            if free(*match.span()):
                dims = _dims(re.split(r"\s*,\s*", match.group(1)))
                if dims is not None:
                    found.append(Located(Shape(dims, match.group(0)), match.start(), match.end()))
                    taken.append(match.span())
    if allow_bare_integer:
        for match in _BARE_INTEGER.finditer(text):
            if free(*match.span()):
                found.append(Located(Shape((int(match.group(1)),), match.group(0)), match.start(), match.end()))
                taken.append(match.span())
    return sorted(found, key=lambda located: located.start)


def _dims(parts: list[str]) -> tuple[int | None, ...] | None:
    dims: list[int | None] = []
    for index, part in enumerate(parts):
        part = part.strip()
        if part.isdigit():
            dims.append(int(part))
        elif index == 0 and re.fullmatch(_BATCH_WORDS, part):
            dims.append(ANY_BATCH)
        else:
            return None  # a symbol anywhere but the batch position is not a size
    return tuple(dims)


@dataclass(frozen=True)
class Count:
    """A number written as an answer to "how many": exact, or a rounded figure like ``0.13M``."""

    value: float
    text: str
    exact: bool


def find_counts(text: str) -> list[Located]:
    """Every count written in ``text`` (``Located(Count)``), rounded figures included, in order."""
    found: list[Located] = []
    taken: list[tuple[int, int]] = []
    for match in _APPROXIMATE.finditer(text):
        if match.group(1) is not None:
            value = float(match.group(1)) * _APPROXIMATE_SCALE[match.group(2).lower()]
        else:
            value = float(match.group(3) or match.group(4))
        # Units, exponents and decimals are how rounded figures are written: never exact counts.
        found.append(Located(Count(value, match.group(0), exact=False), match.start(), match.end()))
        taken.append(match.span())
    for match in _GROUPED_INTEGER.finditer(text):
        if all(match.end() <= left or match.start() >= right for left, right in taken):
            digits = re.sub(r"\D", "", match.group(1))
            found.append(Located(Count(float(int(digits)), match.group(0), True), match.start(), match.end()))
    return sorted(found, key=lambda located: located.start)


# --- Comparing a written size with a reference computed by torch ---------------------------------


def layouts(reference: tuple[int, ...]) -> Iterator[tuple[int | None, ...]]:
    """Every way of writing ``reference`` (a batch-first torch size) that counts as correct.

    With or without the batch (written as the number or symbolically), channels-first or
    channels-last for feature maps.
    """
    batch, *rest = reference
    variants = [tuple(rest)]
    if len(rest) == 3:
        channels, height, width = rest
        variants.append((height, width, channels))
    for variant in variants:
        yield variant
        yield (batch, *variant)
        yield (ANY_BATCH, *variant)


def shape_matches(answer: Shape, reference: tuple[int, ...]) -> bool:
    """True when ``answer`` writes ``reference`` in one of the accepted layouts."""
    return answer.dims in set(layouts(reference))


def as_channels_first(answer: Shape, rank: int) -> tuple[int, ...] | None:
    """``answer`` without its batch, channels-first, if it has ``rank`` (3 or 1) dimensions."""
    dims = answer.dims
    if len(dims) == rank + 1:
        dims = dims[1:]
    if len(dims) != rank or any(dim is None for dim in dims):
        return None
    return tuple(dim for dim in dims if dim is not None)


def explain_shape_difference(answer: Shape, reference: tuple[int, ...]) -> str:
    """A hint saying which part of ``answer`` is off, without giving the reference away."""
    rank = len(reference) - 1
    if len(answer.dims) == rank + 1 and answer.dims[0] not in (reference[0], ANY_BATCH):
        return f"The batch size is {reference[0]} all the way through: the input has one image."
    first = as_channels_first(answer, rank)
    if first is None:
        if rank == 3:
            return ("A feature map has channels, height and width: write (batch, channels, height, width), "
                    "e.g. (1, 32, 16, 16).")
        return "A linear layer's size has one feature dimension: write (batch, features), e.g. (1, 128)."
    if rank == 1:
        return "The number of features is not right."
    expected = reference[1:]
    candidates = [first, (first[2], first[0], first[1])]  # as written, or read as channels-last
    for channels, height, width in candidates:
        if channels == expected[0] and (height, width) != expected[1:]:
            return "The number of channels is right; the height and width are not."
        if channels != expected[0] and (height, width) == expected[1:]:
            return "The height and width are right; the number of channels is not."
    return "Both the number of channels and the height and width are off."

"""Reading tensor sizes and exact counts the way students write them, and comparing them.

Everything here is pure Python and never raises on text: the reader (``grader.answers.tokens``
and ``values``) finds ``Shape`` and ``Count`` values in an answer, and a checker compares them with
a reference computed by torch. Nothing here knows any particular assignment.

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

# LaTeX as students write sizes in notebook markdown: $1 \times 32 \times 16 \times 16$.
_LATEX = (
    ("\\longrightarrow", "→"), ("\\rightarrow", "→"), ("\\Rightarrow", "⇒"), ("\\mapsto", "↦"),
    ("\\times", "×"), ("\\cdot", "·"), ("\\left", ""), ("\\right", ""), ("\\to", "→"), ("\\,", " "),
    ("\\;", " "), ("\\!", ""), ("\\ ", " "), ("\\quad", " "), ("$", " "),
)


@dataclass(frozen=True)
class Shape:
    """A size as written: its dimensions in order (``None`` for a symbolic batch) and the text."""

    dims: tuple[int | None, ...]
    text: str

    def describe(self) -> str:
        return "(" + ", ".join("N" if dim is None else str(dim) for dim in self.dims) + ")"


def normalise_text(text: str) -> str:
    """Fold full-width punctuation and digits (``：（，１``) into ASCII and LaTeX (``1 \\times 32``)
    into what it stands for; keep Chinese words."""
    folded = unicodedata.normalize("NFKC", text)
    if "\\" in folded or "$" in folded:
        # Longer commands first: "\\rightarrow" is an arrow, not "\\right" and "arrow".
        for command, replacement in _LATEX:
            folded = folded.replace(command, replacement)
    return folded.replace("、", ",").replace("〔", "(").replace("〕", ")").replace("【", "[").replace("】", "]")


# Sizes written as their parts: "C=32, H=W=16", "32 channels of 16x16", "16x16 with 32 channels",
# "32 個 16×16 的特徵圖", "32 feature maps of 16x16". Each is rewritten as "(32, 16, 16)".
_DIGIT = re.compile(r"\d")
_PARTS_HINT = re.compile(r"channel|通道|特徵圖|特征图|feature|map|(?<![A-Za-z])[CHWchw]\s*=", re.IGNORECASE)
_KEY = r"(?:[CHWchw]|channels?|height|width)"
_KEYED_PARTS = re.compile(
    rf"(?<![\w.]){_KEY}\s*=\s*(?:[HWhw]\s*=\s*)?\d{{1,5}}(?:\s*[,，;、]\s*{_KEY}\s*=\s*(?:[HWhw]\s*=\s*)?\d{{1,5}}){{1,2}}(?![\w.])"
)
_KEYED_PART = re.compile(r"([A-Za-z]+)\s*=\s*(?:([HWhw])\s*=\s*)?(\d+)")
_CHANNELS_WORD = r"(?:channels?|ch|個通道|个通道|通道)"
# "3 channels and size 32x32", "32 channels, spatial size 16x16": words between the parts.
_SIZE_WORDS = r"(?:(?:an?\s+|the\s+)?(?:spatial\s+)?(?:size|dimensions?|resolution)\s*(?:of|is|=|:)?\s*|spatial\s+)?"
_PARTS = (
    (re.compile(rf"(?<![\w.])(\d{{1,5}})\s*{_CHANNELS_WORD}\s*(?:of|,|，|@|at|and|with|和)?\s*{_SIZE_WORDS}"
                rf"(\d{{1,5}})\s*[x×*]\s*(\d{{1,5}})(?![\w.x×*])", re.IGNORECASE), (1, 2, 3)),
    (re.compile(rf"(?<![\w.x×*])(\d{{1,5}})\s*[x×*]\s*(\d{{1,5}})\s*(?:with|and|,|，|\(|（|和)?\s*(\d{{1,5}})\s*{_CHANNELS_WORD}",
                re.IGNORECASE), (3, 1, 2)),
    (re.compile(r"(?<![\w.])(\d{1,5})\s*(?:個|个|張|张)?\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*的?\s*(?:特徵圖|特征图|feature\s?maps?)",
                re.IGNORECASE), (1, 2, 3)),
    (re.compile(r"(?<![\w.])(\d{1,5})\s*(?:feature\s?maps?|maps)\s*(?:of\s*(?:size\s*)?)?(\d{1,5})\s*[x×*]\s*(\d{1,5})(?![\w.x×*])",
                re.IGNORECASE), (1, 2, 3)),
)


def compose_parts(text: str) -> str:
    """``text`` with sizes written as their parts rewritten as one size: "C=32, H=W=16" and "32
    channels of 16x16" become "(32, 16, 16)" (channels, height, width)."""
    if not _DIGIT.search(text) or not _PARTS_HINT.search(text):
        return text
    text = _KEYED_PARTS.sub(_keyed, text)
    for pattern, (channels, height, width) in _PARTS:
        text = pattern.sub(lambda match, order=(channels, height, width): "({}, {}, {})".format(
            *(match.group(group) for group in order)), text)
    return text


def _keyed(match: re.Match[str]) -> str:
    parts: dict[str, str] = {}
    for key, also, value in _KEYED_PART.findall(match.group()):
        letter = key[0].upper()
        parts[letter] = value
        if also:
            parts[also.upper()] = value
    if set(parts) != {"C", "H", "W"}:
        return match.group()
    return f"({parts['C']}, {parts['H']}, {parts['W']})"


@dataclass(frozen=True)
class Count:
    """A number written as an answer to "how many": exact, or a rounded figure like ``0.13M``."""

    value: float
    text: str
    exact: bool


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

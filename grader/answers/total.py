"""The model's total number of parameters, wherever it is written.

A line about the total says "total" or "總" (or "params" in a short line) and is not about one
layer (``conv1 params: 2432``) nor about something else (trainable, memory, FLOPs). Its answer is
the count after the keyword; where working is written (``Total = 2432 + 64 + ... = 134186``,
possibly continued on lines that start with ``=``), the count it ends in; where the line ends with
its label, the count alone on the next line. Rounded figures (``0.13M``) are answers too, which
the checker refuses as not exact; counts of other things ("16 layers", "總共16層") are not.

Where the file gives different exact totals on lines of the same weight (a summary pasted beside
a template filled by hand), the later one stands and the others are alternatives, for a TA.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from grader.answers.claims import Claim
from grader.answers.resolve import Placed, resolve_one
from grader.answers.shapes import Count
from grader.answers.sheet import UNANSWERED, Answer
from grader.answers.tokens import tokenize_line
from grader.answers.values import OPERAND, RESULT, arithmetic_roles, count_at
from grader.answers.vocabulary import LAYER, TOTAL, Vocabulary

_TOTAL_WORDS = re.compile(r"total|總|总|合計|合计|\bsum\b", re.IGNORECASE)
_PARAMETER_WORDS = re.compile(r"param|參數|参数", re.IGNORECASE)
_NOT_THE_TOTAL = re.compile(
    r"non-?trainable|^trainable|size|\(mb\)|memory|mult-adds|estimated|flops", re.IGNORECASE
)
_MARKUP = re.compile(r"^[\s#>*+\-|]*")
_MAYBE_TOTAL = re.compile(r"total|sum|param|總|总|合計|合计|參數|参数", re.IGNORECASE)
_COUNTED_THING = re.compile(
    r"\s*(?:層|层|個?通道|个?通道|類|类|layers?\b|channels?\b|classes\b|epochs?\b|kernels?\b|filters?\b)",
    re.IGNORECASE,
)
_WORDY = re.compile(r"[A-Za-z\u4e00-\u9fff]{3,}")
_CONTINUATION = re.compile(r"^[\s#]*=")
# Lines longer than this are not read for the total: no total needs them, and it bounds the work.
_MAX_TOTAL_LINE = 2000


def read_total(
    lines: Sequence[str], indexes: Sequence[int], vocabulary: Vocabulary, place: Placed, *, handout: Collection[int],
) -> Answer:
    """The total's answer, from the lines that hold text (``indexes``), with alternatives where the
    file gives different ones."""
    claims: list[Claim] = []
    unreadable: Answer | None = None
    for index in indexes:
        line = lines[index]
        if not _MAYBE_TOTAL.search(line):
            continue
        stripped = _MARKUP.sub("", line[:_MAX_TOTAL_LINE]).strip()
        if not _is_total_line(stripped) or _about_a_layer(stripped, vocabulary):
            continue
        found = _total_on(lines, index, stripped)
        # The starter's own "Total number of parameters:" is no answer; the count the student
        # wrote on the line under it is.
        if index in handout and (not isinstance(found, Claim) or found.line == index or found.line in handout):
            continue
        if isinstance(found, Claim):
            claims.append(found)
        elif found and unreadable is None:
            unreadable = Answer("unreadable", written=found, line=index + 1, labelled=True, place=place(index))
    answer = resolve_one(claims, place) if claims else None
    return answer or unreadable or UNANSWERED


def _total_on(lines: Sequence[str], index: int, stripped: str) -> Claim | str | None:
    """The total written on line ``index``: a claim, the unreadable text after its label, or None
    (prose that mentions the total: "write the total number of parameters")."""
    keyword = _TOTAL_WORDS.search(stripped) or _PARAMETER_WORDS.search(stripped)
    rest = stripped[keyword.end():] if keyword else stripped
    has_separator = bool(re.search(r"[:=]", rest))
    labelled = bool(_TOTAL_WORDS.search(stripped))
    # Total lines rank by their label: "total" beats "params" alone (strength), then by order.
    strength = 2 if labelled else 1
    # "Total: 134,186", else "The model has 134,186 parameters in total".
    found = _counts(rest) or _counts(stripped[: keyword.start()] if keyword else "")
    line_of_count = index
    following = index + 1
    while following < len(lines) and _CONTINUATION.match(lines[following][:_MAX_TOTAL_LINE]):
        continued = _counts(lines[following][:_MAX_TOTAL_LINE])
        if continued:
            found, line_of_count = continued, following
        following += 1
    if not found and following < len(lines) and line_of_count == index:
        next_line = _MARKUP.sub("", lines[following][:_MAX_TOTAL_LINE]).strip()
        if next_line and not _WORDY.search(next_line):
            found, line_of_count = _counts(next_line), following
    if found:
        return Claim("", "total", found, line_of_count, strength, line_of_count * 2 + 1, labelled=labelled)
    if not has_separator:
        return None
    written = re.sub(r"^[^\d:=]*[:=]", "", rest, count=1).strip(" :=")
    return written[:80] if written and re.search(r"\w", written) else ""


def _counts(text: str) -> Count | None:
    """The count that answers in ``text``: what working ends in, else the first exact count,
    else the first rounded one; never a count of layers, channels or classes."""
    tokens = tokenize_line(text)
    roles = arithmetic_roles(tokens)
    results: list[Count] = []
    plain: list[Count] = []
    position = 0
    while position < len(tokens):
        read = count_at(tokens, position, text)
        if read is None or roles[position] == OPERAND:
            position += 1
            continue
        count, after = read
        if not _COUNTED_THING.match(text, tokens[after - 1].end):
            (results if roles[position] == RESULT else plain).append(count)
        position = after
    if results:
        return results[-1]
    exact = [count for count in plain if count.exact]
    return (exact or plain or [None])[0]


def _about_a_layer(stripped: str, vocabulary: Vocabulary) -> bool:
    """"conv1 params: 2432" is about one layer; "Total = conv1 (2432) + ..." is about the total."""
    for token in tokenize_line(stripped):
        found = vocabulary.lookup(token.text) if token.kind == "word" else None
        if found is None and token.kind == "cjk" and _TOTAL_WORDS.search(token.text):
            return False
        if found is not None and found[0] == TOTAL:
            return False
        if found is not None and found[0] == LAYER:
            return True
    return False


def _is_total_line(text: str) -> bool:
    """A short line about parameters or the total, or a line of any length that starts with
    "Total" ("Total = 2432 + 64 + ... = 134186")."""
    if _NOT_THE_TOTAL.search(text) and not re.search(r"total\s+param", text, re.IGNORECASE):
        return False
    has_parameter_word = bool(_PARAMETER_WORDS.search(text))
    starts_with_total = _TOTAL_WORDS.match(text)
    has_total_word = bool(starts_with_total or _TOTAL_WORDS.search(text))
    return (has_parameter_word and (has_total_word or len(text) < 60)) or (has_total_word and len(text) < 40) \
        or bool(starts_with_total)

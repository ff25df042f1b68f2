"""Reading an answer sheet: every value attributed to a layer's field or to none, then what stands.

See the package docstring (``grader.answers``) for the principle and what is understood. The
stages, in order: ``sources`` (the answer text and the code beside it), ``structured`` (tables and
pasted summaries as labelled lines), the walk (``walker``, ``line_reader``, ``mentions``: what each
value is, by mentions, labels and places; see ``claims`` for the principle), ``flow``
(comments beside ``forward()``), ``positions`` (lists in network order), ``resolve`` (what stands,
and the alternatives a TA may have to choose from), ``total``.

Reading is linear in the size of the text, and bounded: only lines that hold text are visited
(found in C), every line is cut into tokens once (at most ``MAX_TOKENS_PER_LINE`` of them, and
``MAX_LINE`` characters), later stages work on what the walk collected, and a file that gives more
than ``MAX_ANSWER_LINES`` lines of text or ``READING_BUDGET`` tokens is read no further: what was not
read goes to a TA (``tests/checkers/test_reading_time.py``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from itertools import compress

from grader.answers.claims import OTHER_FIELD, Loose
from grader.answers.flow import flow_claims
from grader.answers.positions import position_claims
from grader.answers.resolve import MAX_ALTERNATIVES, Placed, resolve_answers
from grader.answers.shapes import Shape, compose_parts, normalise_text
from grader.answers.sheet import UNATTRIBUTED, Answer, AnswerSheet, FieldSpec, LayerSpec, place_message
from grader.answers.sources import AnswerText, answer_text
from grader.answers.structured import rewrite_structured
from grader.answers.total import read_total
from grader.answers.vocabulary import Vocabulary
from grader.answers.walker import collect
from grader.content import SubmissionFile
from grader.messages import Message

# Longer lines are cut: no answer needs more, and it bounds the work per line.
MAX_LINE = 20_000
_SPACES = re.compile(r"[ \t]{3,}")


def read_answers(
    submission: SubmissionFile, *, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec],
    handout: Collection[str] = frozenset(),
) -> AnswerSheet:
    """Find every layer's answers and the total in ``submission``, each with its place in the file
    ("line 70", "cell 3, line 2"). ``handout`` holds the lines of the starter files
    (``handout_lines``): text the student did not write is never read as their answer. Never
    raises, whatever the text."""
    return read_answer_text(answer_text(submission), layers=layers, fields=fields, handout=handout)


def read_answer_sheet(
    lines: Sequence[str], *, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec],
    places: Sequence[str] | None = None,
) -> AnswerSheet:
    """Find every layer's answers and the total in plain ``lines`` of text (markdown, say)."""
    return read_answer_text(AnswerText.of_lines(lines, places), layers=layers, fields=fields)


def read_answer_text(
    text: AnswerText, *, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec],
    handout: Collection[str] = frozenset(),
) -> AnswerSheet:
    """Find every layer's answers and the total in ``text`` (see the module docstring)."""
    vocabulary = Vocabulary.build(layers, fields)
    lines = list(text.lines)
    indexes = list(compress(range(len(lines)), lines))  # the lines that hold text, found in C
    for index in indexes:
        # Runs of spaces become one (columns stay apart): every later pattern reads each space once.
        lines[index] = compose_parts(_SPACES.sub("  ", normalise_text(lines[index][:MAX_LINE])))
    in_handout = {index for index in indexes if handout and handout_key(lines[index]) in handout}
    structured = rewrite_structured(lines, indexes, vocabulary)

    def place(index: int) -> str:
        return text.places[index] if 0 <= index < len(text.places) else f"line {index + 1}"

    if text.stopped_at is not None:
        indexes = indexes[: bisect.bisect_left(indexes, text.stopped_at)]
    collected = collect(lines, indexes, text.contexts, text.code, vocabulary, handout=in_handout,
                        summary_lines=structured.summary_lines)
    stopped_at = collected.stopped_at if collected.stopped_at is not None else text.stopped_at
    read = indexes if stopped_at is None else indexes[: bisect.bisect_left(indexes, stopped_at)]
    flowed, used = flow_claims(collected.loose, text.contexts, text.code, vocabulary, stop=stopped_at)
    listed, listed_used = position_claims(collected.items, collected.list_breaks, vocabulary)
    unattributed = [value for value in collected.loose
                    if value.order not in used and value.order not in listed_used and value.role != OTHER_FIELD]
    answers = resolve_answers([*collected.claims, *flowed, *listed], collected.unreadable, collected.references, place)
    _offer_unattributed(answers, vocabulary, unattributed, place)
    total = read_total(lines, read, vocabulary, place, handout=in_handout)
    if stopped_at is not None:
        total = _not_read_in_full(answers, total, vocabulary, place(stopped_at))
    return AnswerSheet(
        answers=answers,
        total=total,
        summary_layers=structured.summary_layers,
        wrote_anything=len(in_handout) < len(indexes) and any(lines[index].strip() for index in indexes
                                                               if index not in in_handout),
        stopped_at=place(stopped_at) if stopped_at is not None else "",
    )


def handout_lines(text: AnswerText) -> frozenset[str]:
    """The lines of a handout (a starter file's answer text), as ``read_answers`` compares them."""
    return frozenset(handout_key(normalise_text(line)) for line in text.lines if line.strip())


def handout_key(line: str) -> str:
    return " ".join(line.split())


def _not_read_in_full(
    answers: dict[tuple[str, str], Answer], total: Answer, vocabulary: Vocabulary, where: str,
) -> Answer:
    """Past its reading budget a file is not read further: every question left without an answer
    may be answered there, and a TA reads it (the answer is uncertain, with no points to keep)."""
    doubt = Message("the file is too long for the grader to read in full: it stopped reading (%(place)s)",
                    place=place_message(where))
    for layer in vocabulary.layers:
        for spec in vocabulary.fields:
            current = answers.get((layer.name, spec.name))
            if current is None or current.status != "answered":
                answers[(layer.name, spec.name)] = Answer(
                    current.status if current else "unanswered", written=current.written if current else "",
                    line=current.line if current else None, place=current.place if current else "",
                    alternatives=current.alternatives if current else (), doubt=doubt,
                )
    return total if total.status == "answered" else replace(total, doubt=doubt)


def _offer_unattributed(
    answers: dict[tuple[str, str], Answer], vocabulary: Vocabulary, unattributed: list[Loose], place: Placed,
) -> None:
    """A size nobody owns may be the answer to any question left unanswered: a TA decides (the
    checker grades it; only where it would score is the answer uncertain)."""
    if not unattributed:
        return
    by_kind: dict[str, list[Answer]] = {"shape": [], "count": []}
    seen: set[tuple[str, object]] = set()
    for value in unattributed:
        kind = "shape" if isinstance(value.value, Shape) else "count"
        key = (kind, value.value.dims if isinstance(value.value, Shape) else value.value.value)
        if key in seen or len(by_kind[kind]) >= 4 * MAX_ALTERNATIVES:
            continue
        seen.add(key)
        by_kind[kind].append(Answer("answered", value.value, line=value.line + 1, place=place(value.line),
                                    doubt=UNATTRIBUTED))
    for layer in vocabulary.layers:
        for spec in vocabulary.fields:
            current = answers.get((layer.name, spec.name))
            candidates = by_kind[spec.kind]
            if candidates and (current is None or current.status == "unanswered" and not current.alternatives):
                answers[(layer.name, spec.name)] = Answer("unanswered", alternatives=tuple(candidates),
                                                          doubt=UNATTRIBUTED)


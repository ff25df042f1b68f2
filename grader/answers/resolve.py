"""Deciding what a student answered for each layer's field, from everything the text says about it.

The strongest claim stands (a labelled value beats one known by its place, which beats one the
reader worked out); among equals, the later one (answer templates come last in starter files).
Every other complete answer to the same question that differs from it is an alternative, and so
is a reading the reader doubts when nothing surer exists: the checker grades them all, and where
they would score differently a TA decides (``grader.answers.review``). A partial size next to a
complete one ("16x16" in a note beside "(1, 32, 16, 16)") is a note, not another answer; a line
saying "final" or "corrected" settles which answer stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from grader.answers.claims import DERIVED, POSITIONAL, Claim, Reference, Unreadable
from grader.answers.shapes import Count, Shape
from grader.answers.sheet import UNANSWERED, Answer
from grader.messages import Message, Text

# At most this many alternatives are kept for one answer: enough for a TA, bounded for the reader.
MAX_ALTERNATIVES = 8

Placed = Callable[[int], str]  # 0-based line index -> "line 70", "cell 3, line 2"

CONFLICT = Message("you wrote more than one answer to this question")


def resolve_answers(
    claims: Iterable[Claim], unreadable: Iterable[Unreadable], references: Iterable[Reference], place: Placed,
) -> dict[tuple[str, str], Answer]:
    """Every field's answer, keyed by (layer, field name)."""
    grouped: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for claim in claims:
        grouped[(claim.layer, claim.field)].append(claim)
    answers = {key: answer for key, group in grouped.items() if (answer := resolve_one(group, place)) is not None}
    for reference in references:
        _refer(answers, reference, place)
    for item in unreadable:
        key = (item.layer, item.field)
        if key not in answers:
            answers[key] = Answer("unreadable", written=item.written, line=item.line + 1, labelled=True,
                                  place=place(item.line))
    return answers


def resolve_one(claims: Sequence[Claim], place: Placed) -> Answer | None:
    """The answer that ``claims`` about one field give, with its alternatives; None for none."""
    sure = [claim for claim in claims if not claim.doubt]
    doubtful = [claim for claim in claims if claim.doubt]
    finals = [claim for claim in sure if claim.final]
    if finals:
        sure = finals
    complete = _complete(sure)
    main = max(complete, key=_rank, default=None)
    if main is None:
        if not doubtful:
            return None
        return Answer("unanswered", alternatives=_distinct(doubtful, place), doubt=doubtful[0].doubt)
    alternatives = [claim for claim in complete if claim is not main and _differs(claim, main)
                    and (claim.strength >= POSITIONAL or main.strength == DERIVED)]
    doubt = CONFLICT if alternatives else ""
    if main.strength == DERIVED and doubtful:
        alternatives += [claim for claim in doubtful if _differs(claim, main)]
        doubt = doubt or doubtful[0].doubt
    return _answer(main, place, alternatives=_distinct(alternatives, place), doubt=doubt)


def _rank(claim: Claim) -> tuple[int, bool, int]:
    return (claim.strength, not claim.hedged, claim.order)


def _complete(claims: Sequence[Claim]) -> list[Claim]:
    """Without the partial sizes written next to complete ones: "16x16" beside "(1, 32, 16, 16)",
    "32" (channels) beside "(1, 32, 32, 32)"."""
    widest = max((len(_key(claim.value)) for claim in claims if isinstance(claim.value, Shape)), default=0)
    if widest < 3:
        return list(claims)
    return [claim for claim in claims if not isinstance(claim.value, Shape) or len(_key(claim.value)) >= 3]


def _key(value: Shape | Count) -> tuple:
    """What an answer says, whatever the notation: the batch does not make two sizes differ."""
    if isinstance(value, Count):
        return (value.value, value.exact)
    dims = value.dims
    if len(dims) >= 4 or (dims and dims[0] is None) or (len(dims) == 2 and dims[0] == 1):
        dims = dims[1:]
    return tuple(dims)


def _differs(claim: Claim, main: Claim) -> bool:
    if isinstance(claim.value, Count) and isinstance(main.value, Count) and claim.value.exact != main.value.exact:
        return False  # "about 0.13M" beside an exact count is a note on it
    return _key(claim.value) != _key(main.value)


def _distinct(claims: Iterable[Claim], place: Placed) -> tuple[Answer, ...]:
    seen: set[tuple] = set()
    distinct = []
    for claim in sorted(claims, key=lambda claim: claim.order):
        key = _key(claim.value)
        if key not in seen and len(distinct) < MAX_ALTERNATIVES:
            seen.add(key)
            distinct.append(_answer(claim, place))
    return tuple(distinct)


def _answer(claim: Claim, place: Placed, *, alternatives: tuple[Answer, ...] = (), doubt: Text = "") -> Answer:
    return Answer(
        "answered", claim.value, line=claim.line + 1, labelled=claim.labelled, from_summary=claim.from_summary,
        place=place(claim.line), alternatives=alternatives, doubt=doubt,
    )


def _refer(answers: dict[tuple[str, str], Answer], reference: Reference, place: Placed) -> None:
    """"output: same as input": the referred answer's value, where the reference is written."""
    key = (reference.layer, reference.field)
    if key in answers and answers[key].status == "answered":
        return
    target = answers.get((reference.target_layer, reference.target_field), UNANSWERED)
    if target.status != "answered" or not isinstance(target.value, Shape | Count):
        answers[key] = Answer("unreadable", written=reference.written, line=reference.line + 1, labelled=True,
                              place=place(reference.line))
        return
    value = target.value
    written = Shape(value.dims, f"{reference.written} = {value.text}") if isinstance(value, Shape) else value
    answers[key] = Answer("answered", written, line=reference.line + 1, labelled=True, place=place(reference.line))

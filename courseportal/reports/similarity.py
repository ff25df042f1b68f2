"""Which reports of one assignment share text with each other, and where.

Text is compared as overlapping runs of ``NGRAM`` characters (character n-grams) of what is left once
case, spaces and punctuation are dropped: that works for English and Chinese alike (Chinese has no
spaces to split words on), and survives reflowed lines and changed punctuation. What every report may
share says nothing about who wrote what, so it is ignored: the problem statements the checker
declares (``Checker.problem_statements``), and any n-gram found in more than ``COMMON_SHARE`` of the
class's reports (headings, the course's own phrases, a template everybody used).

Cost is bounded for a class of hundreds: each report's text is cut to ``MAX_CHARACTERS``, only the
n-grams whose hash falls in one ``SAMPLE``-th are indexed (so pairs are found from a sample, like a
search engine's fingerprints), and only n-grams shared by a few reports produce pairs. The passages two
reports share are found afterwards, on the full text of the pairs that came above the floor.

Similarity of two reports: the share of the smaller one's (sampled, own) n-grams the other also has,
so a report that copied half of a longer one scores about 0.5.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy

NGRAM = 10
FINGERPRINT_BASE = numpy.uint64(1_000_003)
SAMPLE = 4
MAX_CHARACTERS = 60_000
# An n-gram in more than this share of the reports (and at least three) is the class's, not a pair's.
COMMON_SHARE = 0.2
# A report with fewer own n-grams than this (in the sample) is too short to say anything about.
MIN_SAMPLED_NGRAMS = 8
MAX_PASSAGES = 5
MAX_PASSAGE_CHARACTERS = 600
# Two matching stretches this close (in characters) are one passage with a small change inside.
PASSAGE_GAP = NGRAM
# Shorter shared stretches are a phrase anyone may write ("the receptive field of"), not a passage.
MIN_PASSAGE_CHARACTERS = 3 * NGRAM


NOT_COMPARED = re.compile(r"[\W_]+")
KEPT_CHARACTER = re.compile(r"[^\W_]")


class Normalized:
    """A text reduced to what is compared (lower case, letters and digits of any script, at most
    ``MAX_CHARACTERS``), and where each kept character came from (found only when a passage is shown)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.kept = NOT_COMPARED.sub("", original).lower()[:MAX_CHARACTERS]

    @cached_property
    def offsets(self) -> list[int]:
        return [match.start() for match in itertools.islice(KEPT_CHARACTER.finditer(self.original), MAX_CHARACTERS)]

    def excerpt(self, start: int, end: int) -> str:
        """The original text behind kept characters ``start`` to ``end`` (exclusive), widened to whole
        words of Latin script, cut to length."""
        first, last = self.offsets[start], self.offsets[min(end, len(self.offsets)) - 1] + 1
        while first > 0 and _inside_a_word(self.original[first - 1]):
            first -= 1
        while last < len(self.original) and _inside_a_word(self.original[last]):
            last += 1
        text = " ".join(self.original[first:last].split())
        return text if len(text) <= MAX_PASSAGE_CHARACTERS else text[:MAX_PASSAGE_CHARACTERS] + " …"


@dataclass(frozen=True)
class Pair:
    first: int
    second: int
    similarity: float
    passages: tuple[tuple[str, str], ...]


def _inside_a_word(character: str) -> bool:
    return character.isascii() and character.isalnum()


def normalized(text: str) -> Normalized:
    return Normalized(text)


def _fingerprints(kept: str) -> numpy.ndarray:
    """A polynomial hash of each n-gram of ``kept`` (its code points, modulo 2**64), in order, in a few
    array operations a text: the same in every process and every run (unlike ``hash()``), so a
    comparison run again gives the same figures."""
    points = numpy.frombuffer(kept.encode("utf-32-le"), dtype=numpy.uint32).astype(numpy.uint64)
    count = len(points) - NGRAM + 1
    fingerprints = numpy.zeros(max(count, 0), dtype=numpy.uint64)
    for offset in range(NGRAM if count > 0 else 0):
        fingerprints = fingerprints * FINGERPRINT_BASE + points[offset:offset + count]
    return fingerprints


def _sampled(fingerprints: numpy.ndarray) -> list[int]:
    # The low bits of a polynomial hash follow the last character; mixing in the high bits first
    # makes the sample depend on the whole n-gram.
    return fingerprints[((fingerprints >> numpy.uint64(29)) ^ fingerprints) % numpy.uint64(SAMPLE) == 0].tolist()


def sampled_ngrams(text: Normalized) -> set[int]:
    """The fingerprints of the n-grams of ``text`` that fall in the sample."""
    return set(_sampled(_fingerprints(text.kept)))


def similar_pairs(
    texts: dict[int, str], *, statements: Sequence[str] = (), floor: float = 0.2,
) -> tuple[list[Pair], list[int]]:
    """Pairs of ``texts`` (key -> text) sharing at least ``floor`` of their own text, the most similar
    first, each with the passages they share; and the keys of the texts too short to compare."""
    reports = {key: normalized(text) for key, text in texts.items()}
    ignored = set().union(*(sampled_ngrams(normalized(statement)) for statement in statements))
    own = {key: sampled_ngrams(text) - ignored for key, text in reports.items()}
    frequency = Counter(gram for grams in own.values() for gram in grams)
    common = {gram for gram, count in frequency.items() if count >= 3 and count > COMMON_SHARE * len(own)}
    ignored |= common
    own = {key: grams - common for key, grams in own.items()}
    too_short = sorted(key for key, grams in own.items() if len(grams) < MIN_SAMPLED_NGRAMS)
    shared = _shared_counts(grams_of={key: grams for key, grams in own.items() if key not in too_short})
    pairs = []
    for (first, second), count in shared.items():
        similarity = count / min(len(own[first]), len(own[second]))
        if similarity >= floor:
            pairs.append(Pair(first=first, second=second, similarity=round(similarity, 3),
                              passages=shared_passages(reports[first], reports[second], ignored=ignored)))
    pairs.sort(key=lambda pair: (-pair.similarity, pair.first, pair.second))
    return pairs, too_short


def _shared_counts(*, grams_of: dict[int, set[int]]) -> Counter[tuple[int, int]]:
    """How many n-grams each pair of texts shares, counted through an index of who has which."""
    holders: dict[int, list[int]] = defaultdict(list)
    for key in sorted(grams_of):
        for gram in grams_of[key]:
            holders[gram].append(key)
    counts: Counter[tuple[int, int]] = Counter()
    for keys in holders.values():
        if len(keys) > 1:
            counts.update(itertools.combinations(keys, 2))
    return counts


def shared_passages(first: Normalized, second: Normalized, *, ignored: Iterable[int] = ()) -> tuple[tuple[str, str], ...]:
    """The longest stretches of text ``first`` and ``second`` share (at most ``MAX_PASSAGES``), each
    as it reads in either: runs of n-grams found in both, in the same order, small changes bridged."""
    ignored = set(ignored)
    where_in_second: dict[str, int] = {}
    for index in range(len(second.kept) - NGRAM + 1):
        where_in_second.setdefault(second.kept[index:index + NGRAM], index)
    runs: list[list[int]] = []  # [start in first, end in first, start in second, end in second]
    for index in range(len(first.kept) - NGRAM + 1):
        gram = first.kept[index:index + NGRAM]
        other = where_in_second.get(gram)
        if other is None:
            continue
        run = runs[-1] if runs else None
        if run is not None and index - run[1] <= PASSAGE_GAP and 0 <= other - run[3] <= PASSAGE_GAP + NGRAM:
            run[1], run[3] = index, other
        else:
            runs.append([index, index, other, other])
    kept = [run for run in runs if run[1] + NGRAM - run[0] >= MIN_PASSAGE_CHARACTERS
            and not _mostly_ignored(first.kept[run[0]:run[1] + NGRAM], ignored)]
    kept.sort(key=lambda run: run[0] - run[1])
    return tuple((first.excerpt(run[0], run[1] + NGRAM), second.excerpt(run[2], run[3] + NGRAM))
                 for run in kept[:MAX_PASSAGES])


def _mostly_ignored(stretch: str, ignored: set[int]) -> bool:
    """Whether a shared stretch is mostly text every report may share (the statements, the class's own)."""
    sampled = _sampled(_fingerprints(stretch))
    return bool(sampled) and sum(gram in ignored for gram in sampled) * 2 >= len(sampled)

"""Lists that answer layer by layer in network order without naming the layers.

``1x3x32x32 -> 1x32x32x32`` then ``1x32x32x32 -> 1x32x32x32`` ... , one line per layer, or a
numbered list (``1. [..] => [..]``), or lines that name only a torch class (``Conv2d: [..] ->
[..]``, as a forward hook prints them): a line's place in the list says which layer it is about, when
the list has exactly one line per layer (by count, by number, or by class: the second ``Conv2d``
line is the second ``Conv2d``). A list that does not fit the network is not guessed at: its values
stay unattributed, for a TA.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from grader.answers.claims import LABELLED, POSITIONAL, Claim, LineItem, Loose
from grader.answers.shapes import Shape
from grader.answers.vocabulary import Vocabulary


def position_claims(items: Sequence[LineItem], breaks: Iterable[int], vocabulary: Vocabulary) -> tuple[list[Claim], set[int]]:
    """Claims from the lists among ``items`` that fit the network, and the ``order`` of every
    value they used."""
    claims: list[Claim] = []
    used: set[int] = set()
    for run in _runs(items, sorted(set(breaks))):
        layers = _layers_of(run, vocabulary)
        if layers is None:
            continue
        for item, layer in zip(run, layers, strict=True):
            if layer is not None:
                found = _item_claims(item, layer, vocabulary)
                claims.extend(found)
                used.update(value.order for value in item.values)
    return claims, used


def _runs(items: Sequence[LineItem], breaks: list[int]) -> list[list[LineItem]]:
    """Items one after another with no heading or owned line between them."""
    runs: list[list[LineItem]] = []
    break_index = 0
    for item in items:
        while break_index < len(breaks) and breaks[break_index] < item.line:
            break_index += 1
            if runs and runs[-1]:
                runs.append([])
        if not runs or (item.number == 1 and runs[-1]):  # numbering starts again: another list
            runs.append([])
        runs[-1].append(item)
    return [run for run in runs if run]


def _layers_of(run: list[LineItem], vocabulary: Vocabulary) -> list[str | None] | None:
    """The layer each item is about, or None when the list does not fit the network."""
    names = [layer.name for layer in vocabulary.layers]
    if all(item.class_name for item in run):
        return _by_class(run, vocabulary)
    numbers = [item.number for item in run]
    if all(number is not None for number in numbers) and numbers == list(range(1, len(names) + 1)):
        return list(names)
    if len(run) == len(names) and all(
        item.class_name is None or item.class_name.lower() == layer.type_name.lower()
        for item, layer in zip(run, vocabulary.layers, strict=True)
    ):
        return list(names)
    return None


def _by_class(run: list[LineItem], vocabulary: Vocabulary) -> list[str | None]:
    """The k-th line naming a class is the k-th layer of that class, where the list names every
    layer of that class exactly once each."""
    of_class: dict[str, list[str]] = {}
    for layer in vocabulary.layers:
        of_class.setdefault(layer.type_name.lower(), []).append(layer.name)
    written = Counter(item.class_name.lower() for item in run if item.class_name)
    seen: Counter[str] = Counter()
    layers: list[str | None] = []
    for item in run:
        type_name = (item.class_name or "").lower()
        members = of_class.get(type_name, [])
        layers.append(members[seen[type_name]] if written[type_name] == len(members) else None)
        seen[type_name] += 1
    return layers


def _item_claims(item: LineItem, layer: str, vocabulary: Vocabulary) -> list[Claim]:
    """A list item's values for its layer: labelled ones by their label, the others in order
    (``A -> B`` is an input and an output; a lone size is the output)."""
    fields = [spec.name for spec in vocabulary.fields]
    claims: list[Claim] = []
    plain: list[Loose] = []
    for value in item.values:
        if value.note:
            continue
        if value.role is not None and value.role in fields:
            claims.append(_claim(layer, value.role, value, LABELLED))
        elif value.role is None:
            plain.append(value)
    taken = {claim.field for claim in claims}
    remaining = [name for name in fields if name not in taken]
    shapes = [value for value in plain if isinstance(value.value, Shape)]
    if len(shapes) == 1 and remaining:
        # Under "Input sizes:" a lone size is an input; else it is what the layer outputs.
        field = item.block_field if item.block_field in remaining else remaining[-1]
        claims.append(_claim(layer, field, shapes[0], POSITIONAL))
    else:
        claims.extend(_claim(layer, name, value, POSITIONAL) for name, value in zip(remaining, shapes, strict=False))
    return claims


def _claim(layer: str, field: str, value: Loose, strength: int) -> Claim:
    return Claim(layer, field, value.value, value.line, strength, value.order, labelled=strength == LABELLED)

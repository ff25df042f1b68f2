"""The words a reader looks for: the names of the layers asked about, in any spelling, and the
labels of the fields asked per layer. Built once per reading from what the checker asks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.answers.sheet import FieldSpec, LayerSpec

# An alternative that matches nothing at all: with no layers or no fields asked about (a total
# only), no text may be read as naming one.
_NOTHING = r"(?!)"
_NAME_CHARACTER = r"[A-Za-z0-9_]"


@dataclass(frozen=True)
class Vocabulary:
    """The layers and fields asked about, and the patterns that find them in a line."""

    layers: tuple[LayerSpec, ...]
    fields: tuple[FieldSpec, ...]
    mention: re.Pattern[str]  # a layer's name: group 1 is the name as written
    labels: re.Pattern[str]  # a field's label: group 1 is the label as written
    layer_by_folded_name: Mapping[str, str]
    field_by_label: Mapping[str, FieldSpec]

    @classmethod
    def build(cls, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec]) -> Vocabulary:
        names = sorted((layer.name for layer in layers), key=len, reverse=True)
        field_by_label = {word.lower(): spec for spec in fields for word in spec.labels}
        words = sorted(field_by_label, key=len, reverse=True)
        return cls(
            layers=tuple(layers),
            fields=tuple(fields),
            mention=_any_of(
                [_spelling(name) for name in names],
                not_preceded_by=_NAME_CHARACTER,
                not_followed_by=_NAME_CHARACTER,
            ),
            labels=_any_of(
                [re.escape(word) for word in words], not_preceded_by=r"[A-Za-z]", not_followed_by=r"[A-Za-z_]"
            ),
            layer_by_folded_name={_folded(name): name for name in names},
            field_by_label=field_by_label,
        )

    def mentioned_layer(self, mention: re.Match[str]) -> str:
        """The layer that a match of ``mention`` names."""
        return self.layer_by_folded_name[_folded(mention.group(1))]

    def layer_named(self, written: str) -> str | None:
        """The layer asked about that ``written`` names (``Conv_1`` for ``conv1``), if any."""
        return self.layer_by_folded_name.get(_folded(written))

    def field_labelled(self, label: str) -> FieldSpec:
        """The field that ``label`` (as matched by ``labels``) names."""
        return self.field_by_label[label.lower()]

    def sole_field_labelled_in(self, text: str) -> FieldSpec | None:
        """The one field the labels in ``text`` name (``Output shape``), or None for none or many."""
        names = {self.field_labelled(match.group(1)).name for match in self.labels.finditer(text)}
        if len(names) != 1:
            return None
        return next(spec for spec in self.fields if spec.name in names)

    def layer_by_call_order(self, type_name: str, index: int) -> str | None:
        """The layer that a summary's row ``index`` (1-based) of torch class ``type_name`` is: the
        summary numbers layers in call order, so only a layer of that class in that place."""
        if 1 <= index <= len(self.layers) and self.layers[index - 1].type_name.lower() == type_name.lower():
            return self.layers[index - 1].name
        return None


def _any_of(alternatives: list[str], *, not_preceded_by: str, not_followed_by: str) -> re.Pattern[str]:
    """One of ``alternatives`` (as group 1), in any ASCII case, as a whole word rather than part of one.

    ASCII case only: under full Unicode folding "İnception1" matches ``inception1`` while its
    lower case is another string, and the match could not be looked up."""
    return re.compile(
        rf"(?<!{not_preceded_by})(" + ("|".join(alternatives) or _NOTHING) + rf")(?!{not_followed_by})",
        re.IGNORECASE | re.ASCII,
    )


def _spelling(name: str) -> str:
    """``conv1`` also as ``conv_1`` and ``conv-1``."""
    match = re.fullmatch(r"([A-Za-z_]+?)(\d+)", name)
    if match:
        return re.escape(match.group(1)) + r"[_\-]?" + match.group(2)
    return re.escape(name)


def _folded(name: str) -> str:
    return re.sub(r"[_\-]", "", name).lower()

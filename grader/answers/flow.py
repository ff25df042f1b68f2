"""Answers written as comments beside the code of ``forward()``, read from what each line computes.

``x = F.relu(self.bn1(self.conv1(x)))  # (1, 32, 32, 32)`` states the size of what the line
computes: the output of its outermost layer, bn1 (ReLU keeps the size). Two sizes are the input
of its first layer and the output of its last (``# A -> B``); one more size than layers are the
sizes between them in order. Where a line computes more than its layers (``torch.flatten(...)``,
``torch.cat``), its size is what the variable holds, not a layer's output. What a single size
leaves unsaid (conv1's output above) is only a reading for a TA to confirm.

Sizes stated for variables, beside their assignment or on a comment line of their own (``# x:
(1, 3, 32, 32)``, ``skip = self.pool1(x)  # (1, 32, 16, 16)``), carry to the layers that read them:
the input of ``self.conv2(skip)`` is what ``skip`` held. Such inputs are derived, weaker than any
size written for the layer itself.

Only regular expressions on the lines that hold code, once each: linear in the file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from grader.answers.claims import DERIVED, POSITIONAL, Claim, Loose
from grader.answers.sources import BESIDE_CODE, IN_CODE
from grader.answers.vocabulary import Vocabulary
from grader.messages import Message, Text, every

_CALL = re.compile(r"\bself\s*\.\s*([A-Za-z_]\w*)\s*\((?=\s*([A-Za-z_]\w*)?)")
_ALIAS_CALL = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*\((?=\s*([A-Za-z_]\w*)?)")
_ALIAS = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*self\s*\.\s*([A-Za-z_]\w*)\s*$")
_TARGET = re.compile(r"^\s*(?:return\b|([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=))")
_FUNCTION = re.compile(r"^\s*def\s")
# What may wrap a layer's call without changing the size: activations, dropout, a residual sum.
_SIZE_KEEPING = re.compile(
    r"^(?:(?:(?:F|torch|nn\.functional|torch\.nn\.functional)\.)?(?:relu6?|gelu|silu|elu|selu|leaky_relu|sigmoid"
    r"|tanh|dropout|hardswish|mish)\s*\(|[A-Za-z_]\w*\s*[+*]\s*)"
)
# Why a size beside a line of forward() is only a reading (``Answer.doubt``), in any language.
UNCLEAR_LINE = Message("the sizes beside this line of forward() do not match the layers it calls one to one")


@dataclass(frozen=True)
class _Line:
    """What one line of code does: the layers it calls, first to last; the variable the first
    reads; the variable it assigns; whether its result is the last layer's output."""

    calls: tuple[str, ...]
    argument: str | None
    target: str | None
    result_is_output: bool


def flow_claims(
    loose: Sequence[Loose], contexts: Sequence[str], code: Sequence[str], vocabulary: Vocabulary, *,
    stop: int | None = None,
) -> tuple[list[Claim], set[int]]:
    """Claims from sizes beside or between the lines of ``forward()`` (before line ``stop``), and
    the ``order`` of every loose value they used."""
    reader = _FlowReader(vocabulary)
    by_line: dict[int, list[Loose]] = defaultdict(list)
    for value in loose:
        if contexts[value.line] in (BESIDE_CODE, IN_CODE):
            by_line[value.line].append(value)
    end = len(code) if stop is None else min(stop, len(code))
    for index in sorted({*compress(range(end), code), *by_line}):
        if code[index]:
            reader.read(index, code[index], by_line.get(index, []))
        else:
            reader.read_comment_line(by_line[index])
    return reader.claims, reader.used


class _FlowReader:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.claims: list[Claim] = []
        self.used: set[int] = set()
        self.sizes: dict[str, Loose] = {}  # the latest size stated for each variable
        self.aliases: dict[str, str] = {}
        self.awaiting: tuple[str, str] | None = None  # (layer, variable): a line whose result is unstated

    def read(self, index: int, code: str, values: list[Loose]) -> None:
        if _FUNCTION.match(code):
            self.sizes, self.awaiting = {}, None
            return
        alias = _ALIAS.match(code)
        if alias and self.vocabulary.layer_named(alias.group(2)):
            self.aliases[alias.group(1)] = self.vocabulary.layer_named(alias.group(2))  # type: ignore[assignment]
            return
        line = self._parse(code)
        if line is None:
            self._assignment(code, values)
            return
        self.awaiting = None
        self._inputs_from_variables(index, line, values)
        if values:
            self._beside(line, values)
        elif line.target and line.result_is_output:
            self.awaiting = (line.calls[-1], line.target)

    def read_comment_line(self, values: list[Loose]) -> None:
        """``# x: (1, 32, 32, 32)`` on a line of its own: the size of ``x`` from here on."""
        if len(values) != 1:
            return
        value = values[0]
        subject = value.subject or (self.awaiting[1] if self.awaiting else "")
        if not subject or value.note:
            return
        self.sizes[subject] = value
        self.used.add(value.order)
        if self.awaiting and self.awaiting[1] == subject:
            self._claim(self.awaiting[0], "output", value, DERIVED)
        self.awaiting = None

    def _parse(self, code: str) -> _Line | None:
        calls: list[tuple[str, str | None, int]] = []
        for match in _CALL.finditer(code):
            layer = self.vocabulary.layer_named(match.group(1))
            if layer is not None:
                calls.append((layer, match.group(2), match.start()))
        for match in _ALIAS_CALL.finditer(code):
            if match.group(1) in self.aliases:
                calls.append((self.aliases[match.group(1)], match.group(2), match.start()))
        if not calls:
            return None
        calls.sort(key=lambda call: call[2])
        outermost = calls[0]
        target = _TARGET.match(code)
        expression = code[target.end():] if target else code
        while (wrapper := _SIZE_KEEPING.match(expression.lstrip())) is not None:
            expression = expression.lstrip()[wrapper.end():]
        result_is_output = expression.lstrip().startswith(code[outermost[2]:].split("(", 1)[0])
        innermost = calls[-1]
        # Nested calls run inside out: the last one written runs first.
        return _Line(tuple(call[0] for call in reversed(calls)), innermost[1],
                     target.group(1) if target else None, result_is_output)

    def _assignment(self, code: str, values: list[Loose]) -> None:
        """``x = torch.cat([x, skip], dim=1)  # (1, 64, 16, 16)``: the size of ``x`` from here on."""
        target = _TARGET.match(code)
        if target and target.group(1) and len(values) == 1 and not values[0].note:
            self.sizes[target.group(1)] = values[0]
            self.used.add(values[0].order)

    def _inputs_from_variables(self, index: int, line: _Line, values: list[Loose]) -> None:
        stated = self.sizes.get(line.argument or "")
        if stated is not None and not any(value.role == "input" for value in values):
            self._claim(line.calls[0], "input", stated, DERIVED)

    def _beside(self, line: _Line, values: list[Loose]) -> None:
        labelled = [value for value in values if value.role in ("input", "output") and not value.note]
        plain = [value for value in values if value.role is None and not value.note]
        for value in values:
            self.used.add(value.order)
        first, last = line.calls[0], line.calls[-1]
        for value in labelled:
            if value.role == "input":
                self._claim(first, "input", value, POSITIONAL)
            elif line.result_is_output:
                self._claim(last, "output", value, POSITIONAL)
            else:
                self._claim(last, "output", value, POSITIONAL, doubt=UNCLEAR_LINE)
        result = plain[-1] if plain else next((value for value in labelled if value.role == "output"), None)
        chain = plain
        if not line.result_is_output and len(plain) == len(line.calls) + 2:
            # "torch.flatten(self.gap(x), 1)  # A -> B -> C": the layers' sizes, then the line's result.
            chain = plain[:-1]
        if len(chain) == len(line.calls) + 1:
            sure = line.result_is_output or chain is not plain
            for step, layer in enumerate(line.calls):
                self._claim(layer, "input", chain[step], POSITIONAL)
                self._claim(layer, "output", chain[step + 1], POSITIONAL,
                            doubt="" if step + 1 < len(line.calls) or sure else UNCLEAR_LINE)
        elif len(plain) in (1, 2):
            self._ends(line, plain)
        else:
            for layer in line.calls:
                for value in plain:
                    self._claim(layer, "input", value, POSITIONAL, doubt=UNCLEAR_LINE)
                    self._claim(layer, "output", value, POSITIONAL, doubt=UNCLEAR_LINE)
        if result is not None and line.target:
            self.sizes[line.target] = result

    def _ends(self, line: _Line, plain: list[Loose]) -> None:
        """One size: what the line computes. Two: the first layer's input and that."""
        first, last = line.calls[0], line.calls[-1]
        if len(plain) == 2:
            self._claim(first, "input", plain[0], POSITIONAL)
        result = plain[-1]
        shared = Message("it is written beside a line of forward() that calls %(layers)s: it may be meant for any "
                         "of them", layers=every(line.calls))
        if line.result_is_output:
            self._claim(last, "output", result, POSITIONAL)
        else:
            self._claim(last, "output", result, POSITIONAL, doubt=UNCLEAR_LINE)
        for inner, following in zip(line.calls, line.calls[1:], strict=False):
            self._claim(inner, "output", result, POSITIONAL, doubt=shared)
            self._claim(following, "input", result, POSITIONAL, doubt=shared)

    def _claim(self, layer: str, field: str, value: Loose, strength: int, *, doubt: Text = "") -> None:
        if self.vocabulary.field(field) is None:
            return
        self.claims.append(Claim(layer, field, value.value, value.line, strength, value.order,
                                 labelled=value.role is not None, doubt=doubt))

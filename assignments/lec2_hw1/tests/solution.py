"""A correctly filled-in starter file, written from the torch reference, for tests and demos.

Never shipped to students or to the sandbox. ``solution_text()`` fills the starter's answer
template; ``style`` picks how sizes are written, so tests can prove every notation is read, and
``wrong`` replaces chosen answers to produce a submission with known mistakes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from assignments.lec2_hw1.checker import NetHWSizesChecker
from assignments.lec2_hw1.reference import Reference

SizeStyle = Callable[[tuple[int, ...]], str]

STYLES: dict[str, SizeStyle] = {
    "tuple": lambda dims: "(" + ", ".join(map(str, dims)) + ")",
    "list": lambda dims: "[" + ", ".join(map(str, dims)) + "]",
    "torch_size": lambda dims: "torch.Size([" + ", ".join(map(str, dims)) + "])",
    "x": lambda dims: "x".join(map(str, dims)),
    "times": lambda dims: " × ".join(map(str, dims)),
    "star": lambda dims: "*".join(map(str, dims)),
    "no_batch": lambda dims: "(" + ", ".join(map(str, dims[1:])) + (",)" if len(dims) == 2 else ")"),
    "channels_last": lambda dims: "x".join(map(str, (*dims[2:], dims[1]) if len(dims) == 4 else dims[1:])),
    "bare_features": lambda dims: str(dims[1]) if len(dims) == 2 else "x".join(map(str, dims)),
    "no_brackets": lambda dims: ", ".join(map(str, dims)),
}


def solution_text(
    reference: Reference,
    *,
    style: str = "tuple",
    total: str | None = None,
    wrong: Mapping[str, str] | None = None,
) -> str:
    """The starter with every template line answered.

    ``wrong`` maps a check name (``conv2.output``, ``total_params``) to the text to write instead
    of the right answer; ``total`` overrides how the total is written (``134,186``, ``0.13M``).
    """
    wrong = dict(wrong or {})
    write = STYLES[style]
    text = NetHWSizesChecker.starter_path("lec2_hw1.py").read_text(encoding="utf-8")
    for layer in reference.layers:
        sizes = {
            field: wrong.get(f"{layer.name}.{field}", write(getattr(layer, field)))
            for field in ("input", "output")
        }
        pattern = re.compile(rf"^# {layer.name}:(\s*)input: \(  \)(\s*)output: \(  \)$", re.MULTILINE)
        text, replaced = pattern.subn(
            lambda match, sizes=sizes, name=layer.name: (
                f"# {name}:{match.group(1)}input: {sizes['input']}{match.group(2)}output: {sizes['output']}"
            ),
            text,
        )
        if replaced != 1:
            raise ValueError(f"the starter's template has no line for {layer.name}")
    written_total = wrong.get("total_params", total or str(reference.total_params))
    text, replaced = re.subn(
        r"^(# Total number of parameters / 總參數量:)$", lambda match: f"{match.group(1)} {written_total}",
        text, flags=re.MULTILINE,
    )
    if replaced != 1:
        raise ValueError("the starter's template has no total line")
    return text


def full_marks_text(*, style: str = "tuple") -> str:
    """A filled-in starter that scores 25/25, from the cached torch reference (needs settings):
    for browser tests, demos and benchmarks."""
    return solution_text(NetHWSizesChecker().reference(), style=style)

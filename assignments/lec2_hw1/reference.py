"""The reference answers for lec2_hw1, computed by torch from the starter's own ``NetHW``.

Trusted code. The checker's ``compute_reference`` calls ``reference_compute`` on a fresh ``NetHW``
from the starter file; the engine caches the document per checker version and
``reference_from_document`` turns it into objects. Nothing here is typed by hand: sizes come from
forward hooks, and every "common mistake" is the size or count torch gives for a mistaken variant
of the layer (stride 1, no dilation, floor → ceil, ...), computed here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.messages import Message

MODEL_CLASS = "NetHW"
INPUT_SHAPE = (1, 3, 32, 32)
FORMAT = 2


class ReferenceFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Mistake:
    """A wrong answer a known misconception produces, the sentence that explains it ("ignores
    stride=2: out = ..."), and its name in a few words ("stride ignored"): messages, so that each
    reader sees them in their own language."""

    value: tuple[int, ...] | int
    why: Message
    short: Message | str = ""


@dataclass(frozen=True)
class LayerReference:
    name: str
    type_name: str
    signature: str  # "Conv2d(3, 32, kernel_size=(5, 5), ...)", as torch prints it
    input: tuple[int, ...]
    output: tuple[int, ...]
    # The layer whose output is this layer's input unchanged in shape (None: a join or reshape).
    fed_by: str | None
    input_mistakes: tuple[Mistake, ...]
    output_mistakes: tuple[Mistake, ...]
    # How the layer's output size follows from any input size, and what its input is made of
    # (grader.layer_shapes): what judges an answer against the student's own earlier answers.
    rule: Mapping[str, Any] | None = None
    source: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Reference:
    layers: tuple[LayerReference, ...]
    total_params: int
    total_mistakes: tuple[Mistake, ...]
    structure: tuple[Any, ...]  # grader.model_structure.ModuleDescription, one per submodule
    input_shape: tuple[int, ...] = INPUT_SHAPE

    def layer(self, name: str) -> LayerReference:
        return next(layer for layer in self.layers if layer.name == name)


# --- Loading ----------------------------------------------------------------------------------


def reference_from_document(document: Mapping[str, Any]) -> Reference:
    """The reference in a cached JSON document; raises ``ValueError``/``KeyError`` if it is not one."""
    from grader.model_structure import ModuleDescription

    if document.get("format") != FORMAT:
        raise ReferenceFormatError("reference cache has another format")
    return Reference(
        layers=tuple(
            LayerReference(
                name=raw["name"], type_name=raw["type"], signature=raw["signature"],
                input=tuple(raw["input"]), output=tuple(raw["output"]), fed_by=raw["fed_by"],
                input_mistakes=tuple(_mistake(item) for item in raw["input_mistakes"]),
                output_mistakes=tuple(_mistake(item) for item in raw["output_mistakes"]),
                rule=raw["rule"], source=raw["source"],
            )
            for raw in document["layers"]
        ),
        total_params=int(document["total_params"]),
        total_mistakes=tuple(_mistake(item) for item in document["total_mistakes"]),
        structure=tuple(ModuleDescription.from_raw(raw) for raw in document["structure"]),
        input_shape=tuple(document["input_shape"]),
    )


def _mistake(raw: Mapping[str, Any]) -> Mistake:
    value = raw["value"]
    short = Message.from_dict(raw["short"]) if raw.get("short") else ""
    return Mistake(tuple(value) if isinstance(value, list) else int(value), Message.from_dict(raw["why"]), short)


# --- Computing (imports torch) -----------------------------------------------------------------


def reference_compute(model: Any) -> dict[str, Any]:
    """Run ``model`` (the starter's ``NetHW``) on ``INPUT_SHAPE`` with forward hooks; return the JSON document."""
    import torch

    from grader.layer_shapes import input_sources_describe, shape_rule_describe
    from grader.model_structure_harness import describe_model

    torch.manual_seed(0)
    model = model.eval()
    sources = input_sources_describe(model, torch.zeros(*INPUT_SHAPE))
    calls: list[tuple[str, Any, Any, Any]] = []
    hooks = [
        module.register_forward_hook(
            lambda module, inputs, output, name=name: calls.append((name, module, inputs[0], output))
        )
        for name, module in model.named_children()
    ]
    with torch.no_grad():
        model(torch.randn(*INPUT_SHAPE))
    for hook in hooks:
        hook.remove()
    if sorted(name for name, *_ in calls) != sorted(name for name, _ in model.named_children()):
        raise RuntimeError("every layer of NetHW must be called exactly once")
    outputs = {name: output for name, _, _, output in calls}
    layers = []
    for position, (name, module, layer_input, output) in enumerate(calls):
        previous = calls[position - 1] if position else None
        fed_by = previous[0] if previous and tuple(previous[3].shape) == tuple(layer_input.shape) else None
        layers.append({
            "name": name,
            "type": type(module).__name__,
            "signature": repr(module),
            "input": list(layer_input.shape),
            "output": list(output.shape),
            "fed_by": fed_by,
            "input_mistakes": _input_mistakes(name, layer_input, outputs),
            "output_mistakes": _output_mistakes(module, layer_input, output),
            "rule": shape_rule_describe(module),
            "source": sources.get(name),
        })
    total = sum(parameter.numel() for parameter in model.parameters())
    return {
        "format": FORMAT,
        "input_shape": list(INPUT_SHAPE),
        "layers": layers,
        "total_params": total,
        "total_mistakes": _total_mistakes(model, total),
        "structure": describe_model(model),
    }


def _input_mistakes(name: str, layer_input, outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Wrong inputs that come from misreading ``forward`` where tensors are joined or reshaped."""
    import torch

    mistakes = []
    if name == "fuse":
        mistakes.append(_shape_mistake(
            outputs["upconv"].shape, layer_input.shape,
            Message("forgets that torch.cat([x, skip], dim=1) stacks skip's channels onto upconv's: "
                    "concatenation adds channels (%(first)s + %(second)s)",
                    first=outputs["upconv"].shape[1], second=outputs["pool1"].shape[1]),
            Message("concatenation forgotten"),
        ))
    if name == "dwconv":
        added = torch.cat([outputs["conv3"], outputs["conv3"]], dim=1)
        mistakes.append(_shape_mistake(
            added.shape, layer_input.shape,
            Message("treats the residual x + relu(conv3(x)) as a concatenation: adding two tensors of the same "
                    "size keeps that size"),
            Message("residual read as a concatenation"),
        ))
    if name == "fc1":
        mistakes.append(_shape_mistake(
            outputs["gap"].shape, layer_input.shape,
            Message("forgets torch.flatten(..., 1): fc1 receives (batch, features), not a 1×1 feature map"),
            Message("flatten forgotten"),
        ))
    return [mistake for mistake in mistakes if mistake]


def _output_mistakes(module, layer_input, output) -> list[dict[str, Any]]:
    """Outputs of mistaken variants of ``module``, each run by torch on the real input size."""
    import torch

    sample = torch.zeros(tuple(layer_input.shape))
    mistakes = []
    for variant, why, short in _variants(module):
        with torch.no_grad():
            produced = variant(sample)
        mistakes.append(_shape_mistake(produced.shape, output.shape, why, short))
    return [mistake for mistake in mistakes if mistake]


def _variants(module):
    """(mistaken module, why it is a mistake, its short name) for the misconceptions that apply to ``module``."""
    from torch import nn

    if isinstance(module, nn.ConvTranspose2d):
        settings = _conv_settings(module)
        yield nn.Conv2d(**settings), Message(
            "uses the ordinary convolution formula, which shrinks; a transposed convolution enlarges: "
            "out = (in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1"
        ), Message("ordinary convolution formula used")
        if module.stride[0] > 1:
            yield nn.ConvTranspose2d(**{**settings, "stride": 1}), Message(
                "ignores stride=%(stride)s: a transposed convolution multiplies the size by about the stride",
                stride=module.stride[0],
            ), Message("stride ignored")
    elif isinstance(module, nn.Conv2d):
        settings = _conv_settings(module)
        formula = "out = ⌊(in + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1"
        if module.stride[0] > 1:
            yield nn.Conv2d(**{**settings, "stride": 1}), Message(
                "ignores stride=%(stride)s: %(formula)s", stride=module.stride[0], formula=formula,
            ), Message("stride ignored")
        if module.dilation[0] > 1:
            yield nn.Conv2d(**{**settings, "dilation": 1}), Message(
                "ignores dilation=%(dilation)s: a dilated %(kernel)s×%(kernel)s kernel spans "
                "dilation·(kernel − 1) + 1 = %(span)s pixels; %(formula)s",
                dilation=module.dilation[0], kernel=module.kernel_size[0],
                span=module.dilation[0] * (module.kernel_size[0] - 1) + 1, formula=formula,
            ), Message("dilation ignored")
        if module.padding[0] > 0:
            yield nn.Conv2d(**{**settings, "padding": 0}), Message(
                "ignores padding=%(padding)s: %(formula)s", padding=module.padding[0], formula=formula,
            ), Message("padding ignored")
    elif isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        kind = type(module)
        settings = {"kernel_size": module.kernel_size, "stride": module.stride, "padding": module.padding}
        yield kind(**settings, ceil_mode=True), Message(
            "rounds up: pooling rounds down, out = ⌊(in + 2·padding − kernel) / stride⌋ + 1 "
            "(it would round up only with ceil_mode=True)"
        ), Message("rounded up")
        stride = module.stride if isinstance(module.stride, int) else module.stride[0]
        if stride > 1:
            yield kind(**{**settings, "stride": 1}), Message(
                "ignores stride=%(stride)s: the window jumps %(stride)s pixels", stride=stride,
            ), Message("stride ignored")
    elif isinstance(module, nn.AdaptiveAvgPool2d):
        yield nn.Sequential(module, nn.Flatten(1)), Message(
            "flattens too early: AdaptiveAvgPool2d(1) keeps a 1×1 feature map, torch.flatten comes after it"
        ), Message("flattened too early")
    elif isinstance(module, nn.Dropout):
        yield _FeaturesKept(1 - module.p), Message(
            "assumes Dropout(%(p)s) removes features: it zeroes elements at random during training "
            "and never changes the size", p=module.p,
        ), Message("dropout taken to remove features")


class _FeaturesKept:
    """The size a student who thinks dropout drops features expects (a variant, not a layer)."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def __call__(self, sample):
        return sample[..., : int(sample.shape[-1] * self.fraction)]


def _conv_settings(module) -> dict[str, Any]:
    return {
        "in_channels": module.in_channels, "out_channels": module.out_channels,
        "kernel_size": module.kernel_size, "stride": module.stride, "padding": module.padding,
        "dilation": module.dilation, "groups": module.groups, "bias": module.bias is not None,
    }


def _shape_mistake(shape, correct, why: Message, short: Message) -> dict[str, Any] | None:
    if tuple(shape) == tuple(correct):
        return None  # this mistake makes no difference here
    return {"value": list(shape), "why": why.to_dict(), "short": short.to_dict()}


def _total_mistakes(model, total: int) -> list[dict[str, Any]]:
    """Totals that common counting mistakes give, alone and in pairs, from the model's tensors."""
    from torch import nn

    convolutions = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
    weighted = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    grouped = [m for m in convolutions if m.groups > 1]
    without_bias = [m for m in weighted if m.bias is None]
    # (family, change to the total, why): mistakes of one family never happen together.
    single = [
        ("buffers", sum(m.running_mean.numel() + m.running_var.numel() for m in norms),
         Message("counts BatchNorm's running mean and variance: they are buffers, not parameters "
                 "(model.parameters() leaves them out)")),
        ("buffers", sum(buffer.numel() for buffer in model.buffers()),
         Message("counts BatchNorm's buffers (running mean, running variance, num_batches_tracked): "
                 "they are not parameters")),
        ("bias", -sum(m.bias.numel() for m in weighted if m.bias is not None),
         Message("leaves out the biases of the convolutions and linear layers (one per output channel or feature)")),
        ("bias", sum(m.out_channels for m in without_bias),
         Message("counts a bias for %(layers)s, built with bias=False",
                 layers=", ".join(_name(model, m) for m in without_bias))),
        ("groups", sum(m.weight.numel() * (m.groups - 1) for m in grouped),
         Message("ignores groups: a grouped convolution's kernel sees in_channels/groups channels, so "
                 "%(layers)s have out·(in/groups)·k·k weights", layers=", ".join(_name(model, m) for m in grouped))),
        ("norm", -sum(m.weight.numel() + m.bias.numel() for m in norms),
         Message("leaves out BatchNorm's learned scale γ and shift β (2 per channel)")),
    ]
    single = [(family, delta, why) for family, delta, why in single if delta]
    mistakes: dict[int, str] = {}
    for _, delta, why in single:
        mistakes.setdefault(total + delta, why)
    for first, second in itertools.combinations(single, 2):
        # Mistakes that nearly cancel out look like a typo, not like these two mistakes.
        if first[0] != second[0] and abs(first[1] + second[1]) >= min(abs(first[1]), abs(second[1])) / 2:
            mistakes.setdefault(total + first[1] + second[1],
                                Message("%(first)s; and it %(second)s", first=first[2], second=second[2]))
    mistakes.pop(total, None)
    return [{"value": value, "why": why.to_dict()} for value, why in mistakes.items()]


def _name(model, target) -> str:
    return next(name for name, module in model.named_modules() if module is target)

"""What a layer outputs for any input size, and where a layer's input comes from: the arithmetic a
checker needs to judge an answer against the student's own earlier answers ("follow-through").

Two halves:

* Describing (imports torch; run once per checker version, when the reference is computed and
  cached): ``shape_rule_describe(module)`` turns a module into a JSON rule, and
  ``input_sources_describe(model, example)`` traces ``forward`` with ``torch.fx`` to say what each
  layer's input is made of (another layer's output, the model input, a concatenation, a flatten...).
* Applying (pure Python, microseconds, no torch): ``shape_rule_apply`` and ``input_source_evaluate``.

Shapes here have no batch dimension: (channels, height, width) for a feature map, (features,) after
a flatten. tests/grader/test_layer_shapes.py checks every rule against torch on many input sizes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

Dims = tuple[int, ...]
Rule = dict[str, Any]
Source = dict[str, Any]


# --- Applying (no torch) -----------------------------------------------------------------------


def shape_rule_apply(rule: Mapping[str, Any] | None, shape: Dims | None) -> Dims | None:
    """The output size (no batch) ``rule`` gives for ``shape``; None when unknown or the layer
    could not take that input (a size below one, the wrong number of dimensions)."""
    if rule is None or shape is None:
        return None
    kind = rule["kind"]
    if kind == "same":
        return shape
    if kind == "linear":
        return (*shape[:-1], rule["out_features"]) if len(shape) >= 1 else None
    if len(shape) != 3:
        return None
    channels, *sides = shape
    if kind == "adaptive_pool":
        return (channels, *rule["output_size"])
    sizes = []
    for axis, side in enumerate(sides):
        kernel, stride, padding, dilation = (rule[key][axis] for key in ("kernel", "stride", "padding", "dilation"))
        if kind == "conv_transpose":
            size = (side - 1) * stride - 2 * padding + dilation * (kernel - 1) + rule["output_padding"][axis] + 1
        else:
            span = side + 2 * padding - dilation * (kernel - 1) - 1
            size = (math.ceil(span / stride) if rule.get("ceil_mode") else span // stride) + 1
            if rule.get("ceil_mode") and (size - 1) * stride >= side + padding:
                size -= 1  # a window that would start in the padding is dropped, as torch does
        if size < 1:
            return None
        sizes.append(size)
    out_channels = rule.get("out_channels") or channels
    return (out_channels, *sizes)


def input_source_evaluate(source: Mapping[str, Any] | None, outputs: Mapping[str, Dims | None],
                          model_input: Dims) -> Dims | None:
    """The input size ``source`` gives when the layers output ``outputs`` (no batch); None when it
    depends on an unknown output or the parts do not fit together."""
    if source is None:
        return None
    op = source["op"]
    if op == "input":
        return model_input
    if op == "output":
        return outputs.get(source["of"])
    parts = [input_source_evaluate(part, outputs, model_input) for part in source.get("parts", [])]
    if op == "flatten":
        (part,) = parts
        if part is None or len(part) <= source["start"]:
            return None
        return (*part[: source["start"]], math.prod(part[source["start"]:]))
    if any(part is None for part in parts) or len({len(part) for part in parts}) != 1:
        return None
    if op == "same":
        return parts[0] if len(set(parts)) == 1 else None
    if op == "cat":
        # The parts' sizes added along ``dim``; the other sizes are the first part's (where the
        # student's own parts disagree there, stacking onto the first is what they would write).
        dim = source["dim"]
        if dim >= len(parts[0]):
            return None
        return (*parts[0][:dim], sum(part[dim] for part in parts), *parts[0][dim + 1:])
    return None


# --- Describing (imports torch) ------------------------------------------------------------------


def shape_rule_describe(module: Any) -> Rule | None:
    """The JSON rule for ``module``'s output size, or None for a layer these rules do not cover."""
    from torch import nn

    pair = nn.modules.utils._pair
    if isinstance(module, nn.ConvTranspose2d | nn.Conv2d):
        rule = {"kind": "conv_transpose" if isinstance(module, nn.ConvTranspose2d) else "conv",
                "out_channels": module.out_channels, "kernel": list(module.kernel_size), "stride": list(module.stride),
                "padding": list(module.padding), "dilation": list(module.dilation)}
        if isinstance(module.padding, str):
            return None  # padding="same"/"valid": not worth a rule of its own here
        if rule["kind"] == "conv_transpose":
            rule["output_padding"] = list(module.output_padding)
        return rule
    if isinstance(module, nn.MaxPool2d | nn.AvgPool2d):
        dilation = getattr(module, "dilation", 1)
        return {"kind": "pool", "kernel": list(pair(module.kernel_size)), "stride": list(pair(module.stride)),
                "padding": list(pair(module.padding)), "dilation": list(pair(dilation)),
                "ceil_mode": bool(module.ceil_mode)}
    if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        size = pair(module.output_size)
        return None if None in size else {"kind": "adaptive_pool", "output_size": list(size)}
    if isinstance(module, nn.Linear):
        return {"kind": "linear", "out_features": module.out_features}
    if isinstance(module, nn.BatchNorm2d | nn.Dropout | nn.Dropout2d | nn.ReLU | nn.Identity | nn.GELU | nn.Sigmoid):
        return {"kind": "same"}
    return None


def input_sources_describe(model: Any, example: Any) -> dict[str, Source]:
    """For each submodule ``forward`` calls, what its input is made of, traced with ``torch.fx``
    and ``ShapeProp`` on ``example``: {"op": "input"}, {"op": "output", "of": name}, or
    {"op": "same" | "cat" | "flatten", ...} over such parts; {"op": "unknown"} for anything else.
    Empty when ``forward`` cannot be traced (the checker then judges answers only against the truth)."""
    import operator

    import torch
    from torch import fx
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        traced = fx.symbolic_trace(model)
        ShapeProp(traced).propagate(example)
    except Exception:  # noqa: BLE001 - a forward fx cannot trace only loses the follow-through
        return {}

    def shape(node) -> tuple[int, ...] | None:
        meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    def source(node) -> Source:
        if node.op == "placeholder":
            return {"op": "input"}
        if node.op == "call_module":
            return {"op": "output", "of": str(node.target)}
        if node.op == "call_function" and node.target in (torch.cat, torch.concat):
            parts = node.args[0]
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
            if dim >= 1 and all(isinstance(part, fx.Node) for part in parts):
                return {"op": "cat", "dim": dim - 1, "parts": [source(part) for part in parts]}
            return {"op": "unknown"}
        if node.op == "call_function" and node.target is torch.flatten:
            start = node.kwargs.get("start_dim", node.args[1] if len(node.args) > 1 else 0)
            end = node.kwargs.get("end_dim", node.args[2] if len(node.args) > 2 else -1)
            if start >= 1 and end == -1 and isinstance(node.args[0], fx.Node):
                return {"op": "flatten", "start": start - 1, "parts": [source(node.args[0])]}
            return {"op": "unknown"}
        tensors = [arg for arg in node.args if isinstance(arg, fx.Node) and shape(arg) is not None]
        elementwise = len(tensors) == 1 or node.target in (operator.add, operator.mul, torch.add, torch.mul)
        if (tensors and elementwise and node.op in ("call_function", "call_method")
                and all(shape(arg) == shape(node) for arg in tensors)):
            # Elementwise (relu, x + y, ...): the size of its tensor inputs, which agree.
            return source(tensors[0]) if len(tensors) == 1 else {"op": "same", "parts": [source(t) for t in tensors]}
        return {"op": "unknown"}

    sources = {}
    for node in traced.graph.nodes:
        if node.op == "call_module" and node.args and isinstance(node.args[0], fx.Node):
            sources[str(node.target)] = source(node.args[0])
    return sources

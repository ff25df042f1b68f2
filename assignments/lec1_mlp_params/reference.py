"""The reference answers for lec1_mlp_params, counted by torch on the starter's own ``MLP``.

Trusted code. Besides each layer's parameter count, it computes the counts that common mistakes
give (leaving out the bias, one bias per input feature), each with the sentence that explains it.
"""

from __future__ import annotations

from typing import Any

MODEL_CLASS = "MLP"


def reference_compute(model: Any) -> dict[str, Any]:
    """Count each ``nn.Linear`` layer's parameters of ``model``, the total, and the mistaken counts."""
    from torch import nn

    layers = []
    for name, layer in model.named_children():
        if not isinstance(layer, nn.Linear):
            continue
        weights = layer.weight.numel()
        layers.append({
            "name": name,
            "type": type(layer).__name__,
            "signature": repr(layer),  # "Linear(in_features=784, out_features=256, bias=True)"
            "params": sum(parameter.numel() for parameter in layer.parameters()),
            "mistakes": [
                [weights, f"leaves out the bias: {name} also has one bias per output feature "
                          f"({layer.out_features}), on top of in·out = {layer.in_features}·{layer.out_features} weights"],
                [weights + layer.in_features, "counts one bias per input feature; there is one per output feature"],
            ],
        })
    total = sum(parameter.numel() for parameter in model.parameters())
    weights_only = sum(layer.weight.numel() for layer in model.modules() if isinstance(layer, nn.Linear))
    return {
        "layers": layers,
        "total_params": total,
        "total_mistakes": [[weights_only, "leaves out the biases (one per output feature of every layer)"]],
    }


def reference_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The cached document, refused (``ValueError``) if it holds no layers or no total."""
    if not document["layers"] or int(document["total_params"]) <= 0:
        raise ValueError("empty reference")
    return document

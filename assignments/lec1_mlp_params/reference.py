"""The reference answers for lec1_mlp_params, counted by torch on the starter's own ``MLP``.

Trusted code. Besides each layer's parameter count, it computes the counts that common mistakes
give (leaving out the bias, one bias per input feature), each with the sentence that explains it
(a ``grader.messages.Message``, stored in the cached document as its ``to_dict``).
"""

from __future__ import annotations

from typing import Any

from grader.messages import Message

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
                [weights, Message("leaves out the bias: %(layer)s also has one bias per output feature (%(outputs)s), "
                                  "on top of in·out = %(inputs)s·%(outputs)s weights",
                                  layer=name, inputs=layer.in_features, outputs=layer.out_features).to_dict()],
                [weights + layer.in_features,
                 Message("counts one bias per input feature; there is one per output feature").to_dict()],
            ],
        })
    total = sum(parameter.numel() for parameter in model.parameters())
    weights_only = sum(layer.weight.numel() for layer in model.modules() if isinstance(layer, nn.Linear))
    return {
        "layers": layers,
        "total_params": total,
        "total_mistakes": [[weights_only,
                            Message("leaves out the biases (one per output feature of every layer)").to_dict()]],
    }


def reference_from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The cached document with each mistake's sentence as a ``Message``, refused (``ValueError``) if it
    holds no layers or no total (or a sentence that is not a message: an outdated cache)."""
    if not document["layers"] or int(document["total_params"]) <= 0:
        raise ValueError("empty reference")
    return {
        **document,
        "layers": [{**layer, "mistakes": _mistakes(layer["mistakes"])} for layer in document["layers"]],
        "total_mistakes": _mistakes(document["total_mistakes"]),
    }


def _mistakes(pairs: list[list[Any]]) -> list[tuple[int, Message]]:
    return [(int(value), Message.from_dict(why)) for value, why in pairs]

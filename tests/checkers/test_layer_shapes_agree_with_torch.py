"""The shape arithmetic that judges answers against a student's own earlier answers gives exactly
what torch gives, for every kind of layer it covers and many input sizes, and the traced ``forward``
of lec2_hw1 says where each layer's input comes from."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from grader.layer_shapes import (  # noqa: E402
    input_source_evaluate,
    input_sources_describe,
    shape_rule_apply,
    shape_rule_describe,
)

LAYERS = [
    nn.Conv2d(3, 8, kernel_size=5, stride=1, padding=2),
    nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1),
    nn.Conv2d(4, 4, kernel_size=3, padding=2, dilation=2),
    nn.Conv2d(4, 8, kernel_size=(3, 1), stride=(2, 1), groups=4, bias=False),
    nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2),
    nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2, padding=1, output_padding=1),
    nn.MaxPool2d(kernel_size=2, stride=2),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    nn.AvgPool2d(kernel_size=3, stride=2),
    nn.AvgPool2d(kernel_size=3, stride=2, ceil_mode=True),
    nn.AdaptiveAvgPool2d(1),
    nn.AdaptiveAvgPool2d((2, 3)),
    nn.BatchNorm2d(4),
    nn.Dropout(0.5),
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: repr(layer)[:60])
def test_each_rule_gives_the_size_torch_gives(layer):
    rule = shape_rule_describe(layer)
    assert rule is not None
    channels = getattr(layer, "in_channels", getattr(layer, "num_features", 4))
    for height, width in itertools.product((1, 2, 5, 7, 8, 15, 16, 33), (3, 8, 16)):
        expected = None
        try:
            with torch.no_grad():
                expected = tuple(layer.eval()(torch.zeros(1, channels, height, width)).shape[1:])
        except RuntimeError:
            pass  # torch refuses a size this small; the rule must say "no size" too
        got = shape_rule_apply(rule, (channels, height, width))
        assert got == (expected if expected and min(expected) > 0 else None), (height, width)


def test_a_linear_rule_replaces_the_features():
    assert shape_rule_apply(shape_rule_describe(nn.Linear(64, 128)), (64,)) == (128,)


def test_the_traced_forward_of_lec2_hw1_names_joins_and_reshapes():
    from assignments.lec2_hw1.checker import NetHWSizesChecker

    model = NetHWSizesChecker().load_starter().NetHW()
    sources = input_sources_describe(model, torch.zeros(1, 3, 32, 32))
    assert sources["conv1"] == {"op": "input"}
    assert sources["conv2"] == {"op": "output", "of": "pool1"}
    assert sources["dwconv"]["op"] == "same"
    assert sources["fuse"] == {"op": "cat", "dim": 0, "parts": [{"op": "output", "of": "upconv"},
                                                                {"op": "output", "of": "pool1"}]}
    assert sources["fc1"] == {"op": "flatten", "start": 0, "parts": [{"op": "output", "of": "gap"}]}
    stated = {"upconv": (32, 16, 16), "pool1": (32, 16, 16), "gap": (64, 1, 1)}
    assert input_source_evaluate(sources["fuse"], stated, (3, 32, 32)) == (64, 16, 16)
    assert input_source_evaluate(sources["fc1"], stated, (3, 32, 32)) == (64,)
    assert input_source_evaluate(sources["fc1"], {}, (3, 32, 32)) is None

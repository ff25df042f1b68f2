"""The lec2_hw1 reference is what torch computes from the starter file, cached as JSON so that
grading does not need torch."""

from __future__ import annotations

import json

import pytest

from assignments.lec2_hw1.checker import NetHWSizesChecker
from grader.reference_cache import forget_loaded_references


def test_reference_sizes_and_total_match_torch_run_now(lec2_checker):
    import torch

    model = lec2_checker.load_starter().NetHW().eval()
    seen = {}

    def record(name):
        def hook(module, inputs, output):
            seen[name] = (tuple(inputs[0].shape), tuple(output.shape))
        return hook

    for name, module in model.named_children():
        module.register_forward_hook(record(name))
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32))
    reference = lec2_checker.reference()
    assert {layer.name: (layer.input, layer.output) for layer in reference.layers} == seen
    assert reference.total_params == sum(parameter.numel() for parameter in model.parameters())
    assert [layer.name for layer in reference.layers] == list(seen)  # in the order forward calls them


def test_every_layer_of_the_issue_is_answered_in_call_order(lec2_checker):
    names = [layer.name for layer in lec2_checker.reference().layers]
    assert names == ["conv1", "bn1", "pool1", "conv2", "conv3", "dwconv", "pwconv", "gconv", "bn2", "upconv",
                     "fuse", "pool2", "gap", "fc1", "dropout", "fc2"]


def test_the_checks_add_up_to_the_assignment_points(lec2_checker):
    layers = len(lec2_checker.reference().layers)
    assert layers * 2 * lec2_checker.points_per_size + lec2_checker.points_for_total == lec2_checker.points == 25


def test_a_cached_reference_is_read_without_running_torch(lec2_checker, monkeypatch):
    lec2_checker.reference()  # in the session's cache
    forget_loaded_references()
    monkeypatch.setattr(NetHWSizesChecker, "compute_reference", lambda self: pytest.fail("recomputed a cached reference"))
    assert NetHWSizesChecker().reference().total_params > 0


def test_a_damaged_cache_file_is_recomputed_not_trusted(settings, tmp_path, reference_cache_dir, lec2_checker):
    lec2_checker.reference()
    version = lec2_checker.version
    damaged = tmp_path / "lec2_hw1" / f"reference-{version}.json"
    damaged.parent.mkdir(parents=True)
    damaged.write_text('{"format": 1, "layers": "nonsense"}')
    good = json.loads((reference_cache_dir / "lec2_hw1" / damaged.name).read_text())
    settings.GRADER_CACHE_DIR = tmp_path
    assert NetHWSizesChecker().reference().total_params == good["total_params"]
    assert json.loads(damaged.read_text()) == good


def test_a_new_checker_version_gets_its_own_reference_file(lec2_checker, settings, tmp_path):
    settings.GRADER_CACHE_DIR = tmp_path
    lec2_checker.reference()
    files = list((tmp_path / "lec2_hw1").glob("reference-*.json"))
    assert [path.name for path in files] == [f"reference-{lec2_checker.version}.json"]

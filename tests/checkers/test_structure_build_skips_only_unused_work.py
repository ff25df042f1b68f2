"""The structure harness builds a student's model without drawing its initial weights, and falls
back to an ordinary build whenever that shortcut could make a difference."""

from __future__ import annotations

import torch
from torch import nn

from assignments.lec2_hw1.checker import NetHWSizesChecker
from assignments.lec2_hw1.reference import MODEL_CLASS
from grader.model_structure_harness import build_for_description, describe_model


class NeedsItsInitialWeights(nn.Module):
    """Prints, draws a random number, then fails unless ``uniform_`` really filled the tensor."""

    def __init__(self):
        super().__init__()
        print("building")
        self.first_draw = torch.rand(1).item()
        self.fc = nn.Linear(2, 2)
        filled = nn.init.uniform_(torch.zeros(2), 1.0, 1.0)
        if filled.sum().item() != 2.0:
            raise ValueError("the initialiser did not run")


def test_a_model_whose_init_needs_its_weights_is_built_exactly_as_a_plain_build(capsys):
    torch.manual_seed(7)
    plain = NeedsItsInitialWeights()
    after_plain = torch.get_rng_state()
    plain_output = capsys.readouterr()

    torch.manual_seed(7)
    built = build_for_description(NeedsItsInitialWeights)

    assert capsys.readouterr() == plain_output  # "building" once: the failed attempt's print is dropped
    assert built.first_draw == plain.first_draw  # the generator was put back before the second build
    assert torch.equal(torch.get_rng_state(), after_plain)
    assert describe_model(built) == describe_model(plain)


def test_the_starter_model_is_described_the_same_with_or_without_its_initial_weights(capsys):
    model_class = getattr(NetHWSizesChecker().load_starter(), MODEL_CLASS)
    initialisers = nn.init.kaiming_uniform_, nn.init.uniform_
    capsys.readouterr()
    assert describe_model(build_for_description(model_class)) == describe_model(model_class())
    assert capsys.readouterr().out == ""
    assert (nn.init.kaiming_uniform_, nn.init.uniform_) == initialisers  # put back for the code after it


def test_what_a_model_prints_while_it_is_built_still_reaches_the_output(capsys):
    class Chatty(nn.Module):
        def __init__(self):
            super().__init__()
            print("conv ready")
            self.conv = nn.Conv2d(3, 4, 3)

    build_for_description(Chatty)
    assert capsys.readouterr().out == "conv ready\n"


def test_a_model_that_prints_without_end_is_built_the_ordinary_way(capsys):
    class Endless(nn.Module):
        lines = 0

        def __init__(self):
            super().__init__()
            for _ in range(20_000):  # 200 KB: more than the first attempt holds back
                try:
                    print("123456789")
                except Exception:  # noqa: BLE001, S112 - a model that swallows errors must not keep the attempt going
                    continue
                Endless.lines += 1

    build_for_description(Endless)
    # The attempt gave up at the first line past what it holds back; the plain build printed all.
    assert capsys.readouterr().out == "123456789\n" * 20_000
    assert Endless.lines < 2 * 20_000

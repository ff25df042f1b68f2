"""What the torch-loaded zygote prepares before it forks changes nothing a run can observe."""

from __future__ import annotations

import pytest

from grader.sandbox import get_sandbox
from grader.sandbox.types import SandboxRequest
from tests.sandbox.conftest import harness, needs_bwrap_as_root

pytestmark = [pytest.mark.sandbox, needs_bwrap_as_root]

DRAW = harness("""
import torch
return {"seed": torch.initial_seed(), "draw": torch.rand(4).tolist()}
""")


def test_a_run_draws_the_numbers_of_a_freshly_seeded_generator_despite_the_zygotes_warm_up():
    import torch

    outcome = get_sandbox().run(SandboxRequest(harness=DRAW, entry="main"))
    assert outcome.ok, outcome
    # The zygote built layers (drawing their initial weights) before forking; the generator the
    # run inherits must still be exactly where torch's import left it.
    fresh = torch.Generator().manual_seed(outcome.data["seed"])
    assert outcome.data["draw"] == torch.rand(4, generator=fresh).tolist()

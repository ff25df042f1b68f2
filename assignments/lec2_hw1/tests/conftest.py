"""Fixtures of lec2_hw1's tests: the checker, and a structure-only fake sandbox for answer tests."""

from __future__ import annotations

import pytest

from assignments.lec2_hw1.checker import NetHWSizesChecker
from grader.sandbox.types import SandboxOutcome, SandboxRequest


class CanonicalStructureSandbox:
    """Answers every structure request with the canonical model's description, without running
    anything, so that tests of answer grading stay fast."""

    def __init__(self, modules: list[dict]) -> None:
        self.modules = modules
        self.requests: list[SandboxRequest] = []

    @classmethod
    def of(cls, checker: NetHWSizesChecker) -> CanonicalStructureSandbox:
        """Answering with ``checker``'s reference model (the starter's NetHW)."""
        return cls([{"name": module.name, "type": module.type_name,
                     "parameters": [[name, list(sizes)] for name, sizes in module.parameters]}
                    for module in checker.reference().structure])

    def run(self, request: SandboxRequest) -> SandboxOutcome:
        self.requests.append(request)
        return SandboxOutcome(data={"built": True, "error": None, "load_error": None, "modules": self.modules})


@pytest.fixture
def lec2_checker() -> NetHWSizesChecker:
    return NetHWSizesChecker()


@pytest.fixture
def fake_sandbox(lec2_checker):
    return CanonicalStructureSandbox.of(lec2_checker)

"""Fixtures for checker tests: the real sandbox, a structure-only fake for unit tests, the
lec2_hw1 checker with its reference cached once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.sandbox.types import SandboxOutcome, SandboxRequest


@pytest.fixture
def sandbox():
    """The process's real sandbox (bubblewrap; ``SANDBOX=unsafe-dev`` on a host without it)."""
    from grader.sandbox import get_sandbox

    return get_sandbox()


class CanonicalStructureSandbox:
    """Unit tests only: answers every structure request with the canonical model's description,
    without running anything, so tests of answer grading stay fast."""

    def __init__(self, modules: list[dict]) -> None:
        self.modules = modules
        self.requests: list[SandboxRequest] = []

    def run(self, request: SandboxRequest) -> SandboxOutcome:
        self.requests.append(request)
        return SandboxOutcome(data={"built": True, "error": None, "load_error": None, "modules": self.modules})


@pytest.fixture(scope="session")
def lec2_reference_dir(tmp_path_factory) -> Path:
    """A cache directory holding the lec2_hw1 reference, computed by torch once per session."""
    from assignments.lec2_hw1.checker import NetHWSizesChecker
    from assignments.lec2_hw1.reference import reference_load

    cache = tmp_path_factory.mktemp("reference-cache")
    reference_load(version=NetHWSizesChecker().version, cache_dir=cache)
    return cache


@pytest.fixture
def lec2_checker(settings, lec2_reference_dir, tmp_path):
    from assignments.lec2_hw1.checker import NetHWSizesChecker

    shutil.copytree(lec2_reference_dir, settings.GRADER_CACHE_DIR, dirs_exist_ok=True)
    return NetHWSizesChecker()


@pytest.fixture
def fake_sandbox(lec2_checker):
    raw = [
        {"name": module.name, "type": module.type_name,
         "parameters": [[name, list(sizes)] for name, sizes in module.parameters]}
        for module in lec2_checker.reference().structure
    ]
    return CanonicalStructureSandbox(raw)

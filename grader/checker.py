"""The checker plugin API: what a TA subclasses in ``assignments/<slug>/checker.py``.

A checker declares its metadata as class attributes and implements ``check``. It is found by
``grader.registry`` without any edit to ``grader/`` or ``courseportal/``. See
``docs/adding-an-assignment.md``.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Protocol

from grader.content import SubmissionFile, default_max_bytes
from grader.results import GradeResult
from grader.sandbox.types import SandboxLimits, SandboxOutcome, SandboxRequest

QUEUES = ("checks", "gpu")


@dataclass(frozen=True)
class ManualProblem:
    """One part of a report that TAs grade by hand: the check it is stored as, its title, its points."""

    name: str
    title: str
    points: float


class Sandbox(Protocol):
    def run(self, request: SandboxRequest) -> SandboxOutcome: ...


class Checker:
    """Base class of every assignment checker.

    Subclasses set ``slug``, ``title`` and ``points`` and implement ``check``. ``check`` is called
    in the grading worker (trusted code); anything that executes the student's code must go
    through ``sandbox.run``.
    """

    slug: ClassVar[str]
    title: ClassVar[str]
    points: ClassVar[float]
    accepted_extensions: ClassVar[tuple[str, ...]] = (".py",)
    queue: ClassVar[str] = "checks"
    limits: ClassVar[SandboxLimits] = SandboxLimits()
    # Files handed to students, relative to the checker's folder.
    starter_files: ClassVar[tuple[str, ...]] = ()
    # None: 2 MB for code and notebooks, 20 MB for PDFs.
    max_upload_bytes: ClassVar[int | None] = None
    # True for reports that TAs grade by hand: the checker only validates the file.
    manual_grading: ClassVar[bool] = False
    # What TAs grade, one points field each; their points add up to ``points``. Empty: one grade
    # for the whole file.
    manual_problems: ClassVar[tuple[ManualProblem, ...]] = ()
    # Share of the lecture's homework grade, copied to new assignments (staff may change it there).
    weight_percent: ClassVar[int] = 100
    description: ClassVar[str] = ""

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        raise NotImplementedError(f"{type(self).__name__} must implement check()")

    @classmethod
    def hand_graded_problems(cls) -> tuple[ManualProblem, ...]:
        """The parts a TA enters points for (``manual_problems``, or the whole file as one)."""
        return cls.manual_problems or (ManualProblem("grade", cls.title, float(cls.points)),)

    @classmethod
    def folder(cls) -> Path:
        return Path(inspect.getfile(cls)).resolve().parent

    @classmethod
    def starter_path(cls, name: str) -> Path:
        if name not in cls.starter_files:
            raise FileNotFoundError(name)
        return cls.folder() / name

    @classmethod
    def upload_limit(cls, extension: str) -> int:
        return cls.max_upload_bytes or default_max_bytes(extension)

    @cached_property
    def version(self) -> str:
        """A digest of the checker's folder (tests excluded): the key of its cached references."""
        digest = hashlib.sha256()
        for path in sorted(self.folder().rglob("*")):
            relative = path.relative_to(self.folder())
            if path.is_file() and relative.parts[0] not in ("tests", "__pycache__") and path.suffix != ".pyc":
                digest.update(str(relative).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]


class CheckerDefinitionError(TypeError):
    """A checker class is missing metadata or declares impossible values."""


def validate_checker_class(cls: type[Checker]) -> None:
    """Raise ``CheckerDefinitionError`` naming the first thing wrong with ``cls``."""
    for attribute in ("slug", "title", "points"):
        if not hasattr(cls, attribute):
            raise CheckerDefinitionError(f"{cls.__qualname__} must set {attribute}")
    if not cls.slug.replace("_", "").replace("-", "").isalnum():
        raise CheckerDefinitionError(f"{cls.__qualname__}.slug {cls.slug!r} must be letters, digits, _ or -")
    if cls.queue not in QUEUES:
        raise CheckerDefinitionError(f"{cls.__qualname__}.queue {cls.queue!r} must be one of {QUEUES}")
    if not cls.accepted_extensions or not all(ext.startswith(".") for ext in cls.accepted_extensions):
        raise CheckerDefinitionError(f"{cls.__qualname__}.accepted_extensions must be like ('.py',)")
    if cls.points <= 0:
        raise CheckerDefinitionError(f"{cls.__qualname__}.points must be positive")
    if cls.manual_problems:
        names = [problem.name for problem in cls.manual_problems]
        if not cls.manual_grading:
            raise CheckerDefinitionError(f"{cls.__qualname__} sets manual_problems without manual_grading")
        if len(set(names)) != len(names) or not all(problem.points > 0 for problem in cls.manual_problems):
            raise CheckerDefinitionError(f"{cls.__qualname__}.manual_problems need distinct names and positive points")
        if abs(sum(problem.points for problem in cls.manual_problems) - cls.points) > 1e-9:
            raise CheckerDefinitionError(f"{cls.__qualname__}.manual_problems must add up to points ({cls.points})")
    for name in cls.starter_files:
        if not (cls.folder() / name).is_file():
            raise CheckerDefinitionError(f"{cls.__qualname__}: starter file {name} is missing")

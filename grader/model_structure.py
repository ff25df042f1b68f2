"""Checking in the sandbox that a student's model is built like the starter's, and saying how not.

``structure_check_run`` runs ``grader/model_structure_harness.py`` in the sandbox on the student's
code; what comes back is student-controlled, so it is validated into frozen dataclasses here and
only ever used for feedback, never for a score.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.messages import Message, Text
from grader.run_reuse import python_executable_part
from grader.sandbox.types import SandboxOutcome

if TYPE_CHECKING:
    from grader.checker import Checker, Sandbox

HARNESS_PATH = Path(__file__).with_name("model_structure_harness.py")
_MAX_MODULES = 2000
_MAX_TEXT = 500


class StructureReportError(ValueError):
    """What came back from the sandbox is not a structure report."""


@dataclass(frozen=True)
class ModuleDescription:
    name: str
    type_name: str
    parameters: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def from_raw(cls, raw: Any) -> ModuleDescription:
        if not isinstance(raw, Mapping):
            raise StructureReportError("a module description is not an object")
        parameters = raw.get("parameters")
        if not isinstance(parameters, list) or len(parameters) > 64:
            raise StructureReportError("parameters must be a short list")
        return cls(
            name=_text(raw.get("name")),
            type_name=_text(raw.get("type")),
            parameters=tuple((_text(name), _sizes(sizes)) for name, sizes in (_pair(item) for item in parameters)),
        )

    def describe(self) -> str:
        shapes = ", ".join(f"{name} {tuple(sizes)}" for name, sizes in self.parameters)
        return f"{self.name}: {self.type_name}" + (f" [{shapes}]" if shapes else "")


@dataclass(frozen=True)
class StructureReport:
    built: bool
    error: str | None
    load_error: str | None
    modules: tuple[ModuleDescription, ...]

    @classmethod
    def from_sandbox(cls, data: Any) -> StructureReport:
        """Validate the harness's JSON; raise ``StructureReportError`` if it is not a report."""
        if not isinstance(data, Mapping) or not isinstance(data.get("built"), bool):
            raise StructureReportError("the harness did not return a report")
        modules = data.get("modules", [])
        if not isinstance(modules, list) or len(modules) > _MAX_MODULES:
            raise StructureReportError("modules must be a list")
        return cls(
            built=data["built"],
            error=_optional_text(data.get("error")),
            load_error=_optional_text(data.get("load_error")),
            modules=tuple(ModuleDescription.from_raw(module) for module in modules),
        )


def structure_check_run(
    checker: Checker, sandbox: Sandbox, *, code: str, class_name: str
) -> tuple[StructureReport | None, SandboxOutcome]:
    """Build ``class_name`` from the student's ``code`` in the sandbox (``checker.run``, under its
    limits) and describe it.

    Returns the validated report (``None`` if the run failed or returned garbage) and the raw
    outcome (for its output and limit message).
    """
    request_file = json.dumps({"entry_file": "submission.py", "class_name": class_name}).encode()
    executable = python_executable_part(code)
    outcome = checker.run(
        sandbox,
        harness=HARNESS_PATH.read_text(encoding="utf-8"),
        entry="describe_submission",
        files={"submission.py": code.encode("utf-8"), "structure_request.json": request_file},
        # A class's files share the starter's code and differ in their answers (comments at the end):
        # the model is built once, not once a file. The check is feedback worth no points.
        decided_by=None if executable is None else {"submission.py": executable.encode("utf-8"),
                                                    "structure_request.json": request_file},
    )
    if not outcome.ok:
        return None, outcome
    try:
        return StructureReport.from_sandbox(outcome.data), outcome
    except StructureReportError:
        return None, outcome


def structure_differences(
    expected: Sequence[ModuleDescription], actual: Sequence[ModuleDescription], *, limit: int = 6
) -> list[Message]:
    """How ``actual`` differs from ``expected``, one sentence per difference (at most ``limit``), each
    a message for readers of any language (module names, types and sizes are code, left as written)."""
    differences: list[Message] = []
    actual_by_name = {module.name: module for module in actual}
    expected_names = {module.name for module in expected}
    for module in expected:
        theirs = actual_by_name.get(module.name)
        if theirs is None:
            differences.append(Message("%(name)s (%(type)s) is missing.", name=module.name, type=module.type_name))
        elif theirs.type_name != module.type_name:
            differences.append(Message("%(name)s is a %(theirs)s; the starter's is a %(expected)s.",
                                       name=module.name, theirs=theirs.type_name, expected=module.type_name))
        elif theirs.parameters != module.parameters:
            differences.append(Message("%(name)s has parameters %(theirs)s; the starter's has %(expected)s.",
                                       name=module.name, theirs=_shapes(theirs), expected=_shapes(module)))
    for module in actual:
        if module.name not in expected_names:
            differences.append(Message("%(name)s (%(type)s) is not in the starter's model.",
                                       name=module.name, type=module.type_name))
    if len(differences) > limit:
        differences = differences[:limit] + [Message("... and %(count)s more differences.",
                                                     count=len(differences) - limit)]
    return differences


def _shapes(module: ModuleDescription) -> Text:
    return ", ".join(f"{name} {tuple(sizes)}" for name, sizes in module.parameters) or Message("none")


def _pair(item: Any) -> tuple[Any, Any]:
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise StructureReportError("a parameter must be [name, sizes]")
    return item[0], item[1]


def _sizes(raw: Any) -> tuple[int, ...]:
    if not isinstance(raw, list) or len(raw) > 8:
        raise StructureReportError("sizes must be a short list")
    if not all(isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**40 for size in raw):
        raise StructureReportError("sizes must be non-negative integers")
    return tuple(raw)


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > _MAX_TEXT:
        raise StructureReportError("expected a short string")
    return raw


def _optional_text(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise StructureReportError("expected a string or null")
    return raw[-_MAX_TEXT:]

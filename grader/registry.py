"""Finds checkers: every ``assignments/<package>/checker.py``, like Django finds ``admin.py``.

Modules named in the ``GRADER_EXTRA_CHECKER_MODULES`` setting are searched too (tests use it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from functools import cache

import assignments
from grader.checker import Checker, validate_checker_class
from grader.conf import engine_setting


class UnknownChecker(LookupError):
    pass


@dataclass(frozen=True)
class Discovery:
    checkers: dict[str, type[Checker]]
    errors: dict[str, str]  # module name -> why it could not be loaded


@cache
def discover() -> Discovery:
    checkers: dict[str, type[Checker]] = {}
    errors: dict[str, str] = {}
    module_names = [
        f"assignments.{info.name}.checker"
        for info in pkgutil.iter_modules(assignments.__path__)
        if info.ispkg and not info.name.startswith("_")
    ] + list(engine_setting("GRADER_EXTRA_CHECKER_MODULES"))
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue  # a package without a checker.py (shared code, say)
            errors[module_name] = f"{type(error).__name__}: {error}"
            continue
        except Exception as error:  # a TA's broken checker must not hide the others
            errors[module_name] = f"{type(error).__name__}: {error}"
            continue
        for cls in _checker_classes(module):
            try:
                validate_checker_class(cls)
            except TypeError as error:
                errors[module_name] = str(error)
                continue
            if cls.slug in checkers:
                errors[module_name] = f"slug {cls.slug!r} is already used by {checkers[cls.slug].__module__}"
                continue
            checkers[cls.slug] = cls
    return Discovery(checkers=checkers, errors=errors)


def _checker_classes(module) -> list[type[Checker]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Checker) and cls is not Checker and cls.__module__ == module.__name__
        and not inspect.isabstract(cls) and "slug" in cls.__dict__
    ]


def all_checkers() -> dict[str, type[Checker]]:
    return dict(discover().checkers)


@cache
def get_checker(slug: str) -> Checker:
    """The checker registered under ``slug``; raises ``UnknownChecker`` if none is."""
    try:
        return discover().checkers[slug]()
    except KeyError:
        known = ", ".join(sorted(discover().checkers)) or "none"
        raise UnknownChecker(f"No checker is registered as {slug!r} (known: {known}).") from None

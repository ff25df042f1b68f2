"""Weights (and anything else) a student's run sends back are never unpickled in trusted code: only the
training harness, which runs in the sandbox, may call ``torch.load``, and it does with
``weights_only=True``."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
IN_THE_SANDBOX = {REPO_ROOT / "grader" / "training" / "harness.py"}
UNPICKLERS = {("torch", "load"), ("pickle", "load"), ("pickle", "loads"), ("joblib", "load"), ("dill", "load"),
              ("dill", "loads")}


def unpickling_calls(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
        allow_pickle = any(keyword.arg == "allow_pickle" and not (isinstance(keyword.value, ast.Constant)
                                                                  and keyword.value.value is False)
                           for keyword in node.keywords)
        if (owner, node.func.attr) in UNPICKLERS or (node.func.attr == "load" and allow_pickle):
            found.append((node.lineno, f"{owner}.{node.func.attr}"))
    return found


def test_trusted_code_never_unpickles():
    trusted = [path for folder in ("grader", "courseportal") for path in (REPO_ROOT / folder).rglob("*.py")
               if path not in IN_THE_SANDBOX]
    offenders = [f"{path.relative_to(REPO_ROOT)}:{line} {call}" for path in trusted
                 for line, call in unpickling_calls(path)]
    assert offenders == []


def test_the_harness_loads_weights_only_and_arrays_without_pickle():
    (harness,) = IN_THE_SANDBOX
    tree = ast.parse(harness.read_text(encoding="utf-8"))
    loads = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "load" and ast.unparse(node.func.value) in ("torch", "numpy")]
    assert loads, "the harness loads weights and arrays"
    for call in loads:
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        if "weights_only" in keywords:  # torch.load
            assert isinstance(keywords["weights_only"], ast.Constant) and keywords["weights_only"].value is True
        else:  # numpy.load
            assert isinstance(keywords.get("allow_pickle"), ast.Constant) and keywords["allow_pickle"].value is False, \
                ast.unparse(call)

"""``grader/`` is an engine that knows nothing of the portal: no import of it reaches ``courseportal``,
whether at module level or inside a function, directly or through another project module; and a
project with only the engine installed grades a file."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("grader", "assignments", "courseportal", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_path(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its body, and ``importlib.import_module("...")`` targets."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path) if path.is_relative_to(REPO_ROOT) else path.stem
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value))
    return found


def project_import_chains() -> dict[str, list[str]]:
    """Every project module reachable from ``grader``'s modules, with the chain that reaches it."""
    chains = {module_name(path): [module_name(path)] for path in (REPO_ROOT / "grader").rglob("*.py")}
    pending = list(chains)
    while pending:
        current = pending.pop()
        path = module_path(current)
        if path is None:
            continue
        for imported in imports_of(path):
            if imported.split(".")[0] in PROJECT_PACKAGES and imported not in chains:
                chains[imported] = [*chains[current], imported]
                pending.append(imported)
    return chains


def test_no_import_in_the_engine_reaches_the_portal():
    reached = {name: chain for name, chain in project_import_chains().items() if name.split(".")[0] == "courseportal"}
    shortest = sorted(reached.values(), key=len)[:3]
    assert not reached, "the engine reaches the portal: " + "; ".join(" → ".join(chain) for chain in shortest)


def test_the_walk_sees_imports_inside_functions(tmp_path):
    sample = REPO_ROOT / "grader" / "registry.py"
    assert "assignments" in imports_of(sample)
    nested = tmp_path / "nested.py"
    nested.write_text("def later():\n    from courseportal.submissions import services\n")
    assert "courseportal.submissions.services" in imports_of(nested)


@pytest.mark.timeout(120)
def test_a_project_with_only_the_engine_installed_grades_a_file(tmp_path):
    script = """
import json, pkgutil, sys, importlib
import django
django.setup()
import grader
for info in pkgutil.walk_packages(grader.__path__, "grader."):
    importlib.import_module(info.name)
from grader import grade_file
from grader.registry import get_checker
from grader.sandbox import get_sandbox
checker = get_checker("lec1_mlp_params")
reference = checker.reference()
text = checker.starter_path("lec1_mlp_params.py").read_text(encoding="utf-8")
for layer in reference["layers"]:
    text = text.replace(f"# {layer['name']} parameters:", f"# {layer['name']} parameters: {layer['params']}")
text = text.replace("總參數量:", f"總參數量: {reference['total_params']}")
result = grade_file(checker, filename="a_lec1_mlp_params.py", data=text.encode(), sandbox=get_sandbox())
print(json.dumps({"score": result.score, "max": result.max_score,
                  "portal": sorted(name for name in sys.modules if name.split(".")[0] == "courseportal")}))
"""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tests.architecture.standalone_settings",
           "GRADER_CACHE_DIR": str(tmp_path), "SANDBOX": os.environ.get("SANDBOX", "bwrap")}
    completed = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True,
                               text=True, timeout=110)
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome == {"score": outcome["max"], "max": 10.0, "portal": []}

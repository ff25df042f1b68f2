"""System checks: what must hold before the portal or a worker starts."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register

from grader.conf import engine_setting


@register(Tags.compatibility)
def every_checker_imports(app_configs, **kwargs):
    from grader.registry import discover

    return [
        Error(f"Checker module {module} cannot be loaded: {reason}", id="grader.E001")
        for module, reason in discover().errors.items()
    ]


@register(Tags.security)
def sandbox_mode_is_safe(app_configs, **kwargs):
    if engine_setting("SANDBOX") == "unsafe-dev":
        return [
            Warning(
                "SANDBOX=unsafe-dev: student code runs WITHOUT isolation. Never use this with real students.",
                id="grader.W001",
            )
        ]
    return []


@register("sandbox")
def sandbox_isolates_student_code(app_configs, **kwargs):
    """Start the bubblewrap sandbox once and look at it from inside (uid, capabilities, files, network)."""
    import os

    if engine_setting("SANDBOX") == "unsafe-dev":
        return []  # grader.W001 already says so
    if os.geteuid() != 0:
        # Not a grading process (web, migrate run as an ordinary user and never start the sandbox);
        # a grading worker started like this refuses to start (courseportal/celery.py).
        return []
    from grader.sandbox.health import sandbox_health

    health = sandbox_health()
    return [
        Error(f"The sandbox does not work here: {problem}", hint="See docs/sandbox.md.", id="grader.E003")
        for problem in health.problems
    ] + [Warning(f"Sandbox: {note}", id="grader.W002") for note in health.notes]


@register(Tags.compatibility)
def training_data_folder_is_complete(app_configs, **kwargs):
    """A configured MNIST folder holds its four IDX files (read at the first training run, not here)."""
    from pathlib import Path

    from grader.datasets import MNIST_FILES

    folder = engine_setting("TRAINING_DATA_DIR")
    if not folder:
        return []
    missing = [stem for stem in MNIST_FILES.values()
               if not (Path(folder) / stem).is_file() and not (Path(folder) / f"{stem}.gz").is_file()]
    return [Warning(
        f"TRAINING_DATA_DIR={folder} lacks {', '.join(missing)} (raw or .gz): training runs here will fail",
        hint="Point it at MNIST's four IDX files, or unset it to train on the bundled digits.", id="grader.W003",
    )] if missing else []

"""System checks: what must hold before the portal or a worker starts."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.compatibility)
def every_checker_imports(app_configs, **kwargs):
    from grader.registry import discover

    return [
        Error(f"Checker module {module} cannot be loaded: {reason}", id="grader.E001")
        for module, reason in discover().errors.items()
    ]


@register(Tags.compatibility)
def media_dir_is_writable(app_configs, **kwargs):
    import os

    media = settings.MEDIA_ROOT
    try:
        media.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return [Error(f"MEDIA_ROOT {media} cannot be created: {error}", id="grader.E002")]
    if not os.access(media, os.W_OK):
        return [Error(f"MEDIA_ROOT {media} is not writable by this process.", id="grader.E002")]
    return []


@register(Tags.security)
def sandbox_mode_is_safe(app_configs, **kwargs):
    if settings.SANDBOX == "unsafe-dev":
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

    if settings.SANDBOX == "unsafe-dev":
        return []  # grader.W001 already says so
    if os.geteuid() != 0:
        # Not a grading process (web, migrate run as an ordinary user and never start the sandbox);
        # a grading worker started like this refuses to start (grader/celery.py).
        return []
    from grader.sandbox.health import sandbox_health

    health = sandbox_health()
    return [
        Error(f"The sandbox does not work here: {problem}", hint="See docs/sandbox.md.", id="grader.E003")
        for problem in health.problems
    ] + [Warning(f"Sandbox: {note}", id="grader.W002") for note in health.notes]
